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
import { codecName, isPlain, type Codec } from '../codec/codec.js';
import { codecOf } from '../codec/options.js';
import { StreamTail } from '../stages/output.js';
import { s3Settings } from '../storage/options.js';
import { isS3Url } from '../storage/s3-url.js';
import type { BackupSettings } from '../backup/settings.js';

function summaryLines(s: BackupSummary, codec: Codec): string[] {
  const rate = s.seconds > 0 ? Math.round(s.records / s.seconds) : s.records;
  const bpr = s.records > 0 ? Math.round(s.bytes / s.records) : 0;
  const stored = isPlain(codec) ? '' : `; ${s.stored} byte(s) stored with ${codecName(codec)} (${s.stored > 0 ? (s.bytes / s.stored).toFixed(2) : '-'}:1)`;
  return [
    `Backed up ${s.records} record(s), ${s.indexes} secondary index(es), ${s.udfs} UDF file(s), ${s.bytes} byte(s) in total (~${bpr} B/rec)${stored}`,
    `Wrote ${s.files.length} file(s) in ${s.seconds.toFixed(1)} s (${rate} rec/s, ${formatBytes(s.seconds > 0 ? s.bytes / s.seconds : s.bytes)}/s)`,
  ];
}

/** shellWord: an argument as a POSIX shell reads it back. */
function shellWord(a: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** A password given on the command line: never printed; the resumed run prompts for it. */
const SECRET = /^(-P|--password=|--tls-keyfile-password=)(?!env:|file:)(.+)$/;

/**
 * resumeCommand: the command line that resumes this backup: the same one, with --continue
 * (a password typed on it becomes a bare -P / --password, which prompts).
 */
export function resumeCommand(argv: readonly string[], stateFile: string): string {
  const args = argv.map((a) => {
    const m = SECRET.exec(a);
    return m === null ? a : m[1]!.replace(/=$/, '');
  });
  if (!args.some((a) => a === '--continue' || a.startsWith('--continue='))) args.push('--continue', stateFile);
  return ['asbackup', ...args].map(shellWord).join(' ');
}

/**
 * stoppedLines: what a backup that failed or was stopped had written, and that it is not a
 * backup. Nothing for a closed stdout: its one error line says it all.
 */
function stoppedLines(s: BackupSummary, o: BackupOptions, e: unknown, resume?: string): string[] {
  if (e instanceof AsError && e.code === 'OUTPUT_CLOSED') return [];
  // A failure before the first record is said by its one line.
  if (s.records === 0 && !(e instanceof AsError && e.code === 'INTERRUPTED')) return [];
  const what = `${s.records} record(s), ${s.bytes} byte(s)`;
  if (resume !== undefined) {
    const where = o.directory !== undefined ? `${s.files.length} .part file(s) in ${o.directory}` : `${o.outputFile}.part`;
    const runs = (s.runs ?? 1) > 1 ? ` (${s.runs} runs)` : '';
    return [`Wrote ${what}${runs} into ${where} before stopping: not a backup until it is resumed with:`, `  ${resume}`];
  }
  if (o.outputFile === '-') return [`Wrote ${what} to stdout before stopping; the stream ends with an ABORTED line, so a restore from it fails`];
  if (s.files.length === 0) return [];
  const place = o.directory ?? o.outputFile!;
  // S3: the uploads were aborted, no object appeared.
  if (isS3Url(place)) return [`Wrote ${what} before stopping; the upload(s) of ${s.files.length} object(s) to ${place} were aborted: no object was written; take the backup again`];
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
    const s3 = s3Settings(o);
    if (o.removeArtifacts) {
      const what = o.directory !== undefined ? `backup directory ${o.directory}` : `output file ${o.outputFile}`;
      log.info(`Deleting ${what}`);
      const removed = await removeArtifacts({ ...o, s3 }, log);
      const aborted = removed.aborted ? ` and aborted ${removed.aborted} unfinished upload(s)` : '';
      if (removed.files.length === 0 && !removed.directory && !removed.aborted) log.info(`Nothing to delete: no backup file in ${o.directory ?? o.outputFile}`);
      else log.info(`Deleted ${removed.files.length} file(s)${removed.directory ? ` and the empty directory ${o.directory}` : ''}${aborted}`);
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
        // The key is read (and refused) before anything else happens.
        const codec = codecOf(o);
        const settings: BackupSettings = { ...o, codec, s3 };
        const target = o.directory ?? (o.outputFile === '-' ? '[stdout]' : o.outputFile);
        const how = isPlain(codec) ? '' : `, ${codecName(codec)}`;
        log.info(`Starting backup of ${o.host} (namespace: ${o.namespace}, set: ${o.set?.join(',') ?? '[all]'}, bins: ${o.binList?.join(',') ?? '[all]'}${how}) to ${target}`);
        // A compressed or encrypted stream ends, when it fails, with an abort line encoded alike.
        const tail = o.outputFile === '-' && !isPlain(codec) ? new StreamTail(codec) : undefined;
        if (o.outputFile === '-') io.dataOut?.('asb', undefined, tail?.encode);
        const progress = new Progress({ total: 0, out: io.stderr });
        let summary: BackupSummary;
        try {
          summary = await backup(settings, { connect, log, progress: teeProgress(progress, machine), stdout: io.stdout, signal: io.signal, stdoutTail: tail });
        } catch (e) {
          const { summary: s, stateFile } = e as WithBackupSummary;
          progress.stop();
          const resume = stateFile === undefined ? undefined : resumeCommand(argv, stateFile);
          if (s !== undefined) for (const line of stoppedLines(s, o, e, resume)) log.error(line);
          throw e;
        } finally {
          progress.stop();
          machine?.stop();
        }
        for (const line of summaryLines(summary, codec)) log.info(line);
        if ((summary.runs ?? 1) > 1 && !summary.alreadyComplete) log.info(`The backup took ${summary.runs} runs; the counts above are of all of them`);
        if (summary.manifest !== undefined && !summary.alreadyComplete) log.info(`Manifest: ${summary.manifest}`);
        // Only a finished backup has a summary: the files of a failed one are not there.
        // Its bytes are the bytes stored, after compression and encryption, as the C tool counts.
        machine?.write(machineLine.backupSummary({ records: summary.records, indexes: summary.indexes, udfs: summary.udfs, bytes: summary.stored }));
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
