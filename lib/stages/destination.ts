// Where a backup goes: a local directory or file, stdout, or (lib/storage/s3-output.ts)
// an S3 prefix or object. One shape for all, so asbackup and as-split-files make the same
// checks at the same moments: the cheap refusals before anything starts (a backup already
// there without -r; for S3 also a wrong endpoint, credentials or bucket), the clearing (-r)
// and creating once the run is under way, and the clean-up of a failed run. The S3 half is
// loaded only for s3:// paths: the AWS SDK costs every process that imports it ~45 MiB.
import { isS3Url } from '../storage/s3-url.js';
import type { S3Settings } from '../storage/options.js';
import { checkDirectory, prepareDirectory, prepareOutputFile, removeBackupFiles, removeOutputFile, type Removed } from './files.js';
import { localDirectory, type DirectoryPlace, type Target } from './output.js';

/** DestinationSettings: where the files go and what may be replaced. */
export interface DestinationSettings {
  /** -d: a local directory or `s3://bucket/prefix`. */
  directory?: string;
  /** -o: a local file or `s3://bucket/key` (`-`, stdout, needs no destination). */
  outputFile?: string;
  removeFiles: boolean;
  /**
   * --output-file-prefix: the files of this backup are `<prefix>_NNNNN.asb`, and only
   * those are refused or cleared (-r), so slices of one backup share a directory.
   */
  outputFilePrefix?: string;
  /** -F in bytes: the most a file holds (sizes S3 upload parts). */
  fileLimit?: number;
  /** The --s3-* options, for s3:// paths. */
  s3?: S3Settings;
}

/** Destination: one backup's place (see the top of this file for when each step runs). */
export interface Destination {
  /** The directory or file, for messages. */
  readonly name: string;
  /** Whether its files are S3 objects (they appear whole or not at all). */
  readonly s3: boolean;
  /** Refusals that need nothing from the cluster: called before connecting. */
  check(): Promise<void>;
  /** Makes it ready to write: -r clears the old backup, a missing directory is created. */
  prepare(log?: (line: string) => void): Promise<void>;
  /** -d: where the files go. */
  readonly place?: DirectoryPlace;
  /** -o to S3: the object's target (a local file is opened by the sink itself). */
  target?(): Promise<Target>;
  /** After a failure or a signal: ends what is still open (S3 uploads); never throws. */
  abandon(): Promise<void>;
  /** Releases what it holds (the S3 client). */
  close(): void;
}

/**
 * openDestination: the destination of `-d` or `-o` (not `-`). For an s3:// path this opens
 * the run's S3 client, with its retries reported to `log`.
 */
export async function openDestination(s: DestinationSettings, log?: (line: string) => void): Promise<Destination> {
  const path = s.directory ?? s.outputFile!;
  if (isS3Url(path)) return (await import('../storage/s3-output.js')).openS3Destination(s, log);
  const nothing = async (): Promise<void> => undefined;
  if (s.directory !== undefined) {
    const dir = s.directory;
    return {
      name: dir,
      s3: false,
      check: async () => {
        checkDirectory(dir, s.removeFiles, s.outputFilePrefix);
      },
      prepare: async (l) => prepareDirectory(dir, s.removeFiles, l, s.outputFilePrefix),
      place: localDirectory(dir),
      abandon: nothing,
      close: () => undefined,
    };
  }
  return {
    name: path,
    s3: false,
    check: async () => prepareOutputFile(path, s.removeFiles),
    prepare: nothing,
    abandon: nothing,
    close: () => undefined,
  };
}

/**
 * removeDestination: --remove-artifacts: the output file, or the .asb files of the
 * directory and then the directory if it is empty; for S3 the objects and unfinished
 * uploads. Connects to no cluster.
 */
export async function removeDestination(s: DestinationSettings, log?: (line: string) => void): Promise<Removed> {
  const path = s.directory ?? s.outputFile;
  if (path !== undefined && isS3Url(path)) return (await import('../storage/s3-output.js')).removeS3Artifacts(s, log);
  if (s.directory !== undefined) return removeBackupFiles(s.directory, s.outputFilePrefix);
  if (s.outputFile !== undefined && s.outputFile !== '-') return removeOutputFile(s.outputFile);
  return { files: [], directory: false };
}
