// asbackup: scan -> filter -> encode-asb -> throttle -> files, composed in one process.
import { existsSync } from 'node:fs';
import { run, EXIT_OK } from './run.js';
import { usage } from './options.js';
import { asbackupOptions, asbackupSynopsis, parseBackupArgs, type BackupOptions } from './asbackup-options.js';
import { makeLogger, type Logger } from './log.js';
import { Progress, formatBytes } from './progress.js';
import { versionText } from './version.js';
import { connectCluster } from './connect.js';
import { filterBatches } from '../stages/filter.js';
import { throttle } from '../stages/throttle.js';
import { prepareDirectory, prepareOutputFile, writeDirectory, writeSingleFile, type AsbChunk, type WriteResult } from '../stages/files.js';
import { encodeItem, encodeWireBatch } from '../asb/encode.js';
import { backupSource, estimateRecordSize } from './backup-source.js';
import type { StreamItem, WireBatch } from '../records/types.js';

const MiB = 1024 * 1024;

/** Summary: what a backup did. */
export interface BackupSummary {
  records: number;
  indexes: number;
  udfs: number;
  bytes: number;
  files: string[];
  seconds: number;
}

/** encodeBatches: items to .asb chunks, counting them for progress and the summary. */
async function* encodeBatches(batches: AsyncIterable<StreamItem[] | WireBatch>, compact: boolean, counts: { indexes: number; udfs: number }, progress?: Progress): AsyncGenerator<AsbChunk[]> {
  for await (const batch of batches) {
    if (!Array.isArray(batch)) {
      const blocks = encodeWireBatch(batch, compact, true); // the sinks copy each block at once
      const out: AsbChunk[] = new Array(blocks.length);
      let bytes = 0;
      for (let i = 0; i < blocks.length; i++) {
        out[i] = { kind: 'record', bytes: blocks[i]! };
        bytes += blocks[i]!.length;
      }
      progress?.add(blocks.length, bytes);
      yield out;
      continue;
    }
    const out: AsbChunk[] = new Array(batch.length);
    let records = 0;
    let bytes = 0;
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i]!;
      const b = encodeItem(item, compact);
      out[i] = { kind: item.kind, bytes: b };
      if (item.kind === 'record') { records++; bytes += b.length; }
      else if (item.kind === 'sindex') counts.indexes++;
      else counts.udfs++;
    }
    progress?.add(records, bytes);
    yield out;
  }
}

const batchBytes = (batch: AsbChunk[]): number => batch.reduce((n, c) => n + c.bytes.length, 0);

/** backup: runs a whole backup as the options say; throws on any failure. */
export async function backup(o: BackupOptions, log: Logger): Promise<BackupSummary> {
  const ns = o.namespace!;
  // Cheap refusals first, before any connection is made.
  if (o.outputFile !== undefined) prepareOutputFile(o.outputFile, o.removeFiles);
  if (o.directory !== undefined && !o.removeFiles && existsSync(o.directory)) prepareDirectory(o.directory, false);
  const cluster = await connectCluster(o, log);
  try {
    log.info(`Processing ${cluster.nodes.length} node(s)`);
    // Records stay in wire form from socket to file: the server applies the selection, and
    // the filter stage below only has index definitions to judge.
    const source = await backupSource(cluster, o, log, { wire: true });
    if (o.directory !== undefined) prepareDirectory(o.directory, o.removeFiles, log.info);
    const progress = new Progress({ total: source.expectedRecords });
    const counts = { indexes: 0, udfs: 0 };
    let chunks: AsyncIterable<AsbChunk[]> = encodeBatches(filterBatches(source.items, { sets: o.set }), o.compact, counts, progress);
    if (o.nice) chunks = throttle(chunks, batchBytes, { bytesPerSecond: o.nice * MiB });
    let result: WriteResult;
    try {
      result = o.directory !== undefined
        ? await writeDirectory(chunks, { dir: o.directory, namespace: ns, fileLimit: o.fileLimit * MiB, prefix: o.outputFilePrefix, onFile: (f) => log.verbose(`Opened ${f}`) })
        : await writeSingleFile(chunks, { path: o.outputFile!, namespace: ns });
    } finally {
      progress.stop();
      source.close();
    }
    return { records: progress.records, indexes: counts.indexes, udfs: counts.udfs, bytes: result.bytes, files: result.files, seconds: progress.elapsed };
  } finally {
    cluster.close();
  }
}

function summaryLines(s: BackupSummary): string[] {
  const rate = s.seconds > 0 ? Math.round(s.records / s.seconds) : s.records;
  const bpr = s.records > 0 ? Math.round(s.bytes / s.records) : 0;
  return [
    `Backed up ${s.records} record(s), ${s.indexes} secondary index(es), ${s.udfs} UDF file(s), ${s.bytes} byte(s) in total (~${bpr} B/rec)`,
    `Wrote ${s.files.length} file(s) in ${s.seconds.toFixed(1)} s (${rate} rec/s, ${formatBytes(s.seconds > 0 ? s.bytes / s.seconds : s.bytes)}/s)`,
  ];
}

/** main: the asbackup program. */
export async function main(argv: string[]): Promise<number> {
  const { options: o } = parseBackupArgs(argv);
  if (o.usage) {
    process.stdout.write(usage(asbackupOptions, 'asbackup', asbackupSynopsis));
    return EXIT_OK;
  }
  if (o.version) {
    process.stdout.write(versionText('asbackup'));
    return EXIT_OK;
  }
  const log = makeLogger(o.verbose);
  if (o.estimate) {
    const cluster = await connectCluster(o, log);
    try {
      const est = await estimateRecordSize(cluster, o, log);
      log.info(`Estimated overall record size is ${est.recordSize} byte(s) (from ${est.samples} sampled record(s))`);
      log.info(`Estimated total backup size is ${est.totalSize} byte(s) (${est.expectedRecords} record(s), plus 10% for indexes and overhead)`);
    } finally {
      cluster.close();
    }
    return EXIT_OK;
  }
  const target = o.directory ?? (o.outputFile === '-' ? '[stdout]' : o.outputFile);
  log.info(`Starting backup of ${o.host} (namespace: ${o.namespace}, set: ${o.set?.join(',') ?? '[all]'}, bins: ${o.binList?.join(',') ?? '[all]'}) to ${target}`);
  const summary = await backup(o, log);
  for (const line of summaryLines(summary)) log.info(line);
  return EXIT_OK;
}

/** start: runs asbackup as a program (the bin shim calls it). */
export function start(): void {
  run('asbackup', main);
}
