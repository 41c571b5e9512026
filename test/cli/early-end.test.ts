// Runs that end before their work is done, through the real programs and a real shell:
// a reader that stops early (`| head`), a producer killed mid-stream, a restore or backup
// stopped by a signal. None of them may exit 0, each says what was written, and the reader
// of an aborted stream notices (issue #11 items 1, 2, 4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { benchRecord, makeFile } from '../../bench/data.js';
import { errorCode, lastLine, repoRoot, runPipeline, runProgram, startPipeline, tempDir, waitFor } from '../helpers.js';

const RECORDS = 20_000;
let server: DevServer;
let host: string;
let file: string;

before(async () => {
  server = await startDevServer({ nodes: 1, namespaces: ['test', 'copy', 'restored'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  for (let i = 0; i < RECORDS; i++) {
    const r = benchRecord(i, 'test');
    server.put('test', r.set, r.digest, r.bins, { key: r.key });
  }
  file = join(tempDir(), 'bench.asb');
  await makeFile(file, RECORDS, 'test');
});

after(async () => {
  await server.close();
});

/** A program of bin/ as a shell word. */
const bin = (name: string): string => `'${process.execPath}' '${join(repoRoot, 'bin', name)}'`;

/** bash with pipefail: the exit code of the pipeline and of each program (PIPESTATUS). */
function shell(script: string): Promise<{ code: number; statuses: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail\n${script}\nst=("\${PIPESTATUS[@]}" $?); echo "\${st[*]}" >&3`], {
      cwd: repoRoot, env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent' }, stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
    });
    let statuses = '';
    child.stdio[3]!.on('data', (b: Buffer) => { statuses += b.toString(); });
    child.on('error', reject);
    // The last number is $? of the whole pipeline: what `set -o pipefail` makes of it.
    child.on('close', () => {
      const all = statuses.trim().split(' ').map(Number);
      resolve({ code: all.pop()!, statuses: all });
    });
  });
}

/** Lines of stderr that are not log lines: what a user reads as the error. */
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !/ \[(INF|VER|ERR)\] /.test(l));

test('negative: asbackup -o - | head -c 100000 fails the pipeline, with one line saying how far it got', async () => {
  const err = join(tempDir(), 'err');
  const r = await shell(`${bin('asbackup')} -h ${host} -n test -o - 2>${err} | head -c 100000 >/dev/null`);
  assert.notEqual(r.code, 0, 'set -o pipefail: the pipeline fails');
  assert.deepEqual(r.statuses, [1, 0]);
  const stderr = readFileSync(err, 'utf8');
  assert.equal(errorCode(stderr), 'OUTPUT_CLOSED', stderr);
  assert.deepEqual(errorLines(stderr), [lastLine(stderr)], 'one line, no noise');
  const n = Number(/after (\d+) record/.exec(lastLine(stderr))?.[1]);
  assert.ok(n > 0 && n < RECORDS, `a count of records delivered: ${stderr}`);
});

test('negative: a stage program whose reader stops early (as-decode-asb | head -1) fails the same way', async () => {
  const err = join(tempDir(), 'err');
  const r = await shell(`${bin('as-decode-asb')} '${file}' 2>${err} | head -1 >/dev/null`);
  assert.deepEqual(r.statuses, [1, 0]);
  const stderr = readFileSync(err, 'utf8');
  assert.equal(errorCode(stderr), 'OUTPUT_CLOSED', stderr);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
});

test('positive: a reader that takes everything leaves exit 0 (no false alarm)', async () => {
  const r = await shell(`${bin('as-decode-asb')} '${file}' | cat >/dev/null`);
  assert.deepEqual(r.statuses, [0, 0]);
});

test('negative: asbackup -o - | asrestore -i -, asbackup killed: asrestore notices and exits 1', async () => {
  const p = startPipeline([
    ['asbackup', ['-h', host, '-n', 'test', '-o', '-', '--records-per-second', '2000']],
    ['asrestore', ['-h', host, '-n', 'test,copy', '-i', '-']],
  ]);
  await waitFor(() => server.count('copy') > 100, 'the restore to write records');
  p.procs[0]!.kill('SIGTERM');
  const [b, r] = await p.done;
  assert.equal(b!.code, 1, b!.stderr);
  assert.equal(errorCode(b!.stderr), 'INTERRUPTED', b!.stderr);
  assert.ok(!b!.stderr.startsWith('\n') && !b!.stderr.includes('\n\n'), 'no blank line when stderr is not a terminal');
  const wrote = Number(/Wrote (\d+) record\(s\)/.exec(b!.stderr)?.[1]);
  assert.ok(wrote > 0, b!.stderr);
  assert.equal(r!.code, 1, r!.stderr);
  assert.equal(errorCode(r!.stderr), 'INPUT_ABORTED', r!.stderr);
  assert.ok(server.count('copy') <= wrote, 'nothing beyond what asbackup sent');
});

test('negative: a killed as-scan fails every later stage, and no .asb file looks complete', async () => {
  const dir = join(tempDir(), 'split');
  const p = startPipeline([
    ['as-scan', ['-h', host, '-n', 'test', '--records-per-second', '2000']],
    ['as-encode-asb', []],
    ['as-split-files', ['-d', dir]],
  ]);
  let passed = 0;
  p.procs[0]!.stdout.on('data', (b: Buffer) => { passed += b.length; });
  await waitFor(() => passed > 2_000_000, 'records to pass');
  p.procs[0]!.kill('SIGTERM');
  const [scan, encode, split] = await p.done;
  assert.deepEqual([scan!.code, encode!.code, split!.code], [1, 1, 1], [scan, encode, split].map((x) => x!.stderr).join('\n'));
  assert.equal(errorCode(scan!.stderr), 'INTERRUPTED');
  assert.equal(errorCode(encode!.stderr), 'INPUT_ABORTED', encode!.stderr);
  assert.equal(errorCode(split!.stderr), 'INPUT_ABORTED', split!.stderr);
  assert.deepEqual(readdirSync(dir), ['test_00000.asb.part'], 'what was split stays a .part file');
});

test('negative: a stage that fails on bad input ends its stream so the next one fails too', async () => {
  const text = readFileSync(file, 'latin1');
  // A record in the middle loses its `+`: the decoder stops there.
  const at = text.indexOf('\n+ ', text.length >> 1) + 1;
  const bad = join(tempDir(), 'bad.asb');
  writeFileSync(bad, Buffer.from(text.slice(0, at) + 'x' + text.slice(at + 1), 'latin1'));
  const [decode, encode] = await runPipeline([['as-decode-asb', [bad]], ['as-encode-asb', []]]);
  assert.equal(decode!.code, 1);
  assert.equal(errorCode(decode!.stderr), 'PARSE', decode!.stderr);
  assert.equal(encode!.code, 1);
  assert.equal(errorCode(encode!.stderr), 'INPUT_ABORTED', encode!.stderr);
});

test('negative: the .asb abort line is refused right after the header and after records', async () => {
  for (const [what, text] of [
    ['header', 'Version 3.1\n# namespace test\n# first-file\n# ABORTED asbackup: interrupted by SIGTERM\n'],
    ['records', `${readFileSync(file, 'latin1').slice(0, 5000).replace(/\n[^\n]*$/, '\n').replace(/\+ k[^]*$/, '')}# ABORTED asbackup: interrupted\n`],
    ['nothing', '# ABORTED asbackup: interrupted before the header\n'],
  ] as const) {
    const r = await runProgram('as-decode-asb', [], { input: Buffer.from(text, 'latin1') });
    assert.equal(r.code, 1, what);
    assert.equal(errorCode(r.stderr), 'INPUT_ABORTED', `${what}: ${r.stderr}`);
  }
});

test('negative: SIGTERM during a restore prints what was written, exactly', async () => {
  server.faults.slowReplies(1);
  try {
    const p = startPipeline([['asrestore', ['-h', host, '-n', 'test,restored', '-i', file]]]);
    await waitFor(() => server.count('restored') > 200, 'the restore to write records');
    p.procs[0]!.kill('SIGTERM');
    const [r] = await p.done;
    assert.equal(r!.code, 1, r!.stderr);
    assert.equal(errorCode(r!.stderr), 'INTERRUPTED', r!.stderr);
    assert.ok(!r!.stderr.startsWith('\n') && !r!.stderr.includes('\n\n'), 'no blank line when stderr is not a terminal');
    const inserted = Number(/Inserted (\d+) record\(s\)/.exec(r!.stderr)?.[1]);
    assert.equal(inserted, server.count('restored'), `the summary counts every record on the server: ${r!.stderr}`);
    assert.ok(inserted < RECORDS);
  } finally {
    server.faults.slowReplies(0);
  }
});

test('negative: SIGINT during a backup to a directory: what was written, and only .part files', async () => {
  const dir = join(tempDir(), 'bk');
  const p = startPipeline([['asbackup', ['-h', host, '-n', 'test', '-d', dir, '--records-per-second', '2000']]]);
  await waitFor(() => {
    try {
      return readdirSync(dir).length > 0 && statSync(join(dir, readdirSync(dir)[0]!)).size >= 0;
    } catch {
      return false;
    }
  }, 'the backup to open its file');
  await new Promise((r) => setTimeout(r, 500));
  p.procs[0]!.kill('SIGINT');
  const [b] = await p.done;
  assert.equal(b!.code, 1, b!.stderr);
  assert.equal(errorCode(b!.stderr), 'INTERRUPTED', b!.stderr);
  const m = /Wrote (\d+) record\(s\), \d+ byte\(s\) into 1 \.part file\(s\) in .* not a backup/.exec(b!.stderr);
  assert.ok(m, b!.stderr);
  // Beside the .part file, the state file that resumes it (test/cli/resume.test.ts).
  assert.deepEqual(readdirSync(dir).sort(), ['test.asb.state', 'test_00000.asb.part']);
  const files = ['test_00000.asb.part'];
  let n = 0;
  for await (const it of decodeItems([readFileSync(join(dir, files[0]!))], files[0]!)) if (it.kind === 'record') n++;
  assert.equal(n, Number(m[1]), 'the .part file holds what the summary says');
});
