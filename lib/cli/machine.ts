// Machine-readable status (-m/--machine): the lines the official C tools append to a file
// for scripts, in exactly their formats (backup.c and restore.c of aerospike-tools-backup
// 4.5.8), so parsers written for them keep working. Every line is written here and nowhere
// else. The file is opened for append, like fopen(path, "a"), and each line is written
// whole at once, like fprintf + fflush.
import { closeSync, openSync, writeSync } from 'node:fs';
import { AsError } from '../errors.js';
import type { ProgressSink } from '../log.js';
import { formatEta } from './progress.js';

/** What a backup did, for its SUMMARY line. */
export interface BackupCounts {
  records: number;
  indexes: number;
  udfs: number;
  bytes: number;
}

/** What a restore did, for its SUMMARY line. */
export interface RestoreCounts {
  udfs: number;
  indexes: number;
  /** Records read from the files. */
  records: number;
  expired: number;
  /** Records without bins or of an unwanted set. */
  skipped: number;
  ignored: number;
  inserted: number;
  existed: number;
  fresher: number;
}

/** machineLine: every line of the machine-readable file, newline included. */
export const machineLine = {
  progress: (percent: number): string => `PROGRESS:${percent}\n`,
  /** seconds: whole seconds left, shown as the tools show an ETA (1h2m5s). */
  remaining: (seconds: number): string => `REMAINING:${formatEta(seconds)}\n`,
  backupSummary: (c: BackupCounts): string => `SUMMARY:${c.records}:${c.indexes}:${c.udfs}:${c.bytes}:${c.records === 0 ? 0 : Math.floor(c.bytes / c.records)}\n`,
  // The blank before the seventh colon is in the C format string; parsers expect it.
  restoreSummary: (c: RestoreCounts): string => `SUMMARY:${c.udfs}:${c.indexes}:${c.records}:${c.expired}:${c.skipped}:${c.ignored} :${c.inserted}:${c.existed}:${c.fresher}\n`,
  /**
   * Not in the C tools (which do not count them): records a restore sent again after their
   * answer was lost, and of those the ones then found already written (in doubt). Written
   * just before a restore's SUMMARY (the SUMMARY stays the last line), and only when some
   * write was re-sent: a run without one writes the official lines alone.
   */
  inDoubt: (inDoubt: number, resent: number): string => `IN_DOUBT:${inDoubt}:${resent}\n`,
  /** records: the records the backup would hold; recordSize: the estimated bytes per record. */
  estimate: (records: number, recordSize: number): string => `ESTIMATE:${records}:${recordSize}\n`,
};

/** Options of MachineStatus. */
export interface MachineOptions {
  path: string;
  /**
   * How progress is measured: 'records' (asbackup: percent of the expected records, shown
   * only below 100), or 'bytes' (asrestore: percent of the files' bytes, on every tick).
   */
  by: 'records' | 'bytes';
  /** Clock in ms (tests; default performance.now). */
  now?: () => number;
  /** Tick every second on a timer (default true); tests call tick() themselves. */
  timer?: boolean;
}

/**
 * MachineStatus: a ProgressSink that writes PROGRESS and REMAINING lines about every second
 * and the closing lines. It holds the open file and a timer, hence a class.
 */
export class MachineStatus implements ProgressSink {
  private readonly fd: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private records = 0;
  private bytes = 0;
  private totalRecords = 0;
  private totalBytes = 0;
  private lastAt: number;
  private lastDone = 0;
  /** The first failed write: the run reports it at the end, as the C tools do. */
  private failure: AsError | undefined;

  private constructor(private readonly opts: MachineOptions) {
    try {
      this.fd = openSync(opts.path, 'a');
    } catch (e) {
      throw new AsError('OUTPUT', `--machine: cannot open ${opts.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, value: opts.path });
    }
    this.now = opts.now ?? (() => performance.now());
    this.lastAt = this.now();
    if (opts.timer !== false) {
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref();
    }
  }

  /** open: opens (creates) the file for append; an AsError OUTPUT names it when it cannot. */
  static open(opts: MachineOptions): MachineStatus {
    return new MachineStatus(opts);
  }

  expect(records: number, bytes?: number): void {
    this.totalRecords = records;
    if (bytes !== undefined) this.totalBytes = bytes;
  }

  add(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
  }

  /**
   * tick: one second's lines. The time left is the rest divided by the rate since the last
   * tick, in whole seconds, as the C counter threads compute it.
   */
  tick(): void {
    const now = this.now();
    const ms = Math.max(0, Math.round(now - this.lastAt));
    this.lastAt = now;
    if (this.opts.by === 'records') {
      const total = this.totalRecords;
      if (total <= 0) return;
      const percent = Math.floor((this.records * 100) / total);
      // The expected count is an estimate: never claim 100 % before the end.
      if (percent >= 100) return;
      const recent = this.records - this.lastDone;
      this.lastDone = this.records;
      this.write(machineLine.progress(percent));
      if (recent > 0) this.write(machineLine.remaining(Math.floor(((total - this.records) * ms) / recent / 1000)));
      return;
    }
    const total = this.totalBytes;
    if (total > 0) this.write(machineLine.progress(Math.floor((this.bytes * 100) / total)));
    const recent = this.bytes - this.lastDone;
    this.lastDone = this.bytes;
    if (recent > 0 && total > 0) this.write(machineLine.remaining(Math.floor((Math.max(0, total - this.bytes) * ms) / recent / 1000)));
  }

  /** write: one line, appended at once. */
  write(line: string): void {
    if (this.failure !== undefined) return;
    try {
      writeSync(this.fd, line);
    } catch (e) {
      this.failure = new AsError('OUTPUT', `--machine: cannot write ${this.opts.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, value: this.opts.path });
    }
  }

  /** stop: no more ticks (the closing lines may still be written). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * close: stops and closes the file; returns the first write that failed, which the
   * program raises after a run that otherwise succeeded (as the C tools fail then).
   */
  close(): AsError | undefined {
    this.stop();
    try {
      closeSync(this.fd);
    } catch {
      // Closing a file written with writeSync loses nothing.
    }
    return this.failure;
  }
}
