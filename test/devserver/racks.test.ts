// A dev cluster with racks answers as server EE 8.1.2: `rack-ids` (what the C client asks
// for, `ns:rack;...`), `racks` (thr_info.c namespace_rack_info), the edition, each
// namespace's rack-id, and replicas spread over the racks. Without racks it stays CE and
// refuses both commands (checked against the capture in wire.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer } from '../../lib/devserver/index.js';
import { parseRackIds, preferredNode } from '../../lib/cluster/racks.js';
import { Node } from '../../lib/cluster/node.js';
import { infoValue } from './helpers.js';

test('positive: rack-ids, racks, edition and rack-id per namespace of an EE cluster', async () => {
  const server = await startDevServer({ nodes: 3, namespaces: ['test', 'bar'], racks: [7, 2, 7] });
  try {
    const [a, b, c] = server.nodes.map((n) => n.port);
    assert.equal(await infoValue(a!, 'rack-ids'), 'test:7;bar:7');
    assert.equal(await infoValue(b!, 'rack-ids'), 'test:2;bar:2');
    const ids = server.nodes.map((n) => n.id);
    const racks = `rack_2=${ids[1]}:rack_7=${ids[0]},${ids[2]}`;
    assert.equal(await infoValue(c!, 'racks'), `ns=test:${racks};ns=bar:${racks}`);
    assert.equal(await infoValue(c!, 'racks:namespace=bar'), racks);
    assert.equal(await infoValue(c!, 'racks:namespace=nosuch'), 'ERROR:20:namespace not found on node');
    assert.equal(await infoValue(a!, 'edition'), 'Aerospike Enterprise Edition');
    assert.match(await infoValue(a!, 'namespace/test'), /;rack-id=7;/);
    assert.match(await infoValue(b!, 'namespace/bar'), /;rack-id=2;/);
    assert.deepEqual(parseRackIds(await infoValue(b!, 'rack-ids')), new Map([['test', 2], ['bar', 2]]));
  } finally {
    await server.close();
  }
});

test('positive: rack-aware placement puts the copies of a partition on different racks while there are racks enough', async () => {
  const server = await startDevServer({ nodes: 4, namespaces: ['test'], racks: [1, 1, 2, 2], replicationFactor: 2 });
  try {
    const rackOf = new Map(server.nodes.map((n, i) => [n.id, [1, 1, 2, 2][i]!]));
    // The replicas answer of each node, master column and replica column.
    const cols = await Promise.all(server.nodes.map(async (n) => (await infoValue(n.port, 'replicas')).split(':')[1]!.split(',').slice(2).map((b) => Buffer.from(b, 'base64'))));
    for (let p = 0; p < 4096; p++) {
      const holders = [0, 1].map((r) => server.nodes.find((_, i) => (cols[i]![r]![p >> 3]! & (0x80 >> (p & 7))) !== 0)!.id);
      assert.notEqual(rackOf.get(holders[0]!), rackOf.get(holders[1]!), `partition ${p}`);
    }
  } finally {
    await server.close();
  }
});

test('unit: rack-ids parsing and the PREFER_RACK choice', () => {
  assert.deepEqual(parseRackIds('test:1;bar:20;'), new Map([['test', 1], ['bar', 20]]));
  assert.throws(() => parseRackIds('test:x'), /bad rack-ids entry/);
  const node = (name: string, rack?: number, active = true): Node => {
    const n = new Node(name, '127.0.0.1', 1);
    if (rack !== undefined) n.racks = new Map([['test', rack]]);
    n.active = active;
    return n;
  };
  const m = node('m', 1);
  const r1 = node('r1', 2);
  const r2 = node('r2', 3);
  assert.equal(preferredNode([m, r1, r2], 'test', [3]), r2);
  assert.equal(preferredNode([m, r1, r2], 'test', [9, 2, 3]), r1, 'the first rack in the list that holds a copy');
  assert.equal(preferredNode([m, r1, r2], 'test', [1, 3]), m, 'the master when it is on the rack');
  assert.equal(preferredNode([m, r1, r2], 'test', [9]), m, 'else the master');
  assert.equal(preferredNode([m, node('down', 3, false), r1], 'test', [3]), m, 'only live nodes');
  assert.equal(preferredNode([m, r1, r2], 'test', [3], r2), m, 'not the node the last try failed on, while another holds it');
  assert.equal(preferredNode([undefined, r2], 'test', [9], r2), r2, 'that node when no other does');
  assert.equal(preferredNode([m, r1], 'test', [2]), r1);
  assert.equal(preferredNode([node('m'), node('r')], 'test', [1])?.name, 'm', 'no rack known: the master');
});
