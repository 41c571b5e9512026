// A whole backup: scan -> filter -> encode-asb -> throttle -> files, composed in one process.
// The programs (lib/cli/asbackup.ts) parse options and print; this runs the backup and
// can be called in-process, as restore() can.
import type { Writable } from 'node:stream';
import type { Cluster } from '../cluster/cluster.js';
import { silentLogger, type Logger, type ProgressSink } from '../log.js';
import { throttle } from '../stages/throttle.js';
import { batchBytes, writeDirectory, writeSingleFile, type AsbBatch, type Removed, type WriteResult } from '../stages/files.js';
import { openDestination, removeDestination, type Destination, type DestinationSettings } from '../stages/destination.js';
import type { StreamTail } from '../stages/output.js';
import { EncodePool } from '../stages/encode-pool.js';
import { connectUnlessStopped, untilStopped } from '../stages/stop.js';
import { encodeBatches } from './encode.js';
import { backupSource, estimateRecordSize, type EstimateResult } from './source.js';
import type { BackupSettings } from './settings.js';

const MiB = 1024 * 1024;

/** Summary: what a backup did. */
export interface BackupSummary {
  records: number;
  indexes: number;
  udfs: number;
  bytes: number;
  /** Bytes stored: the files' size after compression and encryption (= bytes when plain). */
  stored: number;
  files: string[];
  seconds: number;
}

/** BackupContext: how a backup reaches the cluster and where it reports. */
export interface BackupContext {
  /** Connects to the cluster (called once, after the cheap checks). */
  connect(): Promise<Cluster>;
  log?: Logger;
  progress?: ProgressSink;
  /** Where `-o -` writes (default process.stdout). */
  stdout?: Writable;
  /** Stops the backup (SIGINT/SIGTERM): it then fails with the signal's reason. */
  signal?: AbortSignal;
  /** `-o -` compressed or encrypted: where the abort line learns the stream's codec. */
  stdoutTail?: StreamTail;
}

/** destinationOf: where a backup's files go, from its settings. */
function destinationOf(s: BackupSettings): DestinationSettings {
  return {
    directory: s.directory, outputFile: s.outputFile, removeFiles: s.removeFiles, outputFilePrefix: s.outputFilePrefix,
    fileLimit: s.directory !== undefined ? s.fileLimit * MiB : undefined, s3: s.s3,
  };
}

/** The summary of what was written before a failure, attached to the error a backup fails with. */
export type WithBackupSummary = Error & { summary?: BackupSummary };

/**
 * backup: runs a whole backup as the settings say; throws on any failure, with the summary
 * of what was written before attached as `summary` once writing had begun.
 */
export async function backup(s: BackupSettings, ctx: BackupContext): Promise<BackupSummary> {
  const log = ctx.log ?? silentLogger;
  const started = performance.now();
  // Cheap refusals first, before any connection is made (for S3 also the first request:
  // a wrong endpoint, credentials or bucket end the run here).
  const dest: Destination | undefined = s.outputFile === '-' ? undefined : await openDestination(destinationOf(s), log.info);
  try {
    return await backupTo(dest, s, ctx, log, started);
  } catch (e) {
    // Every upload still open is aborted: nothing of a failed backup appears in S3.
    await dest?.abandon();
    throw e;
  } finally {
    dest?.close();
  }
}

async function backupTo(dest: Destination | undefined, s: BackupSettings, ctx: BackupContext, log: Logger, started: number): Promise<BackupSummary> {
  await dest?.check();
  // The encoder threads load while the cluster connects.
  const pool = s.encoderThreads > 0 ? new EncodePool(s.encoderThreads, s.compact) : undefined;
  let cluster: Cluster;
  try {
    cluster = await connectUnlessStopped(() => ctx.connect(), ctx.signal);
  } catch (e) {
    await pool?.close();
    throw e;
  }
  try {
    log.info(`Processing ${cluster.nodes.length} node(s)`);
    // Records stay in wire form from socket to file: the server applies the selection, and
    // the source leaves out the index definitions of other sets. (Excluded bins without a
    // -B to narrow are the exception: the source drops them from records as objects.)
    const source = await backupSource(cluster, s, log, { wire: true });
    await dest?.prepare(log.info);
    ctx.progress?.expect(source.expectedRecords);
    const counts = { indexes: 0, udfs: 0 };
    let records = 0;
    const onBatch = (n: number, bytes: number): void => {
      records += n;
      ctx.progress?.add(n, bytes);
    };
    let chunks: AsyncIterable<AsbBatch> = encodeBatches(untilStopped(source.items, ctx.signal), s.compact, counts, pool, onBatch);
    if (s.nice) chunks = throttle(chunks, batchBytes, { bytesPerSecond: s.nice * MiB });
    const written: WriteResult = { files: [], bytes: 0, records: 0 };
    const summary = (): BackupSummary => ({
      records: written.records, indexes: counts.indexes, udfs: counts.udfs, bytes: written.bytes, stored: written.stored ?? written.bytes,
      files: written.files, seconds: (performance.now() - started) / 1000,
    });
    try {
      if (s.directory !== undefined) {
        await writeDirectory(chunks, {
          place: dest!.place, namespace: s.namespace, fileLimit: s.fileLimit * MiB, prefix: s.outputFilePrefix, codec: s.codec,
          onFile: (f) => log.verbose(`Opened ${f}`), result: written,
        });
      } else {
        await writeSingleFile(chunks, { path: s.outputFile!, target: await dest?.target?.(), namespace: s.namespace, codec: s.codec, stdout: ctx.stdout, tail: ctx.stdoutTail, result: written });
      }
    } catch (e) {
      if (e instanceof Error) (e as WithBackupSummary).summary = summary();
      throw e;
    } finally {
      source.close();
    }
    return { ...summary(), records };
  } finally {
    cluster.close();
    await pool?.close();
  }
}

/**
 * removeArtifacts: takes away what a backup to these settings leaves (--remove-artifacts):
 * the output file, or the .asb files of the directory and then the directory if it is
 * empty; in S3 the objects and their unfinished uploads. Connects to no cluster.
 */
export function removeArtifacts(s: Pick<BackupSettings, 'directory' | 'outputFile' | 'outputFilePrefix' | 's3'>, log?: Logger): Promise<Removed> {
  return removeDestination({ ...s, removeFiles: true }, log?.info);
}

/** Estimate: the size a backup would have, from a sample of its records. */
export type Estimate = EstimateResult;

/** estimate: samples records and estimates the size of the backup (-e). */
export async function estimate(s: BackupSettings, ctx: BackupContext): Promise<Estimate> {
  const cluster = await ctx.connect();
  try {
    return await estimateRecordSize(cluster, s, ctx.log ?? silentLogger);
  } finally {
    cluster.close();
  }
}
