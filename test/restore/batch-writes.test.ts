// The restore's batch writes (issue #13) against the dev server, with the official
// client as the judge of what landed: every record and bin, generations and TTLs; the
// counts per row as puts count them (inserted, existed, fresher, expired, ignored); and a
// batch that fails as a whole (refused, or its connection cut before or while answering)
// retried without counting a row twice or losing one.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../lib/cluster/cluster.js';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { CITRUSLEAF_EPOCH, ResultCode } from '../../lib/protocol/constants.js';
import { computeDigest, userKey } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import type { RecordItem } from '../../lib/records/types.js';
import { newCounts, writeRecords, type WriteCounts, type WriteOptions } from '../../lib/restore/writer.js';
import { BatchCommand, batchFrame, batchWriteSupport } from '../../lib/restore/batch-writer.js';
import { decodeBatchField, BATCH_WRITE_ROW } from '../../lib/protocol/batch.js';
import { decodeMessage } from '../../lib/protocol/message.js';
import { FieldType, Info1, Info2, PROTO_HEADER_SIZE } from '../../lib/protocol/constants.js';
import { writeBits } from '../../lib/restore/write-policy.js';
import { join } from 'node:path';
import { makeFile } from '../../bench/data.js';
import { Aerospike, client, infoValue } from '../devserver/helpers.js';
import { assertFailure, runProgram, tempDir, waitFor, withSeed, type Rng } from '../helpers.js';

const SET = 'b';
const nowCl = (): number => Math.floor(Date.now() / 1000) - CITRUSLEAF_EPOCH;

function makeRecord(i: number, rng: Rng, extra: Partial<RecordItem> = {}): RecordItem {
  const key = userKey(`k${i}`);
  return {
    kind: 'record', namespace: 'test', set: SET, digest: computeDigest(SET, key.type, key.data), key, generation: 1, voidTime: 0,
    bins: [
      { name: 's', ...particle.string(`v${i}-${rng.int(1e9)}`) },
      { name: 'n', ...particle.integer(rng.int(1e9) - 5e8) },
      { name: 'd', ...particle.blob(rng.bytes(1 + rng.int(300))) },
    ],
    ...extra,
  };
}

async function* once(records: RecordItem[]): AsyncGenerator<RecordItem[]> {
  // Several input batches, as the decoder hands them on.
  for (let i = 0; i < records.length; i += 97) yield records.slice(i, i + 97);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Official = any;

/** What the official client reads back for each record (null: not found). */
async function readBack(c: Official, records: RecordItem[]): Promise<Array<{ bins: Record<string, unknown>; gen: number; ttl: number } | null>> {
  const out = [];
  for (let i = 0; i < records.length; i += 500) {
    const got = await c.batchRead(records.slice(i, i + 500).map((r) => ({ key: new Aerospike.Key('test', SET, r.key!.data.toString()), readAllBins: true })));
    for (const g of got) out.push(g.status === Aerospike.status.OK ? g.record : null);
  }
  return out;
}

function binsOf(r: RecordItem): Record<string, unknown> {
  return { s: r.bins[0]!.data.toString(), n: Number(r.bins[1]!.data.readBigInt64BE()), d: r.bins[2]!.data };
}

/** withCluster: a dev server of `nodes` nodes for the suite, the official client and our cluster on it. */
function withCluster(nodes: number): { server: DevServerThread; official: Official; cluster: Cluster } {
  const env = {} as { server: DevServerThread; official: Official; cluster: Cluster };
  before(async () => {
    env.server = await startDevServerThread({ nodes, namespaces: ['test'] });
    env.official = await client(env.server.seeds[0]!.port);
    env.cluster = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: env.server.seeds[0]!.port }], tendIntervalMs: 0 });
  });
  after(async () => {
    env.cluster?.close();
    env.official?.close();
    await env.server?.close();
  });
  return env;
}

describe('restore with batch writes', () => {
  const env = withCluster(2);

  const write = (records: RecordItem[], o: WriteOptions = {}): Promise<WriteCounts> =>
    writeRecords(env.cluster, once(records), { batchWrites: true, batchSize: 40, maxAsyncBatches: 4, retryScaleFactorUs: 1000, ...o, counts: o.counts ?? newCounts() });

  it('the dev server takes batch writes (build 8.1.2, batch-index-threads > 0)', async () => {
    assert.equal(await batchWriteSupport(env.cluster), undefined);
  });

  it('a batch frame is the official client\'s: info1 BATCH, field 41, write rows with generation, TTL, namespace, set, key and ops', () => withSeed((rng) => {
    const recs = [makeRecord(1, rng), makeRecord(2, rng, { key: undefined, generation: 7 })];
    // A small first buffer: the command grows while rows are added, and keeps them whole.
    const cmd = new BatchCommand(Buffer.alloc(64));
    const placed = recs.map((r, i) => {
      const at = cmd.add(r, 'test', 100 + i, writeBits({}));
      return { at, size: cmd.used - at };
    });
    const f = cmd.frame(1234);
    // Rows sent again are framed anew from the same bytes: the same command for all of them,
    // and the second alone is numbered 0.
    assert.ok(batchFrame(placed.map((p) => cmd.row(p.at, p.size)), 1234).equals(f));
    const again = decodeBatchField(decodeMessage(batchFrame([cmd.row(placed[1]!.at, placed[1]!.size)]).subarray(PROTO_HEADER_SIZE)).msg.fields[0]!.data);
    assert.deepEqual(again.rows.map((row) => [row.index, row.digest.toString('hex')]), [[0, recs[1]!.digest.toString('hex')]]);
    const { msg } = decodeMessage(f.subarray(PROTO_HEADER_SIZE));
    assert.equal(msg.info1, Info1.BATCH);
    assert.equal(msg.transactionTtl, 1234);
    assert.deepEqual(msg.fields.map((x) => x.type), [FieldType.BATCH_INDEX]);
    const req = decodeBatchField(msg.fields[0]!.data);
    assert.equal(req.count, 2);
    assert.equal(req.flags, 0x0d);
    assert.equal(req.stopped, undefined);
    for (const [i, row] of req.rows.entries()) {
      assert.equal(row.index, i);
      assert.ok(row.digest.equals(recs[i]!.digest));
      assert.equal(row.rowInfo, BATCH_WRITE_ROW);
      assert.equal(row.info1, 0);
      assert.equal(row.info2, Info2.WRITE | Info2.GENERATION_GT | Info2.RESPOND_ALL_OPS);
      assert.equal(row.generation, recs[i]!.generation);
      assert.equal(row.recordTtl, 100 + i);
      assert.deepEqual(row.ops.map((o) => o.name), ['s', 'n', 'd']);
    }
    assert.deepEqual(req.rows[0]!.fields.map((x) => x.type), [FieldType.NAMESPACE, FieldType.SET, FieldType.KEY]);
    assert.deepEqual(req.rows[1]!.fields.map((x) => x.type), [FieldType.NAMESPACE, FieldType.SET]);
  }));

  it('writes every record; fresher, expired and inserted are counted per row, and TTLs land', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records: RecordItem[] = [];
    const fresher = new Set<number>();
    const expired = new Set<number>();
    for (let i = 0; i < 700; i++) {
      const roll = rng.int(10);
      if (roll === 0) {
        fresher.add(i);
        const r = makeRecord(i, rng);
        await env.server.put('test', SET, r.digest, [{ name: 'old', ...particle.string('kept') }], { key: r.key, generation: 5 });
      } else if (roll === 1) expired.add(i);
      records.push(makeRecord(i, rng, roll === 1 ? { voidTime: 1000 } : roll === 2 ? { voidTime: nowCl() + 5000 } : {}));
    }
    const counts = await write(records);
    assert.equal(counts.read, 700);
    assert.equal(counts.fresher, fresher.size);
    assert.equal(counts.expired, expired.size);
    assert.equal(counts.inserted, 700 - fresher.size - expired.size);
    assert.equal(counts.failed + counts.ignored + counts.inDoubt + counts.resent, 0);
    const back = await readBack(env.official, records);
    for (const [i, r] of records.entries()) {
      const got = back[i];
      if (expired.has(i)) assert.equal(got, null, `record ${i}`);
      else if (fresher.has(i)) assert.deepEqual(got!.bins, { old: 'kept' }, `record ${i}`);
      else {
        assert.deepEqual(got!.bins, binsOf(r), `record ${i}`);
        assert.equal(got!.gen, 1);
        if (r.voidTime === 0) assert.equal(got!.ttl, -1, `record ${i}`);
        else assert.ok(Math.abs(got!.ttl - 5000) <= 5, `record ${i}: ttl ${got!.ttl}`);
      }
    }
  }));

  it('-u counts the records already there as existed and leaves them alone', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 300 }, (_, i) => makeRecord(i, rng));
    const there = records.filter((_, i) => i % 3 === 0);
    for (const r of there) await env.server.put('test', SET, r.digest, [{ name: 'old', ...particle.integer(1) }], { key: r.key });
    const counts = await write(records, { unique: true });
    assert.deepEqual([counts.inserted, counts.existed, counts.fresher], [200, 100, 0]);
    const back = await readBack(env.official, records);
    for (const [i, r] of records.entries()) assert.deepEqual(back[i]!.bins, i % 3 === 0 ? { old: 1 } : binsOf(r), `record ${i}`);
  }));

  it('a record rejected on its own in a batch is ignored with --ignore-record-error, and the rest is written', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 200 }, (_, i) => makeRecord(i, rng));
    // Stored under another key: the server answers KEY_MISMATCH (19) to that row.
    const clash = [5, 6, 77, 150];
    for (const i of clash) await env.server.put('test', SET, records[i]!.digest, [{ name: 'x', ...particle.integer(1) }], { key: userKey('another') });
    const counts = await write(records, { noGeneration: true, ignoreRecordError: true });
    assert.deepEqual([counts.inserted, counts.ignored, counts.failed], [196, 4, 0]);
    const back = await readBack(env.official, records);
    for (const [i, r] of records.entries()) assert.deepEqual(back[i]!.bins, clash.includes(i) ? { x: 1 } : binsOf(r), `record ${i}`);
  }));

  it('without --ignore-record-error the rejected record stops the restore (RECORD_REJECTED), its batch neighbours counted', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 200 }, (_, i) => makeRecord(i, rng));
    await env.server.put('test', SET, records[10]!.digest, [{ name: 'x', ...particle.integer(1) }], { key: userKey('another') });
    const counts = newCounts();
    await assert.rejects(write(records, { noGeneration: true, counts }), (e: { code: string; value: unknown }) => e.code === 'RECORD_REJECTED' && e.value === ResultCode.KEY_MISMATCH);
    assert.equal(counts.failed, 1);
    // Every row sent was answered and counted: the server holds exactly the inserted ones.
    assert.equal(await env.server.count('test'), counts.inserted + 1);
    assert.ok(counts.inserted >= 39, `${counts.inserted}`);
  }));
});

describe('batches that fail as a whole are sent again', () => {
  const env = withCluster(1);

  // One batch at a time, so the faults meet known batches: the first batch of 50 is
  // refused (152), then applied with its answer lost, then applied with the first 7
  // answers delivered, then answered.
  const FAULTS = [{ kind: 'refuse' as const, code: ResultCode.BATCH_QUEUES_FULL }, { kind: 'cut' as const, afterRows: 0 }, { kind: 'cut' as const, afterRows: 7 }];
  const opts = (o: WriteOptions): WriteOptions => ({ batchWrites: true, batchSize: 50, maxAsyncBatches: 1, retryScaleFactorUs: 1000, ...o });

  it('with generation checks, a re-sent row the first send wrote is counted in doubt, never twice', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 500 }, (_, i) => makeRecord(i, rng));
    await env.server.faults.batchFaults(FAULTS);
    const logs: string[] = [];
    const counts = await writeRecords(env.cluster, once(records), opts({ log: (m) => logs.push(m) }));
    assert.equal(counts.resent, 50);
    assert.equal(counts.inDoubt, 50);
    assert.equal(counts.inserted, 450);
    assert.equal(counts.fresher + counts.failed, 0);
    assert.equal(logs.filter((l) => l.startsWith('retrying')).length, 3, logs.join('\n'));
    const back = await readBack(env.official, records);
    for (const [i, r] of records.entries()) assert.deepEqual(back[i]?.bins, binsOf(r), `record ${i}`);
  }));

  it('with -g, every row is counted inserted once, though the server applied the cut batch\'s rows again', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 500 }, (_, i) => makeRecord(i, rng));
    await env.server.faults.batchFaults(FAULTS);
    const counts = await writeRecords(env.cluster, once(records), opts({ noGeneration: true }));
    assert.deepEqual([counts.inserted, counts.resent, counts.inDoubt], [500, 50, 0]);
    const back = await readBack(env.official, records);
    // Rows 0-6 were applied twice (answer lost, then answered); rows 7-49 three times.
    for (const [i, r] of records.entries()) {
      assert.deepEqual(back[i]?.bins, binsOf(r), `record ${i}`);
      assert.equal(back[i]!.gen, i < 7 ? 2 : i < 50 ? 3 : 1, `record ${i}`);
    }
  }));

  it('a batch refused through every retry stops the restore with BATCH_REJECTED; its rows count as failed', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 200 }, (_, i) => makeRecord(i, rng));
    await env.server.faults.batchFaults(Array.from({ length: 4 }, () => ({ kind: 'refuse' as const, code: ResultCode.BATCH_QUEUES_FULL })));
    const counts = newCounts();
    await assert.rejects(writeRecords(env.cluster, once(records), opts({ maxRetries: 3, counts })), (e: { code: string; value: unknown }) => e.code === 'BATCH_REJECTED' && e.value === ResultCode.BATCH_QUEUES_FULL);
    assert.equal(counts.failed, 50);
    assert.equal(await env.server.count('test'), counts.inserted);
  }));

  it('a --batch-size over the node\'s batch-max-requests is refused at once (151) with BATCH_REJECTED', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 5001 }, (_, i) => makeRecord(i, rng));
    const counts = newCounts();
    // All in one input batch: a batch is sent short of --batch-size only when the input waits.
    const all = (async function* () { yield records; })();
    await assert.rejects(writeRecords(env.cluster, all, opts({ batchSize: 5001, counts })), (e: { code: string; value: unknown }) => e.code === 'BATCH_REJECTED' && e.value === ResultCode.BATCH_MAX_REQUESTS);
    assert.deepEqual([counts.failed, counts.inserted, await env.server.count('test')], [5001, 0, 0]);
  }));
});

describe('asrestore writes in batches where every node takes them, else with puts', () => {
  const RECORDS = 3000;
  let file: string;
  before(async () => {
    file = join(tempDir(), 'bench.asb');
    await makeFile(file, RECORDS, 'test');
  });

  // The node's count of batch-index commands (statistics batch_index_initiate).
  const batchCommands = async (port: number): Promise<number> => Number(/(?:^|;)batch_index_initiate=(\d+)/.exec(await infoValue(port, 'statistics'))?.[1]);

  for (const [what, serverOpts, args, batches] of [
    ['batch writes by default', {}, [], true],
    ['puts with --disable-batch-writes', {}, ['--disable-batch-writes'], false],
    ['puts on a server with batch-index-threads 0', { batchIndexThreads: 0 }, [], false],
    ['batch writes of --batch-size 7, --max-async-batches 3', {}, ['--batch-size', '7', '--max-async-batches', '3'], true],
  ] as Array<[string, { batchIndexThreads?: number }, string[], boolean]>) {
    it(`${what}: every record lands`, async () => {
      const server = await startDevServerThread({ nodes: 2, namespaces: ['test'], ...serverOpts });
      try {
        const r = await runProgram('asrestore', ['-h', `127.0.0.1:${server.seeds[0]!.port}`, '-i', file, ...args]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await server.count('test'), RECORDS);
        let commands = 0;
        for (const s of server.seeds) commands += await batchCommands(s.port);
        if (!batches) assert.equal(commands, 0);
        else {
          const size = args.includes('--batch-size') ? 7 : 128;
          // Full batches, plus at most one partial batch per node.
          assert.ok(commands >= Math.ceil(RECORDS / size) && commands <= Math.ceil(RECORDS / size) + 2, `${commands} batch commands`);
        }
      } finally {
        await server.close();
      }
    });
  }

  it('an out-of-range --batch-size is a usage error naming the option', async () => {
    const r = await runProgram('asrestore', ['-h', '127.0.0.1:1', '-i', file, '--batch-size', '0']);
    assertFailure(r, 2, 'USAGE');
  });
});

describe('batch writes from a slow input', () => {
  const env = withCluster(2);

  it('records are sent while the input waits: none is held back for a batch to fill', () => withSeed(async (rng) => {
    await env.server.truncate('test');
    const records = Array.from({ length: 60 }, (_, i) => makeRecord(i, rng));
    // The input hands on 6 records at a time, the next ones only once those are stored:
    // a writer holding records until 128 are gathered would never finish.
    async function* slow(): AsyncGenerator<RecordItem[]> {
      for (let i = 0; i < records.length; i += 6) {
        yield records.slice(i, i + 6);
        await waitFor(async () => (await env.server.count('test')) >= i + 6, `records ${i}..${i + 5} to be written`, 20_000);
      }
    }
    const counts = await writeRecords(env.cluster, slow(), { batchWrites: true, counts: newCounts() });
    assert.equal(counts.inserted, 60);
  }));
});
