// --exclude-sets and --exclude-bins (beyond the official tools) through asbackup, as-scan,
// as-filter and asrestore against the dev server; how they combine with -s, -B, -x,
// --filter-exp and -e; and that a set exclusion travels to the server as a filter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { andCompiled, compile, exp } from '../../lib/protocol/expression.js';
import { filterItems, narrowSelection } from '../../lib/stages/filter.js';
import { scanOptionsOf } from '../../lib/backup/source.js';
import { silentLogger } from '../../lib/log.js';
import type { Cluster } from '../../lib/cluster/cluster.js';
import type { SourceSettings } from '../../lib/backup/settings.js';
import type { RecordItem, StreamItem } from '../../lib/records/types.js';
import { errorCode, runPipeline, runProgram, tempDir } from '../helpers.js';
import { loadDataset, PER_SET } from '../dataset.js';

let server: DevServerThread;
let host: string;
let total: number;
const ALL_BINS = ['blob', 'dbl', 'flag', 'geo', 'int', 'list', 'map', 'str'];

before(async () => {
  server = await startDevServerThread({ nodes: 2, namespaces: ['test', 'x1', 'x2'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  total = await loadDataset(server.seeds[0]!.port);
});

after(async () => {
  await server.close();
});

async function items(asb: Buffer): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  for await (const it of decodeItems([asb], 'backup')) out.push(it);
  return out;
}
const records = (list: StreamItem[]) => list.filter((i): i is RecordItem => i.kind === 'record');
const binNames = (r: RecordItem) => r.bins.map((b) => b.name).filter((n) => n !== 'sidx').sort().join(',');

async function backup(...args: string[]): Promise<{ items: StreamItem[]; stderr: string }> {
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return { items: await items(r.stdout), stderr: r.stderr };
}

test('unit: exclusions narrow -s and -B, or become a server filter and a bin filter of ours', async () => {
  assert.deepEqual(narrowSelection({ excludeSets: ['b'], excludeBins: ['geo'] }), { sets: [], excludeSets: ['b'], bins: undefined, dropBins: ['geo'] });
  assert.deepEqual(narrowSelection({ sets: ['a', 'b'], bins: ['int', 'geo'], excludeSets: ['b', 'c'], excludeBins: ['geo'] }), { sets: ['a'], excludeSets: [], bins: ['int'], dropBins: undefined });
  assert.deepEqual(narrowSelection({ noBins: true, excludeBins: [] }).dropBins, undefined);
  assert.throws(() => narrowSelection({ sets: ['a'], excludeSets: ['a'] }), /--exclude-sets leaves none of the sets given with -s \(a\)/);
  assert.throws(() => narrowSelection({ bins: ['int'], excludeBins: ['int'] }), /--exclude-bins leaves none of the bins given with -B \(int\)/);
  const keep = filterItems({ bins: ['a', 'b'], excludeBins: ['b'], excludeSets: ['s'] });
  const rec = (set: string): RecordItem => ({ kind: 'record', namespace: 'n', set, digest: Buffer.alloc(20), generation: 1, voidTime: 0, bins: ['a', 'b', 'c'].map((name) => ({ name, type: 1, data: Buffer.alloc(8) })) });
  assert.deepEqual((keep(rec('t')) as RecordItem).bins.map((b) => b.name), ['a']);
  assert.equal(keep(rec('s')), undefined);
  assert.equal(keep({ kind: 'sindex', namespace: 'n', set: 's', name: 'i', indexType: 'N', bin: 'a', binType: 'N' }), undefined);
  assert.ok(keep({ kind: 'sindex', namespace: 'n', set: '', name: 'i', indexType: 'N', bin: 'a', binType: 'N' }));
  // The scan carries the exclusion as a filter expression, AND-ed with a user's own.
  const cluster = { partitionsOfNodes: () => [] } as unknown as Cluster;
  const base = { namespace: 'test', noBins: false, noRecords: false, noIndexes: false, noUdfs: false, percent: 100, noTtlOnly: false, maxRecords: 0, recordsPerSecond: 0, parallel: 1, priority: 0, noClusterChange: false, socketTimeout: 0, totalTimeout: 0, maxRetries: 0 } satisfies SourceSettings;
  const ours = compile(exp.and(exp.ne(exp.setName(), 'b'), exp.ne(exp.setName(), 'c')));
  assert.deepEqual((await scanOptionsOf(cluster, { ...base, excludeSets: ['b', 'c'] }, silentLogger)).filter, ours);
  const user = compile(exp.eq(exp.ttl(), exp.int(-1)));
  assert.deepEqual((await scanOptionsOf(cluster, { ...base, excludeSets: ['b', 'c'], filterExp: user.toString('base64') }, silentLogger)).filter, compile(exp.and(exp.eq(exp.ttl(), exp.int(-1)), exp.and(exp.ne(exp.setName(), 'b'), exp.ne(exp.setName(), 'c')))));
  assert.deepEqual(andCompiled(user, ours), compile(exp.and(exp.eq(exp.ttl(), exp.int(-1)), exp.and(exp.ne(exp.setName(), 'b'), exp.ne(exp.setName(), 'c')))));
  const narrowed = await scanOptionsOf(cluster, { ...base, set: ['a', 'b'], binList: ['int', 'geo'], excludeSets: ['b'], excludeBins: ['geo'] }, silentLogger);
  assert.equal(narrowed.set, 'a');
  assert.deepEqual(narrowed.bins, ['int']);
  assert.equal(narrowed.filter, undefined);
});

test('positive: asbackup --exclude-sets leaves out the records and index definitions of those sets', async () => {
  const { items: got, stderr } = await backup('--exclude-sets', 'b');
  const recs = records(got);
  assert.equal(recs.length, total - PER_SET);
  assert.ok(recs.every((r) => r.set !== 'b'));
  assert.deepEqual(got.filter((i) => i.kind !== 'record').map((i) => i.kind), ['udf'], 'the index on set b is left out, the UDF kept');
  assert.match(stderr, new RegExp(`Namespace test without set\\(s\\) b contains ${total - PER_SET} record\\(s\\)`));
  assert.match(stderr, /Skipped 1 index\(es\) of excluded set\(s\)/);
  // With -s: what -s names, less the excluded sets (the index of b goes with it).
  const sa = records((await backup('-s', 'a,b', '--exclude-sets', 'b,nosuch')).items);
  assert.equal(sa.length, PER_SET);
  assert.ok(sa.every((r) => r.set === 'a'));
});

test('positive: asbackup --exclude-bins leaves those bins out of every record, on its own or within -B', async () => {
  const full = records((await backup('-I', '-u')).items);
  const { items: got } = await backup('--exclude-bins', 'geo,list', '-I', '-u');
  const recs = records(got);
  assert.equal(recs.length, total);
  const byDigest = new Map(full.map((r) => [r.digest.toString('hex'), r]));
  for (const r of recs) {
    const f = byDigest.get(r.digest.toString('hex'))!;
    assert.deepEqual(r.bins, f.bins.filter((b) => b.name !== 'geo' && b.name !== 'list'));
    assert.equal(r.generation, f.generation);
    assert.deepEqual(r.key, f.key);
  }
  const within = records((await backup('-B', 'int,str,geo', '--exclude-bins', 'geo', '-s', 'a')).items);
  assert.ok(within.length === PER_SET && within.every((r) => binNames(r) === 'int,str'));
  // The same bytes from the encoder threads: excluded bins take the object path there too.
  const a = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-w', '1', '-f', '1', '--exclude-bins', 'map', '--encoder-threads', '0']);
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-w', '1', '-f', '1', '--exclude-bins', 'map', '--encoder-threads', '2']);
  assert.ok(a.code === 0 && b.code === 0 && a.stdout.equals(b.stdout), a.stderr + b.stderr);
});

test('positive: exclusions combine with --filter-exp (both apply) and with -m/-e (the estimate is of what would be written)', async () => {
  const neverExpire = compile(exp.eq(exp.ttl(), exp.int(-1))).toString('base64');
  const recs = records((await backup('--filter-exp', neverExpire, '--exclude-sets', 'a')).items);
  assert.ok(recs.length > 0);
  assert.ok(recs.every((r) => r.set !== 'a' && r.voidTime === 0));
  const all = records((await backup('--filter-exp', neverExpire)).items);
  assert.equal(recs.length, all.filter((r) => r.set !== 'a').length);
  const dir = tempDir();
  const estimate = async (...args: string[]): Promise<[number, number]> => {
    const status = join(dir, `e${args.join('')}.txt`);
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-e', '-m', status, ...args]);
    assert.equal(r.code, 0, r.stderr);
    const [, n, size] = /^ESTIMATE:(\d+):(\d+)$/m.exec(readFileSync(status, 'utf8'))!;
    return [Number(n), Number(size)];
  };
  const [n0, size0] = await estimate();
  const [n1] = await estimate('--exclude-sets', 'a,b');
  const [, size2] = await estimate('--exclude-bins', 'geo,list,map,str');
  assert.equal(n0, total);
  assert.equal(n1, total - 2 * PER_SET);
  assert.ok(size2 < size0 * 0.7, `${size2} vs ${size0}`);
});

test('negative: exclusions that leave nothing, or with -x, are usage errors', async () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['asbackup', ['-n', 'test', '-o', '-', '-s', 'a', '--exclude-sets', 'a'], /--exclude-sets leaves none of the sets given with -s \(a\) \[USAGE\]/],
    ['asbackup', ['-n', 'test', '-o', '-', '-B', 'int', '--exclude-bins', 'int'], /--exclude-bins leaves none of the bins given with -B \(int\) \[USAGE\]/],
    ['asbackup', ['-n', 'test', '-o', '-', '-x', '--exclude-bins', 'int'], /--no-bins and --exclude-bins are mutually exclusive \[USAGE\]/],
    ['asbackup', ['-n', 'test', '-o', '-', '--exclude-bins', 'a-bin-name-longer-than-15'], /longer than 15 bytes/],
    ['as-scan', ['-n', 'test', '-s', 'a,b', '--exclude-sets', 'b,a'], /--exclude-sets leaves none/],
    ['as-filter', ['-B', 'x', '--exclude-bins', 'x'], /--exclude-bins leaves none/],
    ['asrestore', ['-d', 'x', '-s', 'a', '--exclude-sets', 'a'], /--exclude-sets leaves none/],
  ];
  for (const [program, args, message] of cases) {
    const r = await runProgram(program, ['-h', host, ...args].filter((a, i) => program !== 'as-filter' || i > 1));
    assert.equal(r.code, 2, `${program} ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(errorCode(r.stderr), 'USAGE', `${program} ${args.join(' ')}`);
  }
});

test('positive: as-scan | as-filter with exclusions gives the same files as asbackup with them', async () => {
  const base = tempDir();
  const sel = ['--exclude-sets', 'a', '--exclude-bins', 'geo,map'];
  const w = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', join(base, 'w'), '-w', '1', '-f', '1', ...sel]);
  assert.equal(w.code, 0, w.stderr);
  // as-scan applies both itself; as-filter applies them again (idempotent) in the pipeline.
  const p = await runPipeline([
    ['as-scan', ['-h', host, '-n', 'test', '-w', '1', '-f', '1', ...sel]],
    ['as-filter', sel],
    ['as-encode-asb', []],
    ['as-split-files', ['-d', join(base, 'p')]],
  ]);
  for (const r of p) assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(join(base, 'w')).filter((f) => f.endsWith('.asb'));
  assert.deepEqual(readdirSync(join(base, 'p')), files);
  for (const f of files) assert.ok(readFileSync(join(base, 'w', f)).equals(readFileSync(join(base, 'p', f))), f);
  const got = await items(readFileSync(join(base, 'w', files[0]!)));
  assert.equal(records(got).length, total - PER_SET);
  assert.ok(records(got).every((r) => r.set !== 'a' && !r.bins.some((b) => b.name === 'geo' || b.name === 'map')));
  // as-filter alone, on a full stream.
  const scan = await runProgram('as-scan', ['-h', host, '-n', 'test']);
  const f = await runProgram('as-filter', ['--exclude-sets', 'b', '--exclude-bins', 'int'], { input: scan.stdout });
  assert.equal(f.code, 0, f.stderr);
  const lines = f.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { kind: string; set?: string; bins?: Record<string, unknown> });
  assert.deepEqual(lines.filter((l) => l.kind !== 'record').map((l) => l.kind), ['udf']);
  assert.equal(lines.filter((l) => l.kind === 'record').length, total - PER_SET);
  assert.ok(lines.every((l) => l.kind !== 'record' || (l.set !== 'b' && !JSON.stringify(l.bins).includes('"int"'))));
});

test('positive: asrestore --exclude-sets / --exclude-bins restore the rest; excluded records count as skipped', async () => {
  const file = join(tempDir(), 'all.asb');
  assert.equal((await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file])).code, 0);
  const status = join(tempDir(), 's.txt');
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,x1', '-i', file, '--exclude-sets', 'b', '--exclude-bins', 'blob,dbl', '-m', status]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`unwanted set ${PER_SET}\\)`));
  assert.equal(readFileSync(status, 'utf8').trim().split('\n').pop(), `SUMMARY:1:0:${total}:0:${PER_SET}:0 :${total - PER_SET}:0:0`);
  const back = await backup('-n', 'x1');
  const recs = records(back.items);
  assert.equal(recs.length, total - PER_SET);
  assert.ok(recs.every((x) => x.set !== 'b' && binNames(x) === ALL_BINS.filter((b) => b !== 'blob' && b !== 'dbl').join(',')));
  assert.ok(back.items.every((i) => i.kind !== 'sindex'), 'the index of set b was not created');
  // Every bin excluded: such records are skipped, as records without bins are.
  const none = await runProgram('asrestore', ['-h', host, '-n', 'test,x2', '-i', file, '-s', 'a', '--exclude-bins', ALL_BINS.join(',')]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, new RegExp(`no bins ${PER_SET}, unwanted set ${total - PER_SET}\\)`));
});
