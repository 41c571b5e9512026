// Scan, metadata and as-scan against the in-memory dev cluster; the data is written by the
// official client, so every byte we read back is checked against an independent writer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Aerospike from 'aerospike';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { scanPartitions, type ScanOptions } from '../../lib/cluster/scan.js';
import { clusterStable, namespaceRecordCount, readSindexes, readUdfs } from '../../lib/cluster/metadata.js';
import { compile, selectionFilter } from '../../lib/protocol/expression.js';
import { partitionId } from '../../lib/protocol/digest.js';
import { IncompleteError } from '../../lib/errors.js';
import type { RecordItem } from '../../lib/records/types.js';
import { connectOfficial, loadDataset } from '../dataset.js';

const BULK = 3000;
let dev: DevServerThread;
let cluster: Cluster;
let total = 0;

async function bulk(port: number, n: number, set: string, from = 0): Promise<void> {
  const client = await connectOfficial(port);
  try {
    for (let i = from; i < from + n; i += 200) {
      const puts = [];
      for (let k = i; k < Math.min(i + 200, from + n); k++) puts.push(client.put(new Aerospike.Key('test', set, k), { n: k, s: `value ${k}`, d: new Aerospike.Double(k + 0.5) }));
      await Promise.all(puts);
    }
  } finally {
    await client.close();
  }
}

async function collect(opts: Partial<ScanOptions> = {}, c = cluster): Promise<RecordItem[]> {
  const out: RecordItem[] = [];
  for await (const r of scanPartitions(c, { namespace: 'test', ...opts })) out.push(r);
  return out;
}

function assertUnique(recs: RecordItem[]): Set<string> {
  const s = new Set(recs.map((r) => r.digest.toString('hex')));
  assert.equal(s.size, recs.length, 'no duplicates');
  return s;
}

before(async () => {
  dev = await startDevServerThread({ nodes: 3, namespaces: ['test', 'bar'] });
  total = await loadDataset(dev.seeds[0]!.port, 'test');
  await bulk(dev.seeds[0]!.port, BULK, 'bulk');
  total += BULK;
  cluster = await Cluster.connect({ hosts: dev.seeds });
});

after(async () => {
  cluster?.close();
  await dev?.close();
});

test('3 nodes: every record exactly once, bit-exact with what the server stores', async () => {
  assert.equal(cluster.nodes.length, 3);
  const recs = await collect();
  assert.equal(recs.length, total);
  assertUnique(recs);
  for (const r of recs) {
    const stored = (await dev.get('test', r.digest))!;
    assert.ok(stored, 'record exists');
    assert.equal(r.set, stored.set);
    assert.equal(r.generation, stored.generation);
    assert.equal(r.voidTime, stored.voidTime);
    assert.deepEqual(r.key, stored.key);
    assert.deepEqual(r.bins.map((b) => [b.name, b.type, b.data.toString('hex')]), stored.bins.map((b) => [b.name, b.type, b.data.toString('hex')]));
  }
});

test('particle types survive: Double(1.0) is a double, GeoJSON, blobs, raw list/map msgpack', async () => {
  const recs = await collect({ set: 'a' });
  assert.ok(recs.length > 0);
  const bin = (r: RecordItem, n: string) => r.bins.find((b) => b.name === n)!;
  const one = recs.find((r) => bin(r, 'dbl').data.readDoubleBE(0) === 1.0)!;
  assert.equal(bin(one, 'dbl').type, 2);
  assert.equal(bin(one, 'dbl').data.toString('hex'), '3ff0000000000000');
  for (const r of recs) {
    assert.equal(bin(r, 'geo').type, 23);
    assert.match(bin(r, 'geo').data.toString('latin1'), /"Point"/);
    assert.equal(bin(r, 'blob').type, 4);
    assert.equal(bin(r, 'list').type, 20);
    assert.equal(bin(r, 'map').type, 19);
    assert.equal(bin(r, 'flag').type, 17);
    assert.equal(bin(r, 'str').type, 3);
  }
});

test('bins, no-bins and set selection', async () => {
  const onlyN = await collect({ set: 'bulk', bins: ['n'] });
  assert.equal(onlyN.length, BULK);
  assert.ok(onlyN.every((r) => r.bins.length === 1 && r.bins[0]!.name === 'n'));
  const meta = await collect({ set: 'bulk', noBins: true });
  assert.equal(meta.length, BULK);
  assert.ok(meta.every((r) => r.bins.length === 0 && r.set === 'bulk'));
});

test('node-list subsets partition the namespace', async () => {
  const seen = new Set<string>();
  let sum = 0;
  for (const node of cluster.nodes) {
    const pids = cluster.partitionsOfNodes('test', [{ host: node.host, port: node.port }]);
    assert.ok(pids.length > 0);
    const recs = await collect({ partitions: pids, set: 'bulk' });
    for (const r of recs) {
      assert.ok(pids.includes(partitionId(r.digest)));
      seen.add(r.digest.toString('hex'));
    }
    sum += recs.length;
  }
  assert.equal(sum, BULK);
  assert.equal(seen.size, BULK);
});

test('modified-after / modified-before windows follow the server clock', async () => {
  const t0 = await dev.clock.now();
  await dev.clock.advance(3600_000);
  await bulk(dev.seeds[1]!.port, 100, 'late', 0);
  const mid = t0 + 1800_000;
  const late = await collect({ set: 'late', filter: compile(selectionFilter({ modifiedAfter: mid })!) });
  assert.equal(late.length, 100);
  const bulkLate = await collect({ set: 'bulk', filter: compile(selectionFilter({ modifiedAfter: mid })!) });
  assert.equal(bulkLate.length, 0);
  const early = await collect({ set: 'bulk', filter: compile(selectionFilter({ modifiedBefore: mid })!) });
  assert.equal(early.length, BULK);
});

test('sampling by digest keeps about the asked percentage, the same records each time', async () => {
  const filter = compile(selectionFilter({ percent: 10 })!);
  const a = await collect({ set: 'bulk', filter });
  assert.ok(a.length > BULK * 0.07 && a.length < BULK * 0.13, `${a.length} of ${BULK}`);
  const b = await collect({ set: 'bulk', filter });
  assert.deepEqual(new Set(b.map((r) => r.digest.toString('hex'))), new Set(a.map((r) => r.digest.toString('hex'))));
});

test('a dropped connection mid-partition resumes without duplicates', async () => {
  await dev.faults.dropConnectionAfterRecords(137);
  try {
    const recs = await collect({ set: 'bulk', priority: 1 });
    assert.equal(recs.length, BULK);
    assertUnique(recs);
  } finally {
    await dev.faults.dropConnectionAfterRecords(null);
  }
});

test('a partition that stays unavailable is named in an IncompleteError', async () => {
  await dev.faults.partitionUnavailable(77);
  try {
    await assert.rejects(collect({ maxRetries: 1 }), (e: unknown) => e instanceof IncompleteError && e.code === 'INCOMPLETE' && /^partitions 77 /.test(e.message));
  } finally {
    await dev.faults.partitionUnavailable(null);
  }
});

test('metadata: sindexes, UDFs, record count, stability', async () => {
  const six = await readSindexes(cluster, 'test');
  assert.deepEqual(six, [{ kind: 'sindex', namespace: 'test', set: 'b', name: 'test_b_sidx', indexType: 'N', bin: 'sidx', binType: 'S' }]);
  const udfs = await readUdfs(cluster);
  assert.equal(udfs.length, 1);
  assert.equal(udfs[0]!.name, 'dataset.lua');
  assert.match(udfs[0]!.content.toString(), /function hello/);
  assert.equal(await namespaceRecordCount(cluster, 'test', 'bulk'), BULK);
  assert.equal((await clusterStable(cluster, 'test')).stable, true);
  await dev.faults.migrationsPending(true);
  try {
    assert.equal((await clusterStable(cluster, 'test')).stable, false);
  } finally {
    await dev.faults.migrationsPending(false);
  }
});

test('as-scan writes sindexes, udfs, then records; exit codes', async () => {
  const bin = fileURLToPath(new URL('../../../bin/as-scan', import.meta.url));
  const runCli = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const p = spawn(process.execPath, [bin, ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
  const seed = `127.0.0.1:${dev.seeds[0]!.port}`;
  // Set b holds the index: it comes with -s bulk,b, not with -s bulk.
  const r = await runCli(['-h', seed, '-n', 'test', '-s', 'bulk,b', '-B', 'n']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].kind, 'sindex');
  assert.equal(lines[1].kind, 'udf');
  assert.equal(lines.filter((l) => l.kind === 'record' && l.set === 'bulk').length, BULK);
  const one = await runCli(['-h', seed, '-n', 'test', '-s', 'bulk', '-B', 'n']);
  assert.equal(one.code, 0, one.err);
  assert.deepEqual([...new Set(one.out.trim().split('\n').map((l) => JSON.parse(l).kind))], ['udf', 'record'], 'no index of another set');
  const usage = await runCli(['-h', seed, '-n', 'test', '--priority', '7']);
  assert.equal(usage.code, 2, 'bad option');
  const pct = await runCli(['-h', seed, '-n', 'test', '-s', 'bulk', '-%', '10', '-I', '-u']);
  assert.equal(pct.code, 0, pct.err);
  const n = pct.out.trim().split('\n').length;
  assert.ok(n > BULK * 0.07 && n < BULK * 0.13, `${n}`);
  const bad = await runCli(['-h', seed, '-n', 'nosuch']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^as-scan: namespace "nosuch" not found/);
  assert.equal(bad.err.trim().split('\n').length, 1);
  const down = await runCli(['-h', '127.0.0.1:1', '-n', 'test']);
  assert.equal(down.code, 1);
  assert.match(down.err, /127\.0\.0\.1:1: connection refused/);
});

test('a node stopped mid-scan: complete result or an IncompleteError naming partitions', async (t) => {
  const c = await Cluster.connect({ hosts: dev.seeds });
  const recs: RecordItem[] = [];
  const logs: string[] = [];
  let stopped = false;
  await dev.faults.slowReplies(10);
  try {
    for await (const r of scanPartitions(c, { namespace: 'test', set: 'bulk', log: (m) => logs.push(m) })) {
      recs.push(r);
      if (!stopped && recs.length === 500) {
        stopped = true;
        await dev.nodes[2]!.stop();
      }
    }
    assert.equal(recs.length, BULK);
    assertUnique(recs);
    t.diagnostic(`complete after the node stopped: ${logs.join(' | ')}`);
  } catch (e) {
    t.diagnostic(`incomplete: ${(e as Error).message}`);
    assert.ok(e instanceof IncompleteError, String(e));
    assert.match(e.message, /^partitions \d+/);
    assertUnique(recs);
  } finally {
    await dev.faults.slowReplies(0);
    c.close();
    await dev.nodes[2]!.start();
  }
});
