// asrestore checks its input before writing anything and reports what happened truthfully
// (issue #11 items 15 and 19), through the real program against a dev server of its own.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { MAX_TTL, nowClSeconds } from '../../lib/restore/write-policy.js';
import type { RecordItem } from '../../lib/records/types.js';
import { assertFailure, officialDir as VEC, runProgram, tempDir } from '../helpers.js';

/** The clock of every run here (the programs' AS_CLOCK and the server's). */
const AT = Date.parse('2026-11-23T19:22:00Z');
const env = { AS_CLOCK: new Date(AT).toISOString() };
const YEAR = 365 * 86400;

let server: DevServer;
let host: string;
beforeEach(async () => {
  server = await startDevServer({ nodes: 2, namespaces: ['test', 'bar', 'other'] });
  server.clock.set(AT);
  host = `127.0.0.1:${server.seeds[0]!.port}`;
});
afterEach(async () => {
  await server.close();
});

function rec(i: number, voidTime: number, ns = 'test'): RecordItem {
  const k = particle.string(`k${i}`);
  return { kind: 'record', namespace: ns, set: 's', digest: computeDigest('s', k.type, k.data), key: k, generation: 1, voidTime, bins: [{ name: 'v', ...particle.integer(i) }] };
}

/** An .asb file of these records. */
function asbFile(path: string, recs: RecordItem[], ns = 'test'): string {
  writeFileSync(path, Buffer.concat([encodeHeader(ns, true), ...recs.map((r) => encodeItem(r))]));
  return path;
}

/** The official file as if it had been backed up from namespace `ns`. */
function renamed(ns: string): Buffer {
  return Buffer.from(readFileSync(join(VEC, 'official-vec.asb'), 'latin1')
    .replace('\n# namespace test\n', `\n# namespace ${ns}\n`).replaceAll('\n+ n test\n', `\n+ n ${ns}\n`).replaceAll('\n* i test ', `\n* i ${ns} `), 'latin1');
}

test('negative: a failed connect is one line, with no summary of a restore that never began (item 15)', async () => {
  const r = await runProgram('asrestore', ['-h', '127.0.0.1:1', '-i', join(VEC, 'official-vec.asb')], { env });
  assertFailure(r, 1, 'CONNECT', 'unreachable host');
  assert.doesNotMatch(r.stderr, /Restored|record\(s\) read|Restore failed/);
});

test('negative: --validate of a broken file says the backup is not valid, not that a restore failed (item 15)', async () => {
  const text = readFileSync(join(VEC, 'official-vec.asb'));
  const cut = join(tempDir(), 'cut.asb');
  writeFileSync(cut, text.subarray(0, Math.floor(text.length / 2)));
  const r = await runProgram('asrestore', ['-i', cut, '--validate'], { env });
  assertFailure(r, 1, 'PARSE', '--validate of a cut file');
  assert.match(r.stderr, /\[ERR\] Validation failed after \d+ record\(s\) were read; the backup is not valid/);
  assert.doesNotMatch(r.stderr, /Restore failed|restore is incomplete/);
});

test('negative: a directory holding only .part files says so (item 15)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'test_00000.asb.part'), readFileSync(join(VEC, 'official-vec.asb')));
  const r = await runProgram('asrestore', ['-h', '127.0.0.1:1', '-d', dir], { env });
  const line = assertFailure(r, 2, 'NO_BACKUP_FILES', 'only .part files');
  assert.match(line, /test_00000\.asb\.part/);
});

test('negative: a TTL over the server\'s 10-year limit is refused before sending, naming the record and --extra-ttl (item 15)', async () => {
  const now = nowClSeconds(AT);
  const dir = tempDir();
  // One record 11 years ahead of the clock, after two good ones.
  const far = asbFile(join(dir, 'far.asb'), [rec(1, now + YEAR), rec(2, 0), rec(3, now + 11 * YEAR)]);
  const r = await runProgram('asrestore', ['-h', host, '-i', far], { env });
  const line = assertFailure(r, 1, 'RECORD_REJECTED', 'TTL over 10 years');
  assert.match(line, new RegExp(`record ${rec(3, 0).digest.toString('base64').replace(/[+/]/g, '.')} .*${MAX_TTL}`));
  assert.equal(server.get('test', rec(3, 0).digest), undefined, 'never sent');
  const v = await runProgram('asrestore', ['-i', far, '--validate'], { env });
  assertFailure(v, 1, 'RECORD_REJECTED', '--validate sees it too');
  const ignored = await runProgram('asrestore', ['-h', host, '-i', far, '--ignore-record-error'], { env });
  assert.equal(ignored.code, 0, ignored.stderr);
  assert.match(ignored.stderr, /ignored errors 1, failed 0/);
  assert.equal(server.count('test'), 2, 'the two good records, written by the run that stopped at the third or by this one');
  // A record one year ahead is fine, until --extra-ttl takes it over the limit.
  const year = asbFile(join(dir, 'year.asb'), [rec(4, now + YEAR)]);
  const extra = await runProgram('asrestore', ['-h', host, '-i', year, '--extra-ttl', String(10 * YEAR)], { env });
  const why = assertFailure(extra, 1, 'RECORD_REJECTED', '--extra-ttl over the limit');
  assert.match(why, /--extra-ttl/);
  const fine = await runProgram('asrestore', ['-h', host, '-i', year, '--extra-ttl', String(YEAR)], { env });
  assert.equal(fine.code, 0, fine.stderr);
});

test('negative: files of another namespace than -n are refused by their headers before anything is written (item 19)', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a_00000.asb'), readFileSync(join(VEC, 'official-vec.asb')));
  writeFileSync(join(dir, 'b_00000.asb'), renamed('bar'));
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,other', '-d', dir], { env });
  const line = assertFailure(r, 2, 'NAMESPACE_MISMATCH', 'mixed directory');
  assert.match(line, /b_00000\.asb: .*namespace bar.*-n bar,other/);
  assert.equal(server.count('other'), 0, 'nothing written');
  assert.equal(server.count('test'), 0, 'nothing written');
  // A file that is no backup at all, after a good one: also refused before the first record.
  const bad = tempDir();
  writeFileSync(join(bad, 'a_00000.asb'), readFileSync(join(VEC, 'official-vec.asb')));
  writeFileSync(join(bad, 'b_00000.asb'), 'Version 9.9\n');
  const b = await runProgram('asrestore', ['-h', host, '-n', 'test,other', '-d', bad], { env });
  assertFailure(b, 1, 'PARSE', 'a file with a bad header');
  assert.equal(server.count('other'), 0, 'nothing written');
  // Without -n, each file's records go to their own namespace, as the headers say.
  const ok = await runProgram('asrestore', ['-h', host, '-d', dir], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /Found 2 backup file\(s\) in .*\n.*The backup files hold namespaces bar, test/);
  assert.equal(server.count('test'), 200);
  assert.equal(server.count('bar'), 200);
});

test('negative: a file cut short gives asrestore every complete record before the error (item 18)', async () => {
  const now = nowClSeconds(AT);
  const recs = Array.from({ length: 40 }, (_, i) => rec(i, i % 2 ? 0 : now + YEAR));
  const whole = readFileSync(asbFile(join(tempDir(), 'whole.asb'), recs));
  const cut = join(tempDir(), 'cut.asb');
  // Cut inside the 31st record: 30 complete records before it (fewer than one batch).
  const starts = [...whole.toString('latin1').matchAll(/\n\+ k /g)].map((m) => m.index! + 1);
  writeFileSync(cut, whole.subarray(0, starts[30]! + 12));
  const r = await runProgram('asrestore', ['-h', host, '-i', cut], { env });
  assertFailure(r, 1, 'PARSE', 'cut file');
  assert.match(r.stderr, /Inserted 30 record\(s\)/);
  assert.equal(server.count('test'), 30);
});

test('positive: -i of a pipe is read once: its header is checked as it is read (item 19)', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { createWriteStream } = await import('node:fs');
  const fifo = join(tempDir(), 'pipe.asb');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    return t.skip('no mkfifo');
  }
  // The writer blocks until asrestore opens the pipe; it must open it once only.
  const feeding = new Promise<void>((res, rej) => createWriteStream(fifo).on('error', rej).end(readFileSync(join(VEC, 'official-vec.asb')), () => res()));
  const r = await runProgram('asrestore', ['-i', fifo, '--validate'], { env, killAfterMs: 60_000 });
  await feeding;
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Valid 200 record\(s\)/);
});
