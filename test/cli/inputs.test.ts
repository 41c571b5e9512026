// Inputs checked before anything starts (issue #11 items 8, 9, 13, 14, 16), through the real
// programs: every bad path or value is one line naming it, with its code and exit code, and
// nothing is connected to, read or written first.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { assertFailure, officialDir, repoRoot, runProgram, tempDir } from '../helpers.js';

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
  assert.deepEqual(readdirSync(dir).sort(), ['nightly.v2.asb.manifest', 'nightly.v2_00000.asb']);
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

test('negative: -d on a file system that refuses new directories fails within seconds (item 13)', async (t) => {
  if (!existsSync('/proc/self')) return t.skip('no procfs');
  // Killed after a minute: the old recursive mkdir spun forever and ignored SIGTERM.
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', '/proc/asbackup-test/sub'], { killAfterMs: 60_000 });
  const line = assertFailure(r, 1, 'OUTPUT', 'asbackup -d /proc/...');
  assert.match(line, /\/proc\/asbackup-test\/sub/);
  const s = await runProgram('as-split-files', ['-d', '/proc/asbackup-test'], { input: readFileSync(join(officialDir, 'official-vec.asb')), killAfterMs: 60_000 });
  assertFailure(s, 1, 'OUTPUT', 'as-split-files -d /proc/...');
});

test('negative: a wrong kind of path is one line naming it and the option that fixes it, before connecting (item 14)', async () => {
  const base = tempDir();
  const dir = join(base, 'adir');
  mkdirSync(dir);
  const file = join(base, 'afile');
  writeFileSync(file, 'not a backup');
  const missing = join(base, 'missing.asb');
  const vec = join(officialDir, 'official-vec.asb');
  // [program, args, exit, code, what the line must name]
  const cases: Array<[string, string[], number, string, RegExp]> = [
    ['asrestore', ['-h', NOWHERE, '-i', missing], 2, 'INPUT', /--input-file .*missing\.asb: no such file/],
    ['asrestore', ['-h', NOWHERE, '-i', dir], 2, 'INPUT', /--input-file .*adir is a directory; use -d\/--directory/],
    ['asrestore', ['-h', NOWHERE, '-d', file], 2, 'INPUT', /--directory .*afile is not a directory; use -i\/--input-file/],
    ['asrestore', ['-h', NOWHERE, '-d', join(base, 'nodir')], 2, 'INPUT', /--directory .*nodir: no such file/],
    ['asrestore', ['-h', NOWHERE, '-i', file], 1, 'PARSE', /afile:1:1/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-o', dir], 1, 'OUTPUT', /--output-file .*adir is a directory.*-d\/--directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-o', dir, '-r'], 1, 'OUTPUT', /--output-file .*adir is a directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-o', join(base, 'nodir', 'x.asb')], 1, 'OUTPUT', /directory .*nodir does not exist/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-d', file], 1, 'OUTPUT', /--directory .*afile exists and is not a directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-d', file, '-r'], 1, 'OUTPUT', /--directory .*afile exists and is not a directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-d', join(file, 'sub')], 1, 'OUTPUT', /afile\/sub: a part of the path is not a directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-d', 'x', '--config-file', dir], 2, 'CONFIG', /config file .*adir: it is a directory/],
    ['asbackup', ['-h', NOWHERE, '-n', 'test', '-d', 'x', '--config-file', missing], 2, 'CONFIG', /config file .*missing\.asb: no such file/],
    ['as-decode-asb', [dir], 2, 'INPUT', /input file .*adir is a directory/],
    ['as-decode-asb', [vec, missing], 2, 'INPUT', /input file .*missing\.asb: no such file/],
    ['as-split-files', ['-d', join(base, 'out'), dir], 2, 'INPUT', /input file .*adir is a directory/],
    ['as-split-files', ['-d', join(base, 'out'), missing], 2, 'INPUT', /input file .*missing\.asb: no such file/],
    ['as-split-files', ['-d', file, vec], 1, 'OUTPUT', /--directory .*afile exists and is not a directory/],
    ['as-filter', [dir], 2, 'INPUT', /input file .*adir is a directory/],
    ['as-filter', [missing], 2, 'INPUT', /input file .*missing\.asb: no such file/],
  ];
  for (const [program, args, exit, code, names] of cases) {
    const r = await runProgram(program, args, { cwd: base });
    const line = assertFailure(r, exit, code, `${program} ${args.join(' ')}`);
    assert.match(line, names, `${program} ${args.join(' ')}`);
    // Nothing but the marker of an aborted stream (docs/pipelines.md) reaches stdout.
    const data = r.stdout.toString('latin1').split('\n').filter((l) => l !== '' && !l.startsWith('{"kind":"aborted"') && !l.startsWith('# ABORTED'));
    assert.deepEqual(data, [], `${program} ${args.join(' ')}: no output before the check`);
  }
  assert.ok(existsSync(dir) && readFileSync(file, 'utf8') === 'not a backup', '-r removed nothing that is not a backup');
  assert.deepEqual(readdirSync(base).sort(), ['adir', 'afile'], 'nothing created');
});

// Root reads everything; a program run as nobody meets permissions as a user would.
const NOBODY = 65534;
const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};

// A checkout under a directory only root may enter (mktemp -d is 0700) cannot run the
// programs as nobody at all: these tests then say so and skip, as they cannot test anything.
const nobodyCannotRun = process.getuid?.() === 0
  && spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(join(repoRoot, 'dist', 'bundle', 'asbackup', 'main.js'))})`], asNobody).status !== 0
  ? `user nobody cannot reach ${repoRoot} (a parent directory is closed to others)` : undefined;

/** A directory nobody may enter, under a fresh temp dir others may enter. */
function lockedDir(): string {
  const base = tempDir();
  chmodSync(base, 0o755);
  const locked = join(base, 'home');
  mkdirSync(join(locked, '.aerospike'), { recursive: true });
  writeFileSync(join(locked, '.aerospike', 'astools.conf'), '[asrestore]\nbogus-key = 1\n');
  chmodSync(locked, 0o000);
  return locked;
}

test('positive: a default astools.conf that cannot be read is skipped, as a missing one is (item 16)', { skip: nobodyCannotRun }, async () => {
  const home = lockedDir();
  const vec = join(officialDir, 'official-vec.asb');
  // The default file ~/.aerospike/astools.conf under a $HOME the user may not enter (as
  // after `su`). AS_TOOLS_CONF_DIRS names that directory in place of the standard ones, so
  // the test reads nothing outside its temp dir (such as /etc/aerospike); the files it
  // names are default files, read the same way. AS_CLOCK: at this moment none of the
  // file's records has expired.
  const env = { AS_CLOCK: '2026-11-23T19:22:00Z', HOME: home, AS_TOOLS_CONF_DIRS: `${dirname(home)}/none:${home}/.aerospike` };
  const r = await runProgram('asrestore', ['-i', vec, '--validate'], { env, ...asNobody });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Valid 200 record\(s\)/);
  // Named on the command line, the same file is an error that names it.
  const named = await runProgram('asrestore', ['-i', vec, '--validate', '--config-file', join(home, '.aerospike', 'astools.conf')], { env: { HOME: home }, ...asNobody });
  const line = assertFailure(named, 2, 'CONFIG', '--config-file unreadable');
  assert.match(line, /astools\.conf: (permission denied|.*)/);
});

test('negative: an input file that cannot be read names it (item 14)', { skip: nobodyCannotRun }, async () => {
  const base = tempDir();
  chmodSync(base, 0o755);
  const file = join(base, 'secret.asb');
  writeFileSync(file, readFileSync(join(officialDir, 'official-vec.asb')));
  chmodSync(file, 0o000);
  for (const [program, args] of [['asrestore', ['-h', NOWHERE, '-i', file]], ['as-decode-asb', [file]], ['asrestore', ['-h', NOWHERE, '-d', base]]] as const) {
    const r = await runProgram(program, [...args], asNobody);
    const line = assertFailure(r, 2, 'INPUT', `${program} unreadable`);
    assert.match(line, /secret\.asb: permission denied/);
  }
});
