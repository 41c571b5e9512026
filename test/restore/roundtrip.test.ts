// Round trip judged by the official client: it writes every type, key kind, TTL and set;
// asbackup saves the namespace; asrestore brings it back into another one. The restored
// records must equal the originals bit for bit on the server and read the same through
// the official client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Aerospike from 'aerospike';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import type { RecordItem } from '../../lib/records/types.js';
import { runProgram, tempDir } from '../helpers.js';
import { connectOfficial, loadDataset } from '../dataset.js';

let server: DevServerThread;
let host: string;
let port: number;

before(async () => {
  server = await startDevServerThread({ nodes: 2, namespaces: ['test', 'bar'] });
  port = server.seeds[0]!.port;
  host = `127.0.0.1:${port}`;
  await loadDataset(port, 'test');
  // Extra values the dataset lacks: integers beyond 2^53 as keys and bins, a Double(1.0) key.
  const client = await connectOfficial(port);
  try {
    const send = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    await client.put(new Aerospike.Key('test', 'big', 2n ** 60n + 1n), { big: 2n ** 63n - 1n, neg: -(2n ** 63n), one: new Aerospike.Double(1.0) }, { ttl: 7200 }, send);
    await client.put(new Aerospike.Key('test', 'big', 'gen'), { v: 1 }, undefined, send);
    await client.put(new Aerospike.Key('test', 'big', 'gen'), { v: 2 }, undefined, send);
  } finally {
    await client.close();
  }
});
after(async () => {
  await server.close();
});

test('positive: official client -> asbackup -> asrestore into another namespace is lossless', async () => {
  const file = join(tempDir(), 'test.asb');
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file]);
  assert.equal(b.code, 0, b.stderr);
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,bar', '-i', file, '-w']);
  assert.equal(r.code, 0, r.stderr);
  const recs: RecordItem[] = [];
  for await (const it of decodeItems([readFileSync(file)], file)) if (it.kind === 'record') recs.push(it);
  assert.ok(recs.length >= 122);
  assert.match(r.stderr, new RegExp(`Inserted ${recs.length} record\\(s\\), skipped 0`));
  assert.match(r.stderr, /1 secondary index\(es\) \(matched 0, replaced 0\), 1 UDF file\(s\)/);
  assert.equal(await server.count('bar'), recs.length);
  for (const rec of recs) {
    const src = (await server.get('test', rec.digest))!;
    const dst = (await server.get('bar', rec.digest))!;
    assert.ok(dst, 'restored');
    assert.equal(dst.set, src.set);
    assert.deepEqual(dst.key, src.key);
    assert.ok(Math.abs(dst.voidTime - src.voidTime) <= 1, 'TTL kept within a second');
    const strip = (x: { name: string; type: number; data: Buffer }) => [x.name, x.type, (x.type === 23 ? x.data.subarray(3 + x.data.readUInt16BE(1) * 8) : x.data).toString('hex')];
    assert.deepEqual(dst.bins.map(strip), src.bins.map(strip));
  }
  // The official client reads the same values (and types) from both namespaces.
  const client = await connectOfficial(port);
  try {
    for (const rec of recs.slice(0, 60)) {
      const a = await client.get(new Aerospike.Key('test', rec.set || null, null, rec.digest));
      const c = await client.get(new Aerospike.Key('bar', rec.set || null, null, rec.digest));
      assert.deepEqual(c.bins, a.bins);
      assert.ok(Math.abs(c.ttl - a.ttl) <= 1);
    }
    const big = await client.get(new Aerospike.Key('bar', 'big', 2n ** 60n + 1n));
    assert.equal(big.bins.big, 2n ** 63n - 1n);
    assert.equal(big.bins.neg, -(2n ** 63n));
    assert.equal(big.gen, 1);
  } finally {
    await client.close();
  }
});
