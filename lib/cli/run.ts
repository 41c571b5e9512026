// The one exit point of every program: runs main, turns errors into one line on stderr,
// and picks the exit code (0 complete, 1 failed or incomplete, 2 usage error). Nothing
// incomplete exits 0: not a reader that went away (`| head`), not a signal.
import { readFileSync } from 'node:fs';
import { AsError, ParseError, exitCodeOf } from '../errors.js';
import { wallClock } from '../clock.js';
import { processIo, type Program, type ProgramIo, type StreamFormat } from './program.js';
import { abortLine } from './io.js';
import { isOutputClosed } from '../stages/write-chunk.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** How long a program that stops on a signal may take to report before it is ended anyway. */
const STOP_GRACE_MS = 10_000;
/** How long a failed run waits for stdout to take its last bytes (the abort line). */
const FLUSH_LIMIT_MS = 5_000;

function peakRssKiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/**
 * formatError: the single user-facing line, ending with the error's code (docs/errors.md),
 * plus the offending line and a caret for parse errors.
 */
export function formatError(program: string, e: unknown): string {
  const code = e instanceof AsError ? ` [${e.code}]` : '';
  if (e instanceof ParseError) {
    let s = `${program}: ${e.file}:${e.line}:${e.column}: ${e.message}${code}`;
    if (e.excerpt !== undefined) s += `\n${e.excerpt}\n${' '.repeat(Math.max(0, e.column - 1))}^`;
    return s;
  }
  if (e instanceof Error) return `${program}: ${e.message}${code}`;
  return `${program}: ${String(e)}`;
}

/** run: executes a program's main and exits the process; the only caller of process.exit. */
export function run(p: Program, argv: string[] = process.argv.slice(2)): void {
  const program = p.name;
  const stop = new AbortController();
  let data: { format: StreamFormat; atLineStart: () => boolean; encode?: (line: string) => Buffer } | undefined;
  let outputClosed = false;
  let ended = false;
  const io: ProgramIo = {
    ...processIo(),
    signal: stop.signal,
    dataOut: (format, atLineStart = () => true, encode) => { data = { format, atLineStart, encode }; },
  };

  // The reader of stdout went away: main's next write fails and says after how much
  // (lib/stages/write-chunk.ts); nothing more can be delivered.
  process.stdout.on('error', (e) => {
    if (isOutputClosed(e)) outputClosed = true;
  });

  // The one way a failed run ends: the abort line on a data stream, one line on stderr.
  const fail = (e: unknown): void => {
    if (ended) return;
    ended = true;
    // A reader that went away makes anything else fail too (a pipeline's premature close).
    if (outputClosed && !(e instanceof AsError)) e = new AsError('OUTPUT_CLOSED', 'output closed before the run finished: the output is incomplete');
    if (data !== undefined && !outputClosed && !process.stdout.isTTY && !process.stdout.destroyed) {
      const why = e instanceof Error ? e.message : String(e);
      const line = (data.atLineStart() ? '' : '\n') + abortLine(data.format, program, why);
      process.stdout.write(data.encode ? data.encode(line) : line);
    }
    process.stderr.write(formatError(program, e) + '\n');
    if (process.env.AS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = exitCodeOf(e);
    flushAndExit(FLUSH_LIMIT_MS);
  };

  // Ctrl-C or a kill: a program that can report what it did is asked to stop (io.signal)
  // and ends through its own error; the others end at once. A second signal ends at once.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (p.runsUntilStopped) process.exit(EXIT_OK);
      const e = new AsError('INTERRUPTED', `interrupted by ${signal}; the run is incomplete`, { value: signal });
      if (ended) process.exit(Number(process.exitCode ?? EXIT_FAILED) || EXIT_FAILED);
      // Past the ^C the terminal echoed (and a progress bar); a log file gets no blank line.
      if (process.stderr.isTTY && !stop.signal.aborted) process.stderr.write('\n');
      if (!p.stopsOnSignal || stop.signal.aborted) return fail(e);
      stop.abort(e);
      setTimeout(() => fail(e), STOP_GRACE_MS);
    });
  }

  // A bad AS_CLOCK is a usage error before anything else happens.
  Promise.resolve().then(() => { wallClock(); return p.main(argv, io); }).then(
    (code) => {
      if (outputClosed) return fail(new AsError('OUTPUT_CLOSED', 'output closed before the run finished: the output is incomplete'));
      if (ended) return;
      ended = true;
      process.exitCode = code ?? EXIT_OK;
      flushAndExit(undefined, () => {
        // The last bytes could not be delivered: the run did not finish after all.
        ended = false;
        fail(new AsError('OUTPUT_CLOSED', 'output closed before the run finished: the output is incomplete'));
      });
    },
    (e: unknown) => fail(e),
  );
}

// Exit once stdout has drained, so no data written by main is lost; sockets or timers
// left open by a failed run do not keep the process alive. `limitMs` bounds the wait of
// a failed run (a reader that stopped reading must not keep it forever); `onLost` is
// called instead of exiting when stdout breaks before it took everything.
function flushAndExit(limitMs?: number, onLost?: () => void): void {
  const code = Number(process.exitCode ?? 0);
  // For `npm run bench`: the peak memory of this run, in KiB. VmHWM, because getrusage's
  // maxrss survives exec and would report the memory of the process that spawned us.
  // And the CPU time it used (user + system), for the CPU cost per record.
  if (process.env.AS_REPORT_RSS) {
    const cpu = process.cpuUsage();
    process.stderr.write(`peak-rss-kib ${peakRssKiB()}\ncpu-us ${cpu.user + cpu.system}\n`);
  }
  if (process.stdout.writableLength === 0) process.exit(code);
  let done = false;
  const exit = (lost: boolean): void => {
    if (done) return;
    done = true;
    if (lost && onLost !== undefined) onLost();
    else process.exit(code);
  };
  process.stdout.once('drain', () => exit(false));
  process.stdout.once('close', () => exit(process.stdout.writableLength > 0));
  process.stdout.once('error', () => exit(true));
  if (limitMs !== undefined) setTimeout(() => exit(false), limitMs).unref();
}

export { AsError };
