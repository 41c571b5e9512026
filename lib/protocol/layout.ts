// The AS_MSG layout (wire-protocol.md 4.1-4.4) as plain functions over a Buffer and an
// offset: where each header field sits, how a field and an op are laid out, and a checked
// walk over them. Everything that reads or writes AS_MSG bytes goes through here: our
// requests, the record parser, the .asb wire encoder, the restore writer and the dev
// server's replies. No objects and no closures, so V8 inlines them on the hot paths.
import { FieldType, MSG_HEADER_SIZE } from './constants.js';
import { ProtocolError } from '../errors.js';

/** Offsets of the header's fields from the start of an AS_MSG (just after the proto header). */
export const MsgOffset = {
  /** u8, always MSG_HEADER_SIZE (22). */
  HEADER_SIZE: 0,
  INFO1: 1,
  INFO2: 2,
  INFO3: 3,
  INFO4: 4,
  /** u8, in answers. */
  RESULT_CODE: 5,
  /** u32 BE. */
  GENERATION: 6,
  /** u32 BE: the TTL on writes, the void time in answers. */
  RECORD_TTL: 10,
  /** u32 BE: the server-side timeout in ms. */
  TRANSACTION_TTL: 14,
  /** u16 BE. */
  N_FIELDS: 18,
  /** u16 BE. */
  N_OPS: 20,
} as const;

/** A field: u32 BE size (1 + data length), u8 type, then the data. */
export const FIELD_HEADER_SIZE = 5;
/** An op: u32 BE size, u8 op, u8 particle type, u8 flags, u8 name length, name, [LUT], value. */
export const OP_HEADER_SIZE = 8;
/** Op flags bit 0: an 8-byte last-update time sits between the name and the value (XDR). */
export const OP_FLAG_HAS_LUT = 0x01;
/** Size of that last-update time. */
export const OP_LUT_SIZE = 8;

// ---------------------------------------------------------------------------------------
// Reads. The plain byte reads are for offsets already checked (by the walk below, or by a
// parser before): they inline where readUInt32BE's own checks do not. The sizes that walk
// a message (its header's counts, each field's and op's size) are read through a DataView
// of the same bytes (viewOf): one load each, where four byte loads cost the record parser
// and the .asb wire encoder ~20 ns a record each.

/** viewOf: a DataView of b's bytes, offsets as in b. */
export function viewOf(b: Buffer): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** readU32: u32 BE at `at` (unchecked). */
export function readU32(b: Buffer, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** readU16: u16 BE at `at` (unchecked). */
export function readU16(b: Buffer, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/** checkMsgHeader: throws a ProtocolError unless a whole 22-byte header starts at `at`; returns where its fields start. */
export function checkMsgHeader(v: DataView, at: number, limit: number): number {
  if (at + MSG_HEADER_SIZE > limit) throw new ProtocolError(`truncated message header at ${at}`, at);
  const size = v.getUint8(at);
  if (size !== MSG_HEADER_SIZE) throw new ProtocolError(`bad message header size ${size}`, size);
  return at + MSG_HEADER_SIZE;
}

/** fieldType: the type byte of the field at `at`. */
export function fieldType(b: Buffer, at: number): number {
  return b[at + 4]!;
}

/** fieldDataAt: where the data of the field at `at` starts. */
export function fieldDataAt(at: number): number {
  return at + FIELD_HEADER_SIZE;
}

/** fieldEnd: where the field at `at` ends (unchecked). */
export function fieldEnd(v: DataView, at: number): number {
  return at + 4 + v.getUint32(at);
}

/** checkedFieldEnd: where the field at `at` ends; a ProtocolError if it does not fit before `limit`. */
export function checkedFieldEnd(v: DataView, at: number, limit: number): number {
  if (at + FIELD_HEADER_SIZE > limit) throw new ProtocolError('truncated field', at);
  const size = v.getUint32(at);
  if (size < 1 || at + 4 + size > limit) throw new ProtocolError(`bad field size ${size}`, size);
  return at + 4 + size;
}

/** opCode: the op code of the op at `at` (OpType). */
export function opCode(b: Buffer, at: number): number {
  return b[at + 4]!;
}

/** opParticleType: the particle type of the op at `at`. */
export function opParticleType(b: Buffer, at: number): number {
  return b[at + 5]!;
}

/** opHasLut: the op at `at` carries a last-update time before its value. */
export function opHasLut(b: Buffer, at: number): boolean {
  return (b[at + 6]! & OP_FLAG_HAS_LUT) !== 0;
}

/** opNameAt: where the bin name of the op at `at` starts. */
export function opNameAt(at: number): number {
  return at + OP_HEADER_SIZE;
}

/** opNameEnd: where the bin name of the op at `at` ends. */
export function opNameEnd(b: Buffer, at: number): number {
  return at + OP_HEADER_SIZE + b[at + 7]!;
}

/** opValueAt: where the value of the op at `at` starts: after the name and, with the LUT bit, the LUT. */
export function opValueAt(b: Buffer, at: number): number {
  return at + OP_HEADER_SIZE + b[at + 7]! + (b[at + 6]! & OP_FLAG_HAS_LUT ? OP_LUT_SIZE : 0);
}

/** opEnd: where the op at `at` (and its value) ends (unchecked). */
export function opEnd(v: DataView, at: number): number {
  return at + 4 + v.getUint32(at);
}

/** checkedOpEnd: where the op at `at` ends; a ProtocolError if its name, LUT and value do not fit before `limit`. */
export function checkedOpEnd(v: DataView, at: number, limit: number): number {
  if (at + OP_HEADER_SIZE > limit) throw new ProtocolError('truncated op', at);
  const size = v.getUint32(at);
  const min = 4 + v.getUint8(at + 7) + (v.getUint8(at + 6) & OP_FLAG_HAS_LUT ? OP_LUT_SIZE : 0);
  if (size < min || at + 4 + size > limit) throw new ProtocolError(`bad op size ${size}`, size);
  return at + 4 + size;
}

// ---------------------------------------------------------------------------------------
// Writes: into a buffer the caller sized (with the size helpers), at an offset; each
// returns the offset after what it wrote.

/** writeMsgHeader: the 22-byte AS_MSG header at `at`. */
export function writeMsgHeader(
  buf: Buffer, at: number, info1: number, info2: number, info3: number, info4: number, resultCode: number,
  generation: number, recordTtl: number, transactionTtl: number, nFields: number, nOps: number,
): number {
  buf[at] = MSG_HEADER_SIZE;
  buf[at + 1] = info1;
  buf[at + 2] = info2;
  buf[at + 3] = info3;
  buf[at + 4] = info4;
  buf[at + 5] = resultCode;
  buf.writeUInt32BE(generation >>> 0, at + 6);
  buf.writeUInt32BE(recordTtl >>> 0, at + 10);
  buf.writeUInt32BE(transactionTtl >>> 0, at + 14);
  buf.writeUInt16BE(nFields, at + 18);
  buf.writeUInt16BE(nOps, at + 20);
  return at + MSG_HEADER_SIZE;
}

/** fieldSize: bytes of a field with `dataLength` bytes of data. */
export function fieldSize(dataLength: number): number {
  return FIELD_HEADER_SIZE + dataLength;
}

/** writeFieldHeader: size and type of a field whose data the caller writes next; returns where the data goes. */
export function writeFieldHeader(buf: Buffer, at: number, type: number, dataLength: number): number {
  const size = dataLength + 1;
  buf[at] = size >>> 24;
  buf[at + 1] = size >>> 16;
  buf[at + 2] = size >>> 8;
  buf[at + 3] = size;
  buf[at + 4] = type;
  return at + FIELD_HEADER_SIZE;
}

// putData: a field's data at buf[at..]. A restore writes three short ones per record
// (namespace, set, key): for those a loop beats Buffer.copy's native call (measured: copy
// was 2.6 % of a restore's main thread).
function putData(buf: Buffer, at: number, data: Buffer): void {
  const n = data.length;
  if (n > 32) {
    data.copy(buf, at);
    return;
  }
  for (let i = 0; i < n; i++) buf[at + i] = data[i]!;
}

/** writeField: a field with its data. */
export function writeField(buf: Buffer, at: number, type: number, data: Buffer): number {
  writeFieldHeader(buf, at, type, data.length);
  putData(buf, at + FIELD_HEADER_SIZE, data);
  return at + FIELD_HEADER_SIZE + data.length;
}

/** writeStringField: a field holding a UTF-8 string (namespace, set). */
export function writeStringField(buf: Buffer, at: number, type: number, s: string): number {
  const n = buf.write(s, at + FIELD_HEADER_SIZE, 'utf8');
  writeFieldHeader(buf, at, type, n);
  return at + FIELD_HEADER_SIZE + n;
}

/** keyFieldSize: bytes of a KEY field: the key's particle type byte, then its value. */
export function keyFieldSize(valueLength: number): number {
  return FIELD_HEADER_SIZE + 1 + valueLength;
}

/** writeKeyField: the KEY field of a user key of particle type `keyType` and value `data`. */
export function writeKeyField(buf: Buffer, at: number, keyType: number, data: Buffer): number {
  writeFieldHeader(buf, at, FieldType.KEY, 1 + data.length);
  buf[at + FIELD_HEADER_SIZE] = keyType;
  putData(buf, at + FIELD_HEADER_SIZE + 1, data);
  return at + FIELD_HEADER_SIZE + 1 + data.length;
}

/** opSize: bytes of an op (no LUT) with a name and a value of these lengths. */
export function opSize(nameLength: number, valueLength: number): number {
  return OP_HEADER_SIZE + nameLength + valueLength;
}

/** writeOpHeader: an op's header (flags 0: clients never send a LUT); returns where its name goes. */
export function writeOpHeader(buf: Buffer, at: number, op: number, type: number, nameLength: number, valueLength: number): number {
  const size = 4 + nameLength + valueLength;
  buf[at] = size >>> 24;
  buf[at + 1] = size >>> 16;
  buf[at + 2] = size >>> 8;
  buf[at + 3] = size;
  buf[at + 4] = op;
  buf[at + 5] = type;
  buf[at + 6] = 0;
  buf[at + 7] = nameLength;
  return at + OP_HEADER_SIZE;
}

/** writeOp: an op with the bin name as UTF-8 bytes and its value. */
export function writeOp(buf: Buffer, at: number, op: number, type: number, name: Buffer, value: Buffer): number {
  const nameAt = writeOpHeader(buf, at, op, type, name.length, value.length);
  name.copy(buf, nameAt);
  value.copy(buf, nameAt + name.length);
  return nameAt + name.length + value.length;
}

/** writeOpNamed: an op with the bin name as a string (encoded here) and its value. */
export function writeOpNamed(buf: Buffer, at: number, op: number, type: number, name: string, value: Buffer): number {
  const nameLength = buf.write(name, at + OP_HEADER_SIZE, 'utf8');
  writeOpHeader(buf, at, op, type, nameLength, value.length);
  value.copy(buf, at + OP_HEADER_SIZE + nameLength);
  return at + OP_HEADER_SIZE + nameLength + value.length;
}

/** checkedMsgEnd: where the message at `at` ends, after a checked walk of its header, fields and ops; a ProtocolError if any of them does not fit before `limit`. */
export function checkedMsgEnd(v: DataView, at: number, limit: number): number {
  let p = checkMsgHeader(v, at, limit);
  const nFields = v.getUint16(at + MsgOffset.N_FIELDS);
  const nOps = v.getUint16(at + MsgOffset.N_OPS);
  for (let i = 0; i < nFields; i++) p = checkedFieldEnd(v, p, limit);
  for (let i = 0; i < nOps; i++) p = checkedOpEnd(v, p, limit);
  return p;
}
