// Options shared by the stage programs (as-filter, as-scan, asbackup): the data selection
// rows of the seed page, with their letters.
import type { OptionSpec } from './options.js';
import { binList, parseLocalDateTime, parsePercent, setList } from './parse-values.js';
import type { FilterOptions } from '../stages/filter.js';

/** selectionOptions: -s -B -x -R -I -u -% -a -b --no-ttl-only. */
export const selectionOptions: readonly OptionSpec[] = [
  { long: 'set', short: 's', type: 'string', group: 'Data selection', arg: '<set>[,<set>...]', describe: 'Sets to keep (all sets by default).', validate: setList },
  { long: 'bin-list', short: 'B', type: 'string', group: 'Data selection', arg: '<bin1>[,<bin2>...]', describe: 'Bins to keep (all bins by default).', validate: binList },
  { long: 'no-bins', short: 'x', type: 'boolean', group: 'Data selection', describe: 'Keep only record metadata (digest, TTL, generation, key).' },
  { long: 'no-records', short: 'R', type: 'boolean', group: 'Data selection', describe: 'Drop all records (keep index and UDF definitions).' },
  { long: 'no-indexes', short: 'I', type: 'boolean', group: 'Data selection', describe: 'Drop secondary index definitions.' },
  { long: 'no-udfs', short: 'u', type: 'boolean', group: 'Data selection', describe: 'Drop UDF modules.' },
  { long: 'percent', short: '%', type: 'number', group: 'Data selection', arg: '<percentage>', describe: 'Keep this percentage of records, chosen deterministically by digest.', validate: parsePercent },
  { long: 'modified-after', short: 'a', type: 'string', group: 'Data selection', arg: '<YYYY-MM-DD_HH:MM:SS>', describe: 'Keep records last updated at or after this local time.', validate: parseLocalDateTime },
  { long: 'modified-before', short: 'b', type: 'string', group: 'Data selection', arg: '<YYYY-MM-DD_HH:MM:SS>', describe: 'Keep records last updated before this local time.', validate: parseLocalDateTime },
  { long: 'no-ttl-only', type: 'boolean', group: 'Data selection', describe: 'Keep only records that never expire.' },
];

/** filterOptionsOf: the filter stage's options from resolved option values. */
export function filterOptionsOf(v: Record<string, unknown>): FilterOptions {
  const o: FilterOptions = {};
  if (v.set !== undefined) o.sets = v.set as string[];
  if (v.binList !== undefined) o.bins = v.binList as string[];
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
