// The writer's wait for a partition's master (issue #19 item 1), in process: waiting for
// the cluster to re-form uses up no retry, says when it starts and ends, and runs out only
// after its budget, with PARTITION_UNAVAILABLE naming the partition and the node lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { writeRecords } from '../../lib/restore/writer.js';
import { partitionId } from '../../lib/protocol/digest.js';
import { benchRecord } from '../../bench/data.js';
import type { RecordItem } from '../../lib/records/types.js';
import type { AsError } from '../../lib/errors.js';

const records: RecordItem[] = Array.from({ length: 300 }, (_, i) => benchRecord(i, 'test'));

async function* once(rs: RecordItem[]): AsyncGenerator<RecordItem[]> {
  yield rs;
}

test('writes to partitions whose master left wait for the cluster to re-form, with no retry left to use', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 1500 });
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    await server.nodes[0]!.stop();
    // A pooled connection fails first, then the port refuses: the node is dropped.
    for (let i = 0; i < 3 && cluster.nodes.length > 1; i++) await cluster.refresh();
    assert.equal(cluster.nodes.length, 1);
    const orphaned = records.filter((r) => cluster.masterOf('test', partitionId(r.digest)) === undefined).length;
    assert.ok(orphaned > 50, `${orphaned} records have no master now`);
    const notices: string[] = [];
    const notes: Array<string | undefined> = [];
    const counts = await writeRecords(cluster, once(records), { maxRetries: 0, notice: (m) => notices.push(m), onWait: (n) => notes.push(n) });
    assert.equal(counts.inserted, records.length);
    assert.equal(server.count('test'), records.length);
    assert.equal(counts.partitionsMoved > 0, true);
    assert.match(notices[0]!, new RegExp(`has no master \\(node ${server.nodes[0]!.id} .* left\\): writes wait up to 10 s`));
    assert.match(notices[1]!, /^The cluster re-formed after \d+\.\d s: writes to \d+ partition\(s\) of node /);
    assert.deepEqual(notes, ['waiting for the cluster to re-form', undefined]);
  } finally {
    cluster.close();
    await server.close();
  }
});

test('negative: no node takes the partitions over within the budget: PARTITION_UNAVAILABLE, with the records written', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 600_000 });
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  // A clock that moves only by the writer's sleeps: the budget runs out without waiting for it.
  let t = 0;
  try {
    await server.nodes[0]!.stop();
    // A pooled connection fails first, then the port refuses: the node is dropped.
    for (let i = 0; i < 3 && cluster.nodes.length > 1; i++) await cluster.refresh();
    assert.equal(cluster.nodes.length, 1);
    await assert.rejects(
      writeRecords(cluster, once(records), { partitionWaitMs: 5000, monotonic: () => t, sleep: async (ms) => { t += ms; } }),
      (e: AsError) => {
        assert.equal(e.code, 'PARTITION_UNAVAILABLE');
        assert.match(e.message, /^no node took over partition \d+ of namespace test within 5000 ms \(--partition-wait\) after node BB9000000000001 /);
        const written = Number(/(\d+) record\(s\) were written before/.exec(e.message)?.[1]);
        assert.equal(written, server.count('test'));
        assert.ok(written > 0 && written < records.length, e.message);
        return true;
      },
    );
  } finally {
    cluster.close();
    await server.close();
  }
});

test('negative: --partition-wait 0 stops at the first write without a master, without waiting', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 600_000 });
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  const sleeps: number[] = [];
  try {
    await server.nodes[1]!.stop();
    for (let i = 0; i < 3 && cluster.nodes.length > 1; i++) await cluster.refresh();
    await assert.rejects(
      writeRecords(cluster, once(records), { partitionWaitMs: 0, sleep: async (ms) => { sleeps.push(ms); } }),
      (e: AsError) => e.code === 'PARTITION_UNAVAILABLE' && / within 0 ms \(--partition-wait\) after node BB9000000000002 /.test(e.message),
    );
    assert.deepEqual(sleeps, []);
  } finally {
    cluster.close();
    await server.close();
  }
});
