// asbackup: parses its options, runs lib/backup's backup() (or estimate()) and prints the
// progress and the summary.
import { EXIT_OK } from './run.js';
import { asbackupOptions, asbackupSynopsis, parseBackupArgs } from './asbackup-options.js';
import { makeLogger } from './log.js';
import { Progress, formatBytes } from './progress.js';
import { MachineStatus, machineLine } from './machine.js';
import { teeProgress } from '../log.js';
import { answeredHelp, type Program } from './program.js';
import { connectCluster } from './connect.js';
import { backup, estimate, removeArtifacts, type BackupSummary, type WithBackupSummary } from '../backup/backup.js';
import type { BackupOptions } from './asbackup-options.js';
import { AsError } from '../errors.js';

function summaryLines(s: BackupSummary): string[] {
  const rate = s.seconds > 0 ? Math.round(s.records / s.seconds) : s.records;
  const bpr = s.records > 0 ? Math.round(s.bytes / s.records) : 0;
  return [
    `Backed up ${s.records} record(s), ${s.indexes} secondary index(es), ${s.udfs} UDF file(s), ${s.bytes} byte(s) in total (~${bpr} B/rec)`,
    `Wrote ${s.files.length} file(s) in ${s.seconds.toFixed(1)} s (${rate} rec/s, ${formatBytes(s.seconds > 0 ? s.bytes / s.seconds : s.bytes)}/s)`,
  ];
}

/**
 * stoppedLines: what a backup that failed or was stopped had written, and that it is not a
 * backup. Nothing for a closed stdout: its one error line says it all.
 */
function stoppedLines(s: BackupSummary, o: BackupOptions, e: unknown): string[] {
  if (e instanceof AsError && e.code === 'OUTPUT_CLOSED') return [];
  // A failure before the first record is said by its one line.
  if (s.records === 0 && !(e instanceof AsError && e.code === 'INTERRUPTED')) return [];
  const what = `${s.records} record(s), ${s.bytes} byte(s)`;
  if (o.outputFile === '-') return [`Wrote ${what} to stdout before stopping; the stream ends with an ABORTED line, so a restore from it fails`];
  if (s.files.length === 0) return [];
  const where = o.directory !== undefined ? `${s.files.length} .part file(s) in ${o.directory}` : `${o.outputFile}.part`;
  return [`Wrote ${what} into ${where} before stopping: not a backup; take the backup again (-r clears them)`];
}

/** program: asbackup. */
export const program: Program = {
  name: 'asbackup',
  summary: 'Back up a namespace (or sets of it) to .asb files, one file, stdout, or an estimate.',
  synopsis: asbackupSynopsis,
  options: asbackupOptions,
  stopsOnSignal: true,
  async main(argv, io) {
    const { options: o } = parseBackupArgs(argv);
    if (answeredHelp(program, o, io)) return EXIT_OK;
    const log = makeLogger(o.verbose, io.stderr);
    if (o.removeArtifacts) {
      const what = o.directory !== undefined ? `backup directory ${o.directory}` : `output file ${o.outputFile}`;
      log.info(`Deleting ${what}`);
      const removed = removeArtifacts(o);
      if (removed.files.length === 0 && !removed.directory) log.info(`Nothing to delete: no backup file in ${o.directory ?? o.outputFile}`);
      else log.info(`Deleted ${removed.files.length} file(s)${removed.directory ? ` and the empty directory ${o.directory}` : ''}`);
      return EXIT_OK;
    }
    const connect = () => connectCluster(o, log, { rackAware: o.preferRacks !== undefined });
    const machine = o.machine === undefined ? undefined : MachineStatus.open({ path: o.machine, by: 'records' });
    try {
      if (o.estimate) {
        const est = await estimate(o, { connect, log });
        const q = est.accuracy === 'exact' ? '' : `${est.accuracy} `;
        log.info(`Estimated overall record size is ${est.recordSize} byte(s) (from ${est.samples} sampled record(s))`);
        log.info(`Estimated total backup size is ${q}${est.totalSize} byte(s) (${q}${est.expectedRecords} record(s), plus 10% for indexes and overhead)`);
        if (est.unknownShare.length > 0) log.info(`The share of records kept by ${est.unknownShare.join(', ')} is not known before the scan; the total is an upper bound`);
        // As the C tool: the estimate, then the summary of the sampling run.
        machine?.write(machineLine.estimate(est.expectedRecords, est.recordSize));
        machine?.write(machineLine.backupSummary({ records: est.samples, indexes: 0, udfs: 0, bytes: est.sampleBytes }));
      } else {
        const target = o.directory ?? (o.outputFile === '-' ? '[stdout]' : o.outputFile);
        log.info(`Starting backup of ${o.host} (namespace: ${o.namespace}, set: ${o.set?.join(',') ?? '[all]'}, bins: ${o.binList?.join(',') ?? '[all]'}) to ${target}`);
        if (o.outputFile === '-') io.dataOut?.('asb');
        const progress = new Progress({ total: 0, out: io.stderr });
        let summary: BackupSummary;
        try {
          summary = await backup(o, { connect, log, progress: teeProgress(progress, machine), stdout: io.stdout, signal: io.signal });
        } catch (e) {
          const s = (e as WithBackupSummary).summary;
          progress.stop();
          if (s !== undefined) for (const line of stoppedLines(s, o, e)) log.error(line);
          throw e;
        } finally {
          progress.stop();
          machine?.stop();
        }
        for (const line of summaryLines(summary)) log.info(line);
        // Only a finished backup has a summary: the files of a failed one are not there.
        machine?.write(machineLine.backupSummary({ records: summary.records, indexes: summary.indexes, udfs: summary.udfs, bytes: summary.bytes }));
      }
    } catch (e) {
      machine?.close();
      throw e;
    }
    const failed = machine?.close();
    if (failed !== undefined) throw failed;
    return EXIT_OK;
  },
};
