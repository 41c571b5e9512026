// The encode step of a backup: items and wire batches to .asb batches, in order.
import { encodeItem, encodeWireRun } from '../asb/encode.js';
import { recycleFrameBody } from '../protocol/frame.js';
import type { EncodePool } from '../stages/encode-pool.js';
import { batchRecords, type AsbBatch, type AsbChunk, type WriteRoom } from '../stages/files.js';
import { partitionId } from '../protocol/digest.js';
import { viewOf } from '../protocol/layout.js';
import type { RecordBatch, RecordMarks, StreamItem, WireBatch } from '../records/types.js';
import { Spares } from '../stages/spares.js';

// The per-frame arrays of wire batches, given back once the batch is in its file.
const sparePids = new Spares((ab, n) => new Uint16Array(ab, 0, n), 2);
const spareDigests = new Spares((ab, n) => Buffer.from(ab, 0, 20 * n), 20);
const spareEnds = new Spares((ab, n) => new Uint32Array(ab, 0, n), 4);

/** Counts of what was encoded besides records. */
export interface EncodeCounts {
  indexes: number;
  udfs: number;
}

/** encodeItems: index, UDF (and record) items to .asb chunks, counting indexes and UDFs. */
function encodeItems(batch: StreamItem[], compact: boolean, counts: EncodeCounts): AsbChunk[] {
  return batch.map((item) => {
    if (item.kind === 'sindex') counts.indexes++;
    else if (item.kind === 'udf') counts.udfs++;
    return { kind: item.kind, bytes: encodeItem(item, compact) };
  });
}

/** recordBytes: the bytes of the records of a batch (the backup's size in records). */
function recordBytes(b: AsbBatch): number {
  if (!Array.isArray(b)) return b.bytes.length;
  let n = 0;
  for (const c of b) if (c.kind === 'record') n += c.bytes.length;
  return n;
}

/**
 * marksOf: the partition and digest of each record of a scan batch, in order, and the
 * partitions it finished (copied: a wire body moves to an encoder thread).
 */
function marksOf(batch: StreamItem[] | WireBatch): RecordMarks {
  if (!Array.isArray(batch)) {
    const at = batch.digestAt ?? [];
    const pids = sparePids.take(at.length);
    const digests = spareDigests.take(at.length);
    const body = batch.body;
    // 20 bytes per record as five 4-byte moves: a fraction of a Buffer.copy call, and of a byte loop.
    const from = viewOf(body);
    const to = viewOf(digests);
    for (let i = 0; i < at.length; i++) {
      const a = at[i]!;
      pids[i] = partitionId(body, a);
      const o = i * 20;
      to.setUint32(o, from.getUint32(a));
      to.setUint32(o + 4, from.getUint32(a + 4));
      to.setUint32(o + 8, from.getUint32(a + 8));
      to.setUint32(o + 12, from.getUint32(a + 12));
      to.setUint32(o + 16, from.getUint32(a + 16));
    }
    return { pids, digests, done: batch.done ?? [] };
  }
  const records = batch.filter((i) => i.kind === 'record');
  const pids = new Uint16Array(records.length);
  const digests = Buffer.allocUnsafe(records.length * 20);
  records.forEach((r, i) => {
    pids[i] = partitionId(r.digest);
    r.digest.copy(digests, i * 20);
  });
  return { pids, digests, done: (batch as RecordBatch).done ?? [] };
}

/**
 * textRoom: room asked for a frame's text: a record's text is mostly under 1.5 times its
 * wire size (~1.05 for the bench's records); a run that outgrows it moves to a buffer of its
 * own (encodeWireRun), which costs an allocation and a copy, not correctness.
 */
function textRoom(wireBytes: number): number {
  return Math.ceil(wireBytes * 1.5) + 64 * 1024;
}

/**
 * encodeBatches: items to .asb batches, in order, calling `onBatch` with the records and
 * record bytes of each. With encoder threads, wire batches go to them a few jobs ahead;
 * without, they are encoded here: straight into the sink's file buffer when `writeRoom`
 * offers room for the frame's text (its consumer then copies nothing), else on the
 * encoder's slab. With `marks`, each batch carries its RecordMarks (a resumable backup
 * notes them as the records become durable). A batch's run, marks and ends are valid until
 * the next batch is asked for: their memory is then taken for later batches.
 */
export async function* encodeBatches(
  batches: AsyncIterable<StreamItem[] | WireBatch>, compact: boolean, counts: EncodeCounts,
  pool: EncodePool | undefined, onBatch?: (records: number, bytes: number) => void, marks = false, writeRoom?: WriteRoom,
): AsyncGenerator<AsbBatch> {
  const ahead: Array<AsbBatch | Promise<AsbBatch>> = [];
  const depth = 2 * (pool?.size ?? 0);
  const done = (b: AsbBatch): AsbBatch => {
    onBatch?.(batchRecords(b), recordBytes(b));
    return b;
  };
  const marked = (b: AsbBatch, m: RecordMarks | undefined): AsbBatch => {
    if (m !== undefined) b.marks = m;
    return b;
  };
  // A consumer has copied a run and noted its marks once it asks for the next batch: a
  // thread's run then goes back to the pool, whose threads write later runs into its
  // memory, and the batch's arrays are taken for later batches.
  const release = (b: AsbBatch): void => {
    if (Array.isArray(b)) return;
    if (pool) pool.reuse(b);
    else spareEnds.give(b.ends);
    if (b.marks !== undefined) {
      sparePids.give(b.marks.pids);
      spareDigests.give(b.marks.digests);
    }
  };
  for await (const batch of batches) {
    const m = marks ? marksOf(batch) : undefined;
    if (Array.isArray(batch)) ahead.push(marked(encodeItems(batch, compact, counts), m));
    else if (pool) {
      const job = pool.encode(batch).then((b) => marked(b, m));
      job.catch(() => undefined); // a job nobody waits for any more (after a failure) is no crash
      ahead.push(job);
    } else {
      // In place or on the scratch slab: either way taken at once below (nothing else writes
      // into the file's buffer before its consumer adds it).
      ahead.push(marked(encodeWireRun(batch, compact, writeRoom?.room?.(textRoom(batch.body.length)), spareEnds.take(batch.offsets.length)), m));
      // Nothing refers to the frame once its records are text (the marks are copies): its
      // memory takes the next frame.
      recycleFrameBody(batch.body);
    }
    while (ahead.length > depth) {
      const b = done(await ahead.shift()!);
      yield b;
      release(b);
    }
  }
  while (ahead.length > 0) {
    const b = done(await ahead.shift()!);
    yield b;
    release(b);
  }
}
