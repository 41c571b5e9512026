// asrestore: parses its options, runs lib/restore's restore() and prints the progress and
// the summary (also after a failure, with what was written before it).
import { EXIT_OK } from './run.js';
import { asrestoreOptions, asrestoreSynopsis, parseRestoreArgs } from './asrestore-options.js';
import { makeLogger } from './log.js';
import { Progress } from './progress.js';
import { MachineStatus, machineLine } from './machine.js';
import { teeProgress } from '../log.js';
import { answeredHelp, type Program } from './program.js';
import { connectCluster } from './connect.js';
import { backupDirectories, restore, type RestoreSummary, type WithSummary } from '../restore/restore.js';
import { codecName, isPlain } from '../codec/codec.js';
import { codecOf } from '../codec/options.js';
import { s3Settings } from '../storage/options.js';
import type { WriteCounts } from '../restore/writer.js';

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
    ...nodeLossLines(c),
  ];
}

/**
 * nodeLossLines: what a lost node did to the writes, when it did anything: records sent
 * again after their answer was lost, the ones of those then found already written (in
 * doubt: the first attempt may have written them), and partitions written on another node.
 */
export function nodeLossLines(c: WriteCounts): string[] {
  if (c.resent === 0 && c.inDoubt === 0 && c.partitionsMoved === 0) return [];
  return [`Re-sent ${c.resent} record(s) whose answer was lost, ${c.inDoubt} of them in doubt (found already written, maybe by the lost attempt; not counted as existed or fresher); ${c.partitionsMoved} partition(s) written on another node after their node left`];
}

/** machineSummary: the SUMMARY line of a restore. */
function machineSummary(s: RestoreSummary): string {
  const c = s.counts;
  return machineLine.restoreSummary({
    udfs: s.meta.udfs, indexes: s.meta.indexes, records: c.read, expired: c.expired, skipped: c.skippedNoBins + c.skippedSet,
    ignored: c.ignored, inserted: c.inserted, existed: c.existed, fresher: c.fresher,
  });
}

/** program: asrestore. */
export const program: Program = {
  name: 'asrestore',
  summary: 'Restore .asb files (a directory, one file or stdin) into a cluster, or validate them.',
  synopsis: asrestoreSynopsis,
  options: asrestoreOptions,
  stopsOnSignal: true,
  async main(argv, io) {
    const { options: o } = parseRestoreArgs(argv);
    if (answeredHelp(program, o, io)) return EXIT_OK;
    const log = makeLogger(o.verbose, io.stderr);
    if (o.sleepBetweenRetries !== undefined) log.info('Warning: --sleep-between-retries (--retry-delay) has no effect in asrestore, as in the C asrestore; --retry-scale-factor sets the backoff of write retries');
    // The key is read (and refused) before anything else happens.
    const codec = codecOf(o);
    const from = o.inputFile !== undefined ? (o.inputFile === '-' ? '[stdin]' : o.inputFile) : backupDirectories(o).join(', ');
    const what = o.validate ? 'Starting validation of' : `Starting restore to ${o.host}`;
    const how = isPlain(codec) ? '' : `, ${codecName(codec)}`;
    log.info(`${what} (bins: ${o.binList?.join(',') ?? '[all]'}, sets: ${o.setList?.join(',') ?? '[all]'}${how}) from ${from}`);
    const machine = o.machine === undefined ? undefined : MachineStatus.open({ path: o.machine, by: 'bytes' });
    const progress = new Progress({ total: 0, out: io.stderr });
    // The last tick, then the summary: also after a failure, as the C tool (what was written).
    const closing = (s: RestoreSummary | undefined): void => {
      progress.stop();
      machine?.stop();
      if (machine === undefined || s === undefined) return;
      machine.tick();
      // Only when a write was re-sent: otherwise the file holds the official lines alone.
      if (s.counts.resent > 0 || s.counts.inDoubt > 0) machine.write(machineLine.inDoubt(s.counts.inDoubt, s.counts.resent));
      machine.write(machineSummary(s));
    };
    try {
      const s = await restore({ ...o, codec, s3: s3Settings(o) }, { connect: () => connectCluster(o, log, { timeout: { ms: o.timeout, option: '-T' } }), log, progress: teeProgress(progress, machine), signal: io.signal });
      closing(s);
      for (const line of summaryLines(s)) log.info(line);
    } catch (e) {
      const s = (e as WithSummary).summary;
      closing(s);
      machine?.close();
      if (s !== undefined) {
        for (const line of summaryLines(s)) log.info(line);
        log.error(s.validate
          ? `Validation failed after ${s.counts.read} record(s) were read; the backup is not valid`
          : `Restore failed after ${s.counts.inserted} record(s) were written; the restore is incomplete`);
      }
      throw e;
    }
    const failed = machine?.close();
    if (failed !== undefined) throw failed;
    return EXIT_OK;
  },
};
