// asrestore's option table. The seed page documents only asbackup, so asrestore keeps the
// letters of the C asrestore (-t parallel, -w wait, -L indexes-last, -F no-udfs, -u unique,
// -r replace, -g no-generation, -N bandwidth,tps, -T timeout) plus the shared connection,
// TLS and config-file options.
import type { RestoreSettings } from '../restore/settings.js';
import { narrowSelection } from '../stages/filter.js';
import { UsageError } from '../errors.js';
import { resolveOptions, type ConfigEnv, type Resolved } from './config.js';
import { configFileOptions, connectionOptions, generalOptions, timeoutOptions, type ConnectionValues } from './connection-options.js';
import { exclusive, type OptionSpec, type OptionTable } from './options.js';
import { binList, intRange, nonEmpty, parseHostList, parseNameList, parseNamespaceMapping, parseRestoreNice, setList } from './parse-values.js';
import { codecReadOptions, validateCodecOptions, type CodecValues } from '../codec/options.js';
import { s3RestoreOptions, type S3OptionValues } from '../storage/options.js';
import { isS3Url, parseS3Url } from '../storage/s3-url.js';

/** writePolicyOptions: how records are written, shared by asrestore and as-write (letters of the C asrestore). */
export const writePolicyOptions: readonly OptionSpec[] = [
  { long: 'unique', short: 'u', type: 'boolean', group: 'Data selection', describe: 'Only create records; existing records are left untouched.' },
  { long: 'replace', short: 'r', type: 'boolean', group: 'Data selection', describe: 'Replace existing records entirely instead of updating their bins.' },
  { long: 'no-generation', short: 'g', type: 'boolean', group: 'Data selection', describe: 'Write even if the record\'s generation on the server is newer.' },
  { long: 'ignore-record-error', type: 'boolean', group: 'Data selection', describe: 'Count and skip records the server rejects instead of stopping.' },
  { long: 'extra-ttl', type: 'number', default: 0, group: 'Data selection', arg: '<seconds>', describe: 'Add this to the TTL of every expiring record.', validate: intRange(0, 2 ** 31 - 1) },
  { long: 'wait', short: 'w', type: 'boolean', group: 'Other', describe: 'Wait for secondary indexes to be built and UDFs to be everywhere.' },
  { long: 'parallel', short: 't', type: 'number', default: 20, group: 'Other', arg: '<n>', describe: 'Number of parallel writers: with puts, one connection per node for each 10 (the writes in flight are --batch-size x --max-async-batches).', validate: intRange(1, 4096) },
  {
    long: 'retry-scale-factor', type: 'number', default: 150000, group: 'Other', arg: '<us>',
    describe: 'Backoff of write retries, in microseconds: the first retry at once, then 1, 2, 4, ... times this.', validate: intRange(0),
  },
  {
    long: 'disable-batch-writes', type: 'boolean', group: 'Other',
    describe: 'Write records one by one (puts), even when every node takes batch writes (server 6.0 or later with batch-index-threads above 0, which is otherwise used).',
  },
  {
    long: 'batch-size', type: 'number', group: 'Other', arg: '<n>',
    describe: 'Records per batch write command (default 128); with puts, records per group of puts (default 16).', validate: intRange(1, 5000),
  },
  {
    long: 'max-async-batches', type: 'number', default: 32, group: 'Other', arg: '<n>',
    describe: 'Batch write commands in flight over the whole cluster; with puts, groups of --batch-size puts in flight.', validate: intRange(1, 4096),
  },
  {
    long: 'partition-wait', type: 'number', default: 10000, group: 'Other', arg: '<ms>',
    describe: 'How long a write waits for the cluster to re-form when its partition\'s node left (a real cluster takes about 1.5 s, its heartbeat timeout); waiting uses up no --max-retries. 0: stop at once.',
    validate: intRange(0, 3_600_000),
  },
];

const restoreOnly: OptionSpec[] = [
  // Input
  { long: 'directory', short: 'd', type: 'string', group: 'Input', arg: '<path>', describe: 'Restore every .asb file of this directory.', validate: nonEmpty },
  { long: 'input-file', short: 'i', type: 'string', group: 'Input', arg: '<path>', describe: 'Restore this single backup file; - means stdin.', validate: nonEmpty },
  {
    long: 'directory-list', type: 'string', group: 'Input', arg: '<dir>[,<dir>...]',
    describe: 'Restore the .asb files of several directories in one run, one directory after the other (excludes -d and -i); quote a name containing a comma: \'a,b\'.',
    validate: (v: string, l: string) => parseNameList(v, l),
  },
  { long: 'parent-directory', type: 'string', group: 'Input', arg: '<dir>', describe: 'The directory that holds the --directory-list directories.', validate: nonEmpty },
  { long: 'validate', type: 'boolean', group: 'Input', describe: 'Only read and check the backup files; connect to nothing.' },
  ...codecReadOptions,
  ...s3RestoreOptions('Input'),
  // Data selection and write policy
  {
    long: 'namespace', short: 'n', type: 'string', group: 'Data selection', arg: '<ns>|<source>,<target>',
    describe: 'Accept only records of <ns>, or restore namespace <source> into <target>.', validate: parseNamespaceMapping,
  },
  { long: 'set-list', short: 's', aliases: ['set'], type: 'string', group: 'Data selection', arg: '<set>[,<set>...]', describe: 'Restore only these sets (default: all).', validate: setList },
  { long: 'bin-list', short: 'B', type: 'string', group: 'Data selection', arg: '<bin>[,<bin>...]', describe: 'Restore only these bins (default: all).', validate: binList },
  {
    long: 'exclude-sets', type: 'string', group: 'Data selection', arg: '<set>[,<set>...]',
    describe: 'Restore no records and no index definitions of these sets (counted as skipped, as records of sets not in --set-list).', validate: setList,
  },
  { long: 'exclude-bins', type: 'string', group: 'Data selection', arg: '<bin>[,<bin>...]', describe: 'Leave these bins out of every record restored (a record left without bins is skipped).', validate: binList },
  { long: 'no-records', short: 'R', type: 'boolean', group: 'Data selection', describe: 'Restore no records.' },
  { long: 'no-indexes', short: 'I', type: 'boolean', group: 'Data selection', describe: 'Restore no secondary indexes.' },
  { long: 'no-udfs', short: 'F', type: 'boolean', group: 'Data selection', describe: 'Restore no UDF modules.' },
  ...writePolicyOptions,
  // Other
  { long: 'indexes-last', short: 'L', type: 'boolean', group: 'Other', describe: 'Create secondary indexes after all records are restored.' },
  { long: 'nice', short: 'N', type: 'string', group: 'Other', arg: '<MiB/s>,<TPS>', describe: 'Limit read bandwidth and writes per second (0 = no limit for that one).', validate: parseRestoreNice },
  {
    long: 'machine', short: 'm', type: 'string', group: 'Other', arg: '<path>',
    describe: 'Append machine-readable status lines to this file, in the official tools\' formats: PROGRESS:<pct> and REMAINING:<eta> about every second (from the bytes of all files), then, only when writes were re-sent after their answer was lost, IN_DOUBT:<in-doubt>:<re-sent> (not in the official tools: the records sent again, and those of them then found already written), and SUMMARY:<udfs>:<indexes>:<records>:<expired>:<skipped>:<ignored> :<inserted>:<existed>:<fresher>.',
    validate: nonEmpty,
  },
  { long: 'timeout', short: 'T', type: 'number', default: 10000, group: 'Other', arg: '<ms>', describe: 'Time a seed host has to answer, and timeout of info, index and UDF commands (0 = 10 s).', validate: intRange(0) },
  ...timeoutOptions('each write'),
  {
    long: 'sleep-between-retries', aliases: ['retry-delay'], type: 'number', group: 'Other', arg: '<ms>',
    describe: 'Accepted for scripts written for the C asrestore, where it is deprecated and has no effect (a warning says so); use --retry-scale-factor.', validate: intRange(0),
  },
];

/** asrestoreOptions: the complete table, in usage-text order. */
export const asrestoreOptions: OptionTable = [...connectionOptions, ...restoreOnly, ...configFileOptions, ...generalOptions];

/** asrestoreSynopsis: first line(s) of the usage text. */
export const asrestoreSynopsis = ['(-d <dir> | -i <file> | --directory-list <dir>,<dir>...) [options]'];

/** RestoreOptions: asrestore's resolved options (camelCase of the long names), values parsed. */
export interface RestoreOptions extends ConnectionValues, RestoreSettings, CodecValues, S3OptionValues {
  /** -m: the machine-readable status file. */
  machine?: string;
  /** Accepted and ignored, as the C asrestore does (with a warning). */
  sleepBetweenRetries?: number;
}

/**
 * validateRestoreOptions: the cross-option rules; throws UsageError naming the options.
 * -u excludes -r and -g; -r with -g is allowed (replace, ignoring generation), as in C.
 */
export function validateRestoreOptions(o: RestoreOptions): void {
  exclusive([['no-config-file', 'only-config-file', o.noConfigFile, o.onlyConfigFile]]);
  if (o.directory === undefined && o.inputFile === undefined && o.directoryList === undefined) {
    throw new UsageError('one of --directory (-d), --input-file (-i) or --directory-list is required');
  }
  exclusive([
    ['directory', 'input-file', o.directory, o.inputFile],
    ['directory', 'directory-list', o.directory, o.directoryList],
    ['input-file', 'directory-list', o.inputFile, o.directoryList],
    ['unique', 'replace', o.unique, o.replace],
    ['unique', 'no-generation', o.unique, o.noGeneration],
  ]);
  if (o.parentDirectory !== undefined && o.directoryList === undefined) throw new UsageError('--parent-directory needs --directory-list');
  if (o.directory !== undefined && isS3Url(o.directory)) parseS3Url(o.directory, 'prefix', '--directory');
  if (o.inputFile !== undefined && isS3Url(o.inputFile)) parseS3Url(o.inputFile, 'object', '--input-file');
  if (o.parentDirectory !== undefined && isS3Url(o.parentDirectory)) parseS3Url(o.parentDirectory, 'prefix', '--parent-directory');
  for (const d of o.parentDirectory === undefined ? o.directoryList ?? [] : []) if (isS3Url(d)) parseS3Url(d, 'prefix', '--directory-list');
  validateCodecOptions(o);
  narrowSelection({ sets: o.setList, bins: o.binList, excludeSets: o.excludeSets, excludeBins: o.excludeBins });
  if (o.noRecords && o.noIndexes && o.noUdfs) throw new UsageError('--no-records, --no-indexes and --no-udfs together leave nothing to restore');
  if (!o.validate) parseHostList(o.host, o.port);
}

/**
 * parseRestoreArgs: resolveOptions over the asrestore table, then validateRestoreOptions
 * unless -Z/--version was given (the caller prints usage/version and exits).
 */
export function parseRestoreArgs(argv: readonly string[], config?: ConfigEnv): { options: RestoreOptions; resolved: Resolved } {
  const resolved = resolveOptions(asrestoreOptions, argv, 'asrestore', { config });
  const options = resolved.values as unknown as RestoreOptions;
  if (!options.usage && !options.version) validateRestoreOptions(options);
  return { options, resolved };
}

