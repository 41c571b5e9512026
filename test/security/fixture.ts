// Helpers of the security tests: records for a dev server, running a program while
// watching its /proc entry, and the "one clear error line" check.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { DevServer } from '../../lib/devserver/index.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { repoRoot, type RunResult } from '../helpers.js';

/** The login of the tests' secured servers. */
export const ADMIN = { user: 'admin', password: 'S3cret-pw-91842' };

/** fill: n records in test/a with a key, an integer and a string bin. */
export function fill(server: DevServer, n = 60): void {
  for (let i = 0; i < n; i++) {
    const k = particle.string(`key-${i}`);
    server.put('test', 'a', computeDigest('a', k.type, k.data), [
      { name: 'i', ...particle.integer(i) },
      { name: 's', ...particle.string(`value ${i}`) },
    ], { key: k });
  }
}

/** RunWatch: a finished run plus every /proc/<pid>/cmdline and environ read while it ran. */
export interface WatchedRun extends RunResult {
  procSeen: string;
}

/** run: bin/<name> with args; polls /proc/<pid>/cmdline and environ while the program runs. */
export function run(name: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; detached?: boolean } = {}): Promise<WatchedRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', name), ...args], {
      cwd: repoRoot,
      env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent', AS_DEBUG: '', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // Detached = a new session without a controlling terminal (no /dev/tty to prompt on).
      detached: opts.detached ?? false,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let procSeen = '';
    const poll = setInterval(() => {
      try {
        procSeen += readFileSync(`/proc/${child.pid}/cmdline`, 'utf8') + '\n';
      } catch { /* gone */ }
    }, 5);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), procSeen });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * failsWith: exit 1 and exactly one stderr line that is not a log line, naming the program,
 * `host` and matching `reason`.
 */
export function failsWith(r: RunResult, program: string, host: string, reason: RegExp): void {
  assert.equal(r.code, 1, `exit code, stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT \[/.test(l));
  assert.equal(lines.length, 1, `one error line expected, got:\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith(`${program}: `), lines[0]);
  assert.ok(lines[0]!.includes(host), `"${host}" missing in: ${lines[0]}`);
  assert.match(lines[0]!, reason);
}

/** noSecret: the secret appears in no output of the run (nor in files given). */
export function noSecret(r: RunResult, secret: string, files: string[] = []): void {
  assert.ok(!r.stdout.includes(secret), 'secret on stdout');
  assert.ok(!r.stderr.includes(secret), 'secret on stderr');
  for (const f of files) assert.ok(!readFileSync(f).includes(secret), `secret in ${f}`);
}
