// The one shape of every program: a module exports `program`, which names it, says how it
// is called, holds its option table and its main. Importing a module does nothing else;
// lib/cli/run.ts runs a main and is the only place that exits.
import type { Readable, Writable } from 'node:stream';
import type { OptionSpec, OptionTable } from './options.js';
import { usage } from './options.js';
import { versionText } from './version.js';

/** StreamFormat: what a program writes on stdout, for the line that ends a stream early. */
export type StreamFormat = 'asb' | 'jsonl';

/** ProgramIo: the streams a program reads and writes (the process's own when run from a shell). */
export interface ProgramIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /**
   * Aborted on the first SIGINT or SIGTERM when the program says `stopsOnSignal`; its
   * reason is the INTERRUPTED error to end with.
   */
  signal?: AbortSignal;
  /**
   * dataOut: says that stdout carries data in this format from now on, so a run that ends
   * early (an error or a signal) ends it with a line its readers refuse (docs/pipelines.md).
   * `atLineStart` says whether the bytes written so far end a line (default: always).
   * `encode` turns that line into the stream's bytes when the stream is compressed or
   * encrypted (lib/stages/output.ts StreamTail), so its readers decode it like the rest.
   */
  dataOut?(format: StreamFormat, atLineStart?: () => boolean, encode?: (line: string) => Buffer): void;
}

/** Program: one command of the toolkit. */
export interface Program {
  name: string;
  /** What it does, in one line (README, docs). */
  summary: string;
  /** How it is called, after the name; the first line is the main form. */
  synopsis: string[];
  options: OptionTable;
  /** A server: a signal is how it ends, so SIGINT/SIGTERM exit 0 without a word. */
  runsUntilStopped?: boolean;
  /**
   * main watches io.signal: on SIGINT/SIGTERM it stops, reports what it did and rejects;
   * lib/cli/run.ts waits a little for that. Other programs end at once on a signal.
   */
  stopsOnSignal?: boolean;
  /** Runs the program; resolves to the exit code (default 0), or throws an AsError. */
  main(argv: string[], io: ProgramIo): Promise<number | void>;
}

/** processIo: the process's own streams. */
export function processIo(): ProgramIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/** helpOptions: -Z/--usage/--help and -V/--version, the same in every program. */
export const helpOptions: readonly OptionSpec[] = [
  { long: 'usage', short: 'Z', aliases: ['help'], type: 'boolean', group: 'Other', configKey: false, immediate: true, describe: 'Print this help and exit.' },
  { long: 'version', short: 'V', type: 'boolean', group: 'Other', configKey: false, immediate: true, describe: 'Print the version and exit.' },
];

/**
 * answeredHelp: prints the usage text (--usage, --help, -Z) or the version (--version, -V)
 * on stdout; true when the run ends there. Every program calls it right after parsing.
 */
export function answeredHelp(p: Program, values: { usage?: unknown; version?: unknown }, io: ProgramIo): boolean {
  if (values.usage) io.stdout.write(usage(p.options, p.name, p.synopsis));
  else if (values.version) io.stdout.write(versionText(p.name));
  return Boolean(values.usage || values.version);
}
