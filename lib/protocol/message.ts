// AS_MSG (proto type 3): the 22-byte header, fields and ops; encode and decode.
import { MSG_HEADER_SIZE, PROTO_HEADER_SIZE, ProtoType } from './constants.js';
import { writeProtoHeader } from './frame.js';
import { ProtocolError } from '../errors.js';

/** The AS_MSG header fields. */
export interface MsgHeader {
  info1: number;
  info2: number;
  info3: number;
  info4: number;
  resultCode: number;
  generation: number;
  /** TTL on writes, void time in responses. */
  recordTtl: number;
  /** Server-side timeout in ms. */
  transactionTtl: number;
}

/** A field: type byte + data. */
export interface Field {
  type: number;
  data: Buffer;
}

/** An op: op code, particle type, bin name, value bytes. */
export interface Op {
  op: number;
  type: number;
  name: string;
  data: Buffer;
}

/** A decoded AS_MSG. */
export interface Message extends MsgHeader {
  fields: Field[];
  ops: Op[];
}

/** The parts of a message to encode; header fields left out are 0. */
export type MessageSpec = Partial<MsgHeader> & { fields?: Field[]; ops?: Op[] };

const EMPTY = Buffer.alloc(0);

/** messageSize: bytes of the AS_MSG body (header, fields, ops) without the proto header. */
export function messageSize(spec: MessageSpec): number {
  let size = MSG_HEADER_SIZE;
  for (const f of spec.fields ?? []) size += 5 + f.data.length;
  for (const o of spec.ops ?? []) size += 8 + Buffer.byteLength(o.name) + o.data.length;
  return size;
}

/** writeMessage: writes the AS_MSG body at offset; returns the offset after it. */
export function writeMessage(buf: Buffer, offset: number, spec: MessageSpec): number {
  const fields = spec.fields ?? [];
  const ops = spec.ops ?? [];
  buf[offset] = MSG_HEADER_SIZE;
  buf[offset + 1] = spec.info1 ?? 0;
  buf[offset + 2] = spec.info2 ?? 0;
  buf[offset + 3] = spec.info3 ?? 0;
  buf[offset + 4] = spec.info4 ?? 0;
  buf[offset + 5] = spec.resultCode ?? 0;
  buf.writeUInt32BE((spec.generation ?? 0) >>> 0, offset + 6);
  buf.writeUInt32BE((spec.recordTtl ?? 0) >>> 0, offset + 10);
  buf.writeUInt32BE((spec.transactionTtl ?? 0) >>> 0, offset + 14);
  buf.writeUInt16BE(fields.length, offset + 18);
  buf.writeUInt16BE(ops.length, offset + 20);
  let at = offset + MSG_HEADER_SIZE;
  for (const f of fields) {
    buf.writeUInt32BE(f.data.length + 1, at);
    buf[at + 4] = f.type;
    f.data.copy(buf, at + 5);
    at += 5 + f.data.length;
  }
  for (const o of ops) at = writeOp(buf, at, o.op, o.type, o.name, o.data);
  return at;
}

/** writeOp: one op (size, op code, particle type, flags 0, name, value) at offset; returns the offset after it. */
export function writeOp(buf: Buffer, at: number, op: number, type: number, name: string, data: Buffer): number {
  const nameLen = buf.write(name, at + 8, 'utf8');
  buf.writeUInt32BE(4 + nameLen + data.length, at);
  buf[at + 4] = op;
  buf[at + 5] = type;
  buf[at + 6] = 0;
  buf[at + 7] = nameLen;
  data.copy(buf, at + 8 + nameLen);
  return at + 8 + nameLen + data.length;
}

/** encodeMessage: a whole proto type 3 frame for one message. */
export function encodeMessage(spec: MessageSpec): Buffer {
  const size = messageSize(spec);
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
  writeProtoHeader(buf, 0, ProtoType.MSG, size);
  writeMessage(buf, PROTO_HEADER_SIZE, spec);
  return buf;
}

/** readHeader: the header of the message at offset (bounds are the caller's job). */
export function readHeader(buf: Buffer, offset: number): MsgHeader & { nFields: number; nOps: number; headerSize: number } {
  return {
    headerSize: buf[offset]!,
    info1: buf[offset + 1]!,
    info2: buf[offset + 2]!,
    info3: buf[offset + 3]!,
    info4: buf[offset + 4]!,
    resultCode: buf[offset + 5]!,
    generation: buf.readUInt32BE(offset + 6),
    recordTtl: buf.readUInt32BE(offset + 10),
    transactionTtl: buf.readUInt32BE(offset + 14),
    nFields: buf.readUInt16BE(offset + 18),
    nOps: buf.readUInt16BE(offset + 20),
  };
}

/**
 * decodeMessage: the message at offset of a frame body, and where the next one starts.
 * Every length is checked against the body: a lying length is a ProtocolError.
 */
export function decodeMessage(body: Buffer, offset = 0): { msg: Message; end: number } {
  if (offset + MSG_HEADER_SIZE > body.length) throw new ProtocolError('truncated message header', offset);
  const h = readHeader(body, offset);
  if (h.headerSize !== MSG_HEADER_SIZE) throw new ProtocolError(`bad message header size ${h.headerSize}`, h.headerSize);
  let at = offset + MSG_HEADER_SIZE;
  const fields: Field[] = [];
  for (let i = 0; i < h.nFields; i++) {
    if (at + 5 > body.length) throw new ProtocolError('truncated field', at);
    const size = body.readUInt32BE(at);
    if (size < 1 || at + 4 + size > body.length) throw new ProtocolError(`bad field size ${size}`, size);
    fields.push({ type: body[at + 4]!, data: body.subarray(at + 5, at + 4 + size) });
    at += 4 + size;
  }
  const ops: Op[] = [];
  for (let i = 0; i < h.nOps; i++) {
    if (at + 8 > body.length) throw new ProtocolError('truncated op', at);
    const size = body.readUInt32BE(at);
    const nameLen = body[at + 7]!;
    const lut = body[at + 6]! & 1 ? 8 : 0;
    if (size < 4 + nameLen + lut || at + 4 + size > body.length) throw new ProtocolError(`bad op size ${size}`, size);
    const nameEnd = at + 8 + nameLen;
    ops.push({
      op: body[at + 4]!,
      type: body[at + 5]!,
      name: body.toString('utf8', at + 8, nameEnd),
      data: body.subarray(nameEnd + lut, at + 4 + size),
    });
    at += 4 + size;
  }
  const { headerSize: _h, nFields: _f, nOps: _o, ...header } = h;
  return { msg: { ...header, fields, ops }, end: at };
}

/** decodeMessages: every message of a frame body, in order. */
export function decodeMessages(body: Buffer): Message[] {
  const out: Message[] = [];
  let at = 0;
  while (at < body.length) {
    const { msg, end } = decodeMessage(body, at);
    out.push(msg);
    at = end;
  }
  return out;
}

/** field: the data of the first field of a type, if any. */
export function field(msg: { fields: Field[] }, type: number): Buffer | undefined {
  for (const f of msg.fields) if (f.type === type) return f.data;
  return undefined;
}

/** Field builders for the common encodings. */
export const Fields = {
  string: (type: number, s: string): Field => ({ type, data: Buffer.from(s, 'utf8') }),
  u32: (type: number, v: number): Field => {
    const data = Buffer.allocUnsafe(4);
    data.writeUInt32BE(v >>> 0);
    return { type, data };
  },
  u64: (type: number, v: bigint): Field => {
    const data = Buffer.allocUnsafe(8);
    data.writeBigUInt64BE(v);
    return { type, data };
  },
  raw: (type: number, data: Buffer): Field => ({ type, data }),
  empty: (type: number): Field => ({ type, data: EMPTY }),
};
