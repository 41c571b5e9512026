// Options shared by the stage programs (as-filter, as-scan, asbackup): the data selection
// rows of the seed page, with their letters.
import type { OptionSpec } from './options.js';
import { asbackupOptions } from './asbackup-options.js';
import type { FilterOptions } from '../stages/filter.js';

// What each row means for a filter over a stream, where asbackup's text says "back up".
const KEEPS: Record<string, string> = {
  'set': 'Sets to keep (all sets by default); index definitions of other sets are dropped.',
  'bin-list': 'Bins to keep (all bins by default).',
  'exclude-sets': 'Drop the records and index definitions of these sets (after --set).',
  'exclude-bins': 'Drop these bins from every record (after --bin-list).',
  'no-bins': 'Keep only record metadata (digest, TTL, generation, key).',
  'no-records': 'Drop all records (keep index and UDF definitions).',
  'no-indexes': 'Drop secondary index definitions.',
  'no-udfs': 'Drop UDF modules.',
  'percent': 'Keep this percentage of records, chosen deterministically by digest (as the server samples).',
  'modified-after': 'Keep records last updated at or after this local time.',
  'modified-before': 'Keep records last updated before this local time.',
  'no-ttl-only': 'Keep only records that never expire.',
};

/** selectionOptions: asbackup's data-selection rows (-s -B --exclude-sets --exclude-bins -x -R -I -u -% -a -b --no-ttl-only), worded for a filter. */
export const selectionOptions: readonly OptionSpec[] = asbackupOptions
  .filter((o) => KEEPS[o.long] !== undefined)
  .map((o) => ({ ...o, describe: KEEPS[o.long]! }));

/** viewOption: --view of as-scan and as-decode-asb: the readable view of lists and maps. */
export const viewOption: OptionSpec = { long: 'view', type: 'boolean', group: 'Output', describe: 'Add a readable JSON "view" of every list and map bin next to its bytes, for jq filters (docs/record-stream.md).' };

/** filterOptionsOf: the filter stage's options from resolved option values. */
export function filterOptionsOf(v: Record<string, unknown>): FilterOptions {
  const o: FilterOptions = {};
  if (v.set !== undefined) o.sets = v.set as string[];
  if (v.binList !== undefined) o.bins = v.binList as string[];
  if (v.excludeSets !== undefined) o.excludeSets = v.excludeSets as string[];
  if (v.excludeBins !== undefined) o.excludeBins = v.excludeBins as string[];
  if (v.noBins) o.noBins = true;
  if (v.noRecords) o.noRecords = true;
  if (v.noIndexes) o.noIndexes = true;
  if (v.noUdfs) o.noUdfs = true;
  if (v.percent !== undefined) o.percent = v.percent as number;
  if (v.modifiedAfter !== undefined) o.modifiedAfter = (v.modifiedAfter as Date).getTime();
  if (v.modifiedBefore !== undefined) o.modifiedBefore = (v.modifiedBefore as Date).getTime();
  if (v.noTtlOnly) o.noTtlOnly = true;
  return o;
}
