// The encode step of a backup: items and wire batches to .asb batches, in order.
import { encodeItem, encodeWireRun } from '../asb/encode.js';
import type { EncodePool } from '../stages/encode-pool.js';
import { batchRecords, type AsbBatch, type AsbChunk } from '../stages/files.js';
import type { StreamItem, WireBatch } from '../records/types.js';

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
 * encodeBatches: items to .asb batches, in order, calling `onBatch` with the records and
 * record bytes of each. With encoder threads, wire batches go to them a few jobs ahead;
 * without, they are encoded here.
 */
export async function* encodeBatches(
  batches: AsyncIterable<StreamItem[] | WireBatch>, compact: boolean, counts: EncodeCounts,
  pool: EncodePool | undefined, onBatch?: (records: number, bytes: number) => void,
): AsyncGenerator<AsbBatch> {
  const ahead: Array<AsbBatch | Promise<AsbBatch>> = [];
  const depth = 2 * (pool?.size ?? 0);
  const done = (b: AsbBatch): AsbBatch => {
    onBatch?.(batchRecords(b), recordBytes(b));
    return b;
  };
  for await (const batch of batches) {
    if (Array.isArray(batch)) ahead.push(encodeItems(batch, compact, counts));
    else if (pool) ahead.push(pool.encode(batch));
    else ahead.push(encodeWireRun(batch, compact)); // on the scratch slab: taken at once below
    while (ahead.length > depth) yield done(await ahead.shift()!);
  }
  while (ahead.length > 0) yield done(await ahead.shift()!);
}
