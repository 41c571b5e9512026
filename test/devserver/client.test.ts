// The official `aerospike` client (npm 6.7.1, C client 7.4.0) as the judge of the dev
// server: 1-node and 3-node clusters, the server in a worker thread.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { ParticleType } from '../../lib/protocol/constants.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { Aerospike, client } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function withClient<T>(server: DevServerThread, fn: (c: any) => Promise<T>): Promise<T> {
  const c = await client(server.seeds[0]!.port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

for (const nodes of [1, 3]) {
  describe(`dev server with ${nodes} node(s), official client`, () => {
    let server: DevServerThread;
    before(async () => {
      server = await startDevServerThread({ nodes });
    });
    after(async () => {
      await server.close();
    });

    it('connects from one seed and sees every node', async () => {
      await withClient(server, async (c) => {
        const seen = c.getNodes().map((n: { name: string }) => n.name).sort();
        assert.deepEqual(seen, server.nodes.map((n) => n.id).sort());
      });
    });

    it('puts and gets every type, and keeps particle types', async () => {
      await withClient(server, async (c) => {
        const key = new Aerospike.Key('test', 'types', 'all');
        const bins = {
          i: 42, neg: -7, big: 2n ** 60n + 1n, f1: new Aerospike.Double(1.0), f: 0.1,
          s: 'héllo wörld ✓', e: '', b: Buffer.from([0, 1, 2, 255]),
          l: [1, 'a', [2, [3]], { x: 1 }], m: { z: 1, a: { b: [1, 2] } }, t: true, no: false,
          g: new Aerospike.GeoJSON({ type: 'Point', coordinates: [103.9, 1.3] }),
        };
        await c.put(key, bins, { ttl: 3600 }, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND }));
        const r1 = await c.get(key);
        assert.equal(r1.gen, 1);
        assert.ok(r1.ttl > 3500 && r1.ttl <= 3600, `ttl ${r1.ttl}`);
        await c.operate(key, [Aerospike.hll.init('h', 8), Aerospike.hll.add('h', ['a', 'b', 'c'])], { ttl: -2 });
        const r = await c.get(key);
        assert.equal(r.gen, 2);
        assert.ok(r.ttl > 3500 && r.ttl <= 3600, `ttl ${r.ttl}`);
        assert.equal(r.bins.i, 42);
        assert.equal(r.bins.neg, -7);
        assert.equal(r.bins.big, 2n ** 60n + 1n);
        assert.equal(r.bins.f1, 1);
        assert.equal(r.bins.f, 0.1);
        assert.equal(r.bins.s, 'héllo wörld ✓');
        assert.equal(r.bins.e, '');
        assert.deepEqual(r.bins.b, Buffer.from([0, 1, 2, 255]));
        assert.deepEqual(r.bins.l, [1, 'a', [2, [3]], { x: 1 }]);
        assert.deepEqual(r.bins.m, { z: 1, a: { b: [1, 2] } });
        assert.equal(r.bins.t, true);
        assert.equal(r.bins.no, false);
        assert.deepEqual(JSON.parse(String(r.bins.g)), { type: 'Point', coordinates: [103.9, 1.3] });
        assert.ok(Buffer.isBuffer(r.bins.h));
        const count = await c.operate(key, [Aerospike.hll.getCount('h')]);
        assert.ok(count.bins.h >= 2 && count.bins.h <= 4);
        const stored = await server.get('test', key.digest);
        assert.ok(stored);
        const type = (n: string) => stored.bins.find((b) => b.name === n)?.type;
        assert.equal(type('f1'), ParticleType.FLOAT);
        assert.equal(type('g'), ParticleType.GEOJSON);
        assert.equal(type('h'), ParticleType.HLL);
        assert.equal(type('big'), ParticleType.INTEGER);
        assert.equal(type('b'), ParticleType.BLOB);
        assert.equal(type('t'), ParticleType.BOOL);
        assert.equal(stored.set, 'types');
        assert.equal(stored.key?.type, ParticleType.STRING);
        assert.equal(stored.key?.data.toString(), 'all');
      });
    });

    it('queries all 4096 partitions once; partition subsets and maxRecords', async () => {
      await withClient(server, async (c) => {
        const n = 300;
        for (let i = 0; i < n; i++) await c.put(new Aerospike.Key('test', 'q', i), { i });
        const all = await c.query('test', 'q').results();
        assert.equal(all.length, n);
        assert.equal(new Set(all.map((r: { bins: { i: number } }) => r.bins.i)).size, n);
        const scanned = await c.scan('test', 'q').results();
        assert.equal(scanned.length, n);
        // Partition subset: exactly the records whose digest falls in 0..1023.
        const q = c.query('test', 'q');
        q.partitions(0, 1024);
        const part = await q.results();
        const want = all.filter((r: { key: { digest: Buffer } }) => ((r.key.digest[0]! | (r.key.digest[1]! << 8)) & 4095) < 1024).length;
        assert.equal(part.length, want);
        const capped = await c.query('test', 'q', { maxRecords: 17 }).results();
        assert.ok(capped.length <= 17 && capped.length >= 17 - nodes, `got ${capped.length}`);
        const nob = await c.scan('test', 'q', { nobins: true }).results();
        assert.equal(nob.length, n);
        assert.deepEqual(nob[0].bins, {});
      });
    });

    it('fails generation and exists policies with the real result codes; records expire', async () => {
      await withClient(server, async (c) => {
        const key = new Aerospike.Key('test', 'pol', 'k1');
        await c.put(key, { a: 1 });
        await assert.rejects(c.put(key, { a: 2 }, { gen: 9 }, new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.EQ })), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_GENERATION);
        await c.put(key, { a: 2 }, { gen: 1 }, new Aerospike.WritePolicy({ gen: Aerospike.policy.gen.EQ }));
        await assert.rejects(c.put(key, { a: 3 }, {}, new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.CREATE })), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_EXISTS);
        const missing = new Aerospike.Key('test', 'pol', 'nope');
        await assert.rejects(c.put(missing, { a: 1 }, {}, new Aerospike.WritePolicy({ exists: Aerospike.policy.exists.UPDATE })), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_NOT_FOUND);
        await assert.rejects(c.get(missing), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_NOT_FOUND);
        // The same digest stored in another set: PARAMETER (4).
        const other = new Aerospike.Key('test', 'pol2', 'x');
        const otherDigest = computeDigest('pol2', ParticleType.STRING, Buffer.from('x'));
        await server.put('test', 'elsewhere', otherDigest, [{ name: 'a', type: ParticleType.INTEGER, data: Buffer.alloc(8) }]);
        await assert.rejects(c.put(other, { a: 1 }), (e: { code: number }) => e.code === Aerospike.status.ERR_REQUEST_INVALID);
        // A stored key that differs from the one sent: KEY_MISMATCH (19).
        await server.put('test', 'pol2', otherDigest, [{ name: 'a', type: ParticleType.INTEGER, data: Buffer.alloc(8) }], { key: { type: ParticleType.STRING, data: Buffer.from('y') } });
        await assert.rejects(c.put(other, { a: 1 }, {}, new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND })), (e: { code: number }) => e.code === 19);
        // TTL and the server clock.
        const t = new Aerospike.Key('test', 'pol', 'ttl');
        await c.put(t, { a: 1 }, { ttl: 10 });
        assert.equal((await c.get(t)).bins.a, 1);
        await server.clock.advance(11_000);
        await assert.rejects(c.get(t), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_NOT_FOUND);
        await c.remove(key);
        await assert.rejects(c.remove(key), (e: { code: number }) => e.code === Aerospike.status.ERR_RECORD_NOT_FOUND);
        await assert.rejects(c.get(new Aerospike.Key('nosuch', 's', 1)), (e: { code: number }) => e.code === Aerospike.status.ERR_NAMESPACE_NOT_FOUND || e.code === Aerospike.status.ERR_CLIENT);
      });
    });

    it('registers, lists and removes UDFs; creates and removes indexes; truncates', async () => {
      await withClient(server, async (c) => {
        const dir = mkdtempSync(join(tmpdir(), 'devserver-'));
        const file = join(dir, `tiny${nodes}.lua`);
        writeFileSync(file, 'function hello(rec)\n  return 1\nend\n');
        const job = await c.udfRegister(file);
        await job.wait(10);
        const list = await c.infoAny('udf-list');
        assert.match(list, new RegExp(`filename=tiny${nodes}.lua,hash=[0-9a-f]{40},type=LUA;`));
        const rm = await c.udfRemove(`tiny${nodes}.lua`);
        await rm.wait(10);
        assert.doesNotMatch(await c.infoAny('udf-list'), new RegExp(`tiny${nodes}`));

        const ij = await c.createIndex({ ns: 'test', set: 'q', bin: 'i', index: 'idx_i', datatype: Aerospike.indexDataType.NUMERIC });
        await ij.wait(10);
        const sl = await c.infoAny('sindex-list:ns=test');
        assert.match(sl, /ns=test:indexname=idx_i:set=q:bin=i:type=numeric:indextype=default:context=null:exp=null:state=RW/);
        await c.indexRemove('test', 'idx_i');
        assert.doesNotMatch(await c.infoAny('sindex-list:ns=test'), /idx_i/);

        for (let i = 0; i < 20; i++) await c.put(new Aerospike.Key('bar', 'tr', i), { i });
        await c.put(new Aerospike.Key('bar', 'keep', 1), { i: 1 });
        await c.truncate('bar', 'tr', 0);
        assert.equal((await c.scan('bar', 'tr').results()).length, 0);
        assert.equal((await c.scan('bar', 'keep').results()).length, 1);
      });
    });
  });
}
