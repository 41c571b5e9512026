// What a restore is asked to do, as values: the programs fill these from their options
// (lib/cli/asrestore-options.ts, as-write), tests write them by hand.
import type { Codec } from '../codec/codec.js';
import type { S3Settings } from '../storage/options.js';

/** NamespaceMapping: asrestore `-n src` (target = source) or `-n src,dst`. */
export interface NamespaceMapping {
  source: string;
  target: string;
}

/** RestoreNice: asrestore `-N <MiB/s>,<TPS>`; 0 means "no limit" for that half. */
export interface RestoreNice {
  bandwidth: number;
  tps: number;
}

/** WritePolicySettings: how records are written (asrestore and as-write). */
export interface WritePolicySettings {
  unique: boolean;
  replace: boolean;
  noGeneration: boolean;
  /** Seconds added to the TTL of every expiring record. */
  extraTtl: number;
  ignoreRecordError: boolean;
  maxRetries: number;
  /** µs: the backoff scale of write retries (default 150000, as the C asrestore). */
  retryScaleFactor?: number;
  /** ms, 0 = none. */
  socketTimeout: number;
  /** ms, 0 = none. */
  totalTimeout: number;
  /** Parallel writers: scales the connections per node of puts. */
  parallel: number;
  /** Puts even where batch writes are possible. */
  disableBatchWrites?: boolean;
  /** Records per batch command (default 128), or per group of puts (default 16). */
  batchSize?: number;
  /** Batch commands (or groups of puts) in flight (default 32). */
  maxAsyncBatches?: number;
  /** ms a write whose partition lost its master waits for the cluster to re-form (default 10000). */
  partitionWait?: number;
}

/** RestoreSettings: a whole restore (or --validate). */
export interface RestoreSettings extends WritePolicySettings {
  /** One of directory, inputFile (`-` = stdin) or directoryList. */
  directory?: string;
  inputFile?: string;
  /** Several directories, restored one after the other. */
  directoryList?: string[];
  /** Where the directoryList entries are (default: as written). */
  parentDirectory?: string;
  /** Read and check only; connect to nothing. */
  validate: boolean;
  namespace?: NamespaceMapping;
  setList?: string[];
  binList?: string[];
  /** No records and no index definitions of these sets. */
  excludeSets?: string[];
  /** No such bins in any record. */
  excludeBins?: string[];
  noRecords: boolean;
  noIndexes: boolean;
  noUdfs: boolean;
  indexesLast: boolean;
  /** Wait for indexes to be built and UDFs to be everywhere. */
  wait: boolean;
  nice?: RestoreNice;
  /** ms for info, index and UDF commands. */
  timeout: number;
  /** How the files are stored: zstd, AES (default plain). The key is already derived. */
  codec?: Codec;
  /** The --s3-* options, for s3:// paths. */
  s3?: S3Settings;
}
