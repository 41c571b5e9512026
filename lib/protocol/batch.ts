// The batch-index command (servers >= 6.0; the C client's "batch any" protocol): one
// AS_MSG with info1 BATCH and one field, BATCH_INDEX (41): a row count, a flags byte, then
// one row per record: its index, its digest, and its own command (info bits, generation,
// TTL, fields, ops) unless it repeats the row before. The server answers each row with an
// AS_MSG of its own (the row's index in transaction_ttl, its own result code), in any
// order and over as many frames as it likes, then a LAST message carrying the batch's own
// result code. Layout: aerospike_batch.c of the C client, base/batch.c of the server.
import { DIGEST_SIZE, FieldType, Info1, Info3, MSG_HEADER_SIZE, PROTO_HEADER_SIZE, ProtoType } from './constants.js';
import { writeProtoHeader } from './frame.js';
import {
  checkedFieldEnd, checkedMsgEnd, checkedOpEnd, fieldDataAt, fieldType, FIELD_HEADER_SIZE, MsgOffset, opCode, opNameAt, opNameEnd, opParticleType, opValueAt, readU16, readU32,
  viewOf, writeFieldHeader, writeMsgHeader,
} from './layout.js';
import type { Field, Op } from './message.js';
import { ProtocolError } from '../errors.js';

/** The batch's flags byte (server "parent flags"). */
export const BatchFlag = {
  /** Rows of in-memory namespaces run on the batch thread instead of being queued. */
  INLINE_IN_MEMORY: 0x01,
  /** The same for namespaces on a device. */
  INLINE_ON_DEVICE: 0x02,
  /** Every row is answered, whatever its result; without it the first row error ends the batch. */
  REPORT_ALL_ERRORS: 0x04,
  /** Set by every client since 6.0 (the server keeps a row error's buffer the last). */
  REPORT_ERROR_REC: 0x08,
} as const;

/**
 * The flags the C client (and so the Node client and asrestore) sends with its default
 * batch policy: allowInline, respondAllKeys.
 */
export const BATCH_FLAGS_DEFAULT = BatchFlag.INLINE_IN_MEMORY | BatchFlag.REPORT_ALL_ERRORS | BatchFlag.REPORT_ERROR_REC;

/** A row's type byte: which parts of a command follow its digest. */
export const BatchRowInfo = {
  /** Nothing follows: the row runs the command of the row before on its own digest. */
  REPEAT: 0x01,
  /** info2 and info3 follow info1. */
  INFO: 0x02,
  /** A u16 generation follows. */
  GENERATION: 0x04,
  /** A u32 TTL follows. */
  TTL: 0x08,
  /** info4 follows info3. */
  INFO4: 0x10,
} as const;

/** The type byte of a write row: info bits, generation and TTL (C BATCH_MSG_INFO|GEN|TTL, 0x0e). */
export const BATCH_WRITE_ROW = BatchRowInfo.INFO | BatchRowInfo.GENERATION | BatchRowInfo.TTL;

/** Bytes before the first row: proto header, AS_MSG header, the batch field's header, the row count and the flags. */
export const BATCH_HEAD_SIZE = PROTO_HEADER_SIZE + MSG_HEADER_SIZE + FIELD_HEADER_SIZE + 4 + 1;

/** batchRowHeadSize: bytes of a row up to its fields (index, digest, type byte and what it announces, n_fields, n_ops). */
export function batchRowHeadSize(rowInfo: number): number {
  if (rowInfo & BatchRowInfo.REPEAT) return 4 + DIGEST_SIZE + 1;
  return 4 + DIGEST_SIZE + 1 + 1 + (rowInfo & BatchRowInfo.INFO ? 2 : 0) + (rowInfo & BatchRowInfo.INFO4 ? 1 : 0)
    + (rowInfo & BatchRowInfo.GENERATION ? 2 : 0) + (rowInfo & BatchRowInfo.TTL ? 4 : 0) + 4;
}

/** Bytes of a write row up to its fields. */
export const BATCH_WRITE_ROW_HEAD_SIZE = batchRowHeadSize(BATCH_WRITE_ROW);

/**
 * writeBatchHead: the frame's start for a request of `total` bytes (the caller sized it)
 * with `rows` rows: proto header, AS_MSG header (info1 BATCH, the server-side timeout in
 * transaction_ttl, one field), the BATCH_INDEX field's header, count and flags. Returns
 * where the first row goes.
 */
export function writeBatchHead(buf: Buffer, total: number, rows: number, flags: number, transactionTtl: number): number {
  writeProtoHeader(buf, 0, ProtoType.MSG, total - PROTO_HEADER_SIZE);
  let at = writeMsgHeader(buf, PROTO_HEADER_SIZE, Info1.BATCH, 0, 0, 0, 0, 0, 0, transactionTtl, 1, 0);
  at = writeFieldHeader(buf, at, FieldType.BATCH_INDEX, total - at - FIELD_HEADER_SIZE);
  buf.writeUInt32BE(rows >>> 0, at);
  buf[at + 4] = flags;
  return at + 5;
}

/**
 * writeBatchRow: a row's head: index, digest (20 bytes at digest[digestAt..]), type byte, then (unless REPEAT) info1,
 * info2/info3, info4, generation and TTL as the type byte announces, n_fields and n_ops.
 * The caller writes the fields (namespace first, then set) and ops next. Returns where
 * they go.
 */
export function writeBatchRow(
  buf: Buffer, at: number, index: number, digest: Buffer, digestAt: number, rowInfo: number, info1: number, info2: number, info3: number, info4: number,
  generation: number, ttl: number, nFields: number, nOps: number,
): number {
  buf.writeUInt32BE(index >>> 0, at);
  // 20 bytes from digest[digestAt..]: a loop, no view of them made (Buffer.copy from an offset makes one).
  for (let i = 0; i < DIGEST_SIZE; i++) buf[at + 4 + i] = digest[digestAt + i]!;
  at += 4 + DIGEST_SIZE;
  buf[at++] = rowInfo;
  if (rowInfo & BatchRowInfo.REPEAT) return at;
  buf[at++] = info1;
  if (rowInfo & BatchRowInfo.INFO) {
    buf[at++] = info2;
    buf[at++] = info3;
  }
  if (rowInfo & BatchRowInfo.INFO4) buf[at++] = info4;
  if (rowInfo & BatchRowInfo.GENERATION) {
    buf.writeUInt16BE(generation & 0xffff, at);
    at += 2;
  }
  if (rowInfo & BatchRowInfo.TTL) {
    buf.writeUInt32BE(ttl >>> 0, at);
    at += 4;
  }
  buf.writeUInt16BE(nFields, at);
  buf.writeUInt16BE(nOps, at + 2);
  return at + 4;
}

/** batchRowDigest: the digest of the row written at `at`, as a view. */
export function batchRowDigest(buf: Buffer, at: number): Buffer {
  return buf.subarray(at + 4, at + 4 + DIGEST_SIZE);
}

/** setBatchRowIndex: the index of the row written at `at` (its first four bytes). */
export function setBatchRowIndex(buf: Buffer, at: number, index: number): void {
  buf.writeUInt32BE(index >>> 0, at);
}

// ---------------------------------------------------------------------------------------
// Answers: back-to-back AS_MSGs, walked with checkedMsgEnd (layout.ts).

/** isLastMessage: the message at `at` ends the batch (its result code is the batch's). */
export function isLastMessage(b: Buffer, at: number): boolean {
  return (b[at + MsgOffset.INFO3]! & Info3.LAST) !== 0;
}

/** batchAnswerIndex: the row a row answer at `at` belongs to (carried in transaction_ttl). */
export function batchAnswerIndex(b: Buffer, at: number): number {
  return readU32(b, at + MsgOffset.TRANSACTION_TTL);
}

/** BATCH_OPEN: readBatchAnswers' result while the LAST message has not come yet. */
export const BATCH_OPEN = -1;

/**
 * readBatchAnswers: walks the AS_MSGs of one answer frame's body, calling onRow(index,
 * resultCode) for each row answer (its bins are skipped). Returns the batch's own result
 * code once the LAST message is read, else BATCH_OPEN (more frames follow). A message that
 * does not fit in the body is a ProtocolError.
 */
export function readBatchAnswers(body: Buffer, onRow: (index: number, resultCode: number) => void): number {
  const v = viewOf(body);
  let at = 0;
  while (at < body.length) {
    const end = checkedMsgEnd(v, at, body.length);
    const code = body[at + MsgOffset.RESULT_CODE]!;
    if (isLastMessage(body, at)) {
      if (end !== body.length) throw new ProtocolError('batch answer goes on after its LAST message', end);
      return code;
    }
    onRow(batchAnswerIndex(body, at), code);
    at = end;
  }
  return BATCH_OPEN;
}

// ---------------------------------------------------------------------------------------
// Requests as objects (the dev server and tests; not a hot path).

/** One row of a batch request, with the command it runs (a repeated row's is its predecessor's). */
export interface BatchRow {
  index: number;
  digest: Buffer;
  /** The type byte as sent. */
  rowInfo: number;
  info1: number;
  info2: number;
  info3: number;
  info4: number;
  generation: number;
  recordTtl: number;
  /** The namespace field comes first (the server reads the first field as the namespace, whatever its type). */
  fields: Field[];
  ops: Op[];
}

/** A decoded BATCH_INDEX field. */
export interface BatchRequest {
  /** Rows announced. */
  count: number;
  flags: number;
  /** The rows that could be read, in order. */
  rows: BatchRow[];
  /**
   * Why reading stopped before `count` rows (the server then ends the batch with result
   * PARAMETER after answering the rows it read), or undefined when every row was read.
   */
  stopped?: string;
}

/**
 * decodeBatchField: the rows of a BATCH_INDEX field's data, read as the server reads them:
 * a row that does not fit, a REPEAT with nothing to repeat (or repeating a row that sends
 * a key) ends the reading, and the rows before it stand.
 */
export function decodeBatchField(data: Buffer): BatchRequest {
  if (data.length < 5) throw new ProtocolError('batch field shorter than its count and flags', data.length);
  const count = readU32(data, 0);
  const flags = data[4]!;
  const rows: BatchRow[] = [];
  const limit = data.length;
  let at = 5;
  let prev: BatchRow | undefined;
  let stopped: string | undefined;
  while (rows.length < count) {
    if (at + 4 + DIGEST_SIZE + 1 > limit) { stopped = `row ${rows.length} is cut short`; break; }
    const index = readU32(data, at);
    const digest = data.subarray(at + 4, at + 4 + DIGEST_SIZE);
    const rowInfo = data[at + 4 + DIGEST_SIZE]!;
    at += 4 + DIGEST_SIZE + 1;
    if (rowInfo & BatchRowInfo.REPEAT) {
      if (prev === undefined) { stopped = 'the first row repeats'; break; }
      if (prev.fields.some((f) => f.type === FieldType.KEY)) { stopped = `row ${rows.length} repeats a row that sends a key`; break; }
      rows.push({ ...prev, index, digest, rowInfo });
      continue;
    }
    try {
      const row = readRow(data, at, limit, index, digest, rowInfo);
      rows.push(row.row);
      prev = row.row;
      at = row.end;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      stopped = `row ${rows.length}: ${e.message}`;
      break;
    }
  }
  return stopped === undefined ? { count, flags, rows } : { count, flags, rows, stopped };
}

function readRow(b: Buffer, at: number, limit: number, index: number, digest: Buffer, rowInfo: number): { row: BatchRow; end: number } {
  const head = batchRowHeadSize(rowInfo) - (4 + DIGEST_SIZE + 1);
  if (at + head > limit) throw new ProtocolError('row header cut short', at);
  const info1 = b[at++]!;
  let info2 = 0;
  let info3 = 0;
  let info4 = 0;
  let generation = 0;
  let recordTtl = 0;
  if (rowInfo & BatchRowInfo.INFO) { info2 = b[at++]!; info3 = b[at++]!; }
  if (rowInfo & BatchRowInfo.INFO4) info4 = b[at++]!;
  if (rowInfo & BatchRowInfo.GENERATION) { generation = readU16(b, at); at += 2; }
  if (rowInfo & BatchRowInfo.TTL) { recordTtl = readU32(b, at); at += 4; }
  // Older clients sent no field count but always the namespace.
  const nFields = Math.max(1, readU16(b, at));
  const nOps = readU16(b, at + 2);
  at += 4;
  const v = viewOf(b);
  const fields: Field[] = [];
  for (let i = 0; i < nFields; i++) {
    const end = checkedFieldEnd(v, at, limit);
    fields.push({ type: fieldType(b, at), data: b.subarray(fieldDataAt(at), end) });
    at = end;
  }
  const ops: Op[] = [];
  for (let i = 0; i < nOps; i++) {
    const end = checkedOpEnd(v, at, limit);
    ops.push({ op: opCode(b, at), type: opParticleType(b, at), name: b.toString('utf8', opNameAt(at), opNameEnd(b, at)), data: b.subarray(opValueAt(b, at), end) });
    at = end;
  }
  return { row: { index, digest, rowInfo, info1, info2, info3, info4, generation, recordTtl, fields, ops }, end: at };
}
