// What a backup is asked to do, as values: the programs fill these from their options
// (lib/cli/asbackup-options.ts, as-scan), tests write them by hand.
import type { HostAddress } from '../cluster/cluster.js';
import type { Codec } from '../codec/codec.js';
import type { S3Settings } from '../storage/options.js';

/** PartitionFilter: one --partition-list item: a range of partitions, or "after this digest". */
export type PartitionFilter = { begin: number; count: number } | { digest: Buffer };

/** SourceSettings: what is read from the cluster (shared by asbackup and as-scan). */
export interface SourceSettings {
  namespace: string;
  set?: string[];
  binList?: string[];
  /** No records (and no index definitions) of these sets. */
  excludeSets?: string[];
  /** No such bins in any record. */
  excludeBins?: string[];
  noBins: boolean;
  noRecords: boolean;
  noIndexes: boolean;
  noUdfs: boolean;
  /** Sample this percentage of the records (100 = all). */
  percent: number;
  modifiedAfter?: Date;
  modifiedBefore?: Date;
  noTtlOnly: boolean;
  /** 0 = all. */
  maxRecords: number;
  /** 0 = no limit. */
  recordsPerSecond: number;
  partitionList?: PartitionFilter[];
  afterDigest?: Buffer;
  /** A packed filter expression, base64. */
  filterExp?: string;
  nodeList?: HostAddress[];
  /** Scan each partition on a replica in the first of these racks that has one, else on the master. */
  preferRacks?: number[];
  /** Nodes scanned in parallel. */
  parallel: number;
  priority: number;
  /** Scan commands per node at once (undefined: as priority says). */
  scansPerNode?: number;
  noClusterChange: boolean;
  /** ms, 0 = none. */
  socketTimeout: number;
  /** ms, 0 = none. */
  totalTimeout: number;
  maxRetries: number;
  /** ms before each retry round of the scan (default 0). */
  sleepBetweenRetries?: number;
}

/** BackupSettings: a whole backup: the source, and where and how the files are written. */
export interface BackupSettings extends SourceSettings {
  /** One of directory or outputFile (`-` = stdout). */
  directory?: string;
  outputFile?: string;
  /** MiB per file in a directory. */
  fileLimit: number;
  outputFilePrefix?: string;
  removeFiles: boolean;
  compact: boolean;
  /** MiB/s, undefined = no limit. */
  nice?: number;
  encoderThreads: number;
  /** Records sampled by an estimate. */
  estimateSamples: number;
  /** How each file is stored: zstd, AES (default plain). The key is already derived. */
  codec?: Codec;
  /** The --s3-* options, for s3:// paths. */
  s3?: S3Settings;
  /** --continue: the state file of the interrupted backup to resume. */
  continue?: string;
  /** --state-file-dst: where the state file goes (default beside the backup). */
  stateFileDst?: string;
  /** --checkpoint-interval in KiB: -o's durable points (default 64 MiB). */
  checkpointInterval?: number;
}
