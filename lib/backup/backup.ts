// A whole backup: scan -> filter -> encode-asb -> throttle -> files, composed in one process.
// The programs (lib/cli/asbackup.ts) parse options and print; this runs the backup and
// can be called in-process, as restore() can.
import type { Writable } from 'node:stream';
import type { Cluster } from '../cluster/cluster.js';
import { silentLogger, type Logger, type ProgressSink } from '../log.js';
import { throttle } from '../stages/throttle.js';
import { batchBytes, writeDirectory, writeSingleFile, type AsbBatch, type Removed, type WriteResult, type WriteRoom } from '../stages/files.js';
import { openDestination, removeDestination, type Destination, type DestinationSettings } from '../stages/destination.js';
import type { StreamTail } from '../stages/output.js';
import { EncodePool } from '../stages/encode-pool.js';
import { startHashThread } from '../stages/file-hash.js';
import { connectUnlessStopped, untilStopped } from '../stages/stop.js';
import { encodeBatches } from './encode.js';
import { backupSource, estimateRecordSize, type EstimateResult } from './source.js';
import type { BackupSettings } from './settings.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { manifestPathOf, removeIfThere, statePathOf } from './state.js';
import { AsError, UsageError } from '../errors.js';
import { plannedPartitions } from '../cluster/scan.js';
import { localDirectory } from '../stages/output.js';
import { DEFAULT_CHECKPOINT_KIB, Journal, dropUnlisted, isResumable, planResume, reopenFile, type GoingOn, type ResumePlan } from './resume.js';

const MiB = 1024 * 1024;

/** Summary: what a backup did. */
export interface BackupSummary {
  /** A resumed backup: what all its runs wrote. */
  records: number;
  indexes: number;
  udfs: number;
  bytes: number;
  /** Bytes stored: the files' size after compression and encryption (= bytes when plain). */
  stored: number;
  files: string[];
  seconds: number;
  /** Runs of a resumable backup (2 and more: resumed). */
  runs?: number;
  /** --continue of a backup that had finished: nothing was done. */
  alreadyComplete?: boolean;
  /** Where the manifest of a finished backup was written. */
  manifest?: string;
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

/**
 * The summary of what was written before a failure, and the state file that resumes it,
 * attached to the error a backup fails with.
 */
export type WithBackupSummary = Error & { summary?: BackupSummary; stateFile?: string };

/**
 * backup: runs a whole backup as the settings say; throws on any failure, with the summary
 * of what was written before attached as `summary` once writing had begun.
 */
export async function backup(s: BackupSettings, ctx: BackupContext): Promise<BackupSummary> {
  const log = ctx.log ?? silentLogger;
  const started = performance.now();
  if ((s.continue !== undefined || s.stateFileDst !== undefined) && !isResumable(s)) {
    const opt = s.continue !== undefined ? '--continue' : '--state-file-dst';
    throw new UsageError(`${opt}: a backup to ${s.outputFile === '-' ? 'stdout' : s.directory ?? s.outputFile} cannot be resumed (only one to a local -d directory or -o file)`, s.directory ?? s.outputFile, 'STATE_STDOUT');
  }
  // --continue: the state file and the files it lists are checked before anything else.
  let plan: GoingOn | undefined;
  if (s.continue !== undefined) {
    const found: ResumePlan = await planResume(s, log);
    if (found.complete) {
      log.info(`The backup was already complete (${found.manifestPath}); nothing to do`);
      const c = found.manifest.counters;
      return {
        records: c.records, indexes: c.indexes, udfs: c.udfs, bytes: c.bytes, stored: c.stored, files: found.manifest.files.map((f) => f.name),
        seconds: 0, runs: found.manifest.runs, alreadyComplete: true, manifest: found.manifestPath,
      };
    }
    plan = found;
    log.info(`Resuming the backup from ${s.continue} (run ${plan.journal.doc.runs}): ${plan.state.counters.records} record(s) in ${plan.state.files.length} durable file(s)`);
  }
  // Cheap refusals first, before any connection is made (for S3 also the first request:
  // a wrong endpoint, credentials or bucket end the run here).
  const dest: Destination | undefined = s.outputFile === '-' ? undefined : plan !== undefined ? resumedDestination(s, plan, log) : await openDestination(destinationOf(s), log.info);
  try {
    return await backupTo(dest, s, ctx, log, started, plan);
  } catch (e) {
    // Every upload still open is aborted: nothing of a failed backup appears in S3.
    await dest?.abandon();
    throw e;
  } finally {
    dest?.close();
  }
}

/**
 * resumedDestination: the place of a resumed backup: nothing to refuse (it holds the
 * interrupted run's files); made ready by dropping what followed the last durable point.
 */
function resumedDestination(s: BackupSettings, plan: GoingOn, log: Logger): Destination {
  const nothing = async (): Promise<void> => undefined;
  const dir = s.directory;
  return {
    name: dir ?? s.outputFile!,
    s3: false,
    check: nothing,
    prepare: async () => {
      if (dir !== undefined) dropUnlisted(dir, s.outputFilePrefix ?? s.namespace, plan.state, log);
    },
    place: dir !== undefined ? localDirectory(dir) : undefined,
    abandon: nothing,
    close: () => undefined,
  };
}

async function backupTo(dest: Destination | undefined, s: BackupSettings, ctx: BackupContext, log: Logger, started: number, plan?: GoingOn): Promise<BackupSummary> {
  try {
    await dest?.check();
  } catch (e) {
    // An interrupted backup in the way: say how to go on with it.
    const state = isResumable(s) && plan === undefined ? statePathOf(s, s.stateFileDst) : undefined;
    if (e instanceof AsError && e.code === 'OUTPUT_EXISTS' && state !== undefined && existsSync(state)) {
      throw new UsageError(`${e.message}, or resume the interrupted backup with --continue ${state}`, e.value, 'OUTPUT_EXISTS');
    }
    throw e;
  }
  // The encoder threads load while the cluster connects, as does the hashing thread of the
  // files of a resumable backup (their state records each file's SHA-256).
  const pool = s.encoderThreads > 0 ? new EncodePool(s.encoderThreads, s.compact) : undefined;
  if (isResumable(s)) startHashThread();
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
    const before = plan?.state.counters;
    const resume = plan === undefined ? undefined : {
      ...plan.journal.progress.unfinished(), maxRecords: s.maxRecords > 0 ? s.maxRecords - before!.records : 0, metadataWritten: plan.state.metadata,
    };
    const source = await backupSource(cluster, s, log, { wire: true, resume });
    await dest?.prepare(log.info);
    // The journal starts once the place is ready; from here a stop can be resumed.
    const journal = plan?.journal ?? (isResumable(s) ? Journal.fresh(s, source.scan ? plannedPartitions(source.scan) : { partitions: [], resume: new Map() }) : undefined);
    const resumed = plan !== undefined && s.outputFile !== undefined ? await reopenFile(s, plan, log) : undefined;
    // A fresh backup replaces the manifest of any earlier one in its place.
    if (plan === undefined && journal !== undefined) removeIfThere(manifestPathOf(s));
    journal?.write();
    ctx.progress?.expect(source.expectedRecords);
    if (before !== undefined) ctx.progress?.add(before.records, before.bytes);
    const counts = { indexes: before?.indexes ?? 0, udfs: before?.udfs ?? 0 };
    let records = before?.records ?? 0;
    const onBatch = (n: number, bytes: number): void => {
      records += n;
      ctx.progress?.add(n, bytes);
    };
    const writeRoom: WriteRoom = {};
    let chunks: AsyncIterable<AsbBatch> = encodeBatches(untilStopped(source.items, ctx.signal), s.compact, counts, pool, onBatch, journal !== undefined, writeRoom);
    if (s.nice) chunks = throttle(chunks, batchBytes, { bytesPerSecond: s.nice * MiB });
    const written: WriteResult = before === undefined ? { files: [], bytes: 0, records: 0, stored: undefined } : {
      files: s.directory !== undefined ? plan!.state.files.map((f) => join(s.directory!, f.name)) : [], bytes: before.bytes, records: before.records, stored: before.stored,
    };
    const summary = (): BackupSummary => ({
      records: written.records, indexes: counts.indexes, udfs: counts.udfs, bytes: written.bytes, stored: written.stored ?? written.bytes,
      files: written.files, seconds: (performance.now() - started) / 1000, runs: journal?.doc.runs,
    });
    const checkpoints = journal?.checkpoints(counts, (s.checkpointInterval ?? DEFAULT_CHECKPOINT_KIB) * 1024, s.directory !== undefined);
    try {
      if (s.directory !== undefined) {
        await writeDirectory(chunks, {
          place: dest!.place, namespace: s.namespace, fileLimit: s.fileLimit * MiB, prefix: s.outputFilePrefix, codec: s.codec,
          onFile: (f) => log.verbose(`Opened ${f}`), result: written, checkpoints, closed: plan?.state.files.map((f) => f.name), writeRoom,
        });
      } else {
        await writeSingleFile(chunks, {
          path: s.outputFile!, target: await dest?.target?.(), namespace: s.namespace, codec: s.codec, stdout: ctx.stdout, tail: ctx.stdoutTail, result: written,
          checkpoints, resumed, writeRoom,
        });
      }
    } catch (e) {
      if (e instanceof Error) {
        (e as WithBackupSummary).summary = summary();
        if (journal !== undefined && existsSync(journal.path)) (e as WithBackupSummary).stateFile = journal.path;
      }
      throw e;
    } finally {
      source.close();
    }
    const manifest = journal?.finish(s);
    return { ...summary(), records, manifest };
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
