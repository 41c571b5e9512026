// The filter stage: keeps the records (and index definitions) a selection asks for. It
// applies the same rules the server applies to a scan, so `as-scan | as-filter` selects
// exactly what a server-side filtered scan would.
import { AsError } from '../errors.js';
import { digestModulo } from '../protocol/digest.js';
import { SAMPLE_MODULUS } from '../protocol/expression.js';
import { UsageError } from '../errors.js';
import type { RecordMeta, StreamItem, WireBatch } from '../records/types.js';

/** What to keep. Times are ms since the Unix epoch. */
export interface FilterOptions {
  /** Keep records of these sets only; index definitions of other sets (and without a set) are dropped. */
  sets?: string[];
  /** Keep only these bins in each record. */
  bins?: string[];
  /** Drop records and index definitions of these sets (after `sets`). */
  excludeSets?: string[];
  /** Drop these bins from each record (after `bins`). */
  excludeBins?: string[];
  /** Drop every bin (metadata only). */
  noBins?: boolean;
  modifiedAfter?: number;
  modifiedBefore?: number;
  /** Keep this percentage of records, chosen by digest (the server's digest_modulo). */
  percent?: number;
  /** Keep only records that never expire. */
  noTtlOnly?: boolean;
  noRecords?: boolean;
  noIndexes?: boolean;
  noUdfs?: boolean;
}

/** filtersBins: whether a selection keeps only some bins of a record (or none). */
export function filtersBins(opts: FilterOptions): boolean {
  return opts.noBins === true || (opts.bins?.length ?? 0) > 0 || (opts.excludeBins?.length ?? 0) > 0;
}

/**
 * recordFilter: whether a record is kept, judged by all of a selection but its bins
 * (-R drops every record): its set, its digest (--percent), its TTL and its last-update
 * time.
 */
export function recordFilter(opts: FilterOptions): (r: RecordMeta) => boolean {
  const sets = opts.sets && opts.sets.length > 0 ? new Set(opts.sets) : undefined;
  const excludeSets = opts.excludeSets && opts.excludeSets.length > 0 ? new Set(opts.excludeSets) : undefined;
  const threshold = opts.percent !== undefined && opts.percent < 100 ? Math.round(opts.percent * (SAMPLE_MODULUS / 100)) : undefined;
  const window = opts.modifiedAfter !== undefined || opts.modifiedBefore !== undefined;
  return (item) => {
    if (opts.noRecords) return false;
    if ((sets && !sets.has(item.set)) || excludeSets?.has(item.set)) return false;
    if (threshold !== undefined && digestModulo(item.digest, SAMPLE_MODULUS) >= threshold) return false;
    if (opts.noTtlOnly && item.voidTime !== 0) return false;
    if (window) {
      const lut = item.lastUpdate;
      if (lut === undefined) {
        throw new AsError('NO_LAST_UPDATE', `record ${item.digest.toString('base64')} has no lastUpdate, so --modified-after/--modified-before cannot judge it: scans and .asb files do not carry a record's last-update time; select by time on the server with as-scan -a/-b instead`, { value: item.digest.toString('base64') });
      }
      if (opts.modifiedAfter !== undefined && lut < opts.modifiedAfter) return false;
      if (opts.modifiedBefore !== undefined && lut >= opts.modifiedBefore) return false;
    }
    return true;
  };
}

/**
 * filterItems: a function returning the item to keep (possibly with fewer bins) or
 * undefined to drop it. A record without a known last-update time cannot be judged by a
 * modified window: with a window, such a record is an error (NO_LAST_UPDATE), never a
 * silent drop.
 */
export function filterItems(opts: FilterOptions): (item: StreamItem) => StreamItem | undefined {
  const sets = opts.sets && opts.sets.length > 0 ? new Set(opts.sets) : undefined;
  const excludeSets = opts.excludeSets && opts.excludeSets.length > 0 ? new Set(opts.excludeSets) : undefined;
  const excludeBins = opts.excludeBins && opts.excludeBins.length > 0 ? new Set(opts.excludeBins) : undefined;
  const bins = opts.bins && opts.bins.length > 0 ? new Set(opts.bins.filter((b) => !excludeBins?.has(b))) : undefined;
  const keepBin = bins ? (name: string) => bins.has(name) : excludeBins ? (name: string) => !excludeBins.has(name) : undefined;
  const keepRecord = recordFilter(opts);
  return (item) => {
    switch (item.kind) {
      case 'sindex':
        if (opts.noIndexes) return undefined;
        return (sets && !sets.has(item.set)) || excludeSets?.has(item.set) ? undefined : item;
      case 'udf':
        return opts.noUdfs ? undefined : item;
      case 'record': {
        if (!keepRecord(item)) return undefined;
        if (opts.noBins) return item.bins.length === 0 ? item : { ...item, bins: [] };
        if (keepBin) {
          const kept = item.bins.filter((b) => keepBin(b.name));
          return kept.length === item.bins.length ? item : { ...item, bins: kept };
        }
        return item;
      }
    }
  };
}

/**
 * Narrowed: a selection once its exclusion lists are applied. Excluded sets leave the set
 * list, or else stay a list of sets to leave out (a server filter for a scan); excluded
 * bins leave the bin list, or else (no list to narrow) are dropped from each record.
 */
export interface Narrowed {
  sets: string[];
  /** Sets to leave out (there was no set list to narrow). */
  excludeSets: string[];
  bins?: string[];
  /** Bins to drop from each record (there was no bin list to narrow). */
  dropBins?: string[];
}

/** narrowSelection: a selection after its exclusion lists; a UsageError when they leave nothing. */
export function narrowSelection(o: Pick<FilterOptions, 'sets' | 'bins' | 'noBins' | 'excludeSets' | 'excludeBins'>): Narrowed {
  const exSets = new Set(o.excludeSets ?? []);
  const exBins = new Set(o.excludeBins ?? []);
  const sets = (o.sets ?? []).filter((s) => !exSets.has(s));
  if (o.sets !== undefined && sets.length === 0) throw new UsageError(`--exclude-sets leaves none of the sets given with -s (${o.sets.join(',')})`);
  const bins = o.bins?.filter((b) => !exBins.has(b));
  if (bins !== undefined && bins.length === 0) throw new UsageError(`--exclude-bins leaves none of the bins given with -B (${o.bins!.join(',')})`);
  return {
    sets,
    excludeSets: o.sets === undefined ? [...exSets] : [],
    bins,
    dropBins: o.bins === undefined && !o.noBins && exBins.size > 0 ? [...exBins] : undefined,
  };
}

/**
 * filterBatches: the filter over batches (the in-process path). A WireBatch passes as it
 * is: records still in wire form were selected by the server with the same rules.
 */
export async function* filterBatches(batches: AsyncIterable<StreamItem[] | WireBatch>, opts: FilterOptions): AsyncGenerator<StreamItem[] | WireBatch> {
  const keep = filterItems(opts);
  for await (const batch of batches) {
    if (!Array.isArray(batch)) {
      yield batch;
      continue;
    }
    const out: StreamItem[] = [];
    for (const item of batch) {
      const kept = keep(item);
      if (kept !== undefined) out.push(kept);
    }
    if (out.length > 0) yield out;
  }
}

/** batched: groups any item stream into arrays of up to `size` (for batch stages). */
export async function* batched<T>(items: AsyncIterable<T>, size = 256): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
