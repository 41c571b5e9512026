import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { computeDigest, partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import type { RecordItem, StreamItem } from '../../lib/records/types.js';
import { errorCode, runProgram, runPipeline, tempDir } from '../helpers.js';
import { loadDataset, PER_SET } from '../dataset.js';

let server: DevServerThread;
let host: string;
let total: number;
const LATE = 10;
let cutoff: Date;

function localStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

before(async () => {
  server = await startDevServerThread({ nodes: 3, namespaces: ['test', 'bar', 'empty'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  total = await loadDataset(server.seeds[0]!.port);
  // Records written a day later, for the modified-after/before window.
  await server.clock.advance(86_400_000);
  cutoff = new Date((await server.clock.now()) - 3_600_000);
  for (let i = 0; i < LATE; i++) {
    const k = particle.string(`late-${i}`);
    await server.put('test', 'late', computeDigest('late', k.type, k.data), [{ name: 'v', ...particle.integer(i) }], { key: k });
  }
  total += LATE;
});

after(async () => {
  await server.close();
});

async function itemsOfDir(dir: string): Promise<{ files: string[]; items: StreamItem[]; texts: Buffer[] }> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort();
  const items: StreamItem[] = [];
  const texts: Buffer[] = [];
  for (const f of files) {
    const buf = readFileSync(join(dir, f));
    texts.push(buf);
    for await (const it of decodeItems([buf], f)) items.push(it);
  }
  return { files, items, texts };
}

const records = (items: StreamItem[]) => items.filter((i): i is RecordItem => i.kind === 'record');

test('positive: -d backs up every record bit for bit, with the index and UDF in the first file', async () => {
  const dir = join(tempDir(), 'bk');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Backed up ${total} record\\(s\\), 1 secondary index\\(es\\), 1 UDF file\\(s\\)`));
  const { files, items, texts } = await itemsOfDir(dir);
  assert.deepEqual(files, ['test_00000.asb']);
  assert.ok(texts[0]!.toString('latin1').startsWith('Version 3.1\n# namespace test\n# first-file\n* i test b test_b_sidx N 1 sidx S\n* u L dataset.lua '));
  const recs = records(items);
  assert.equal(recs.length, total);
  assert.equal(new Set(recs.map((x) => x.digest.toString('hex'))).size, total, 'every record exactly once');
  for (const rec of recs) {
    const stored = (await server.get('test', rec.digest))!;
    assert.ok(stored, 'record exists on the server');
    assert.equal(rec.set, stored.set);
    assert.equal(rec.generation, stored.generation);
    assert.equal(rec.voidTime, stored.voidTime);
    assert.deepEqual(rec.key, stored.key);
    // GeoJSON: the .asb keeps the text; the cells are the server's to compute.
    const strip = (b: { name: string; type: number; data: Buffer }) => (b.type === 23 ? { ...b, data: b.data.subarray(3 + b.data.readUInt16BE(1) * 8) } : b);
    assert.deepEqual(rec.bins.map(strip), stored.bins.map(strip));
  }
});

test('positive: under node --jitless (no WebAssembly) the JS writer makes the same backup', async () => {
  const dir = tempDir();
  const a = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', join(dir, 'a.asb'), '-w', '1', '-f', '1']);
  assert.equal(a.code, 0, a.stderr);
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', join(dir, 'b.asb'), '-w', '1', '-f', '1'], { env: { NODE_OPTIONS: '--jitless' } });
  assert.equal(b.code, 0, b.stderr);
  assert.ok(readFileSync(join(dir, 'b.asb')).equals(readFileSync(join(dir, 'a.asb'))));
});

test('positive: -o - writes the same backup to stdout as -o file', async () => {
  const dir = tempDir();
  const file = join(dir, 'one.asb');
  const a = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file, '-w', '1', '-f', '1']);
  assert.equal(a.code, 0, a.stderr);
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-w', '1', '-f', '1']);
  assert.equal(b.code, 0, b.stderr);
  assert.ok(b.stdout.equals(readFileSync(file)), 'stdout holds the same bytes');
  assert.doesNotMatch(b.stdout.toString('latin1'), /\[INF\]/, 'no log lines in the data');
  const again = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file]);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /-r/);
  assert.equal(errorCode(again.stderr), 'OUTPUT_EXISTS');
  assert.equal((await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file, '-r'])).code, 0);
});

test('positive: the shell pipeline gives the same files as the wrapper', async () => {
  const base = tempDir();
  const sel = ['-s', 'a,b', '-B', 'int,str,geo'];
  const w = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', join(base, 'w'), '-w', '1', '-f', '1', ...sel]);
  assert.equal(w.code, 0, w.stderr);
  const p = await runPipeline([
    ['as-scan', ['-h', host, '-n', 'test', '-w', '1', '-f', '1', ...sel]],
    ['as-filter', sel],
    ['as-encode-asb', []],
    ['as-split-files', ['-d', join(base, 'p')]],
  ]);
  for (const r of p) assert.equal(r.code, 0, r.stderr);
  // The backup's files (asbackup also leaves its manifest beside them).
  const wf = readdirSync(join(base, 'w')).filter((f) => f.endsWith('.asb'));
  assert.deepEqual(readdirSync(join(base, 'p')), wf);
  for (const f of wf) assert.ok(readFileSync(join(base, 'w', f)).equals(readFileSync(join(base, 'p', f))), f);
});

test('positive: data selection options', async (t) => {
  const run = async (args: string[]) => {
    const dir = join(tempDir(), 'sel');
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, ...args]);
    assert.equal(r.code, 0, r.stderr);
    return (await itemsOfDir(dir)).items;
  };
  await t.test('-s keeps one set and drops indexes of other sets', async () => {
    const items = await run(['-s', 'a']);
    assert.equal(records(items).length, PER_SET);
    assert.ok(records(items).every((r) => r.set === 'a'));
    assert.equal(items.filter((i) => i.kind === 'sindex').length, 0);
  });
  await t.test('-B keeps the listed bins', async () => {
    const recs = records(await run(['-s', 'a', '-B', 'int,flag']));
    assert.ok(recs.every((r) => r.bins.map((b) => b.name).sort().join() === 'flag,int'));
  });
  await t.test('-x keeps metadata only', async () => {
    const recs = records(await run(['-x']));
    assert.equal(recs.length, total);
    assert.ok(recs.every((r) => r.bins.length === 0));
  });
  await t.test('-R keeps only index and UDF definitions; -I -u drop them', async () => {
    const items = await run(['-R']);
    assert.deepEqual(items.map((i) => i.kind), ['sindex', 'udf']);
    const none = await run(['-I', '-u', '-s', 'a']);
    assert.ok(none.every((i) => i.kind === 'record'));
  });
  await t.test('-% samples by digest, deterministically', async () => {
    const a = records(await run(['-%', '50']));
    const b = records(await run(['--percent', '50']));
    assert.ok(a.length > total * 0.3 && a.length < total * 0.7, `${a.length} of ${total}`);
    assert.deepEqual(a.map((r) => r.digest.toString('hex')).sort(), b.map((r) => r.digest.toString('hex')).sort());
  });
  await t.test('-a / -b select by last-update time (local time)', async () => {
    const late = records(await run(['-a', localStamp(cutoff)]));
    assert.equal(late.length, LATE);
    assert.ok(late.every((r) => r.set === 'late'));
    const early = records(await run(['-b', localStamp(cutoff)]));
    assert.equal(early.length, total - LATE);
  });
  await t.test('-C writes bytes values raw', async () => {
    const dir = join(tempDir(), 'c');
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-s', 'a', '-B', 'blob', '-C', '-d', dir]);
    assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(join(dir, 'test_00000.asb'));
    assert.ok(text.includes(Buffer.from('\n- B! blob 4 ')));
  });
});

test('positive: -F rolls over to new files; only the first has the global lines', async () => {
  const big = 'x'.repeat(200_000);
  for (let i = 0; i < 12; i++) {
    const k = particle.string(`big-${i}`);
    await server.put('bar', 'big', computeDigest('big', k.type, k.data), [{ name: 's', ...particle.string(big) }], { key: k });
  }
  const dir = join(tempDir(), 'f');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'bar', '-d', dir, '-F', '1']);
  assert.equal(r.code, 0, r.stderr);
  const { files, texts, items } = await itemsOfDir(dir);
  assert.ok(files.length >= 2, `${files.length} files`);
  assert.deepEqual(files, files.map((_, i) => `bar_${String(i).padStart(5, '0')}.asb`));
  texts.forEach((t, i) => {
    const s = t.toString('latin1');
    assert.ok(s.startsWith(i === 0 ? 'Version 3.1\n# namespace bar\n# first-file\n' : 'Version 3.1\n# namespace bar\n+ '), `file ${i}`);
    // A file passes the limit by at most one record.
    assert.ok(t.length < 1024 * 1024 + 210_000, `file ${i} is ${t.length} bytes`);
  });
  assert.equal(records(items).length, 12);
});

test('positive: -e estimates the record size and writes nothing', async () => {
  const cwd = tempDir();
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-e'], { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Estimated overall record size is \d+ byte\(s\)/);
  assert.match(r.stderr, /Estimated total backup size is \d+ byte\(s\)/);
  assert.deepEqual(readdirSync(cwd), []);
});

test('positive: -l backs up the partitions each node is master of; together they are the whole', async () => {
  const seen = new Map<string, number>();
  for (const node of server.nodes) {
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-R', '-I', '-u', '-l', `127.0.0.1:${node.port}`].filter((a) => a !== '-R'));
    assert.equal(r.code, 0, r.stderr);
    for await (const it of decodeItems([r.stdout], 'stdout')) {
      if (it.kind !== 'record') continue;
      const d = it.digest.toString('hex');
      seen.set(d, (seen.get(d) ?? 0) + 1);
    }
  }
  assert.equal(seen.size, total);
  assert.ok([...seen.values()].every((n) => n === 1));

});

test('negative: -c stops when migrations are pending, exit 1', async () => {
  await server.faults.migrationsPending(true);
  try {
    const dir = join(tempDir(), 'c');
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-c']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no-cluster-change/);
    assert.equal(errorCode(r.stderr), 'INCOMPLETE');
  } finally {
    await server.faults.migrationsPending(false);
  }
});

test('positive: --usage groups every option as the seed page; --version', async () => {
  const u = await runProgram('asbackup', ['--usage']);
  assert.equal(u.code, 0);
  for (const s of ['Connection', 'TLS', 'Output', 'Data selection', 'Configuration file', 'Other', '--no-cluster-change', '--percent', '--priority', '--service-alternate']) {
    assert.ok(u.stdout.toString().includes(s), s);
  }
  const v = await runProgram('asbackup', ['--version']);
  assert.equal(v.code, 0);
  assert.match(v.stdout.toString(), /Version \d+\.\d+\.\d+/);
});

test('negative: bad input gives one clear line and the documented exit code', async () => {
  const full = tempDir();
  writeFileSync(join(full, 'test_00000.asb'), 'x');
  // A directory that cannot be created (its parent is a file): fails even for root.
  const locked = join(tempDir(), 'locked');
  writeFileSync(locked, 'not a directory');
  const cases: Array<[string[], number, RegExp, string]> = [
    [['-n', 'test', '-d', 'x', '--bogus'], 2, /unknown option --bogus/, 'USAGE'],
    [['-d', 'x'], 2, /--namespace/, 'USAGE'],
    [['-n', 'test', '-d', 'x', '-a', '2024-13-01'], 2, /YYYY-MM-DD_HH:MM:SS/, 'USAGE'],
    [['-n', 'test', '-d', 'x', '-%', '0'], 2, /percent/, 'USAGE'],
    [['-n', 'test', '-d', 'x', '-%', '101'], 2, /percent/, 'USAGE'],
    [['-n', 'test', '-h', '127.0.0.1:1', '-d', join(tempDir(), 'u')], 1, /127\.0\.0\.1:1/, 'CONNECT'],
    [['-n', 'test', '-d', full], 2, /already holds a backup/, 'OUTPUT_EXISTS'],
    [['-n', 'nosuch', '-d', join(tempDir(), 'n')], 1, /nosuch/, 'NAMESPACE_NOT_FOUND'],
    [['-n', 'test', '-d', join(locked, 'sub')], 1, /locked/, 'OUTPUT'],
  ];
  for (const [args, code, message, errCode] of cases) {
    const r = await runProgram('asbackup', args.includes('-h') ? args : ['-h', host, ...args]);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(errorCode(r.stderr), errCode, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.includes('[INF]')).length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
  }
});

test('positive: as-scan | jq -c . | as-encode-asb gives the same bytes as without jq', async (t) => {
  const { spawnSync } = await import('node:child_process');
  if (spawnSync('jq', ['--version']).status !== 0) return t.skip('jq is not installed');
  const scan = await runProgram('as-scan', ['-h', host, '-n', 'test', '-w', '1', '-f', '1']);
  assert.equal(scan.code, 0, scan.stderr);
  const viaJq = spawnSync('jq', ['-c', '.'], { input: scan.stdout, maxBuffer: 1 << 28 }).stdout;
  const a = await runProgram('as-encode-asb', [], { input: scan.stdout });
  const b = await runProgram('as-encode-asb', [], { input: viaJq });
  assert.equal(a.code, 0, a.stderr);
  assert.ok(a.stdout.length > 1000 && a.stdout.equals(b.stdout));
});

test('positive: astools.conf supplies [cluster] and [asbackup]; the command line wins; bad keys are named', async () => {
  const dir = tempDir();
  const conf = join(dir, 'astools.conf');
  const out = join(dir, 'out');
  writeFileSync(conf, `[cluster]\nhost = "${host}"\n\n[asbackup]\nnamespace = "test"\nset = "a"\ndirectory = "${out}"\n\n[asbackup_other]\nnamespace = "test"\nset = "b"\ndirectory = "${out}"\n`);
  const r = await runProgram('asbackup', ['--config-file', conf]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(records((await itemsOfDir(out)).items).length, PER_SET);
  const inst = await runProgram('asbackup', ['--config-file', conf, '--instance', 'other', '-h', host, '-r']);
  assert.equal(inst.code, 0, inst.stderr);
  assert.ok(records((await itemsOfDir(out)).items).every((x) => x.set === 'b'), '[asbackup_other] was used');
  const cli = await runProgram('asbackup', ['--config-file', conf, '-s', 'b', '-r']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.ok(records((await itemsOfDir(out)).items).every((x) => x.set === 'b'), 'the command line wins');
  const bad = join(dir, 'bad.conf');
  writeFileSync(bad, '[asbackup]\npercentage = 5\n');
  const e = await runProgram('asbackup', ['--only-config-file', bad, '-n', 'test', '-d', out]);
  assert.equal(e.code, 2);
  assert.match(e.stderr, /bad\.conf.*\[asbackup\].*percentage/);
  assert.equal(errorCode(e.stderr), 'CONFIG');
  const rf = join(dir, 'rf.conf');
  writeFileSync(rf, '[asbackup]\nremove-files = true\n');
  const e2 = await runProgram('asbackup', ['--only-config-file', rf, '-n', 'test', '-d', out]);
  assert.equal(e2.code, 2);
  assert.match(e2.stderr, /remove-files/);
  assert.equal(errorCode(e2.stderr), 'CONFIG');
});

test('positive: newer selection options, prefixes, ports and verbosity', async (t) => {
  const backup = async (args: string[]) => {
    const r = await runProgram('asbackup', ['-n', 'test', '-o', '-', ...(args.includes('-p') ? [] : ['-h', host]), ...args]);
    assert.equal(r.code, 0, r.stderr);
    const items: StreamItem[] = [];
    for await (const it of decodeItems([r.stdout], 'stdout')) items.push(it);
    return { recs: records(items), stderr: r.stderr };
  };
  const all = (await backup(['-I', '-u'])).recs;
  await t.test('--max-records stops at that many records', async () => {
    assert.equal((await backup(['--max-records', '7'])).recs.length, 7);
  });
  await t.test('--partition-list backs up only those partitions', async () => {
    const { recs } = await backup(['--partition-list', '0-2048']);
    assert.ok(recs.length > 0 && recs.every((r) => partitionId(r.digest) < 2048));
    assert.equal(recs.length, all.filter((r) => partitionId(r.digest) < 2048).length);
  });
  await t.test('--after-digest resumes after a digest: its partition below it, then every later partition', async () => {
    const d = all[0]!.digest;
    const p = partitionId(d);
    const { recs } = await backup(['--after-digest', d.toString('base64')]);
    const expected = all.filter((r) => partitionId(r.digest) > p || (partitionId(r.digest) === p && Buffer.compare(r.digest, d) < 0));
    assert.deepEqual(recs.map((r) => r.digest.toString('hex')).sort(), expected.map((r) => r.digest.toString('hex')).sort());
  });
  await t.test('--no-ttl-only keeps records that never expire', async () => {
    const { recs } = await backup(['--no-ttl-only']);
    assert.equal(recs.length, all.filter((r) => r.voidTime === 0).length);
    assert.ok(recs.length > 0 && recs.every((r) => r.voidTime === 0));
  });
  await t.test('-p is the port of hosts given without one; -S uses the alternate addresses; -v says more', async () => {
    const { recs, stderr } = await backup(['-h', '127.0.0.1', '-p', String(server.seeds[0]!.port), '-S', '-v']);
    assert.equal(recs.length, all.length);
    assert.match(stderr, /\[VER\]/);
  });
  await t.test('--scans-per-node sends that many scans to each node, -f when it is not given', async () => {
    const scans = (stderr: string): number[] => [...stderr.matchAll(/on \S+ in (\d+) scan command\(s\)/g)].map((m) => Number(m[1]));
    const many = await backup(['--scans-per-node', '5', '-v']);
    assert.equal(many.recs.length, all.length);
    assert.deepEqual(scans(many.stderr), [5, 5, 5], 'three nodes, five scans each');
    const low = await backup(['-f', '1', '-v']);
    assert.equal(low.recs.length, all.length);
    assert.deepEqual(scans(low.stderr), [1, 1, 1]);
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', join(tempDir(), 'x'), '--scans-per-node', '0']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--scans-per-node/);
  });
  await t.test('--output-file-prefix names the files; slices of one directory validate together', async () => {
    const dir = join(tempDir(), 'p');
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '--output-file-prefix', 'nightly']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['nightly.asb.manifest', 'nightly_00000.asb']);
    // Two slices share the directory: each manifest lists its own files, together all of them.
    const w = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '--output-file-prefix', 'weekly']);
    assert.equal(w.code, 0, w.stderr);
    const v = await runProgram('asrestore', ['-d', dir, '--validate', '--no-config-file']);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, /nightly\.asb\.manifest: 1 file/);
    assert.match(v.stderr, /weekly\.asb\.manifest: 1 file/);
  });
});

test('positive: --encoder-threads gives the same bytes as encoding in place; a bad bin is one clear line', async () => {
  const base = tempDir();
  const one = (threads: number, ...args: string[]) => runProgram('asbackup', ['-h', host, '-n', 'test', '-w', '1', '-f', '1', '--encoder-threads', String(threads), ...args]);
  const inPlace = await one(0, '-o', '-');
  assert.equal(inPlace.code, 0, inPlace.stderr);
  for (const threads of [1, 3]) {
    const r = await one(threads, '-o', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 1000 && r.stdout.equals(inPlace.stdout), `${threads} thread(s): same bytes`);
    // Small files: the runs from the threads split at the same records.
    const d0 = join(base, `d0-${threads}`);
    const d1 = join(base, `d1-${threads}`);
    assert.equal((await one(0, '-d', d0, '-F', '1', '-C')).code, 0);
    const r1 = await one(threads, '-d', d1, '-F', '1', '-C');
    assert.equal(r1.code, 0, r1.stderr);
    const files = readdirSync(d0).filter((f) => f.endsWith('.asb')).sort();
    assert.deepEqual(readdirSync(d1).filter((f) => f.endsWith('.asb')).sort(), files);
    for (const f of files) assert.ok(readFileSync(join(d1, f)).equals(readFileSync(join(d0, f))), f);
  }
  // A bin of a particle type .asb has no letter for stops the backup, from a thread too.
  const k = particle.string('odd');
  await server.put('empty', 'odd', computeDigest('odd', k.type, k.data), [{ name: 'x', type: 5, data: Buffer.from([1, 2]) }], { key: k });
  for (const threads of [0, 1]) {
    const dir = join(base, `odd-${threads}`);
    const r = await runProgram('asbackup', ['-h', host, '-n', 'empty', '-d', dir, '--encoder-threads', String(threads)]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /bin "x" of particle type 5/);
    assert.equal(errorCode(r.stderr), 'ASB_ENCODE');
    assert.equal(r.stderr.trim().split('\n').filter((l) => !/\[INF\]/.test(l)).length, 1, r.stderr);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.asb')), [], 'no finished-looking file');
  }
});
