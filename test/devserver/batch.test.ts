// Batch writes on the dev server, with the official client's batchWrite as the judge of
// what a real server answers: one result per record, generation and exists policies,
// TTL, successes and failures mixed in one batch, and a server with batch-index-threads 0.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { Aerospike, client, infoValue } from './helpers.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Client = any;

const W = Aerospike.batchType.BATCH_WRITE;
const op = Aerospike.operations;

function write(key: unknown, bins: Record<string, unknown>, policy: Record<string, unknown> = {}): unknown {
  return { type: W, key, ops: Object.entries(bins).map(([n, v]) => op.write(n, v)), policy: new Aerospike.BatchWritePolicy(policy) };
}

for (const nodes of [1, 2]) {
  describe(`batch writes on a ${nodes}-node dev server, official client`, () => {
    let server: DevServerThread;
    let c: Client;
    before(async () => {
      server = await startDevServerThread({ nodes, namespaces: ['test'] });
      c = await client(server.seeds[0]!.port);
    });
    after(async () => {
      c?.close();
      await server.close();
    });

    it('answers every record with its own result, successes and failures mixed in one batch', async () => {
      const key = (k: string) => new Aerospike.Key('test', `mix${nodes}`, k);
      for (const k of ['exists', 'gen', 'plain']) await c.put(key(k), { v: 'old' });
      const results = await c.batchWrite([
        write(key('new'), { v: 'new', n: 7 }, { ttl: 1000 }),
        write(key('exists'), { v: 'x' }, { exists: Aerospike.policy.exists.CREATE }),
        write(key('missing'), { v: 'x' }, { exists: Aerospike.policy.exists.UPDATE }),
        write(key('gen'), { v: 'x' }, { gen: Aerospike.policy.gen.EQ }),
        write(key('plain'), { v: 'updated' }),
        write(key('fresh'), { v: 'created' }, { exists: Aerospike.policy.exists.CREATE, gen: Aerospike.policy.gen.GT }),
      ]);
      assert.deepEqual(results.map((r: { status: number }) => r.status), [
        Aerospike.status.OK, Aerospike.status.ERR_RECORD_EXISTS, Aerospike.status.ERR_RECORD_NOT_FOUND,
        Aerospike.status.ERR_RECORD_GENERATION, Aerospike.status.OK, Aerospike.status.OK,
      ]);
      const got = await c.batchRead(['new', 'exists', 'missing', 'gen', 'plain', 'fresh'].map((k) => ({ key: key(k), readAllBins: true })));
      assert.deepEqual(got.map((r: { status: number }) => r.status), [0, 0, Aerospike.status.ERR_RECORD_NOT_FOUND, 0, 0, 0]);
      const rec = (i: number) => got[i].record;
      assert.deepEqual(rec(0).bins, { v: 'new', n: 7 });
      assert.equal(rec(0).gen, 1);
      assert.ok(rec(0).ttl > 990 && rec(0).ttl <= 1000, `ttl ${rec(0).ttl}`);
      assert.deepEqual(rec(1).bins, { v: 'old' });
      assert.deepEqual(rec(3).bins, { v: 'old' });
      assert.equal(rec(3).gen, 1);
      assert.deepEqual(rec(4).bins, { v: 'updated' });
      assert.equal(rec(4).gen, 2);
      assert.deepEqual(rec(5).bins, { v: 'created' });
    });

    it('a record rejected on its own (replace-only on a missing record) leaves the rest of the batch written', async () => {
      const key = (k: string) => new Aerospike.Key('test', `rej${nodes}`, k);
      const batch = [];
      for (let i = 0; i < 40; i++) batch.push(write(key(`k${i}`), { i }, i % 7 === 3 ? { exists: Aerospike.policy.exists.REPLACE } : {}));
      const results = await c.batchWrite(batch);
      for (let i = 0; i < 40; i++) {
        assert.equal(results[i].status, i % 7 === 3 ? Aerospike.status.ERR_RECORD_NOT_FOUND : Aerospike.status.OK, `record ${i}`);
      }
      const got = await c.batchRead(batch.map((_, i) => ({ key: key(`k${i}`), readAllBins: true })));
      for (let i = 0; i < 40; i++) {
        if (i % 7 === 3) assert.equal(got[i].status, Aerospike.status.ERR_RECORD_NOT_FOUND);
        else assert.deepEqual(got[i].record.bins, { i });
      }
    });

    it('says batch-index-threads in get-config:context=service', async () => {
      const v = await infoValue(server.seeds[0]!.port, 'get-config:context=service');
      assert.match(v, /(^|;)batch-index-threads=[1-9]\d*(;|$)/);
      assert.match(v, /(^|;)batch-max-requests=5000(;|$)/);
    });
  });
}

describe('a dev server with batch-index-threads 0', () => {
  let server: DevServerThread;
  before(async () => {
    server = await startDevServerThread({ nodes: 1, namespaces: ['test'], batchIndexThreads: 0 });
  });
  after(async () => {
    await server.close();
  });

  it('refuses batch commands with 150 and says batch-index-threads=0', async () => {
    const c = await client(server.seeds[0]!.port);
    try {
      // Two records: the client sends a batch of one record as a single command.
      const batch = [write(new Aerospike.Key('test', 's', 'k1'), { v: 1 }), write(new Aerospike.Key('test', 's', 'k2'), { v: 2 })];
      await assert.rejects(c.batchWrite(batch), (e: { code: number }) => e.code === 150);
      assert.equal(await server.count('test'), 0);
    } finally {
      c.close();
    }
    assert.match(await infoValue(server.seeds[0]!.port, 'get-config:context=service'), /(^|;)batch-index-threads=0(;|$)/);
  });
});
