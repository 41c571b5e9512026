// The scan hot path: a frame body of back-to-back AS_MSGs parsed straight into
// RecordItems. No intermediate message objects; digests, keys and bin values are
// subarrays of the frame (they keep it alive, which is cheaper than copying).
import { FieldType, Info3, MSG_HEADER_SIZE } from '../protocol/constants.js';
import { ProtocolError, ServerError } from '../errors.js';
import type { Bin, RecordItem } from '../records/types.js';

/** What the parser tells the scan about partitions and the end of the stream. */
export interface ParseSink {
  /** A record of partition pid arrived; its digest is body[at, at+20). */
  record(pid: number, body: Buffer, at: number): void;
  /** A partition-done message (generation = pid) with its result code. */
  partitionDone(pid: number, resultCode: number): void;
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

  constructor(private readonly namespace: string, private readonly sink: ParseSink) {}

  /**
   * parse: appends the records of a body to `out`; returns true when the stream ended
   * (LAST, or result 2). Error results throw ScanResultError; bad bytes ProtocolError.
   */
  parse(body: Buffer, out: RecordItem[]): boolean {
    return this.walk(body, out, false);
  }

  /**
   * offsets: like parse, but records stay in the frame: pushes the offset of each record's
   * AS_MSG (validated) instead of building RecordItems (the backup fast path).
   */
  offsets(body: Buffer, out: number[]): boolean {
    return this.walk(body, out, true);
  }

  private walk(body: Buffer, out: RecordItem[] | number[], wire: boolean): boolean {
    const len = body.length;
    let at = 0;
    while (at < len) {
      if (at + MSG_HEADER_SIZE > len) throw new ProtocolError(`truncated message header at ${at}`);
      if (body[at] !== MSG_HEADER_SIZE) throw new ProtocolError(`bad message header size ${body[at]}`);
      const info3 = body[at + 3]!;
      const rc = body[at + 5]!;
      const generation = body.readUInt32BE(at + 6);
      const voidTime = body.readUInt32BE(at + 10);
      const nFields = body.readUInt16BE(at + 18);
      const nOps = body.readUInt16BE(at + 20);
      let p = at + MSG_HEADER_SIZE;
      if (info3 & Info3.LAST) {
        if (rc !== 0 && rc !== 2) throw new ScanResultError(rc);
        return true;
      }
      if (info3 & Info3.PARTITION_DONE) {
        if (nFields !== 0 || nOps !== 0) throw new ProtocolError('partition-done message with fields or ops');
        this.sink.partitionDone(generation, rc);
        at = p;
        continue;
      }
      if (rc !== 0) {
        if (rc === 2) return true;
        throw new ScanResultError(rc);
      }
      let digestAt = -1;
      let set = '';
      let key: { type: number; data: Buffer } | undefined;
      for (let i = 0; i < nFields; i++) {
        if (p + 5 > len) throw new ProtocolError('truncated field');
        const size = body.readUInt32BE(p);
        const end = p + 4 + size;
        if (size < 1 || end > len) throw new ProtocolError(`bad field size ${size}`);
        const type = body[p + 4]!;
        if (type === FieldType.DIGEST) {
          if (size !== 21) throw new ProtocolError(`bad digest size ${size - 1}`);
          digestAt = p + 5;
        } else if (type === FieldType.SET) {
          if (!wire) set = this.set(body, p + 5, end);
        } else if (type === FieldType.KEY) {
          if (size < 2) throw new ProtocolError('empty key field');
          if (!wire) key = { type: body[p + 5]!, data: body.subarray(p + 6, end) };
        }
        p = end;
      }
      if (digestAt < 0) throw new ProtocolError('record without digest');
      const bins: Bin[] = [];
      const msgAt = at;
      for (let i = 0; i < nOps; i++) {
        if (p + 8 > len) throw new ProtocolError('truncated op');
        const size = body.readUInt32BE(p);
        const nameLen = body[p + 7]!;
        const lut = body[p + 6]! & 1 ? 8 : 0;
        const end = p + 4 + size;
        if (size < 4 + nameLen + lut || end > len) throw new ProtocolError(`bad op size ${size}`);
        const nameEnd = p + 8 + nameLen;
        if (!wire) bins.push({ name: this.binName(i, body, p + 8, nameEnd), type: body[p + 5]!, data: body.subarray(nameEnd + lut, end) });
        p = end;
      }
      this.sink.record((body[digestAt]! | (body[digestAt + 1]! << 8)) & 0xfff, body, digestAt);
      at = p;
      if (wire) {
        (out as number[]).push(msgAt);
        continue;
      }
      const rec: RecordItem = {
        kind: 'record',
        namespace: this.namespace,
        set,
        digest: body.subarray(digestAt, digestAt + 20),
        generation,
        voidTime,
        bins,
      };
      if (key !== undefined) rec.key = key;
      (out as RecordItem[]).push(rec);
    }
    return false;
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
