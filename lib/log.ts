// What the backup and restore rooms say while they run, without knowing where it goes: the
// programs print it on stderr (lib/cli/log.ts, lib/cli/progress.ts); tests may collect it.

/** Logger: info always, verbose only when asked for, error for what went wrong. */
export interface Logger {
  info(msg: string): void;
  verbose(msg: string): void;
  error(msg: string): void;
}

/** ProgressSink: counts of what has been read or written so far, for progress lines. */
export interface ProgressSink {
  /** The total to expect, once known (records, else bytes; 0 = unknown). */
  expect(records: number, bytes?: number): void;
  add(records: number, bytes: number): void;
  /** A note the progress shows until it is cleared (undefined), e.g. what the run waits for. */
  note?(text: string | undefined): void;
}

/** silentLogger: says nothing (in-process runs and tests). */
export const silentLogger: Logger = { info() {}, verbose() {}, error() {} };

/** teeProgress: one sink that passes everything on to several (stderr lines and -m). */
export function teeProgress(...sinks: Array<ProgressSink | undefined>): ProgressSink {
  const to = sinks.filter((s): s is ProgressSink => s !== undefined);
  return {
    expect: (records, bytes) => { for (const s of to) s.expect(records, bytes); },
    add: (records, bytes) => { for (const s of to) s.add(records, bytes); },
    note: (text) => { for (const s of to) s.note?.(text); },
  };
}
