// Progress on stderr: a redrawn bar on a terminal, otherwise a plain line every ~10 s.
// Never on stdout, which may carry the backup itself (-o -).
import type { Writable } from 'node:stream';
import type { ProgressSink } from '../log.js';

/** formatEta: the largest non-zero unit down to seconds (59s, 1m5s, 2h0m3s, 1d4h6m38s). */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds > 100 * 86400) return '>100d';
  let s = Math.max(0, Math.round(seconds));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return `${d}d${h}h${m}m${s}s`;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** formatBytes: a human size (B, KiB, MiB, GiB). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(1)} ${units[i]}`;
}

export interface ProgressOptions {
  /** Expected number of records, for percent and ETA (0 = unknown). */
  total: number;
  /** Else the expected number of bytes (a restore knows its files' sizes, not its records). */
  totalBytes?: number;
  out?: Writable & { isTTY?: boolean };
  /** Seconds between plain lines when not on a terminal. */
  intervalSeconds?: number;
  /** Force a mode (tests); default: a bar when `out` is a TTY. */
  tty?: boolean;
  /** Clock in ms (tests; default performance.now). */
  now?: () => number;
  /** Report on a timer (default true); tests call report() themselves. */
  timer?: boolean;
}

/** Progress: counts records and bytes and reports them; holds a timer, hence a class. */
export class Progress implements ProgressSink {
  records = 0;
  bytes = 0;
  readonly started: number;
  private timer: NodeJS.Timeout | undefined;
  private lastRecords = 0;
  private lastBytes = 0;
  private lastAt: number;
  private readonly out: Writable & { isTTY?: boolean };
  private readonly tty: boolean;
  private readonly now: () => number;
  private waitingFor: string | undefined;

  constructor(private readonly opts: ProgressOptions) {
    this.out = opts.out ?? process.stderr;
    this.tty = opts.tty ?? Boolean(this.out.isTTY);
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
    this.lastAt = this.started;
    if (opts.timer !== false) {
      const every = this.tty ? 250 : (opts.intervalSeconds ?? 10) * 1000;
      this.timer = setInterval(() => this.report(), every);
      this.timer.unref();
    }
  }

  /** expect: the totals to expect, once known (records, else bytes; 0 = unknown). */
  expect(records: number, bytes?: number): void {
    this.opts.total = records;
    if (bytes !== undefined) this.opts.totalBytes = bytes;
  }

  add(records: number, bytes: number): void {
    this.records += records;
    this.bytes += bytes;
  }

  /** note: shown at the end of every progress line until cleared (the line comes at once). */
  note(text: string | undefined): void {
    const changed = text !== this.waitingFor;
    this.waitingFor = text;
    if (changed && text !== undefined) this.report();
  }

  /** elapsed: seconds since start. */
  get elapsed(): number {
    return (this.now() - this.started) / 1000;
  }

  /** report: one progress line (or bar redraw) for the time since the last one. */
  report(): void {
    const now = this.now();
    const dt = Math.max(0.001, (now - this.lastAt) / 1000);
    const rate = (this.records - this.lastRecords) / dt;
    const byteRate = (this.bytes - this.lastBytes) / dt;
    // Percent and ETA from records when their number is known, else from bytes.
    const byRecords = this.opts.total > 0;
    const total = byRecords ? this.opts.total : (this.opts.totalBytes ?? 0);
    const done = byRecords ? this.records : this.bytes;
    const pct = total > 0 ? Math.min(100, (done / total) * 100) : undefined;
    const overall = done / Math.max(0.001, this.elapsed);
    const eta = total > 0 && overall > 0 ? formatEta(Math.max(0, total - done) / overall) : '?';
    if (this.tty) {
      const width = 30;
      const fill = pct === undefined ? 0 : Math.round((pct / 100) * width);
      const bar = pct === undefined ? '' : `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct.toFixed(0).padStart(3)}% `;
      const note = this.waitingFor === undefined ? '' : `, ${this.waitingFor}`;
      this.out.write(`\r${bar}${this.records.toLocaleString('en-US')} records, ${formatBytes(this.bytes)}, ${Math.round(rate).toLocaleString('en-US')} rec/s, ETA ${eta}${note}   `);
    } else {
      const bpr = this.records > 0 ? Math.round(this.bytes / this.records) : 0;
      const head = pct === undefined ? `${this.records} record(s)` : `${pct.toFixed(0)}% complete`;
      const note = this.waitingFor === undefined ? '' : ` (${this.waitingFor})`;
      this.out.write(`${head} (~${Math.round(byteRate / 1024)} KiB/s, ~${Math.round(rate)} rec/s, ~${bpr} B/rec), ~${eta} remaining${note}\n`);
    }
    this.lastAt = now;
    this.lastRecords = this.records;
    this.lastBytes = this.bytes;
  }

  /** stop: ends reporting and clears the bar. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty) this.out.write('\r\x1b[K');
  }
}
