// Between the decoder and the writer: the filter (sets, bins, -R/-I/-F), the metadata steps
// applied in stream order (an .asb file has its indexes and UDFs before its records, so
// they exist before the first record is written) or kept for after the records (-L), and
// a stand-in for the writer when nothing may be written (--validate).
import type { Cluster } from '../cluster/cluster.js';
import { AsError } from '../errors.js';
import { filterItems, filtersBins, recordFilter, type FilterOptions } from '../stages/filter.js';
import type { OpsRecordItem, SindexItem, StreamItem, WriteItem } from '../records/types.js';
import { applySindex, applyUdf, type MetadataCounts, type MetadataOptions } from './metadata.js';
import { nowClSeconds } from './write-policy.js';
import { wallClock } from '../clock.js';
import { admitRecord, type WriteCounts } from './writer.js';

/** Options of recordsOf. */
export interface ComposeOptions {
  filter: FilterOptions;
  /** Apply metadata here; undefined = count it only (--validate). */
  cluster?: Cluster;
  metadata: MetadataOptions;
  /** -L: keep the indexes in `deferred` instead of creating them now. */
  indexesLast?: boolean;
  deferred?: SindexItem[];
  counts: WriteCounts;
  meta: MetadataCounts;
}

/**
 * recordsOf: the records of an item stream, after filtering; the indexes and UDFs met on
 * the way are applied (or counted) before the next item is pulled.
 */
export async function* recordsOf(batches: AsyncIterable<Array<StreamItem | OpsRecordItem>>, o: ComposeOptions): AsyncGenerator<WriteItem[]> {
  const keep = filterItems(o.filter);
  // Records decoded as ops have no bins to select from: the source decodes them so only
  // when the selection keeps every bin.
  const keepOps = filtersBins(o.filter) ? undefined : recordFilter(o.filter);
  for await (const batch of batches) {
    let records: WriteItem[] = [];
    // Indexed loops in the async generators of the hot path: their for-of allocated an
    // iterator result per record (about 40 B each, a tenth of a restore's garbage).
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      if (item.kind === 'record-ops') {
        if (keepOps === undefined) throw new AsError('INTERNAL', 'internal: a record decoded as ops met a selection of bins');
        if (keepOps(item)) records.push(item);
        else {
          o.counts.read++;
          o.counts.skippedSet++;
        }
        continue;
      }
      const kept = keep(item);
      if (kept === undefined) {
        // A record dropped by the filter can only be one of an unwanted set (-R stops reading).
        if (item.kind === 'record') {
          o.counts.read++;
          o.counts.skippedSet++;
        }
        continue;
      }
      if (kept.kind === 'record') {
        records.push(kept);
        continue;
      }
      // Index and UDF definitions take effect before any record after them is written.
      if (records.length > 0) {
        yield records;
        records = [];
      }
      if (kept.kind === 'sindex') {
        if (o.indexesLast) o.deferred?.push(kept);
        else await applyIndex(kept, o);
      } else {
        o.metadata.log?.(`Restoring UDF file ${kept.name} (size ${kept.content.length})`);
        if (o.cluster) await applyUdf(o.cluster, kept, o.metadata);
        o.meta.udfs++;
      }
    }
    if (records.length > 0) yield records;
  }
}

/** applyIndex: one index, counted by outcome. */
export async function applyIndex(s: SindexItem, o: Pick<ComposeOptions, 'cluster' | 'metadata' | 'meta'>): Promise<void> {
  const outcome = o.cluster ? await applySindex(o.cluster, s, o.metadata) : 'created';
  o.meta.indexes++;
  if (outcome === 'matched') o.meta.matched++;
  else if (outcome === 'replaced') o.meta.replaced++;
}

/**
 * countRecords: what the writer would do without a server (--validate): records read,
 * expired and without bins are counted; a record the writer would refuse before sending
 * (refusal()) fails the validation, or is counted ignored with ignoreRecordError; every
 * other record counts as would-be inserted.
 */
export async function countRecords(batches: AsyncIterable<WriteItem[]>, counts: WriteCounts, extraTtl = 0, now: () => number = wallClock, ignoreRecordError = false): Promise<WriteCounts> {
  for await (const batch of batches) {
    const nowCl = nowClSeconds(now());
    for (let i = 0; i < batch.length; i++) {
      if (admitRecord(batch[i]!, nowCl, counts, { extraTtl, ignoreRecordError }) !== undefined) counts.inserted++;
    }
  }
  return counts;
}
