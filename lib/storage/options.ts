// The --s3-* option rows, with the official C tools' names, units and defaults
// (asbackup 4.x: backup_config.c; the same keys in astools.conf [asbackup]/[asrestore]).
// Credentials are deliberately not among them: they come only from the standard AWS chain
// (environment, shared config and credentials files, --s3-profile), never from argv.
import { UsageError } from '../errors.js';
import type { OptionGroup, OptionSpec } from '../cli/options.js';
import { intRange, nonEmpty } from '../cli/parse-values.js';

/** S3 limits, as the C tool and AWS define them. */
export const MiB = 1024 * 1024;
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PART_SIZE = 5 * 1024 * MiB;
export const S3_MAX_PARTS = 10000;
export const S3_MAX_OBJECT_SIZE = 5 * 1024 * 1024 * MiB;

/** The C tool's defaults (one object's uploads and reads are narrower: UPLOAD_AHEAD_PARTS below, READ_AHEAD_CHUNKS of s3-reader.ts). */
export const DEFAULT_MAX_ASYNC_UPLOADS = 16;
export const DEFAULT_MAX_ASYNC_DOWNLOADS = 32;
export const DEFAULT_CONNECT_TIMEOUT_MS = 1000;

/**
 * Parts one object keeps in flight. The C tool sends up to --s3-max-async-uploads (16) parts
 * of its one file at once: 80 MiB of parts, which alone breaks our flat-memory bound (a
 * 1 M-record backup to a local radosgw peaked at ~195 MiB with 16, ~143 MiB with 6, at the
 * same speed). Six 5 MiB parts keep ~300 MB/s going at ~50 MB/s a connection, more than a
 * backup makes; the run-wide bound still applies across the files written at once.
 */
export const UPLOAD_AHEAD_PARTS = 6;

/**
 * parseEndpoint: an endpoint URL; a bare `host:port` means http://, as in the C tool.
 * Only scheme, host and port: requests use path-style addressing below it.
 */
export function parseEndpoint(value: unknown, label: string): string {
  const text = nonEmpty(value, label);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`${label}: expected an endpoint such as http://127.0.0.1:7480 or host:port, got ${JSON.stringify(text)}`, text);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${label}: expected an http:// or https:// endpoint, got ${JSON.stringify(text)}`, text);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
    throw new UsageError(`${label}: expected only scheme, host and port (buckets go in the s3:// path), got ${JSON.stringify(text)}`, text);
  }
  return `${url.protocol}//${url.host}`;
}

const endpoint: OptionSpec = {
  long: 's3-endpoint-override', type: 'string', group: 'Other', arg: '<url>',
  describe: 'S3-compatible endpoint for s3:// paths, e.g. http://127.0.0.1:7480 (http:// when no scheme is given).', validate: parseEndpoint,
};
const region: OptionSpec = {
  long: 's3-region', type: 'string', group: 'Other', arg: '<region>',
  describe: 'Region of the bucket(s) (default: AWS_REGION or the profile\'s region; us-east-1 with --s3-endpoint-override).', validate: nonEmpty,
};
const profile: OptionSpec = {
  long: 's3-profile', type: 'string', group: 'Other', arg: '<name>',
  describe: 'Profile of the shared AWS config and credentials files for credentials (default: AWS_PROFILE, else "default").', validate: nonEmpty,
};
const minPartSize: OptionSpec = {
  long: 's3-min-part-size', type: 'number', group: 'Other', arg: '<MiB>',
  describe: 'Size of each S3 multipart upload part, 5..5120 MiB (default: 5, more when a file could need over 10000 parts).', validate: intRange(5, 5120),
};
const maxAsyncUploads: OptionSpec = {
  long: 's3-max-async-uploads', type: 'number', default: DEFAULT_MAX_ASYNC_UPLOADS, group: 'Other', arg: '<n>',
  describe: `Most S3 upload parts in flight at once over all files; one file sends at most ${UPLOAD_AHEAD_PARTS} (memory: about that many parts).`, validate: intRange(1),
};
const maxAsyncDownloads: OptionSpec = {
  long: 's3-max-async-downloads', type: 'number', default: DEFAULT_MAX_ASYNC_DOWNLOADS, group: 'Other', arg: '<n>',
  describe: 'Most S3 ranged downloads (5 MiB each) in flight at once.', validate: intRange(1),
};
const connectTimeout: OptionSpec = {
  long: 's3-connect-timeout', type: 'number', default: DEFAULT_CONNECT_TIMEOUT_MS, group: 'Other', arg: '<ms>',
  describe: 'Time limit to open a connection to the S3 endpoint in ms (0 = none).', validate: intRange(0),
};

const inGroup = (rows: OptionSpec[], group: OptionGroup): OptionSpec[] => rows.map((o) => ({ ...o, group }));

/** s3BackupOptions: the seven rows asbackup takes (and as-split-files, which writes). */
export function s3BackupOptions(group: OptionGroup = 'Output'): OptionSpec[] {
  return inGroup([endpoint, region, profile, minPartSize, maxAsyncUploads, maxAsyncDownloads, connectTimeout], group);
}

/** s3RestoreOptions: the rows of programs that only read (asrestore, as-decode-asb), as in the C asrestore. */
export function s3RestoreOptions(group: OptionGroup = 'Input'): OptionSpec[] {
  return inGroup([endpoint, region, profile, maxAsyncDownloads, connectTimeout], group);
}

/** S3OptionValues: the parsed rows by camelCase key, as parseArgs/resolveOptions give them. */
export interface S3OptionValues {
  s3EndpointOverride?: string;
  s3Region?: string;
  s3Profile?: string;
  s3MinPartSize?: number;
  s3MaxAsyncUploads?: number;
  s3MaxAsyncDownloads?: number;
  s3ConnectTimeout?: number;
}

/** S3Settings: what S3Store.open takes; sizes in bytes. */
export interface S3Settings {
  endpoint?: string;
  region?: string;
  profile?: string;
  /** Bytes; undefined = automatic (5 MiB, more for objects that may exceed 10000 parts). */
  minPartSize?: number;
  maxAsyncUploads: number;
  maxAsyncDownloads: number;
  /** 0 = none. */
  connectTimeoutMs: number;
}

/** s3Settings: option values (defaults applied or not) turned into S3Settings. */
export function s3Settings(v: S3OptionValues): S3Settings {
  return {
    endpoint: v.s3EndpointOverride,
    region: v.s3Region,
    profile: v.s3Profile,
    minPartSize: v.s3MinPartSize === undefined ? undefined : v.s3MinPartSize * MiB,
    maxAsyncUploads: v.s3MaxAsyncUploads ?? DEFAULT_MAX_ASYNC_UPLOADS,
    maxAsyncDownloads: v.s3MaxAsyncDownloads ?? DEFAULT_MAX_ASYNC_DOWNLOADS,
    connectTimeoutMs: v.s3ConnectTimeout ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
}
