// Inputs checked before anything starts (issue #11 items 8, 9, 13, 14, 16), through the real
// programs: every bad path or value is one line naming it, with its code and exit code, and
// nothing is connected to, read or written first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { assertFailure, officialDir, runProgram, tempDir } from '../helpers.js';

let server: DevServer;
let host: string;
const N = 30;
/** Nothing listens here: a program that connects before checking fails with CONNECT instead. */
const NOWHERE = '127.0.0.1:1';

before(async () => {
  server = await startDevServer({ nodes: 2, namespaces: ['test'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  for (let i = 0; i < N; i++) {
    const k = particle.string(`k${i}`);
    server.put('test', 'users', computeDigest('users', k.type, k.data), [{ name: 'i', ...particle.integer(i) }], { key: k });
  }
});
after(async () => {
  await server.close();
});

test('negative: --output-file-prefix is a file name: a "/" is refused, nothing is written outside -d (item 8)', async () => {
  const base = tempDir();
  const dir = join(base, 'bk');
  for (const prefix of ['../evil', 'sub/x', '/tmp/evil']) {
    const r = await runProgram('asbackup', ['-h', NOWHERE, '-n', 'test', '-d', dir, '--output-file-prefix', prefix]);
    assertFailure(r, 2, 'USAGE', `asbackup --output-file-prefix ${prefix}`);
    assert.match(r.stderr, /--output-file-prefix/);
  }
  const asb = readFileSync(join(officialDir, 'official-vec.asb'));
  const split = await runProgram('as-split-files', ['-d', dir, '--output-file-prefix', '../evil'], { input: asb });
  assertFailure(split, 2, 'USAGE', 'as-split-files --output-file-prefix ../evil');
  assert.deepEqual(readdirSync(base), [], 'nothing written beside -d, no -d created');
  // A plain name still names the files, inside -d.
  const ok = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '--output-file-prefix', 'nightly.v2']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir), ['nightly.v2_00000.asb']);
});

test('negative: -% with more than two decimals is refused, not rounded to nothing (item 9)', async () => {
  for (const p of ['0.001', '0.004', '12.345']) {
    const r = await runProgram('asbackup', ['-h', NOWHERE, '-n', 'test', '-d', join(tempDir(), 'p'), '-%', p]);
    assertFailure(r, 2, 'USAGE', `-% ${p}`);
    assert.match(r.stderr, /-%|--percent/);
    const f = await runProgram('as-filter', ['-%', p], { input: '' });
    assertFailure(f, 2, 'USAGE', `as-filter -% ${p}`);
  }
  // Two decimals are taken as given: 0.01 % of 30 records is (almost surely) none, and that is
  // what was asked for.
  const dir = join(tempDir(), 'small');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-%', '0.01']);
  assert.equal(r.code, 0, r.stderr);
});
