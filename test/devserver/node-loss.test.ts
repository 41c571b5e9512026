// A node that stops (issue #19 item 4): the others keep it in the cluster until their
// heartbeat times out (nodeTimeoutMs), as a real cluster does: their peers lists, cluster
// size and partition maps still count it, they do not claim its partitions, and a command
// for one of its partitions that reaches them is proxied to it and times out (result 9).
// Then they take its partitions over, and migrations are pending for migrationMs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer } from '../../lib/devserver/index.js';
import { encodeMessage } from '../../lib/protocol/message.js';
import { FieldType, Info2, OpType, ParticleType, ResultCode } from '../../lib/protocol/constants.js';
import { MsgOffset } from '../../lib/protocol/layout.js';
import { parseReplicas, hasPartition } from '../../lib/cluster/partitions.js';
import { RawConn, infoValue } from './helpers.js';
import { waitFor } from '../helpers.js';

// Partition p's master among two live nodes is node p % 2: a zero digest is partition 0.
const DIGEST_P0 = Buffer.alloc(20);

function masterBits(replicas: string, ns: string): Buffer {
  return parseReplicas(replicas).find((e) => e.namespace === ns)!.maps[0]!;
}

function put(transactionTtl: number): Buffer {
  return encodeMessage({
    info2: Info2.WRITE,
    transactionTtl,
    fields: [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }, { type: FieldType.SET, data: Buffer.alloc(0) }, { type: FieldType.DIGEST, data: DIGEST_P0 }],
    ops: [{ op: OpType.WRITE, type: ParticleType.INTEGER, name: 'a', data: Buffer.alloc(8) }],
  });
}

// The result code of that put sent to a node.
async function putResult(port: number, transactionTtl: number): Promise<number | undefined> {
  const c = await RawConn.open(port);
  try {
    c.send(put(transactionTtl));
    return (await c.next())?.body[MsgOffset.RESULT_CODE];
  } finally {
    c.close();
  }
}

test('a stopped node stays in the others\' answers until nodeTimeoutMs; a put proxied to it times out', async () => {
  // A long timeout: the test ends the wait by itself (no timing assumption).
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 60_000 });
  try {
    const survivor = server.nodes[1]!.port;
    const gen = await infoValue(survivor, 'partition-generation');
    await server.nodes[0]!.stop();
    assert.equal(await infoValue(survivor, 'partition-generation'), gen, 'no rebalance yet');
    assert.match(await infoValue(survivor, 'peers-clear-std'), new RegExp(server.nodes[0]!.id), 'still a peer');
    assert.match(await infoValue(survivor, 'statistics'), /(^|;)cluster_size=2(;|$)/);
    const replicas = await infoValue(survivor, 'replicas');
    assert.equal(hasPartition(masterBits(replicas, 'test'), 0), false, 'the survivor does not claim partition 0');
    assert.equal(hasPartition(parseReplicas(replicas)[0]!.maps[1]!, 0), true, 'it holds partition 0 as replica 1');
    // A put for partition 0 that reaches the survivor is proxied to the gone master: timeout.
    assert.equal(await putResult(survivor, 50), ResultCode.TIMEOUT);
    assert.equal(server.count('test'), 0);
  } finally {
    await server.close();
  }
});

test('after nodeTimeoutMs the survivor masters every partition; migrations are pending for migrationMs', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 100, migrationMs: 60_000 });
  try {
    const survivor = server.nodes[1]!.port;
    const gen = await infoValue(survivor, 'partition-generation');
    await server.nodes[0]!.stop();
    await waitFor(async () => (await infoValue(survivor, 'partition-generation')) !== gen, 'the cluster to re-form');
    assert.equal(masterBits(await infoValue(survivor, 'replicas'), 'test').equals(Buffer.alloc(512, 0xff)), true, 'masters all 4096');
    assert.doesNotMatch(await infoValue(survivor, 'peers-clear-std'), new RegExp(server.nodes[0]!.id));
    assert.match(await infoValue(survivor, 'statistics'), /(^|;)migrate_partitions_remaining=100(;|$)/);
    assert.match(await infoValue(survivor, 'cluster-stable:ignore-migrations=false'), /^ERROR/);
    assert.equal(await putResult(survivor, 0), ResultCode.OK);
  } finally {
    await server.close();
  }
});

test('a node that comes back before the timeout: the cluster re-forms with it at once', async () => {
  const server = await startDevServer({ nodes: 2, namespaces: ['test'], nodeTimeoutMs: 60_000 });
  try {
    const survivor = server.nodes[1]!.port;
    await server.nodes[0]!.stop();
    const gen = Number(await infoValue(survivor, 'partition-generation'));
    await server.nodes[0]!.start();
    assert.ok(Number(await infoValue(survivor, 'partition-generation')) > gen);
    assert.equal(hasPartition(masterBits(await infoValue(server.nodes[0]!.port, 'replicas'), 'test'), 0), true);
  } finally {
    await server.close();
  }
});
