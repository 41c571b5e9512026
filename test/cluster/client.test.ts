// Client tests against the fake node (exact control over the bytes on the wire).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Cluster } from '../../lib/cluster/cluster.js';
import { plannedPartitions, scanPartitions } from '../../lib/cluster/scan.js';
import { ConnectError, IncompleteError, ServerError, UsageError } from '../../lib/errors.js';
import { partitionId } from '../../lib/protocol/digest.js';
import type { RecordItem } from '../../lib/records/types.js';
import { startFakeNode } from './fake-node.js';
import { seededRng, withSeed } from '../helpers.js';

// Digests and garbage come from one seeded source; a failure names the seed.
const rng = seededRng();
const randomBytes = (n: number): Buffer => rng.bytes(n);

function makeRecords(n: number): RecordItem[] {
  const out: RecordItem[] = [];
  for (let i = 0; i < n; i++) {
    const int = Buffer.alloc(8);
    int.writeBigInt64BE(BigInt(i));
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleBE(1.0);
    out.push({
      kind: 'record', namespace: 'test', set: i % 3 === 0 ? '' : 'demo', digest: randomBytes(20), generation: 1 + (i % 7), voidTime: i % 2 ? 0 : 500000000 + i,
      ...(i % 5 === 0 ? { key: { type: 3, data: Buffer.from(`k${i}`) } } : {}),
      bins: [{ name: 'i', type: 1, data: int }, { name: 'd', type: 2, data: dbl }, { name: 's', type: 3, data: Buffer.from('x'.repeat(i % 40)) }],
    });
  }
  return out;
}

async function collect(c: Cluster, opts: Parameters<typeof scanPartitions>[1]): Promise<RecordItem[]> {
  const out: RecordItem[] = [];
  for await (const r of scanPartitions(c, opts)) out.push(r);
  return out;
}

function sameRecords(got: RecordItem[], want: RecordItem[]): void {
  assert.equal(got.length, want.length);
  const byDigest = new Map(want.map((r) => [r.digest.toString('hex'), r]));
  const seen = new Set<string>();
  for (const r of got) {
    const h = r.digest.toString('hex');
    assert.ok(!seen.has(h), `duplicate ${h}`);
    seen.add(h);
    const w = byDigest.get(h);
    assert.ok(w, `unexpected ${h}`);
    assert.equal(r.set, w.set);
    assert.equal(r.generation, w.generation);
    assert.equal(r.voidTime, w.voidTime);
    assert.deepEqual(r.key, w.key);
    assert.deepEqual(r.bins.map((b) => [b.name, b.type, b.data.toString('hex')]), w.bins.map((b) => [b.name, b.type, b.data.toString('hex')]));
  }
}

test('scan returns every record exactly once, bit-exact', async () => {
  const records = makeRecords(3000);
  const node = await startFakeNode({ records });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    sameRecords(await collect(c, { namespace: 'test' }), records);
    sameRecords(await collect(c, { namespace: 'test', priority: 3 }), records);
  } finally {
    c.close();
    await node.close();
  }
});

test('a dropped connection resumes from the last digest without duplicates', async () => {
  const records = makeRecords(2000);
  const node = await startFakeNode({ records, dropAfterRecords: 777, perFrame: 10 });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    sameRecords(await collect(c, { namespace: 'test', priority: 1 }), records);
    assert.equal(node.scans.length, 2);
    assert.ok(node.scans[1]!.digests.length > 0, 'second round resumes with digests');
  } finally {
    c.close();
    await node.close();
  }
});

test('an unavailable partition is retried; one that stays unavailable is named', async () => {
  const records = makeRecords(500);
  const node = await startFakeNode({ records, unavailable: [5, 7] });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    sameRecords(await collect(c, { namespace: 'test', priority: 1 }), records);
    assert.deepEqual(node.scans[1]!.pids, [5, 7]);
  } finally {
    c.close();
    await node.close();
  }
  const bad = await startFakeNode({ records, unavailable: [12, 13], alwaysUnavailable: true });
  const c2 = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: bad.port }], tendIntervalMs: 0 });
  try {
    await assert.rejects(collect(c2, { namespace: 'test', maxRetries: 2 }), (e: unknown) => {
      assert.ok(e instanceof IncompleteError);
      assert.equal(e.code, 'INCOMPLETE');
      // It names the partitions and what the server answered for them.
      assert.match(e.message, /^partitions 12, 13 .*partition 12: .*\(11\)/);
      return true;
    });
  } finally {
    c2.close();
    await bad.close();
  }
});

test('maxRecords is exact, partitions and afterDigest select', async () => {
  const records = makeRecords(1000);
  const node = await startFakeNode({ records });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    assert.equal((await collect(c, { namespace: 'test', maxRecords: 123 })).length, 123);
    const pid = (d: Buffer) => (d[0]! | (d[1]! << 8)) & 0xfff;
    const some = await collect(c, { namespace: 'test', partitions: [0, 1, 2, 3, 4000] });
    sameRecords(some, records.filter((r) => [0, 1, 2, 3, 4000].includes(pid(r.digest))));
    const sorted = [...records].sort((a, b) => pid(a.digest) - pid(b.digest) || Buffer.compare(b.digest, a.digest));
    const at = sorted[500]!;
    const rest = await collect(c, { namespace: 'test', afterDigest: at.digest });
    sameRecords(rest, sorted.filter((r) => pid(r.digest) > pid(at.digest) || (pid(r.digest) === pid(at.digest) && Buffer.compare(r.digest, at.digest) < 0)));
  } finally {
    c.close();
    await node.close();
  }
});

test('plannedPartitions: the partitions a backup journals, in pid order, with the resume digests of those begun', () => {
  const all = plannedPartitions({ namespace: 'test' });
  assert.deepEqual(all.partitions, Array.from({ length: 4096 }, (_, i) => i));
  assert.equal(all.resume.size, 0);
  // A list in any order, with repeats: each partition once, in order.
  assert.deepEqual(plannedPartitions({ namespace: 'test', partitions: [4000, 3, 1, 3] }).partitions, [1, 3, 4000]);
  // A digest of a given partition: its first two bytes hold the partition id (low 12 bits).
  const digestOf = (pid: number): Buffer => {
    const d = randomBytes(20);
    d[0] = pid & 0xff;
    d[1] = (d[1]! & 0xf0) | (pid >> 8);
    assert.equal(partitionId(d), pid);
    return d;
  };
  const after = digestOf(4090);
  const tail = plannedPartitions({ namespace: 'test', afterDigest: after });
  assert.deepEqual(tail.partitions, [4090, 4091, 4092, 4093, 4094, 4095]);
  assert.deepEqual([...tail.resume], [[4090, after]]);
  // --after-digest within a partition list: the listed ones from its partition on; its own
  // resume point only when its partition is listed.
  assert.deepEqual(plannedPartitions({ namespace: 'test', afterDigest: after, partitions: [7, 4093, 4091] }), { partitions: [4091, 4093], resume: new Map() });
  assert.deepEqual([...plannedPartitions({ namespace: 'test', afterDigest: after, partitions: [4090, 4095] }).resume.keys()], [4090]);
  // A resumed backup's digests: kept for the partitions it reads, dropped for the others.
  const d5 = digestOf(5);
  const d9 = digestOf(9);
  const resumed = plannedPartitions({ namespace: 'test', partitions: [5, 6], resume: new Map([[5, d5], [9, d9]]) });
  assert.deepEqual(resumed, { partitions: [5, 6], resume: new Map([[5, d5]]) });
  // What is not a partition, or not a digest of its partition, is refused.
  assert.throws(() => plannedPartitions({ namespace: 'test', partitions: [4096] }), (e: unknown) => e instanceof UsageError && e.code === 'USAGE' && /4096/.test(e.message));
  assert.throws(() => plannedPartitions({ namespace: 'test', resume: new Map([[6, d5]]) }), (e: unknown) => e instanceof UsageError && /partition 6/.test(e.message));
});

test('unknown namespace is a ServerError naming it', async () => {
  const node = await startFakeNode({});
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    await assert.rejects(collect(c, { namespace: 'nosuch' }), (e: unknown) => e instanceof ServerError && e.code === 'NAMESPACE_NOT_FOUND' && /"nosuch"/.test(e.message));
  } finally {
    c.close();
    await node.close();
  }
});

test('a slow consumer still gets everything (socket paused and resumed)', async () => {
  const records = makeRecords(20000).map((r) => ({ ...r, bins: [...r.bins, { name: 'pad', type: 4, data: randomBytes(1000) }] }));
  const node = await startFakeNode({ records, perFrame: 200 });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    let n = 0;
    for await (const _ of scanPartitions(c, { namespace: 'test' })) {
      if (++n % 2000 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(n, records.length);
  } finally {
    c.close();
    await node.close();
  }
});

test('random bytes from a node give a clean error', () => withSeed(async () => {
  for (let i = 0; i < 20; i++) {
    const garbage = randomBytes(8 + rng.int(300));
    if (i % 2 === 0) garbage[0] = 2, garbage[1] = 3, garbage.writeUIntBE(Math.min(garbage.length, 100), 2, 6);
    const node = await startFakeNode({ garbage, records: makeRecords(10) });
    const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
    try {
      await assert.rejects(collect(c, { namespace: 'test', maxRetries: 1, socketTimeoutMs: 200 }), (e: unknown) => e instanceof Error && /127\.0\.0\.1/.test(e.message));
    } finally {
      c.close();
      await node.close();
    }
  }
  // A "node" that answers info with garbage cannot be a seed.
  const server = net.createServer((s) => s.end(randomBytes(64)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await assert.rejects(Cluster.connect({ hosts: [{ host: '127.0.0.1', port }], tendIntervalMs: 0 }), (e: unknown) => e instanceof ConnectError && e.code === 'CONNECT' && e.message.includes(`127.0.0.1:${port}`));
  server.close();
}, rng.seed));

test('unreachable seeds are all named', async () => {
  await assert.rejects(Cluster.connect({ hosts: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: 2 }], tendIntervalMs: 0 }),
    (e: unknown) => e instanceof ConnectError && e.code === 'CONNECT' && /127\.0\.0\.1:1, 127\.0\.0\.1:2/.test(e.message));
});
