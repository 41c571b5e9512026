// The shared in-memory store of a dev cluster: namespaces -> 4096 partitions -> records.
// Every record keeps its scan reply in wire form (22-byte as_msg header, fields NAMESPACE,
// DIGEST, SET, KEY, then one READ op per bin), so a scan is a header write plus memcpy.
import { CITRUSLEAF_EPOCH, DIGEST_SIZE, FieldType, MSG_HEADER_SIZE, OpType, PARTITIONS } from '../protocol/constants.js';
import { partitionId } from '../protocol/digest.js';
import {
  FIELD_HEADER_SIZE, fieldSize, MsgOffset, opEnd, opNameAt, opNameEnd, opParticleType, opSize, opValueAt, readU16, viewOf, writeField, writeMsgHeader,
  writeOpNamed, writeStringField,
} from '../protocol/layout.js';

/** A bin as stored: particle type + raw wire value. */
export interface StoredBin {
  name: string;
  type: number;
  data: Buffer;
}

/** One stored record. */
export interface Rec {
  digest: Buffer;
  /** latin1 string of the digest: the map key. */
  id: string;
  set: string;
  /** KEY field data (particle type byte + value) when a key was sent. */
  key?: Buffer;
  generation: number;
  /** Seconds since 2010-01-01; 0 = never expires. */
  voidTime: number;
  /** ms since the Unix epoch. */
  lastUpdate: number;
  bins: StoredBin[];
  /** Scan reply as_msg (no proto header). */
  wire: Buffer;
  /** Offset in wire where the ops start. */
  opsAt: number;
}

/** One partition: records by digest, plus a cached descending-digest order. */
export class Partition {
  readonly records = new Map<string, Rec>();
  private sorted: Rec[] | null = null;

  /** Records in descending memcmp order of their digest (the real server's walk order). */
  ordered(): Rec[] {
    if (this.sorted === null) {
      // The id is the digest as latin1, one char per byte: string order is memcmp order.
      this.sorted = [...this.records.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
    }
    return this.sorted;
  }

  set(rec: Rec): void {
    const old = this.records.get(rec.id);
    this.records.set(rec.id, rec);
    if (old === undefined) this.sorted = null;
    else if (this.sorted !== null) {
      const i = this.sorted.indexOf(old);
      if (i >= 0) this.sorted[i] = rec;
      else this.sorted = null;
    }
  }

  delete(id: string): boolean {
    const had = this.records.delete(id);
    if (had) this.sorted = null;
    return had;
  }

  clear(): void {
    this.records.clear();
    this.sorted = null;
  }
}

/** A namespace of the store. */
export class Namespace {
  readonly partitions: Partition[] = [];
  /** Every set name ever written (the real server keeps set definitions). */
  readonly sets = new Set<string>();
  /** Per-set truncate LUT (ms since Unix epoch), 0 when never truncated. */
  readonly truncateLut = new Map<string, number>();
  nsTruncateLut = 0;
  constructor(readonly name: string) {
    for (let i = 0; i < PARTITIONS; i++) this.partitions.push(new Partition());
  }

  partitionOf(digest: Buffer): Partition {
    return this.partitions[partitionId(digest)]!;
  }
}

/** nowVoid: the current time in seconds since the citrusleaf epoch. */
export function clepochSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000) - CITRUSLEAF_EPOCH;
}

/** isExpired: the record's void time has passed. */
export function isExpired(rec: Rec, nowMs: number): boolean {
  return rec.voidTime !== 0 && rec.voidTime <= clepochSeconds(nowMs);
}

/** writeBinOp: a READ op with the bin at offset; returns the offset after it. */
export function writeBinOp(buf: Buffer, at: number, b: StoredBin): number {
  return writeOpNamed(buf, at, OpType.READ, b.type, b.name, b.data);
}

/** binsSize: bytes of READ ops for these bins. */
export function binsSize(bins: StoredBin[]): number {
  let n = 0;
  for (const b of bins) n += opSize(Buffer.byteLength(b.name, 'utf8'), b.data.length);
  return n;
}

/** encodeRecordWire: the scan reply as_msg of a record. */
export function encodeRecordWire(ns: string, rec: Omit<Rec, 'wire' | 'opsAt' | 'id'>): { wire: Buffer; opsAt: number } {
  const nsLen = Buffer.byteLength(ns, 'utf8');
  const setLen = Buffer.byteLength(rec.set, 'utf8');
  let nFields = 2;
  let size = MSG_HEADER_SIZE + fieldSize(nsLen) + fieldSize(DIGEST_SIZE);
  if (setLen > 0) {
    nFields++;
    size += fieldSize(setLen);
  }
  if (rec.key !== undefined) {
    nFields++;
    size += fieldSize(rec.key.length);
  }
  const opsAt = size;
  size += binsSize(rec.bins);
  const buf = Buffer.allocUnsafe(size);
  let at = writeMsgHeader(buf, 0, 0, 0, 0, 0, 0, rec.generation, rec.voidTime, 0, nFields, rec.bins.length);
  at = writeStringField(buf, at, FieldType.NAMESPACE, ns);
  at = writeField(buf, at, FieldType.DIGEST, rec.digest);
  if (setLen > 0) at = writeStringField(buf, at, FieldType.SET, rec.set);
  if (rec.key !== undefined) at = writeField(buf, at, FieldType.KEY, rec.key); // the key as sent: type byte + value
  for (const b of rec.bins) at = writeBinOp(buf, at, b);
  return { wire: buf, opsAt };
}

/**
 * StoredRec: a record kept as its wire form only. Digest and key are made as views of the
 * wire when asked for, and bins are parsed from it: two objects per record (itself and its
 * id), which keeps the server's garbage collection cheap with millions of records (and
 * drops any reference to the request frame the values arrived in).
 */
class StoredRec implements Rec {
  readonly id: string;
  constructor(
    readonly set: string,
    readonly generation: number,
    readonly voidTime: number,
    readonly lastUpdate: number,
    readonly wire: Buffer,
    readonly opsAt: number,
    private readonly digestAt: number,
    private readonly keyAt: number,
    private readonly keyLen: number,
  ) {
    this.id = wire.toString('latin1', digestAt, digestAt + 20);
  }

  get digest(): Buffer {
    return this.wire.subarray(this.digestAt, this.digestAt + 20);
  }

  get key(): Buffer | undefined {
    return this.keyAt < 0 ? undefined : this.wire.subarray(this.keyAt, this.keyAt + this.keyLen);
  }

  get bins(): StoredBin[] {
    const w = this.wire;
    const n = readU16(w, MsgOffset.N_OPS);
    const out: StoredBin[] = new Array(n);
    const v = viewOf(w);
    let at = this.opsAt;
    for (let i = 0; i < n; i++) {
      const end = opEnd(v, at);
      out[i] = { name: w.toString('utf8', opNameAt(at), opNameEnd(w, at)), type: opParticleType(w, at), data: w.subarray(opValueAt(w, at), end) };
      at = end;
    }
    return out;
  }
}

/** makeRec: a complete record with its wire form. */
export function makeRec(ns: string, r: Omit<Rec, 'wire' | 'opsAt' | 'id'>): Rec {
  const { wire, opsAt } = encodeRecordWire(ns, r);
  // Field offsets in the wire: NAMESPACE, DIGEST, [SET], [KEY] (see encodeRecordWire).
  const digestAt = MSG_HEADER_SIZE + fieldSize(Buffer.byteLength(ns, 'utf8')) + FIELD_HEADER_SIZE;
  const setLen = Buffer.byteLength(r.set, 'utf8');
  const keyAt = r.key === undefined ? -1 : digestAt + DIGEST_SIZE + (setLen > 0 ? fieldSize(setLen) : 0) + FIELD_HEADER_SIZE;
  return new StoredRec(r.set, r.generation, r.voidTime, r.lastUpdate, wire, opsAt, digestAt, keyAt, r.key?.length ?? 0);
}
