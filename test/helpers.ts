// Shared test helpers: run a program as a real process, find the repository and its fixtures,
// fill a dev server through the official client.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../lib/paths.js';

/** repoRoot: the directory holding package.json. */
export const repoRoot = packageRoot();

/** officialDir: files written by the official tools (test/fixtures/official/README.md). */
export const officialDir = join(repoRoot, 'test/fixtures/official');

/** tempDir: a fresh temporary directory. */
export function tempDir(prefix = 'asb-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** What a finished program left behind. */
export interface RunResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Options of runProgram. */
export interface RunOptions {
  input?: Buffer | string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (the tests run as root, where permissions do not bite). */
  uid?: number;
  gid?: number;
  /** Kill the program (SIGKILL) after this long: a hang fails the test (code -1) instead of holding it. */
  killAfterMs?: number;
}

/** runProgram: runs bin/<name> with args, feeding input on stdin. */
export function runProgram(name: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', name), ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
    });
    const killer = opts.killAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (killer) clearTimeout(killer);
      resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() });
    });
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/**
 * assertFailure: the run exited with `exit` and ended with one error line (after any log
 * lines) that ends with ` [code]` and holds no raw Node error (`EISDIR: ...`); a parse
 * error may add the offending line and a caret. Returns the error line.
 */
export function assertFailure(r: RunResult, exit: number, code: string, what = ''): string {
  const lines = r.stderr.trimEnd().split('\n').filter((l) => l !== '' && !/ GMT \[(INF|VER|ERR|WRN)\] /.test(l));
  assert.equal(r.code, exit, `${what}: exit code ${r.code}; stderr:\n${r.stderr}`);
  assert.ok(lines.length === 1 || (lines.length <= 3 && lines[lines.length - 1]!.trim() === '^'), `${what}: one error line; stderr:\n${r.stderr}`);
  assert.ok(lines[0]!.endsWith(` [${code}]`), `${what}: ${lines[0]} should end with [${code}]`);
  assert.doesNotMatch(lines[0]!, /\bE[A-Z]{3,}: /, `${what}: a raw Node error reached the user`);
  return lines[0]!;
}

/** A pipeline that is running: its processes, and what each left behind once all ended. */
export interface RunningPipeline {
  procs: ChildProcessWithoutNullStreams[];
  done: Promise<RunResult[]>;
}

/** startPipeline: starts programs connected by pipes (like a shell pipeline). */
export function startPipeline(stages: Array<[string, string[]]>): RunningPipeline {
  const procs = stages.map(([name, args]) => spawn(process.execPath, [join(repoRoot, 'bin', name), ...args], {
    cwd: repoRoot, env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent' }, stdio: ['pipe', 'pipe', 'pipe'],
  }));
  for (let i = 0; i + 1 < procs.length; i++) procs[i]!.stdout.pipe(procs[i + 1]!.stdin);
  procs[0]!.stdin.end();
  const done = Promise.all(procs.map((p) => new Promise<RunResult>((res) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (p === procs[procs.length - 1]) p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('close', (code) => res({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  })));
  return { procs, done };
}

/** runPipeline: runs programs connected by pipes (like a shell pipeline). */
export function runPipeline(stages: Array<[string, string[]]>): Promise<RunResult[]> {
  return startPipeline(stages).done;
}

/** lastLine: the last non-empty line of a program's stderr (where its error is). */
export function lastLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  return lines[lines.length - 1] ?? '';
}

/**
 * errorCode: the code a program ended with: ` [CODE]` at the end of its last such line (a
 * parse error's line is followed by an excerpt and a caret), if any.
 */
export function errorCode(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = / \[([A-Z0-9_]+)\]$/.exec(lines[i]!);
    if (m) return m[1];
  }
  return undefined;
}

/** waitFor: polls `cond` until it holds; fails after `ms` naming `what`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** FakeClock: a clock that moves only when told to; sleep() moves it instead of waiting. */
export interface FakeClock {
  now(): number;
  advance(ms: number): void;
  sleep(ms: number): Promise<void>;
  /** Every sleep asked for, in ms. */
  readonly sleeps: number[];
}

/** fakeClock: a FakeClock starting at `start` ms. */
export function fakeClock(start = 0): FakeClock {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms) => { t += ms; },
    sleep: async (ms) => { sleeps.push(ms); t += ms; },
    sleeps,
  };
}

/** Rng: a seeded pseudo-random source (sfc32), the same sequence for the same seed. */
export interface Rng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  bytes(n: number): Buffer;
}

/** seededRng: a Rng from TEST_SEED, else from `seed`, else from a fresh random seed. */
export function seededRng(seed?: number): Rng {
  const s = process.env.TEST_SEED !== undefined ? Number(process.env.TEST_SEED) : (seed ?? Math.floor(Math.random() * 2 ** 31));
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = s >>> 0;
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) next32();
  const next = (): number => next32() / 2 ** 32;
  return {
    seed: s,
    next,
    int: (n) => Math.floor(next() * n),
    bytes: (n) => {
      const out = Buffer.allocUnsafe(n + 3);
      for (let i = 0; i < n; i += 4) out.writeUInt32LE(next32(), i);
      return out.subarray(0, n);
    },
  };
}

/**
 * withSeed: runs a test body with a seeded Rng; a failure names the seed and how to run
 * the test again with it (TEST_SEED=<seed>).
 */
export async function withSeed<T>(body: (rng: Rng) => Promise<T> | T, seed?: number): Promise<T> {
  const rng = seededRng(seed);
  try {
    return await body(rng);
  } catch (e) {
    if (e instanceof Error) e.message += `\n(random seed ${rng.seed}: run again with TEST_SEED=${rng.seed})`;
    throw e;
  }
}
