// Shared test helpers: run a program as a real process, find the repository and ../shared,
// fill a dev server through the official client.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repoRoot: the directory holding package.json. */
export const repoRoot = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

/** sharedDir: ../shared beside the repository. */
export const sharedDir = resolve(repoRoot, '../shared');

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

/** runProgram: runs bin/<name> with args, feeding input on stdin. */
export function runProgram(name: string, args: string[], opts: { input?: Buffer | string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', name), ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined);
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** runPipeline: runs programs connected by pipes (like a shell pipeline). */
export async function runPipeline(stages: Array<[string, string[]]>): Promise<RunResult[]> {
  const procs = stages.map(([name, args]) => spawn(process.execPath, [join(repoRoot, 'bin', name), ...args], {
    cwd: repoRoot, env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent' }, stdio: ['pipe', 'pipe', 'pipe'],
  }));
  for (let i = 0; i + 1 < procs.length; i++) procs[i]!.stdout.pipe(procs[i + 1]!.stdin);
  procs[0]!.stdin.end();
  return Promise.all(procs.map((p) => new Promise<RunResult>((res) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    if (p === procs[procs.length - 1]) p.stdout.on('data', (b: Buffer) => out.push(b));
    p.stderr.on('data', (b: Buffer) => err.push(b));
    p.on('close', (code) => res({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  })));
}
