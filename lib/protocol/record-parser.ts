// The scan hot path: a frame body of back-to-back AS_MSGs parsed straight into
// RecordItems, or only validated (offsets of records left in the frame). No intermediate
// message objects; digests, keys and bin values are subarrays of the frame (they keep it
// alive, which is cheaper than copying). Pure: the scan (lib/cluster) feeds it frames.
import { DIGEST_SIZE, FieldType, Info3, MSG_HEADER_SIZE, ResultCode } from './constants.js';
import {
  checkedFieldEnd, checkedOpEnd, checkMsgHeader, fieldDataAt, fieldEnd, fieldType, MsgOffset, opEnd, opNameAt, opNameEnd, opParticleType, opValueAt, viewOf,
} from './layout.js';
import { partitionId } from './digest.js';
import { ProtocolError, ServerError } from '../errors.js';
// Types only: the parser builds the stream's records, and nothing of records/ runs here.
import type { Bin, RecordItem } from '../records/types.js';

/** What the parser tells the scan about partitions and the end of the stream. */
export interface ParseSink {
  /** A record of partition pid arrived; its digest is body[at, at+20). */
  record(pid: number, body: Buffer, at: number): void;
  /** A partition-done message (generation = pid) with its result code. */
  partitionDone(pid: number, resultCode: number): void;
}

/** OffsetSink: where offsets() puts each record's offset (an array, or the scan's typed list). */
export interface OffsetSink {
  push(at: number): unknown;
}

/** ScanResultError: a stream-level result code (error before streaming, or LAST with an error). */
export class ScanResultError extends ServerError {
  constructor(resultCode: number) {
    super(resultCode, `result code ${resultCode}`);
  }
}

interface NameCache { bytes: Buffer; name: string }

/**
 * RecordParser: one per stream. Caches the set name and the bin names by position,
 * because consecutive records almost always repeat them and decoding strings is the
 * costliest part of parsing.
 */
export class RecordParser {
  private setBytes: Buffer = Buffer.alloc(0);
  private setName = '';
  private names: NameCache[] = [];
  // parse()'s offsets of the frame's records, reused.
  private readonly found: number[] = [];

  constructor(private readonly namespace: string, private readonly sink: ParseSink) {}

  /**
   * parse: appends the records of a body to `out`; returns true when the stream ended
   * (LAST, or result 2). Error results throw ScanResultError; bad bytes ProtocolError.
   */
  parse(body: Buffer, out: RecordItem[]): boolean {
    const at = this.found;
    at.length = 0;
    const ended = this.offsets(body, at);
    const v = viewOf(body);
    for (let i = 0; i < at.length; i++) out.push(this.item(body, v, at[i]!));
    return ended;
  }

  /**
   * offsets: the checked walk of a frame: pushes the offset of each record's AS_MSG
   * (validated) and tells the sink of it; records stay in the frame (the backup's path;
   * parse() builds RecordItems of them).
   */
  offsets(body: Buffer, out: OffsetSink): boolean {
    const len = body.length;
    const v = viewOf(body);
    const sink = this.sink;
    let at = 0;
    while (at < len) {
      let p = checkMsgHeader(v, at, len);
      const info3 = body[at + MsgOffset.INFO3]!;
      const rc = body[at + MsgOffset.RESULT_CODE]!;
      const nFields = v.getUint16(at + MsgOffset.N_FIELDS);
      const nOps = v.getUint16(at + MsgOffset.N_OPS);
      // Compared for every message: the LAST one (once per stream) then runs nothing V8's
      // optimized walk has not seen, which would throw it away for the other streams.
      const failed = rc !== ResultCode.OK;
      if (info3 & Info3.LAST) {
        if (failed && rc !== ResultCode.KEY_NOT_FOUND) throw new ScanResultError(rc);
        return true;
      }
      if (info3 & Info3.PARTITION_DONE) {
        if (nFields !== 0 || nOps !== 0) throw new ProtocolError('partition-done message with fields or ops');
        sink.partitionDone(v.getUint32(at + MsgOffset.GENERATION), rc); // the generation carries the partition id
        at = p;
        continue;
      }
      if (failed) {
        if (rc === ResultCode.KEY_NOT_FOUND) return true;
        throw new ScanResultError(rc);
      }
      let digestAt = -1;
      for (let i = 0; i < nFields; i++) {
        const end = checkedFieldEnd(v, p, len);
        const type = fieldType(body, p);
        const data = fieldDataAt(p);
        if (type === FieldType.DIGEST) {
          if (end - data !== DIGEST_SIZE) throw new ProtocolError(`bad digest size ${end - data}`);
          digestAt = data;
        } else if (type === FieldType.KEY && end === data) throw new ProtocolError('empty key field');
        p = end;
      }
      if (digestAt < 0) throw new ProtocolError('record without digest');
      for (let i = 0; i < nOps; i++) p = checkedOpEnd(v, p, len);
      sink.record(partitionId(body, digestAt), body, digestAt);
      out.push(at);
      at = p;
    }
    return false;
  }

  /** item: the record whose AS_MSG starts at `at` (walked by offsets()) as a RecordItem. */
  private item(body: Buffer, v: DataView, at: number): RecordItem {
    const nFields = v.getUint16(at + MsgOffset.N_FIELDS);
    const nOps = v.getUint16(at + MsgOffset.N_OPS);
    let p = at + MSG_HEADER_SIZE;
    let digestAt = 0;
    let set = '';
    let key: { type: number; data: Buffer } | undefined;
    for (let i = 0; i < nFields; i++) {
      const end = fieldEnd(v, p);
      const type = fieldType(body, p);
      const data = fieldDataAt(p);
      if (type === FieldType.DIGEST) digestAt = data;
      else if (type === FieldType.SET) set = this.set(body, data, end);
      else if (type === FieldType.KEY) key = { type: body[data]!, data: body.subarray(data + 1, end) };
      p = end;
    }
    const bins: Bin[] = [];
    for (let i = 0; i < nOps; i++) {
      const end = opEnd(v, p);
      bins.push({ name: this.binName(i, body, opNameAt(p), opNameEnd(body, p)), type: opParticleType(body, p), data: body.subarray(opValueAt(body, p), end) });
      p = end;
    }
    const rec: RecordItem = {
      kind: 'record',
      namespace: this.namespace,
      set,
      digest: body.subarray(digestAt, digestAt + DIGEST_SIZE),
      generation: v.getUint32(at + MsgOffset.GENERATION),
      voidTime: v.getUint32(at + MsgOffset.RECORD_TTL),
      bins,
    };
    if (key !== undefined) rec.key = key;
    return rec;
  }

  private set(body: Buffer, from: number, to: number): string {
    const n = to - from;
    const c = this.setBytes;
    if (c.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) if (c[i] !== body[from + i]) { same = false; break; }
      if (same) return this.setName;
    }
    this.setBytes = Buffer.from(body.subarray(from, to));
    this.setName = body.toString('utf8', from, to);
    return this.setName;
  }

  private binName(i: number, body: Buffer, from: number, to: number): string {
    const c = this.names[i];
    const n = to - from;
    if (c !== undefined && c.bytes.length === n) {
      const b = c.bytes;
      let same = true;
      for (let k = 0; k < n; k++) if (b[k] !== body[from + k]) { same = false; break; }
      if (same) return c.name;
    }
    const name = body.toString('utf8', from, to);
    this.names[i] = { bytes: Buffer.from(body.subarray(from, to)), name };
    return name;
  }
}
