// The one exit point of every program: runs main, turns errors into one line on stderr,
// and picks the exit code (0 complete, 1 failed or incomplete, 2 usage error).
import { readFileSync } from 'node:fs';
import { AsError, ParseError, exitCodeOf } from '../errors.js';
import { wallClock } from '../clock.js';
import { processIo, type Program } from './program.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;


let quietPipe = false;

function peakRssKiB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

/** isBrokenPipe: the reader of stdout went away (`| head`): a quiet, successful end. */
export function isBrokenPipe(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as NodeJS.ErrnoException).code === 'EPIPE';
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
  process.stdout.on('error', (e) => {
    if (isBrokenPipe(e)) {
      quietPipe = true;
      process.exit(EXIT_OK);
    }
  });
  // Ctrl-C or a kill: say so in one line and exit 1 (incomplete); a backup's files are still
  // named .part, so nothing looks complete.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (p.runsUntilStopped) process.exit(EXIT_OK);
      process.stderr.write(`\n${program}: interrupted by ${signal}; the run is incomplete\n`);
      process.exit(EXIT_FAILED);
    });
  }
  // A bad AS_CLOCK is a usage error before anything else happens.
  Promise.resolve().then(() => { wallClock(); return p.main(argv, processIo()); }).then(
    (code) => {
      process.exitCode = code ?? EXIT_OK;
      flushAndExit();
    },
    (e: unknown) => {
      if (isBrokenPipe(e) || quietPipe) {
        process.exitCode = EXIT_OK;
      } else {
        process.stderr.write(formatError(program, e) + '\n');
        if (process.env.AS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
        process.exitCode = exitCodeOf(e);
      }
      flushAndExit();
    },
  );
}

// Exit once stdout has drained, so no data written by main is lost; sockets or timers
// left open by a failed run do not keep the process alive.
function flushAndExit(): void {
  const code = Number(process.exitCode ?? 0);
  // For `npm run bench`: the peak memory of this run, in KiB. VmHWM, because getrusage's
  // maxrss survives exec and would report the memory of the process that spawned us.
  if (process.env.AS_REPORT_RSS) process.stderr.write(`peak-rss-kib ${peakRssKiB()}\n`);
  if (process.stdout.writableLength === 0) process.exit(code);
  process.stdout.once('drain', () => process.exit(code));
  process.stdout.once('close', () => process.exit(code));
}

export { AsError };
