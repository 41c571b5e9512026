// The two programs as processes: decode | encode reproduces each official file byte for
// byte; a bad file exits 1 with one line naming file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import type { RecordItem } from '../../lib/records/types.js';
import { repoRoot, vectorsDir } from './helpers.js';

const bin = (name: string): string => path.join(repoRoot, 'bin', name);
const node = (args: string[], input?: Buffer) => spawnSync(process.execPath, args, { input, maxBuffer: 64 * 1024 * 1024 });

const CASES: [string, string[]][] = [
  ['official-vec.asb', []],
  ['official-vec-compact.asb', ['--compact']],
  ['official-vec-dir/test_00000.asb', []],
  ['official-vec-dir/test_00001.asb', ['--no-first-file']],
];

for (const [file, flags] of CASES) {
  test(`positive: as-decode-asb ${file} | as-encode-asb ${flags.join(' ')} gives the same bytes`, () => {
    const full = path.join(vectorsDir, file);
    const dec = node([bin('as-decode-asb'), full]);
    assert.equal(dec.status, 0, dec.stderr.toString());
    const enc = node([bin('as-encode-asb'), ...flags], dec.stdout);
    assert.equal(enc.status, 0, enc.stderr.toString());
    assert.ok(enc.stdout.equals(readFileSync(full)));
  });
}

test('positive: as-decode-asb reads stdin and several files in order', () => {
  const a = path.join(vectorsDir, 'official-test_backup_file.asb');
  const one = node([bin('as-decode-asb')], readFileSync(a));
  assert.equal(one.status, 0);
  const two = node([bin('as-decode-asb'), a, a]);
  assert.equal(two.stdout.toString(), one.stdout.toString().repeat(2));
  const rec = JSON.parse(one.stdout.toString());
  assert.deepEqual([rec.set, rec.key, rec.voidTime], ['demo', { type: 'string', value: 'key1' }, 428179113]);
});

test('negative: a bad file exits 1 with file:line:col, the line and a caret', () => {
  const bad = path.join(vectorsDir, 'official-test_bad_backup_file.asb');
  const r = node([bin('as-decode-asb'), bad]);
  assert.equal(r.status, 1);
  const lines = r.stderr.toString().trimEnd().split('\n');
  assert.equal(lines[0], `as-decode-asb: ${bad}:13:3: Invalid bytes label "x" [PARSE]`);
  assert.deepEqual(lines.slice(1), ['- x baz T', '  ^']);
});

test('negative: bad options exit 2; --help exits 0', () => {
  assert.equal(node([bin('as-encode-asb'), '--bogus']).status, 2);
  assert.equal(node([bin('as-decode-asb'), '--bogus']).status, 2);
  const h = node([bin('as-encode-asb'), '--help']);
  assert.equal(h.status, 0);
  assert.match(h.stdout.toString(), /--compact/);
});

test('positive: as-encode-asb with no input writes the header with --namespace', () => {
  const r = node([bin('as-encode-asb'), '-n', 'test'], Buffer.alloc(0));
  assert.equal(r.status, 0);
  assert.equal(r.stdout.toString(), 'Version 3.1\n# namespace test\n# first-file\n');
});

test('negative: a file cut short gives every complete record before the error, whatever the batch size (issue #11 item 18)', () => {
  const recs: RecordItem[] = Array.from({ length: 3000 }, (_, i) => {
    const k = particle.string(`key-${i}`);
    return { kind: 'record', namespace: 'test', set: 's', digest: computeDigest('s', k.type, k.data), key: k, generation: 1, voidTime: 0, bins: [{ name: 'v', ...particle.string('x'.repeat(i % 40)) }] };
  });
  const blocks = recs.map((r) => encodeItem(r));
  const whole = Buffer.concat([encodeHeader('test', true), ...blocks]);
  const dir = mkdtempSync(path.join(tmpdir(), 'asb-cut-'));
  // Cut inside record `n` (0-based): records 0..n-1 are complete. Below one batch, at and
  // around the batch size of 256, and far into the file (over 64 KiB of output).
  for (const n of [0, 3, 255, 256, 257, 2999]) {
    let at = encodeHeader('test', true).length;
    for (let i = 0; i < n; i++) at += blocks[i]!.length;
    const file = path.join(dir, `cut-${n}.asb`);
    writeFileSync(file, whole.subarray(0, at + 20));
    const r = node([bin('as-decode-asb'), file]);
    assert.equal(r.status, 1, r.stderr.toString());
    assert.match(r.stderr.toString(), /\[PARSE\]/);
    const lines = r.stdout.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    // Every complete record, then the line that tells a reader the stream was cut short.
    assert.equal(lines.pop().kind, 'aborted');
    assert.equal(lines.length, n, `cut in record ${n}: ${lines.length} record(s) out`);
    assert.deepEqual(lines.map((l) => l.digest), recs.slice(0, n).map((x) => x.digest.toString('base64')));
  }
});
