// Waits between retries, as the C tools define them: the scan waits a fixed
// --sleep-between-retries before each retry round (default 0); a write waits nothing
// before its first retry, then 1, 2, 4, ... times --retry-scale-factor. A fake clock
// records every wait, so nothing here depends on timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster } from '../../lib/cluster/cluster.js';
import { scanPartitions } from '../../lib/cluster/scan.js';
import { IncompleteError } from '../../lib/errors.js';
import { startDevServer } from '../../lib/devserver/index.js';
import { computeDigest, partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { RecordWriteError, retryDelayMs, writeRecords } from '../../lib/restore/writer.js';
import type { RecordItem } from '../../lib/records/types.js';
import { fakeClock } from '../helpers.js';
import { startFakeNode } from './fake-node.js';

async function* once(batch: RecordItem[]): AsyncGenerator<RecordItem[]> {
  yield batch;
}

test('unit: the write backoff of the C asrestore: at once, then 1, 2, 4, 8 x the scale (µs)', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 150_000)), [0, 150, 300, 600, 1200]);
  assert.deepEqual([1, 2, 3].map((n) => retryDelayMs(n, 0)), [0, 0, 0]);
});

test('positive: a scan waits --sleep-between-retries before each retry round, 0 means at once, and it backs off by default', async () => {
  const node = await startFakeNode({ records: [], unavailable: [12], alwaysUnavailable: true });
  const c = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: node.port }], tendIntervalMs: 0 });
  try {
    for (const [wait, sleeps] of [[250, [250, 250]], [0, []], [undefined, [100, 200]]] as const) {
      const clock = fakeClock();
      const scan = async () => { for await (const _ of scanPartitions(c, { namespace: 'test', maxRetries: 2, sleepBetweenRetriesMs: wait, sleep: clock.sleep })) void _; };
      await assert.rejects(scan(), (e: unknown) => e instanceof IncompleteError && e.code === 'INCOMPLETE' && /^partitions 12 /.test(e.message));
      assert.deepEqual(clock.sleeps, sleeps);
    }
  } finally {
    c.close();
    await node.close();
  }
});

test('positive: a write answered UNAVAILABLE is retried with the backoff, then fails naming the record', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'] });
  const c = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    const k = particle.string('hot');
    const digest = computeDigest('s', k.type, k.data);
    const rec: RecordItem = { kind: 'record', namespace: 'test', set: 's', digest, generation: 1, voidTime: 0, bins: [{ name: 'v', ...particle.integer(1) }] };
    server.faults.partitionUnavailable(partitionId(digest));
    const clock = fakeClock();
    const logs: string[] = [];
    await assert.rejects(writeRecords(c, once([rec]), { maxRetries: 4, retryScaleFactorUs: 1000, sleep: clock.sleep, log: (m) => logs.push(m) }), (e: unknown) => {
      assert.ok(e instanceof RecordWriteError);
      assert.equal(e.code, 'RECORD_REJECTED');
      assert.equal(e.resultCode, 11);
      return true;
    });
    assert.deepEqual(clock.sleeps, [1, 2, 4]);
    assert.equal(logs.length, 4, logs.join('\n'));
    assert.match(logs[0]!, /retrying a write \(1\/4\) after 0 ms: .* answered partition unavailable \(11\)/);
    // Once the partition is back, the same write goes through after one retry.
    let tries = 0;
    const back = fakeClock();
    const healed = writeRecords(c, once([rec]), { retryScaleFactorUs: 1000, sleep: async (ms) => { tries++; server.faults.partitionUnavailable(null); await back.sleep(ms); } });
    assert.equal((await healed).inserted, 1);
    assert.ok(tries <= 1);
    assert.equal(server.get('test', digest)?.bins.length, 1);
  } finally {
    c.close();
    await server.close();
  }
});
