// asbackup's option table: every option of the seed page with the seed's letters and meanings
// (-c no-cluster-change, -f priority, -w nodes in parallel, -% percent), plus long-only
// options for newer features of today's tools that would otherwise clash.
import { UsageError } from '../errors.js';
import { defaultEncoderThreads } from '../stages/encode-pool.js';
import { resolveOptions, type ConfigEnv, type Resolved } from './config.js';
import { configFileOptions, connectionOptions, generalOptions, timeoutOptions, type ConnectionValues } from './connection-options.js';
import { exclusive, type OptionSpec, type OptionTable } from './options.js';
import type { BackupSettings } from '../backup/settings.js';
import { narrowSelection } from '../stages/filter.js';
import { codecWriteOptions, validateCodecOptions, type CodecValues } from '../codec/options.js';
import { s3BackupOptions, type S3OptionValues } from '../storage/options.js';
import { isS3Url, parseS3Url } from '../storage/s3-url.js';
import {
  binList, intRange, nonEmpty, parseBase64, parseDigest, parseFilePrefix, parseHostList, parseLocalDateTime, parseNamespace,
  parseNodeList, parsePartitionList, parsePercent, parsePriority, parseRackList, setList,
} from './parse-values.js';

const DATE = '<YYYY-MM-DD_HH:MM:SS>';

const backupOnly: OptionSpec[] = [
  // Seed "Connection" rows that are asbackup's own: they go in [asbackup], as in the C tool.
  {
    long: 'node-list', short: 'l', type: 'string', group: 'Connection', section: 'program', arg: '<addr[:tlsname]:port[,...]>',
    describe: 'Back up only the partitions whose current master is one of these nodes (matched against the address the node was reached at; default: all nodes).', validate: (v: string, l: string) => parseNodeList(v, l),
  },
  {
    long: 'parallel', short: 'w', type: 'number', default: 10, group: 'Connection', section: 'program', arg: '<nodes>',
    describe: 'Maximal number of nodes backed up in parallel.', validate: intRange(1, 100),
  },
  {
    long: 'prefer-racks', type: 'string', group: 'Connection', section: 'program', arg: '<rack-id>[,<rack-id>...]',
    describe: 'Scan each partition on a live replica in the first of these racks that has one, else on its master (rack ids need server Enterprise Edition).',
    validate: parseRackList,
  },
  // Output
  { long: 'directory', short: 'd', type: 'string', group: 'Output', arg: '<path>', describe: 'Directory for the .asb files; created if missing.', validate: nonEmpty },
  { long: 'output-file', short: 'o', type: 'string', group: 'Output', arg: '<path>', describe: 'Single backup file; - means stdout.', validate: nonEmpty },
  { long: 'estimate', short: 'e', type: 'boolean', group: 'Output', describe: 'Instead of a backup, estimate the average size of a backed-up record.' },
  { long: 'estimate-samples', type: 'number', default: 10000, group: 'Output', arg: '<n>', describe: 'Records sampled by --estimate.', validate: intRange(1) },
  { long: 'file-limit', short: 'F', type: 'number', default: 250, group: 'Output', arg: '<MiB>', describe: 'Start a new .asb file in --directory once a file reaches this size.', validate: intRange(1) },
  { long: 'output-file-prefix', type: 'string', group: 'Output', arg: '<prefix>', describe: 'File-name prefix of the .asb files in --directory (default: the namespace); a name, no "/".', validate: parseFilePrefix },
  {
    long: 'remove-files', short: 'r', type: 'boolean', group: 'Output', configKey: false,
    describe: 'Clear the .asb files of --directory or remove an existing --output-file first.',
  },
  {
    long: 'remove-artifacts', type: 'boolean', group: 'Output', configKey: false,
    describe: 'Only delete the --output-file, or the .asb files of --directory (and the directory when it is then empty), then exit without backing up; no namespace needed.',
  },
  {
    long: 'continue', type: 'string', group: 'Output', arg: '<state-file>', configKey: false,
    describe: 'Resume the interrupted backup this state file belongs to, with the same options (the command it printed when it stopped); a finished backup is left as it is. Not for stdout or s3:// paths.',
    validate: nonEmpty,
  },
  {
    long: 'state-file-dst', type: 'string', group: 'Output', arg: '<path>',
    describe: 'Where the state file of a resumable backup goes (default: <dir>/<prefix|ns>.asb.state for -d, <file>.state for -o). A backup to stdout or S3 keeps none and cannot be resumed.',
    validate: nonEmpty,
  },
  {
    long: 'checkpoint-interval', type: 'number', default: 65536, group: 'Output', arg: '<KiB>',
    describe: 'With --output-file: make the file durable and save the state after every this many KiB written (a zstd frame ends there); a resume goes on from the last such point. With --directory, every closed file is one.',
    validate: intRange(1),
  },
  { long: 'compact', short: 'C', type: 'boolean', group: 'Output', describe: 'Write BLOB values raw instead of base-64 encoded.' },
  {
    long: 'machine', short: 'm', type: 'string', group: 'Output', arg: '<path>',
    describe: 'Append machine-readable status lines to this file, in the official tools\' formats: PROGRESS:<pct> and REMAINING:<eta> about every second, SUMMARY:<records>:<indexes>:<udfs>:<bytes>:<bytes/record> at the end, ESTIMATE:<records>:<bytes/record> with --estimate.',
    validate: nonEmpty,
  },
  { long: 'nice', short: 'N', type: 'number', group: 'Output', arg: '<MiB/s>', describe: 'Limit the write bandwidth to the backup file(s).', validate: intRange(1) },
  {
    long: 'encoder-threads', type: 'number', default: defaultEncoderThreads(), defaultText: 'none below 4 cores, else one per core beyond two, at most 2', group: 'Output', arg: '<n>',
    describe: 'Threads that format .asb text beside the one reading sockets.', validate: intRange(0, 16),
  },
  ...codecWriteOptions,
  ...s3BackupOptions('Output'),
  // Data selection
  { long: 'namespace', short: 'n', type: 'string', group: 'Data selection', arg: '<namespace>', describe: 'Namespace to back up (mandatory).', validate: parseNamespace },
  { long: 'set', short: 's', aliases: ['set-list'], type: 'string', group: 'Data selection', arg: '<set>[,<set>...]', describe: 'Set(s) to back up (default: all); quote a name containing a comma: \'a,b\'.', validate: setList },
  { long: 'bin-list', short: 'B', type: 'string', group: 'Data selection', arg: '<bin>[,<bin>...]', describe: 'Bins to back up (default: all).', validate: binList },
  {
    long: 'exclude-sets', type: 'string', group: 'Data selection', arg: '<set>[,<set>...]',
    describe: 'Back up no records and no index definitions of these sets (everything else, or what --set names, is backed up); the server leaves them out.', validate: setList,
  },
  {
    long: 'exclude-bins', type: 'string', group: 'Data selection', arg: '<bin>[,<bin>...]',
    describe: 'Leave these bins out of every record (all other bins, or the rest of --bin-list, are backed up).', validate: binList,
  },
  { long: 'no-bins', short: 'x', type: 'boolean', group: 'Data selection', describe: 'Back up record metadata only (digest, TTL, generation, key), no bins.' },
  { long: 'no-records', short: 'R', type: 'boolean', group: 'Data selection', describe: 'Back up no records, only secondary indexes and UDFs.' },
  { long: 'no-indexes', short: 'I', type: 'boolean', group: 'Data selection', describe: 'Do not back up secondary index definitions.' },
  { long: 'no-udfs', short: 'u', type: 'boolean', group: 'Data selection', describe: 'Do not back up UDF modules.' },
  { long: 'percent', short: '%', type: 'number', default: 100, group: 'Data selection', arg: '<percentage>', describe: 'Back up about this percentage of the records (0 < p <= 100, two decimals): a server filter digest_modulo(10000) < p*100, so the same records are chosen on every run.', validate: parsePercent },
  { long: 'modified-after', short: 'a', type: 'string', group: 'Data selection', arg: DATE, describe: 'Only records last updated at or after this local time.', validate: parseLocalDateTime },
  { long: 'modified-before', short: 'b', type: 'string', group: 'Data selection', arg: DATE, describe: 'Only records last updated before this local time.', validate: parseLocalDateTime },
  { long: 'no-ttl-only', type: 'boolean', group: 'Data selection', describe: 'Only records that never expire.' },
  { long: 'max-records', type: 'number', default: 0, group: 'Data selection', arg: '<n>', describe: 'Stop after this many records (0 = all).', validate: intRange(0) },
  { long: 'records-per-second', type: 'number', default: 0, group: 'Data selection', arg: '<n>', describe: 'Limit the scan to this many records per second in total, divided over the scan commands (0 = no limit).', validate: intRange(0) },
  {
    long: 'partition-list', type: 'string', group: 'Data selection', arg: '<begin[-count]|digest>[,...]',
    describe: 'Back up only these partitions (count, not end: 0-1024 = partitions 0..1023) or the records after a base64 digest.', validate: parsePartitionList,
  },
  { long: 'after-digest', type: 'string', group: 'Data selection', arg: '<digest>', describe: 'Back up the records after this base64 digest (resume).', validate: parseDigest },
  { long: 'filter-exp', type: 'string', group: 'Data selection', arg: '<base64>', describe: 'Server filter expression, base64 of the packed expression.', validate: parseBase64 },
  // Other (seed)
  { long: 'priority', short: 'f', type: 'number', default: 0, group: 'Other', arg: '<priority>', describe: 'Scan priority on each node, as scan commands per node at once: 0 auto = 2, 1 low = 1, 2 medium = 2, 3 high = 4; a node\'s partitions are split into that many ranges.', validate: parsePriority },
  {
    long: 'scans-per-node', type: 'number', group: 'Other', arg: '<n>', defaultText: 'as --priority says',
    describe: 'Scan commands per node at once, each over its own range of the node\'s partitions (overrides the count of --priority; --parallel still says how many nodes at once).',
    validate: intRange(1, 64),
  },
  { long: 'no-cluster-change', short: 'c', type: 'boolean', group: 'Other', describe: 'Stop if the cluster changes (pending migrations) during the backup.' },
  ...timeoutOptions('the scan', {
    seeds: true,
    total: 'Total timeout of the scan in ms (0 = none): the whole scan, retries included, must end within it, else the run fails with TIMEOUT; each scan command also sends the server the time left.',
  }),
  {
    long: 'sleep-between-retries', aliases: ['retry-delay'], type: 'number', group: 'Other', arg: '<ms>',
    defaultText: '100 ms, doubling each round up to 2 s, so the retries outlast a cluster re-forming',
    describe: 'Milliseconds to wait before each retry round of the scan (0 = retry at once, on the refreshed partition map, as the C tool does by default).', validate: intRange(0, 2 ** 32 - 1),
  },
];

/** asbackupOptions: the complete table, in usage-text order. */
export const asbackupOptions: OptionTable = [...connectionOptions, ...backupOnly, ...configFileOptions, ...generalOptions];

/** asbackupSynopsis: first line(s) of the usage text. */
export const asbackupSynopsis = ['-n <namespace> (-d <dir> | -o <file> | -e) [options]'];

/** BackupOptions: asbackup's resolved options (camelCase of the long names), values parsed. */
export interface BackupOptions extends ConnectionValues, BackupSettings, CodecValues, S3OptionValues {
  estimate: boolean;
  /** -m: the machine-readable status file. */
  machine?: string;
  removeArtifacts: boolean;
}

/**
 * validateSelection: the cross-option rules of what is read (shared with as-scan); throws
 * UsageError naming the options.
 */
export function validateSelection(o: Omit<BackupOptions, 'directory' | 'outputFile' | 'estimate' | 'removeFiles' | 'outputFilePrefix' | 'fileLimit' | 'compact' | 'encoderThreads' | 'estimateSamples' | 'machine' | 'removeArtifacts' | keyof CodecValues | keyof S3OptionValues>): void {
  if (o.namespace === undefined) throw new UsageError('--namespace (-n) is required');
  exclusive([
    ['no-bins', 'bin-list', o.noBins, o.binList],
    ['no-bins', 'exclude-bins', o.noBins, o.excludeBins],
    ['partition-list', 'after-digest', o.partitionList, o.afterDigest],
    ['node-list', 'partition-list', o.nodeList, o.partitionList],
    ['node-list', 'after-digest', o.nodeList, o.afterDigest],
    ['filter-exp', 'modified-after', o.filterExp, o.modifiedAfter],
    ['filter-exp', 'modified-before', o.filterExp, o.modifiedBefore],
    ['filter-exp', 'no-ttl-only', o.filterExp, o.noTtlOnly],
  ]);
  // Several sets are sent as a filter expression, which a user expression would replace.
  if (o.filterExp !== undefined && (o.set?.length ?? 0) > 1) throw new UsageError('--filter-exp cannot be combined with more than one --set');
  if (o.modifiedAfter && o.modifiedBefore && o.modifiedBefore <= o.modifiedAfter) {
    throw new UsageError('--modified-before must be later than --modified-after');
  }
  if (o.noRecords && o.noIndexes && o.noUdfs) throw new UsageError('--no-records, --no-indexes and --no-udfs together leave nothing to back up');
  narrowSelection({ sets: o.set, bins: o.binList, noBins: o.noBins, excludeSets: o.excludeSets, excludeBins: o.excludeBins });
  parseHostList(o.host, o.port); // the host syntax was checked alone; now with the real -p
}

/** validatePaths: an s3:// path of -d or -o must name a bucket (and for -o a key). */
function validatePaths(o: BackupOptions): void {
  if (o.directory !== undefined && isS3Url(o.directory)) parseS3Url(o.directory, 'prefix', '--directory');
  if (o.outputFile !== undefined && isS3Url(o.outputFile)) parseS3Url(o.outputFile, 'object', '--output-file');
}

/** validateBackupOptions: the cross-option rules; throws UsageError naming the options. */
export function validateBackupOptions(o: BackupOptions): void {
  exclusive([['no-config-file', 'only-config-file', o.noConfigFile, o.onlyConfigFile]]);
  validatePaths(o);
  if (o.removeArtifacts) {
    // Only the backup's place matters: no namespace, nothing read from the cluster.
    exclusive([['remove-artifacts', 'estimate', o.removeArtifacts, o.estimate]]);
    exclusive([['directory', 'output-file', o.directory, o.outputFile]]);
    if (o.directory === undefined && o.outputFile === undefined) throw new UsageError('--remove-artifacts needs --directory (-d) or --output-file (-o): what to remove');
    if (o.outputFile === '-') throw new UsageError('--remove-artifacts with --output-file - (stdout): there is no file to remove');
    return;
  }
  if (o.namespace === undefined) throw new UsageError('--namespace (-n) is required');
  const targets = (['directory', 'output-file', 'estimate'] as const).filter((k) => ({ directory: o.directory, 'output-file': o.outputFile, estimate: o.estimate })[k]);
  if (targets.length === 0) throw new UsageError('one of --directory (-d), --output-file (-o) or --estimate (-e) is required');
  if (targets.length > 1) throw new UsageError(`--${targets[0]} and --${targets[1]} are mutually exclusive`);
  exclusive([
    ['estimate', 'no-records', o.estimate, o.noRecords],
    ['estimate', 'remove-files', o.estimate, o.removeFiles],
    ['estimate', 'continue', o.estimate, o.continue],
    ['estimate', 'state-file-dst', o.estimate, o.stateFileDst],
    ['continue', 'remove-files', o.continue, o.removeFiles],
    ['output-file-prefix', 'output-file', o.outputFilePrefix, o.outputFile],
  ]);
  validateCodecOptions(o);
  validateSelection(o);
  // Only a local file or directory can be cut back and appended to.
  const place = o.directory ?? o.outputFile;
  for (const [opt, v] of [['--continue', o.continue], ['--state-file-dst', o.stateFileDst]] as const) {
    if (v === undefined || place === undefined) continue;
    if (place === '-') throw new UsageError(`${opt}: a backup to stdout (--output-file -) cannot be resumed; write it to a -d directory or an -o file to resume it`, v, 'STATE_STDOUT');
    if (isS3Url(place)) throw new UsageError(`${opt}: a backup to ${place} cannot be resumed (the uploads of a stopped run are aborted); resume works for local -d and -o paths`, v, 'STATE_STDOUT');
  }
}

/**
 * parseBackupArgs: resolveOptions over the asbackup table, then validateBackupOptions unless
 * -Z/--version was given (the caller prints usage/version and exits).
 */
export function parseBackupArgs(argv: readonly string[], config?: ConfigEnv): { options: BackupOptions; resolved: Resolved } {
  const resolved = resolveOptions(asbackupOptions, argv, 'asbackup', { config });
  const options = resolved.values as unknown as BackupOptions;
  if (!options.usage && !options.version) {
    validateBackupOptions(options);
    // -F splits the files of a directory; one file (-o) or an estimate has nothing to
    // split. Said when typed on the command line; a config file's value is a default that
    // only a directory backup uses.
    if (resolved.given.has('file-limit') && options.directory === undefined) {
      throw new UsageError(`--file-limit (-F) applies to --directory (-d) only: ${options.estimate ? 'an estimate writes no file' : '--output-file (-o) writes one file, whatever its size'}`);
    }
  }
  return { options, resolved };
}
