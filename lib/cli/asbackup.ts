// asbackup: scan -> filter -> encode-asb -> throttle -> files, composed in one process.
import { existsSync } from 'node:fs';
import { run, EXIT_OK } from './run.js';
import { asbackupOptions, asbackupSynopsis, parseBackupArgs, type BackupOptions } from './asbackup-options.js';
import { makeLogger, type Logger } from './log.js';
import { Progress, formatBytes } from './progress.js';
import { printedHelp } from './version.js';
import { connectCluster } from './connect.js';
import { filterBatches } from '../stages/filter.js';
import { throttle } from '../stages/throttle.js';
import { batchBytes, batchRecords, prepareDirectory, prepareOutputFile, writeDirectory, writeSingleFile, type AsbBatch, type AsbChunk, type WriteResult } from '../stages/files.js';
import { encodeItem, encodeWireRun } from '../asb/encode.js';
import { EncodePool } from '../stages/encode-pool.js';
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

/** encodeItems: index, UDF (and record) items to .asb chunks, counting indexes and UDFs. */
function encodeItems(batch: StreamItem[], compact: boolean, counts: { indexes: number; udfs: number }): AsbChunk[] {
  return batch.map((item) => {
    if (item.kind === 'sindex') counts.indexes++;
    else if (item.kind === 'udf') counts.udfs++;
    return { kind: item.kind, bytes: encodeItem(item, compact) };
  });
}

/**
 * encodeBatches: items to .asb batches, in order, counting them for progress and the
 * summary. With encoder threads, wire batches go to them a few jobs ahead; without, they
 * are encoded here.
 */
async function* encodeBatches(batches: AsyncIterable<StreamItem[] | WireBatch>, compact: boolean, counts: { indexes: number; udfs: number }, pool: EncodePool | undefined, progress?: Progress): AsyncGenerator<AsbBatch> {
  const ahead: Array<AsbBatch | Promise<AsbBatch>> = [];
  const depth = 2 * (pool?.size ?? 0);
  const done = (b: AsbBatch): AsbBatch => {
    progress?.add(batchRecords(b), Array.isArray(b) ? b.reduce((n, c) => n + (c.kind === 'record' ? c.bytes.length : 0), 0) : b.bytes.length);
    return b;
  };
  for await (const batch of batches) {
    if (Array.isArray(batch)) ahead.push(encodeItems(batch, compact, counts));
    else if (pool) ahead.push(pool.encode(batch));
    else ahead.push(encodeWireRun(batch, compact)); // on the scratch slab: taken at once below
    while (ahead.length > depth) yield done(await ahead.shift()!);
  }
  while (ahead.length > 0) yield done(await ahead.shift()!);
}

/** backup: runs a whole backup as the options say; throws on any failure. */
export async function backup(o: BackupOptions, log: Logger): Promise<BackupSummary> {
  const ns = o.namespace!;
  // Cheap refusals first, before any connection is made.
  if (o.outputFile !== undefined) prepareOutputFile(o.outputFile, o.removeFiles);
  if (o.directory !== undefined && !o.removeFiles && existsSync(o.directory)) prepareDirectory(o.directory, false);
  // The encoder threads load while the cluster connects.
  const pool = o.encoderThreads > 0 ? new EncodePool(o.encoderThreads, o.compact) : undefined;
  let cluster;
  try {
    cluster = await connectCluster(o, log);
  } catch (e) {
    await pool?.close();
    throw e;
  }
  try {
    log.info(`Processing ${cluster.nodes.length} node(s)`);
    // Records stay in wire form from socket to file: the server applies the selection, and
    // the filter stage below only has index definitions to judge.
    const source = await backupSource(cluster, o, log, { wire: true });
    if (o.directory !== undefined) prepareDirectory(o.directory, o.removeFiles, log.info);
    const progress = new Progress({ total: source.expectedRecords });
    const counts = { indexes: 0, udfs: 0 };
    let chunks: AsyncIterable<AsbBatch> = encodeBatches(filterBatches(source.items, { sets: o.set }), o.compact, counts, pool, progress);
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
    await pool?.close();
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
  if (printedHelp(o, asbackupOptions, 'asbackup', asbackupSynopsis)) return EXIT_OK;
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
