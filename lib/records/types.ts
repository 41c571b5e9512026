// The items that travel between stages. In one process they are these objects; between
// programs they are JSON lines (see jsonl.ts and docs/record-stream.md).

/** A bin exactly as the server holds it: particle type + raw value bytes. */
export interface Bin {
  name: string;
  /** Particle type (ParticleType in lib/protocol/constants.ts). */
  type: number;
  /**
   * Raw particle bytes as on the wire: integer and double 8 bytes big-endian, string UTF-8
   * bytes, blobs/HLL/list/map as is, bool one byte, GeoJSON the whole wire particle
   * (flags, cell count, cells, JSON text), nil empty.
   */
  data: Buffer;
  /**
   * A list or map that came in with a view (docs/record-stream.md): JSON-line writers keep
   * the view, so a stage between as-scan --view and jq does not drop it.
   */
  view?: true;
}

/** A stored user key: particle type (1 integer, 2 double, 3 string, 4 blob ...) + raw value. */
export interface UserKey {
  type: number;
  data: Buffer;
}

/** What a record is besides its bins. */
export interface RecordMeta {
  namespace: string;
  /** '' when the record has no set. */
  set: string;
  /** The 20-byte RIPEMD-160 digest: the record's identity. */
  digest: Buffer;
  /** Present only when the server stored the key. */
  key?: UserKey;
  generation: number;
  /** Expiry in seconds since 2010-01-01T00:00:00Z; 0 = never expires. */
  voidTime: number;
  /** Last-update time in ms since the Unix epoch, when known (never from an .asb file). */
  lastUpdate?: number;
}

/** One record of a namespace. */
export interface RecordItem extends RecordMeta {
  kind: 'record';
  /** Bins in the order the server sent them; empty for metadata-only scans. */
  bins: Bin[];
}

/** A secondary index definition (the fields of an `.asb` `* i` line). */
export interface SindexItem {
  kind: 'sindex';
  namespace: string;
  /** '' when the index has no set. */
  set: string;
  name: string;
  /** N plain bin, L list elements, K map keys, V map values. */
  indexType: 'N' | 'L' | 'K' | 'V';
  /** The indexed bin (path). */
  bin: string;
  /** N numeric, S string, G geo2dsphere, B blob. */
  binType: 'N' | 'S' | 'G' | 'B';
  /** Base64 of the msgpack CDT context, when the index has one. */
  context?: string;
}

/** A UDF module. */
export interface UdfItem {
  kind: 'udf';
  name: string;
  /** Always 'L' (Lua). */
  udfType: 'L';
  content: Buffer;
}

/** Everything a record stream carries. */
export type StreamItem = RecordItem | SindexItem | UdfItem;

/**
 * OpsRecordItem: a record as asrestore decodes it for writing: a RecordItem whose bins are
 * already the WRITE ops of its command (one per bin, in the wire layout of
 * lib/protocol/layout.ts, values as a client sends them), back to back in `ops`. No object
 * per bin: the restore's hot path (lib/asb/decode-block.ts parseRecordOps).
 */
export interface OpsRecordItem extends RecordMeta {
  kind: 'record-ops';
  /**
   * The decoder's memory holding the digest, at `digestAt`: the restore's hot path reads it
   * there (digestBuffer/digestOffset of lib/restore/writer.ts); `digest` makes a view of it
   * only when asked, so no Buffer object is made per record.
   */
  arena: Buffer;
  digestAt: number;
  /** Bins, that is WRITE ops in `ops`. */
  binCount: number;
  ops: Buffer;
}

/** WriteItem: a record on its way to the cluster, with its bins as objects or as ops. */
export type WriteItem = RecordItem | OpsRecordItem;

/**
 * WireBatch: records still in their wire form, in process only: a scan frame body and the
 * offset of each record's AS_MSG in it (already validated by the scan's parser). asbackup
 * encodes these straight to .asb without building a RecordItem per record.
 */
export interface WireBatch {
  kind: 'wire';
  namespace: string;
  body: Buffer;
  /** Where each record's AS_MSG starts in `body`. */
  offsets: Uint32Array;
  /** Number of records (offsets.length). */
  length: number;
  /** Where each record's digest starts in `body` (as the scan's parser found it). */
  digestAt?: Uint32Array;
  /** Partitions the server finished in this frame: every record of theirs is at or before its end. */
  done?: number[];
}

/**
 * RecordBatch: records as objects, one scan frame, with the partitions the server finished
 * in that frame (see WireBatch.done).
 */
export type RecordBatch = RecordItem[] & { done?: number[] };

/**
 * RecordMarks: where each record of an encoded batch comes from (partition id and digest,
 * in order) and the partitions finished after its last record: what a resumable backup
 * notes as the batch becomes durable.
 */
export interface RecordMarks {
  pids: Uint16Array;
  /** 20 bytes per record. */
  digests: Buffer;
  done: number[];
}
