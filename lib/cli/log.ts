// Log lines on stderr, in the shape the official tools print them:
// `YYYY-MM-DD HH:MM:SS GMT [INF] message`.
import type { Logger } from '../log.js';

export type { Logger } from '../log.js';

function stamp(): string {
  return new Date().toISOString().replace('T', ' ').slice(0, 19) + ' GMT';
}

/** makeLogger: a logger writing to stderr. */
export function makeLogger(verbose: boolean, out: NodeJS.WritableStream = process.stderr): Logger {
  return {
    info: (m) => void out.write(`${stamp()} [INF] ${m}\n`),
    verbose: (m) => { if (verbose) out.write(`${stamp()} [VER] ${m}\n`); },
    error: (m) => void out.write(`${stamp()} [ERR] ${m}\n`),
  };
}
