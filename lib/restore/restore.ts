// A whole restore: decode-asb -> filter -> (throttle) -> write, composed in one process.
// Indexes and UDFs are applied where they appear (before the records of the first file)
// or, with -L, after all records. The programs (lib/cli/asrestore.ts) parse options and
// print; this runs the restore and can be called in-process.
import type { Cluster } from '../cluster/cluster.js';
import { basename, join } from 'node:path';
import { AsError, ServerError, UsageError } from '../errors.js';
import { silentLogger, type Logger, type ProgressSink } from '../log.js';
import { throttle } from '../stages/throttle.js';
import { filtersBins } from '../stages/filter.js';
import { connectUnlessStopped, untilStopped } from '../stages/stop.js';
import type { OpsRecordItem, SindexItem, StreamItem } from '../records/types.js';
import { openBackupSource, readBackupFiles, checkHeaders, totalSize, type BackupSource, type SourceBatch, type SourcePaths } from './source.js';
import { checkManifest, manifestsBeside } from '../backup/state.js';
import { isPlain, PLAIN } from '../codec/codec.js';
import { isS3Url } from '../storage/s3-url.js';
import { applyIndex, countRecords, recordsOf, type ComposeOptions } from './compose.js';
import { newMetadataCounts, type MetadataCounts } from './metadata.js';
import { newCounts, writeRecords, type WriteCounts } from './writer.js';
import { writeOptionsOf } from './write-policy.js';
import { chooseBatchWrites } from './batch-writer.js';
import type { RestoreSettings } from './settings.js';

const MiB = 1024 * 1024;

/** RestoreSummary: what a restore (or validation) did. */
export interface RestoreSummary {
  counts: WriteCounts;
  meta: MetadataCounts;
  files: number;
  bytes: number;
  seconds: number;
  validate: boolean;
}

/** RestoreContext: how a restore reaches the cluster and where it reports. */
export interface RestoreContext {
  /** Connects to the cluster (not called with --validate). */
  connect(): Promise<Cluster>;
  log?: Logger;
  progress?: ProgressSink;
  /**
   * Stops the restore (SIGINT/SIGTERM): no more input is read, the writes in flight are
   * answered, and the restore fails with the signal's reason and its summary.
   */
  signal?: AbortSignal;
}

/** The summary so far, attached to an error a restore fails with. */
export type WithSummary = Error & { summary?: RestoreSummary };

/**
 * restore: runs a restore (or --validate) as the settings say. On failure the error gets
 * the summary so far attached as `summary` and is rethrown.
 */
export async function restore(o: RestoreSettings, ctx: RestoreContext): Promise<RestoreSummary> {
  const log = ctx.log ?? silentLogger;
  // Every file is known before the first is read, so the progress covers every directory
  // (the C tool counts only the last directory's bytes); every local file is checked to be
  // there and readable.
  const paths = sourcePaths(o);
  const source = await openBackupSource(paths, { s3: o.s3, log: log.info, dirLabel: o.directory !== undefined ? '--directory' : '--directory-list' });
  // --validate: a backup with a manifest is also checked whole: every file it lists there,
  // unaltered (the official tools cannot tell a damaged backup from a whole one).
  if (o.validate) {
    try {
      const directories = paths.directories?.filter((d) => !isS3Url(d)) ?? [];
      const listed = new Map<string, { names: Set<string>; manifests: string[] }>();
      for (const m of manifestsBeside({ directories, file: paths.files?.[0] !== undefined && !isS3Url(paths.files[0]) ? paths.files[0] : undefined })) {
        const files = await checkManifest(m.path, m.dir);
        log.info(`${m.path}: ${files.length} file(s), each with its recorded size and SHA-256`);
        let l = listed.get(m.dir);
        if (l === undefined) listed.set(m.dir, (l = { names: new Set(), manifests: [] }));
        for (const f of files) l.names.add(f.name);
        l.manifests.push(basename(m.path));
      }
      // A directory with manifests holds their backups only: a restore of it reads every
      // .asb file there, so one that no manifest lists is not part of what was checked.
      for (const dir of directories) {
        const l = listed.get(dir);
        if (l === undefined) continue;
        const stray = source.inputs.map((i) => i.name).find((name) => join(dir, basename(name)) === name && !l.names.has(basename(name)));
        if (stray !== undefined) {
          throw new AsError('BACKUP_FILE_UNLISTED', `--validate: ${stray} is not listed in ${l.manifests.join(', ')} of ${dir}: it is not part of that backup, yet a restore of ${dir} would read it`, { value: stray });
        }
      }
    } catch (e) {
      source.close();
      throw e;
    }
  }
  try {
    return await restoreFrom(source, o, ctx, log);
  } finally {
    source.close();
  }
}

async function restoreFrom(source: BackupSource, o: RestoreSettings, ctx: RestoreContext, log: Logger): Promise<RestoreSummary> {
  const files = source.inputs;
  const codec = o.codec ?? PLAIN;
  // The head of every file is read before connecting: its first bytes fit -z/-y (a wrong
  // key, a missing -z or -y fail here, with one line naming the file), it is an .asb
  // header, and names the namespace -n expects.
  const namespaces = await checkHeaders(files, codec, o.namespace);
  if (namespaces.length > 1) log.info(`The backup files hold namespaces ${namespaces.join(', ')}; each file's records go to their own`);
  const counts = newCounts();
  const meta = newMetadataCounts();
  const started = performance.now();
  let bytes = 0;
  const summary = (): RestoreSummary => ({ counts, meta, files: files.length, bytes, seconds: (performance.now() - started) / 1000, validate: o.validate });
  ctx.progress?.expect(0, totalSize(files));
  // Progress is in bytes as stored: of a compressed file, those the decoder has read.
  const stored = !isPlain(codec);
  let cluster: Cluster | undefined;
  // A summary is attached to an error only once reading has begun: a failed connect read
  // and wrote nothing, and its one line says all.
  let reading = false;
  try {
    if (!o.validate) {
      cluster = await connectUnlessStopped(() => ctx.connect(), ctx.signal);
      const target = o.namespace?.target;
      if (target !== undefined && !cluster.hasNamespace(target)) throw new ServerError(20, `namespace ${target} not found in the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
    }
    reading = true;
    const filter = { sets: o.setList, bins: o.binList, excludeSets: o.excludeSets, excludeBins: o.excludeBins, noRecords: o.noRecords, noIndexes: o.noIndexes, noUdfs: o.noUdfs };
    let items: AsyncIterable<SourceBatch> = untilStopped(readBackupFiles(files, {
      namespace: o.namespace?.source,
      noRecords: o.noRecords,
      codec,
      // Records go to the writer as the ops of their bins, unless some bins are selected.
      ops: !filtersBins(filter),
      onStored: stored ? (n) => ctx.progress?.add(0, n) : undefined,
      onFile: (f) => log.info(`${o.validate ? 'validating' : 'restoring'} ${f}`),
    }), ctx.signal);
    if (o.nice && (o.nice.bandwidth > 0 || o.nice.tps > 0)) {
      items = throttle(items, (b) => b.bytes, { bytesPerSecond: o.nice.bandwidth * MiB, itemsPerSecond: o.nice.tps, countOf: (b) => b.items.length });
    }
    const deferred: SindexItem[] = [];
    const compose: ComposeOptions = {
      filter,
      cluster,
      metadata: { namespace: o.namespace, wait: o.wait, log: log.info },
      indexesLast: o.indexesLast,
      deferred,
      counts,
      meta,
    };
    const onBatch = (records: number, n: number): void => {
      bytes += n;
      ctx.progress?.add(records, stored ? 0 : n);
    };
    const records = recordsOf(counted(items, onBatch), compose);
    if (cluster === undefined) {
      await countRecords(records, counts, o.extraTtl, undefined, o.ignoreRecordError);
    } else {
      await writeRecords(cluster, records, {
        ...writeOptionsOf(o),
        batchWrites: await chooseBatchWrites(cluster, o, log.info),
        namespace: o.namespace?.target,
        counts,
        log: log.verbose,
        notice: log.info,
        onWait: (note) => ctx.progress?.note?.(note),
      });
    }
    for (const s of deferred) await applyIndex(s, compose);
    return summary();
  } catch (e) {
    if (reading && e instanceof Error) (e as WithSummary).summary = summary();
    throw e;
  } finally {
    cluster?.close();
  }
}

/**
 * backupDirectories: the directories a restore reads, in order: -d, or each entry of
 * --directory-list under --parent-directory. Empty for -i.
 */
export function backupDirectories(o: Pick<RestoreSettings, 'directory' | 'directoryList' | 'parentDirectory'>): string[] {
  if (o.directory !== undefined) return [o.directory];
  const under = (parent: string, d: string): string => (isS3Url(parent) ? `${parent.replace(/\/+$/, '')}/${d}` : join(parent, d));
  const dirs = (o.directoryList ?? []).map((d) => (o.parentDirectory === undefined ? d : under(o.parentDirectory, d)));
  const twice = dirs.find((d, i) => dirs.indexOf(d) !== i);
  if (twice !== undefined) throw new UsageError(`--directory-list names ${twice} twice`, twice);
  return dirs;
}

// What a restore reads: its directories (S3 prefixes), or its one file.
function sourcePaths(o: RestoreSettings): SourcePaths {
  const dirs = backupDirectories(o);
  return dirs.length > 0 ? { directories: dirs } : { files: [o.inputFile!] };
}

// Counts bytes and records for the progress lines as the decoder hands them on.
async function* counted(batches: AsyncIterable<SourceBatch>, onBatch: (records: number, bytes: number) => void): AsyncGenerator<Array<StreamItem | OpsRecordItem>> {
  for await (const batch of batches) {
    onBatch(batch.records, batch.bytes);
    yield batch.items;
  }
}
