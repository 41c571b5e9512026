// AS_MSG (proto type 3) as objects: a header, fields and ops, encoded and decoded over the
// layout helpers of layout.ts (for requests, tests and the dev server; not the hot paths).
import { MSG_HEADER_SIZE, PROTO_HEADER_SIZE, ProtoType } from './constants.js';
import { writeProtoHeader } from './frame.js';
import {
  checkedFieldEnd, checkedOpEnd, checkMsgHeader, fieldDataAt, fieldSize, fieldType, MsgOffset, opCode, opNameAt, opNameEnd, opParticleType,
  opSize, opValueAt, readU16, readU32, viewOf, writeField, writeMsgHeader, writeOpNamed,
} from './layout.js';

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
  for (const f of spec.fields ?? []) size += fieldSize(f.data.length);
  for (const o of spec.ops ?? []) size += opSize(Buffer.byteLength(o.name), o.data.length);
  return size;
}

/** writeMessage: writes the AS_MSG body at offset; returns the offset after it. */
export function writeMessage(buf: Buffer, offset: number, spec: MessageSpec): number {
  const fields = spec.fields ?? [];
  const ops = spec.ops ?? [];
  let at = writeMsgHeader(
    buf, offset, spec.info1 ?? 0, spec.info2 ?? 0, spec.info3 ?? 0, spec.info4 ?? 0, spec.resultCode ?? 0,
    spec.generation ?? 0, spec.recordTtl ?? 0, spec.transactionTtl ?? 0, fields.length, ops.length,
  );
  for (const f of fields) at = writeField(buf, at, f.type, f.data);
  for (const o of ops) at = writeOpNamed(buf, at, o.op, o.type, o.name, o.data);
  return at;
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
    headerSize: buf[offset + MsgOffset.HEADER_SIZE]!,
    info1: buf[offset + MsgOffset.INFO1]!,
    info2: buf[offset + MsgOffset.INFO2]!,
    info3: buf[offset + MsgOffset.INFO3]!,
    info4: buf[offset + MsgOffset.INFO4]!,
    resultCode: buf[offset + MsgOffset.RESULT_CODE]!,
    generation: readU32(buf, offset + MsgOffset.GENERATION),
    recordTtl: readU32(buf, offset + MsgOffset.RECORD_TTL),
    transactionTtl: readU32(buf, offset + MsgOffset.TRANSACTION_TTL),
    nFields: readU16(buf, offset + MsgOffset.N_FIELDS),
    nOps: readU16(buf, offset + MsgOffset.N_OPS),
  };
}

/**
 * decodeMessage: the message at offset of a frame body, and where the next one starts.
 * Every length is checked against the body: a lying length is a ProtocolError.
 */
export function decodeMessage(body: Buffer, offset = 0): { msg: Message; end: number } {
  const v = viewOf(body);
  let at = checkMsgHeader(v, offset, body.length);
  const h = readHeader(body, offset);
  const fields: Field[] = [];
  for (let i = 0; i < h.nFields; i++) {
    const end = checkedFieldEnd(v, at, body.length);
    fields.push({ type: fieldType(body, at), data: body.subarray(fieldDataAt(at), end) });
    at = end;
  }
  const ops: Op[] = [];
  for (let i = 0; i < h.nOps; i++) {
    const end = checkedOpEnd(v, at, body.length);
    ops.push({
      op: opCode(body, at),
      type: opParticleType(body, at),
      name: body.toString('utf8', opNameAt(at), opNameEnd(body, at)),
      data: body.subarray(opValueAt(body, at), end),
    });
    at = end;
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
