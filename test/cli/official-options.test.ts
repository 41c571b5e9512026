// The rest of what the official 4.x tools offer, through the real programs against the dev
// server: -m/--machine, --remove-artifacts, --directory-list/--parent-directory and the
// retry options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { computeDigest, partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { decodeItems } from '../../lib/asb/decode.js';
import type { RecordItem } from '../../lib/records/types.js';
import { errorCode, runProgram, tempDir } from '../helpers.js';
import { loadDataset, PER_SET } from '../dataset.js';

let server: DevServerThread;
let host: string;
let total: number;

before(async () => {
  server = await startDevServerThread({ nodes: 2, namespaces: ['test', 'm1', 'm2', 'm3', 'r1'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  total = await loadDataset(server.seeds[0]!.port);
});

after(async () => {
  await server.close();
});

async function recordsOf(asb: Buffer): Promise<RecordItem[]> {
  const out: RecordItem[] = [];
  for await (const it of decodeItems([asb], 'stdout')) if (it.kind === 'record') out.push(it);
  return out;
}

const lines = (path: string): string[] => readFileSync(path, 'utf8').split('\n').slice(0, -1);
const PROGRESS_LINE = /^(PROGRESS:\d{1,2}|REMAINING:(\d+[dhm])*\d+s)$/;

function dirBytes(dir: string): number {
  return readdirSync(dir).filter((f) => f.endsWith('.asb')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

test('positive: -m appends the official lines: SUMMARY of a backup, ESTIMATE of -e, SUMMARY of a restore', async (t) => {
  const base = tempDir();
  const status = join(base, 'status.txt');
  writeFileSync(status, 'a line from before\n');
  const dir = join(base, 'bk');
  await t.test('asbackup -d: progress lines while it runs, then SUMMARY:<records>:<indexes>:<udfs>:<bytes>:<bytes/record>', async () => {
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-m', status]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(status);
    assert.equal(got[0], 'a line from before', 'opened for append');
    const bytes = dirBytes(dir);
    assert.equal(got[got.length - 1], `SUMMARY:${total}:1:1:${bytes}:${Math.floor(bytes / total)}`);
    for (const l of got.slice(1, -1)) assert.match(l, PROGRESS_LINE);
    assert.doesNotMatch(r.stderr, /PROGRESS|SUMMARY:/, 'the status lines go to the file only');
  });
  await t.test('asbackup -e: ESTIMATE:<records>:<bytes/record>, then the SUMMARY of the sample', async () => {
    const before = lines(status).length;
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-e', '--machine', status]);
    assert.equal(r.code, 0, r.stderr);
    const size = /Estimated overall record size is (\d+) byte/.exec(r.stderr)![1];
    const got = lines(status).slice(before).filter((l) => !PROGRESS_LINE.test(l));
    assert.equal(got.length, 2, got.join('|'));
    assert.equal(got[0], `ESTIMATE:${total}:${size}`);
    assert.match(got[1]!, new RegExp(`^SUMMARY:${total}:0:0:(\\d+):(\\d+)$`));
    const [, b, bpr] = /^SUMMARY:\d+:0:0:(\d+):(\d+)$/.exec(got[1]!)!;
    assert.equal(Number(bpr), Math.floor(Number(b) / total));
  });
  await t.test('asrestore: a last PROGRESS:100, then SUMMARY with its blank before the seventh colon', async () => {
    const out = join(base, 'restore.txt');
    const r = await runProgram('asrestore', ['-h', host, '-n', 'test,m1', '-d', dir, '-m', out]);
    assert.equal(r.code, 0, r.stderr);
    const got = lines(out);
    assert.equal(got[got.length - 1], `SUMMARY:1:1:${total}:0:0:0 :${total}:0:0`);
    assert.ok(got.includes('PROGRESS:100'), got.join('|'));
    for (const l of got.slice(0, -1)) assert.match(l, /^(PROGRESS:\d{1,3}|REMAINING:(\d+[dhm])*\d+s)$/);
    // Again into the same namespace: every record is there at the same generation.
    const again = await runProgram('asrestore', ['-h', host, '-n', 'test,m1', '-d', dir, '-m', out, '-s', 'a,b', '-u']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lines(out).pop(), `SUMMARY:1:1:${total}:0:${total / 3}:0 :0:${(2 * total) / 3}:0`);
  });
  await t.test('a failed restore still ends its file with the SUMMARY of what was written', async () => {
    const bad = join(base, 'bad');
    mkdirSync(bad);
    // The whole backup, then a file that breaks: what came before is written.
    writeFileSync(join(bad, 'a.asb'), readFileSync(join(dir, readdirSync(dir).filter((f) => f.endsWith('.asb'))[0]!)));
    writeFileSync(join(bad, 'b.asb'), 'Version 3.1\n# namespace test\n+ k Z garbage\n');
    const out = join(base, 'failed.txt');
    const r = await runProgram('asrestore', ['-h', host, '-n', 'test,m2', '-d', bad, '-m', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /b\.asb:3/);
    assert.equal(errorCode(r.stderr), 'PARSE');
    assert.equal(lines(out).pop(), `SUMMARY:1:1:${total}:0:0:0 :${total}:0:0`);
  });
  await t.test('negative: a file that cannot be opened stops the run before it connects [OUTPUT]', async () => {
    const r = await runProgram('asbackup', ['-h', '127.0.0.1:1', '-n', 'test', '-d', join(base, 'x'), '-m', join(base, 'nodir', 's.txt')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--machine: cannot open .*nodir.*\[OUTPUT\]/);
    const r2 = await runProgram('asrestore', ['-h', host, '-d', dir, '-m', base]);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /--machine: cannot open .*EISDIR.*\[OUTPUT\]/);
  });
});

test('positive: --remove-artifacts deletes the backup and backs up nothing; no namespace, no cluster', async (t) => {
  const base = tempDir();
  const dir = join(base, 'bk');
  const backup = async (...args: string[]) => assert.equal((await runProgram('asbackup', ['-h', host, '-n', 'test', '-s', 'a', ...args])).code, 0);
  // No -h: the default host (127.0.0.1:3000) is never asked.
  const remove = (...args: string[]) => runProgram('asbackup', ['--remove-artifacts', ...args]);
  await t.test('-d: the .asb files (and .part files of a failed run), then the empty directory', async () => {
    await backup('-d', dir, '-F', '1');
    writeFileSync(join(dir, 'test_00007.asb.part'), 'left by a failed run');
    const r = await remove('-d', dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Deleting backup directory .*bk/);
    assert.equal(existsSync(dir), false);
  });
  await t.test('-d: other files stay, and so does the directory', async () => {
    await backup('-d', dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const r = await remove('-d', dir, '-v');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
  });
  await t.test('-o: the file; nothing there is nothing to do', async () => {
    const file = join(base, 'one.asb');
    await backup('-o', file);
    const r = await remove('-o', file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(file), false);
    const none = await remove('-o', file);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /Nothing to delete/);
    assert.equal((await remove('-d', join(base, 'never'))).code, 0);
  });
  await t.test('negative: with -e, without -d/-o, -o -, or a target of the wrong kind', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['-d', dir, '-e'], 2, /--remove-artifacts and --estimate are mutually exclusive \[USAGE\]/],
      [['-n', 'test'], 2, /--remove-artifacts needs --directory \(-d\) or --output-file \(-o\).*\[USAGE\]/],
      [['-o', '-'], 2, /stdout.*\[USAGE\]/],
      [['-o', dir], 1, /not a regular file; nothing removed \[OUTPUT\]/],
      [['-d', join(dir, 'notes.txt')], 1, /not a directory; nothing removed \[OUTPUT\]/],
    ];
    for (const [args, code, message] of cases) {
      const r = await remove(...args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.ok(existsSync(join(dir, 'notes.txt')));
    const conf = join(base, 'ra.conf');
    writeFileSync(conf, '[asbackup]\nremove-artifacts = true\n');
    const c = await runProgram('asbackup', ['--only-config-file', conf, '-d', dir]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /remove-artifacts/);
    assert.equal(errorCode(c.stderr), 'CONFIG');
  });
});

test('positive: --sleep-between-retries (--retry-delay) waits between scan retries; --retry-scale-factor backs writes off', async (t) => {
  const k = particle.string('retry-me');
  const digest = computeDigest('s', k.type, k.data);
  await server.put('r1', 's', digest, [{ name: 'v', ...particle.integer(7) }], { key: k });
  const file = join(tempDir(), 'r1.asb');
  assert.equal((await runProgram('asbackup', ['-h', host, '-n', 'r1', '-o', file])).code, 0);
  await server.faults.partitionUnavailable(partitionId(digest));
  try {
    await t.test('asbackup: every retry round after the wait asked for, then INCOMPLETE naming the partition', async () => {
      for (const [option, ms] of [['--sleep-between-retries', 40], ['--retry-delay', 30]] as const) {
        const r = await runProgram('asbackup', ['-h', host, '-n', 'r1', '-o', '-', option, String(ms), '--max-retries', '2', '-v']);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`partitions ${partitionId(digest)} could not be scanned.*\\[INCOMPLETE\\]`));
        assert.equal(r.stderr.match(new RegExp(`retrying 1 partition\\(s\\), round \\d after ${ms} ms`, 'g'))?.length, 2, r.stderr);
      }
      // Without the option the rounds back off (100, 200, 400 ms), long enough for a cluster
      // to re-form after a node is lost; 0 retries at once, as the C tool does by default.
      const backoff = await runProgram('asbackup', ['-h', host, '-n', 'r1', '-o', '-', '--max-retries', '3', '-v']);
      assert.equal(backoff.code, 1, backoff.stderr);
      assert.deepEqual([...backoff.stderr.matchAll(/retrying 1 partition\(s\), round (\d) after (\d+) ms/g)].map((m) => [Number(m[1]), Number(m[2])]), [[2, 100], [3, 200], [4, 400]]);
      const atOnce = await runProgram('asbackup', ['-h', host, '-n', 'r1', '-o', '-', '--max-retries', '2', '--sleep-between-retries', '0', '-v']);
      assert.equal(atOnce.stderr.match(/retrying 1 partition\(s\), round \d: /g)?.length, 2, atOnce.stderr);
      const bad = await runProgram('asbackup', ['-h', host, '-n', 'r1', '-o', '-', '--sleep-between-retries', '-1']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--sleep-between-retries: /);
      assert.equal(errorCode(bad.stderr), 'USAGE');
    });
    await t.test('asrestore: the first retry at once, then 1, 2 x the scale; then the record is rejected', async () => {
      const r = await runProgram('asrestore', ['-h', host, '-i', file, '--retry-scale-factor', '2000', '--max-retries', '3', '-v']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /partition unavailable \(11\).*\[RECORD_REJECTED\]/);
      assert.deepEqual([...r.stderr.matchAll(/retrying a write \(\d\/3\) after (\d+) ms/g)].map((m) => Number(m[1])), [0, 2, 4]);
    });
  } finally {
    await server.faults.partitionUnavailable(null);
  }
  await t.test('asrestore takes --sleep-between-retries / --retry-delay as the C tool does: a warning, no effect', async () => {
    const r = await runProgram('asrestore', ['-h', host, '-i', file, '--retry-delay', '5', '-g']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: --sleep-between-retries \(--retry-delay\) has no effect in asrestore/);
  });
});

test('positive: --directory-list with --parent-directory restores several backups in one run; progress covers them all', async (t) => {
  const parent = tempDir();
  for (const set of ['a', 'b']) {
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-s', set, '-d', join(parent, `set-${set}`), '-F', '1']);
    assert.equal(r.code, 0, r.stderr);
  }
  const status = join(parent, 'status.txt');
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,m3', '--parent-directory', parent, '--directory-list', 'set-a,set-b', '-m', status]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Found 1 backup file\(s\) in .*set-a[\s\S]*Found 1 backup file\(s\) in .*set-b/);
  // Both backups carry the UDF; only set b's has the index. The C tool would count only the
  // bytes of set-b here and end far above 100 %.
  const got = lines(status);
  assert.equal(got[got.length - 1], `SUMMARY:2:1:${2 * PER_SET}:0:0:0 :${2 * PER_SET}:0:0`);
  assert.equal(got.filter((l) => l.startsWith('PROGRESS:')).pop(), 'PROGRESS:100');
  assert.ok(got.every((l) => !l.startsWith('PROGRESS:') || Number(l.slice(9)) <= 100), got.join('|'));
  for (const set of ['a', 'b']) {
    const back = await runProgram('asbackup', ['-h', host, '-n', 'm3', '-s', set, '-o', '-', '-I', '-u']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await recordsOf(back.stdout)).length, PER_SET);
  }
  await t.test('negative: with -d or -i, --parent-directory alone, a directory twice or one without backup files', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['--directory-list', 'x', '-d', parent], 2, /--directory and --directory-list are mutually exclusive \[USAGE\]/],
      [['--directory-list', 'x', '-i', status], 2, /--input-file and --directory-list are mutually exclusive \[USAGE\]/],
      [['--parent-directory', parent, '-d', parent], 2, /--parent-directory needs --directory-list \[USAGE\]/],
      [['--parent-directory', parent, '--directory-list', 'set-a,./set-a'], 2, /names .*set-a twice \[USAGE\]/],
      [['--directory-list', `${join(parent, 'set-a')},${join(parent, 'nope')}`], 2, /--directory-list .*nope: no such file or directory \[INPUT\]/],
      [['--parent-directory', parent, '--directory-list', 'set-a,.'], 2, /no backup files \(\*\.asb\) found in .*\[NO_BACKUP_FILES\]/],
    ];
    for (const [args, code, message] of cases) {
      const e = await runProgram('asrestore', ['-h', host, '-n', 'test,m3', ...args]);
      assert.equal(e.code, code, `${args.join(' ')}: ${e.stderr}`);
      assert.match(e.stderr, message);
    }
  });
});

test('positive: --usage of each program shows its new options', async () => {
  const want: Record<string, string[]> = {
    'asbackup': ['-m, --machine', '--remove-artifacts', '--prefer-racks', '--sleep-between-retries', '--retry-delay', '--exclude-sets', '--exclude-bins'],
    'as-scan': ['--prefer-racks', '--sleep-between-retries', '--exclude-sets', '--exclude-bins'],
    'as-filter': ['--exclude-sets', '--exclude-bins'],
    'asrestore': ['-m, --machine', '--directory-list', '--parent-directory', '--retry-scale-factor', '--sleep-between-retries', '--exclude-sets', '--exclude-bins'],
    'as-devserver': ['--racks'],
  };
  for (const [program, names] of Object.entries(want)) {
    const u = await runProgram(program, ['--usage']);
    assert.equal(u.code, 0);
    for (const n of names) assert.ok(u.stdout.toString().includes(n), `${program} --usage: ${n}`);
  }
  const scan = (await runProgram('as-scan', ['--usage'])).stdout.toString();
  for (const n of ['--machine', '--remove-artifacts']) assert.ok(!scan.includes(n), `as-scan has no ${n}`);
});
