// Wire-level checks of the dev server: info formats against the real captures, scan
// streams (order, resume, LAST, partition-done, faults), garbage, node stop/start.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, startDevServerThread, type DevServer } from '../../lib/devserver/index.js';
import { encodeMessage, decodeMessages, Fields } from '../../lib/protocol/message.js';
import { FieldType, Info1, Info3, ParticleType } from '../../lib/protocol/constants.js';
import { computeDigest, partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { RawConn, infoValue, client, Aerospike } from './helpers.js';
import { officialDir } from '../helpers.js';

const GOLDEN = readFileSync(join(officialDir, 'wire/info-golden.txt'), 'utf8');
function golden(cmd: string): string {
  const line = GOLDEN.split('\n').find((l) => l.startsWith(`  | ${cmd}\\t`));
  if (line === undefined) throw new Error(`no golden answer for ${cmd}`);
  return line.slice(`  | ${cmd}\\t`.length);
}

function scanRequest(ns: string, pids: number[], opts: { set?: string; digests?: Buffer[]; max?: number; info1?: number } = {}): Buffer {
  const fields = [Fields.string(FieldType.NAMESPACE, ns)];
  if (opts.set) fields.push(Fields.string(FieldType.SET, opts.set));
  fields.push(Fields.u32(FieldType.SOCKET_TIMEOUT, 30000), Fields.u64(FieldType.TASK_ID, 7n));
  if (pids.length > 0) {
    const b = Buffer.alloc(pids.length * 2);
    pids.forEach((p, i) => b.writeUInt16LE(p, i * 2));
    fields.push(Fields.raw(FieldType.PID_ARRAY, b));
  }
  if (opts.digests) fields.push(Fields.raw(FieldType.DIGEST_ARRAY, Buffer.concat(opts.digests)));
  if (opts.max) fields.push(Fields.u64(FieldType.MAX_RECORDS, BigInt(opts.max)));
  return encodeMessage({ info1: opts.info1 ?? Info1.READ, info3: Info3.PARTITION_DONE, recordTtl: 0xffffffff, fields });
}

/** readStream: every message until LAST (frames kept apart), or until the socket closes. */
async function readStream(c: RawConn) {
  const frames: ReturnType<typeof decodeMessages>[] = [];
  for (;;) {
    const f = await c.next();
    if (!f) return { frames, closed: true };
    const msgs = decodeMessages(f.body);
    frames.push(msgs);
    if (msgs.some((m) => m.info3 & Info3.LAST) || msgs.some((m) => m.resultCode !== 0 && !(m.info3 & Info3.PARTITION_DONE))) return { frames, closed: false };
  }
}

const ALL = Array.from({ length: 4096 }, (_, i) => i);

describe('dev server wire behaviour', () => {
  let server: DevServer;
  const logs: string[] = [];
  before(async () => {
    server = await startDevServer({ log: (l) => logs.push(l) });
    for (let i = 0; i < 2000; i++) {
      const d = computeDigest('w', ParticleType.INTEGER, particle.integer(i).data);
      server.put('test', 'w', d, [{ name: 'i', ...particle.integer(i) }, { name: 's', ...particle.string('x'.repeat(40)) }], { key: { type: ParticleType.INTEGER, data: particle.integer(i).data } });
    }
  });
  after(async () => {
    await server.close();
  });

  it('answers info commands in the real server formats', async () => {
    const port = server.seeds[0]!.port;
    for (const cmd of ['build', 'version', 'edition', 'partitions', 'features', 'namespaces', 'status', 'peers-clear-std', 'peers-clear-alt', 'peers-tls-std', 'rack-ids', 'replicas', 'replicas-all', 'replicas-master', 'replicas:max=1', 'namespace/nosuch', 'sets/nosuch', 'sets/test/nosuchset', 'no-such-command', 'udf-get:filename=nosuch.lua']) {
      assert.equal(await infoValue(port, cmd), golden(cmd), cmd);
    }
    assert.equal(await infoValue(port, 'service-clear-std'), `127.0.0.1:${port}`);
    assert.match(await infoValue(port, 'node'), /^[0-9A-F]{1,19}$/);
    const ns = await infoValue(port, 'namespace/test');
    const keys = new Set(ns.split(';').map((kv) => kv.split('=')[0]));
    for (const k of ['objects', 'master_objects', 'effective_replication_factor', 'replication-factor', 'migrate_tx_partitions_remaining', 'migrate_rx_partitions_remaining', 'ns_cluster_size', 'default-ttl', 'nsup-period']) assert.ok(keys.has(k), k);
    assert.ok(ns.split(';').every((kv) => kv.includes('=')));
    assert.match(ns, /(^|;)objects=2000(;|$)/);
    const stats = await infoValue(port, 'statistics');
    const key = /cluster_key=([0-9A-F]+)/.exec(stats)![1]!;
    assert.equal(await infoValue(port, 'cluster-stable:size=1;ignore-migrations=false;namespace=test'), key);
    assert.equal(await infoValue(port, 'cluster-stable:size=2'), 'ERROR:7:cluster not specified size');
    server.faults.migrationsPending(true);
    assert.equal(await infoValue(port, 'cluster-stable:size=1;ignore-migrations=false'), 'ERROR:7:unstable cluster');
    assert.match(await infoValue(port, 'statistics'), /migrate_partitions_remaining=[1-9]/);
    server.faults.migrationsPending(false);
    assert.match(await infoValue(port, 'sets/test'), /^ns=test:set=w:objects=2000:tombstones=0:data_used_bytes=\d+:truncate_lut=0:sindexes=0:index_populating=false.*;$/);
    // Framing: several commands in order, no trailing newline -> empty body.
    const c = await RawConn.open(port);
    assert.equal(await c.info(['build', 'status', 'build']), 'build\t8.1.2.0\nstatus\tok\nbuild\t8.1.2.0\n');
    c.send(Buffer.concat([Buffer.from([2, 1, 0, 0, 0, 0, 0, 5]), Buffer.from('build')]));
    assert.equal((await c.next())!.body.length, 0);
    assert.equal(await c.info(['user-agent-set:value=eA==']), 'user-agent-set:value=eA==\tok\n');
    assert.equal(await c.info(['user-agent-set:value=eA==']), 'user-agent-set:value=eA==\tERROR:4:already set\n');
    c.close();
  });

  it('streams scans in descending digest order, resumes strictly below, LAST in its own frame', async () => {
    const c = await RawConn.open(server.seeds[0]!.port);
    c.send(scanRequest('test', ALL, { set: 'w' }));
    const { frames } = await readStream(c);
    const last = frames.at(-1)!;
    assert.equal(last.length, 1);
    assert.equal(last[0]!.info3, Info3.LAST);
    const recs = frames.slice(0, -1).flat();
    assert.ok(frames.length > 2, 'several frames');
    assert.equal(recs.length, 2000);
    let prev: Buffer | undefined;
    for (const m of recs) {
      assert.deepEqual(m.fields.map((f) => f.type), [FieldType.NAMESPACE, FieldType.DIGEST, FieldType.SET, FieldType.KEY]);
      const d = m.fields[1]!.data;
      if (prev && partitionId(prev) === partitionId(d)) assert.ok(Buffer.compare(prev, d) > 0, 'descending digests');
      if (prev) assert.ok(partitionId(prev) <= partitionId(d), 'ascending partitions');
      prev = d;
    }
    // Resume: a partition with several records, from its first digest.
    const byPid = new Map<number, Buffer[]>();
    for (const m of recs) {
      const d = m.fields[1]!.data;
      byPid.set(partitionId(d), [...(byPid.get(partitionId(d)) ?? []), d]);
    }
    const [pid, ds] = [...byPid].find(([, v]) => v.length >= 2)!;
    c.send(scanRequest('test', [], { set: 'w', digests: [ds[0]!] }));
    const resumed = (await readStream(c)).frames.flat().filter((m) => m.fields.length > 0);
    assert.deepEqual(resumed.map((m) => m.fields[1]!.data.toString('hex')), ds.slice(1).map((d) => d.toString('hex')));
    void pid;
    // Exact MAX_RECORDS cap and nobins.
    c.send(scanRequest('test', ALL, { set: 'w', max: 33, info1: Info1.READ | Info1.GET_NO_BINS }));
    const capped = (await readStream(c)).frames.flat().filter((m) => m.fields.length > 0);
    assert.equal(capped.length, 33);
    assert.ok(capped.every((m) => m.ops.length === 0 && m.info1 === Info1.GET_NO_BINS));
    // Unknown namespace: one as_msg with 20, no LAST.
    c.send(scanRequest('nosuch', ALL));
    const err = await c.next();
    const em = decodeMessages(err!.body);
    assert.equal(em.length, 1);
    assert.equal(em[0]!.resultCode, 20);
    assert.equal(em[0]!.info3 & Info3.LAST, 0);
    c.close();
  });

  it('partition-done for an unavailable partition; dropped stream after n records', async () => {
    const c = await RawConn.open(server.seeds[0]!.port);
    server.faults.partitionUnavailable(5);
    c.send(scanRequest('test', [4, 5, 6], { set: 'w' }));
    const msgs = (await readStream(c)).frames.flat();
    server.faults.partitionUnavailable(null);
    const done = msgs.filter((m) => m.info3 === Info3.PARTITION_DONE);
    assert.equal(done.length, 1);
    assert.equal(done[0]!.generation, 5);
    assert.equal(done[0]!.resultCode, 11);
    assert.ok(msgs.filter((m) => m.fields.length > 0).every((m) => partitionId(m.fields[1]!.data) !== 5));
    server.faults.dropConnectionAfterRecords(10);
    c.send(scanRequest('test', ALL, { set: 'w' }));
    const r = await readStream(c);
    assert.equal(r.closed, true);
    assert.equal(r.frames.flat().length, 10);
  });

  it('garbage closes only that connection; others keep working', async () => {
    const port = server.seeds[0]!.port;
    const good = await RawConn.open(port);
    const bad = await RawConn.open(port);
    const bad2 = await RawConn.open(port);
    bad.send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    bad2.send(Buffer.from([2, 3, 0, 0, 0, 0, 0, 30, 22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    assert.equal(await bad.next(), undefined);
    assert.equal(await bad2.next(), undefined);
    assert.equal(await good.info(['status']), 'status\tok\n');
    const huge = await RawConn.open(port);
    huge.send(Buffer.from([2, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    assert.equal(await huge.next(), undefined);
    assert.equal(await good.info(['build']), 'build\t8.1.2.0\n');
    assert.ok(logs.some((l) => l.includes('closing connection')));
    good.close();
  });
});

describe('dev cluster: node stop and start', () => {
  it('rebalances; the official client still reads everything', async () => {
    const server = await startDevServerThread({ nodes: 3 });
    try {
      const c = await client(server.seeds[0]!.port);
      try {
        for (let i = 0; i < 200; i++) await c.put(new Aerospike.Key('test', 'rb', i), { i });
        const gen0 = Number(await infoValue(server.seeds[0]!.port, 'partition-generation'));
        await server.nodes[2]!.stop();
        const gen1 = Number(await infoValue(server.seeds[0]!.port, 'partition-generation'));
        assert.ok(gen1 > gen0);
        assert.match(await infoValue(server.seeds[0]!.port, 'peers-clear-std'), new RegExp(`^\\d+,3000,\\[\\[${server.nodes[1]!.id},,\\[127\\.0\\.0\\.1:${server.nodes[1]!.port}\\]\\]\\]$`));
        for (let tries = 0; c.getNodes().length !== 2 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 100));
        assert.equal((await c.query('test', 'rb').results()).length, 200);
        assert.equal((await c.get(new Aerospike.Key('test', 'rb', 7))).bins.i, 7);
        await server.nodes[2]!.start();
        for (let tries = 0; c.getNodes().length !== 3 && tries < 50; tries++) await new Promise((r) => setTimeout(r, 100));
        assert.equal(c.getNodes().length, 3);
        assert.equal((await c.query('test', 'rb').results()).length, 200);
      } finally {
        c.close();
      }
    } finally {
      await server.close();
    }
  });
});
