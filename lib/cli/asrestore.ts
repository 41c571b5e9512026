// asrestore: decode-asb -> filter -> (throttle) -> write, composed in one process. Indexes
// and UDFs are applied where they appear (before the records of the first file) or, with
// -L, after all records.
import { writeOptionsOf } from './asrestore-options.js';
import { run, EXIT_OK } from './run.js';
import { asrestoreOptions, asrestoreSynopsis, parseRestoreArgs, type RestoreOptions } from './asrestore-options.js';
import { makeLogger, type Logger } from './log.js';
import { Progress } from './progress.js';
import { printedHelp } from './version.js';
import { connectCluster } from './connect.js';
import { throttle } from '../stages/throttle.js';
import type { Cluster } from '../cluster/cluster.js';
import type { SindexItem, StreamItem } from '../records/types.js';
import { listBackupFiles, readBackupFiles, totalSize, type SourceItem } from '../restore/source.js';
import { applyIndex, countRecords, recordsOf, type ComposeOptions } from '../restore/compose.js';
import { newMetadataCounts, type MetadataCounts } from '../restore/metadata.js';
import { newCounts, writeRecords, type WriteCounts } from '../restore/writer.js';

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

/** summaryLines: the closing lines of a restore. */
export function summaryLines(s: RestoreSummary): string[] {
  const c = s.counts;
  const rate = s.seconds > 0 ? Math.round(c.read / s.seconds) : c.read;
  const skipped = c.existed + c.fresher + c.expired + c.skippedNoBins + c.skippedSet;
  const head = s.validate ? 'Validated' : 'Restored';
  return [
    `${head} ${s.files} file(s): ${c.read} record(s) read, ${s.bytes} byte(s) in ${s.seconds.toFixed(1)} s (${rate} rec/s)`,
    `${s.validate ? 'Valid' : 'Inserted'} ${c.inserted} record(s), skipped ${skipped} (existed ${c.existed}, fresher ${c.fresher}, expired ${c.expired}, no bins ${c.skippedNoBins}, unwanted set ${c.skippedSet}), ignored errors ${c.ignored}, failed ${c.failed}`,
    `${s.meta.indexes} secondary index(es) (matched ${s.meta.matched}, replaced ${s.meta.replaced}), ${s.meta.udfs} UDF file(s)`,
  ];
}

/**
 * restore: runs a restore (or --validate) as the options say. On failure the error gets
 * the summary so far attached as `summary` and is rethrown.
 */
export async function restore(o: RestoreOptions, log: Logger): Promise<RestoreSummary> {
  const files = o.directory !== undefined ? listBackupFiles(o.directory) : [o.inputFile!];
  if (o.directory !== undefined) log.info(`Found ${files.length} backup file(s) in ${o.directory}`);
  const counts = newCounts();
  const meta = newMetadataCounts();
  const started = performance.now();
  const summary = (): RestoreSummary => ({ counts, meta, files: files.length, bytes: progress.bytes, seconds: (performance.now() - started) / 1000, validate: o.validate });
  const progress = new Progress({ total: 0, totalBytes: totalSize(files) });
  let cluster: Cluster | undefined;
  try {
    if (!o.validate) {
      cluster = await connectCluster(o, log);
      const target = o.namespace?.target;
      if (target !== undefined && !cluster.hasNamespace(target)) throw new Error(`namespace ${target} not found in the cluster`);
    }
    let items: AsyncIterable<SourceItem[]> = readBackupFiles(files, {
      namespace: o.namespace?.source,
      noRecords: o.noRecords,
      onFile: (f) => log.info(`${o.validate ? 'validating' : 'restoring'} ${f}`),
    });
    if (o.nice && (o.nice.bandwidth > 0 || o.nice.tps > 0)) {
      items = throttle(items, (b) => b.reduce((n, s) => n + s.bytes, 0), { bytesPerSecond: o.nice.bandwidth * MiB, itemsPerSecond: o.nice.tps, countOf: (b) => b.length });
    }
    const deferred: SindexItem[] = [];
    const compose: ComposeOptions = {
      filter: { sets: o.setList, bins: o.binList, noRecords: o.noRecords, noIndexes: o.noIndexes, noUdfs: o.noUdfs },
      cluster,
      metadata: { namespace: o.namespace, wait: o.wait, log: log.info },
      indexesLast: o.indexesLast,
      deferred,
      counts,
      meta,
    };
    const records = recordsOf(counted(items, progress), compose);
    if (cluster === undefined) {
      await countRecords(records, counts, o.extraTtl);
    } else {
      await writeRecords(cluster, records, {
        ...writeOptionsOf(o),
        namespace: o.namespace?.target,
        counts,
        log: log.verbose,
      });
    }
    for (const s of deferred) await applyIndex(s, compose);
    return summary();
  } catch (e) {
    if (e instanceof Error) (e as Error & { summary?: RestoreSummary }).summary = summary();
    throw e;
  } finally {
    progress.stop();
    cluster?.close();
  }
}

// Counts bytes and records for the progress lines as the decoder hands them on.
async function* counted(batches: AsyncIterable<SourceItem[]>, progress: Progress): AsyncGenerator<StreamItem[]> {
  for await (const batch of batches) {
    const items: StreamItem[] = new Array(batch.length);
    let records = 0;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const s = batch[i]!;
      items[i] = s.item;
      if (s.item.kind === 'record') records++;
      bytes += s.bytes;
    }
    progress.add(records, bytes);
    yield items;
  }
}

/** main: the asrestore program; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { options: o } = parseRestoreArgs(argv);
  if (printedHelp(o, asrestoreOptions, 'asrestore', asrestoreSynopsis)) return EXIT_OK;
  const log = makeLogger(o.verbose);
  const from = o.directory ?? (o.inputFile === '-' ? '[stdin]' : o.inputFile);
  const what = o.validate ? 'Starting validation of' : `Starting restore to ${o.host}`;
  log.info(`${what} (bins: ${o.binList?.join(',') ?? '[all]'}, sets: ${o.setList?.join(',') ?? '[all]'}) from ${from}`);
  try {
    const s = await restore(o, log);
    for (const line of summaryLines(s)) log.info(line);
    return EXIT_OK;
  } catch (e) {
    const s = (e as { summary?: RestoreSummary }).summary;
    if (s !== undefined) {
      for (const line of summaryLines(s)) log.info(line);
      log.error(`Restore failed after ${s.counts.inserted} record(s) were written; the restore is incomplete`);
    }
    throw e;
  }
}

/** start: runs asrestore as a program (the bin shim calls it). */
export function start(): void {
  run('asrestore', (argv) => main(argv));
}
