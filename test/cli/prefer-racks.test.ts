// --prefer-racks through the real programs against a dev cluster with racks (which answers
// as server EE does), and against one without (CE: rack-ids is refused). The dev server
// records which node served each partition of a scan, so the tests see where every
// partition was read.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServerThread, type DevServerThread, type ScannedPartitions } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { PARTITIONS } from '../../lib/protocol/constants.js';
import { runProgram } from '../helpers.js';
import { loadDataset } from '../dataset.js';

const RACKS = [1, 1, 2, 3];
let server: DevServerThread;
let host: string;
let total: number;

before(async () => {
  server = await startDevServerThread({ nodes: 4, namespaces: ['test'], racks: RACKS });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  total = await loadDataset(server.seeds[0]!.port, 'test', { sindex: false, udf: false });
});

after(async () => {
  await server.close();
});

/** The node that served each partition; every partition exactly once. */
function servedBy(scanned: ScannedPartitions): Map<number, string> {
  const out = new Map<number, string>();
  for (const [node, pids] of Object.entries(scanned)) {
    for (const p of pids) {
      assert.ok(!out.has(p), `partition ${p} served twice`);
      out.set(p, node);
    }
  }
  assert.equal(out.size, PARTITIONS);
  return out;
}

/** The server's replica lists (node ids, master first), read from its `replicas` answers. */
async function replicaMap(): Promise<string[][]> {
  const c = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    const n = c.partitions.replicas('test');
    return Array.from({ length: PARTITIONS }, (_, p) => Array.from({ length: n }, (_, r) => c.partitions.owner('test', p, r)?.name).filter((x): x is string => x !== undefined));
  } finally {
    c.close();
  }
}

async function backupRecords(args: string[]): Promise<{ digests: string[]; stderr: string }> {
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const digests: string[] = [];
  for await (const it of decodeItems([r.stdout], 'stdout')) if (it.kind === 'record') digests.push(it.digest.toString('hex'));
  return { digests: digests.sort(), stderr: r.stderr };
}

test('positive: each partition is scanned on a replica in the first preferred rack that holds one, else on its master', async () => {
  const rackOf = new Map(server.nodes.map((n, i) => [n.id, RACKS[i]!]));
  const replicas = await replicaMap();
  // Rack-aware placement: the two copies of a partition are on different racks.
  assert.ok(replicas.every((r) => r.length === 2 && rackOf.get(r[0]!) !== rackOf.get(r[1]!)));
  await server.scanned();
  const plain = await backupRecords([]);
  assert.equal(plain.digests.length, total);
  const masters = servedBy(await server.scanned());
  for (let p = 0; p < PARTITIONS; p++) assert.equal(masters.get(p), replicas[p]![0], `partition ${p} without --prefer-racks`);
  for (const prefer of [[3], [3, 2], [2, 1]]) {
    const run = await backupRecords(['--prefer-racks', prefer.join(',')]);
    assert.deepEqual(run.digests, plain.digests, `--prefer-racks ${prefer}: the same records`);
    const served = servedBy(await server.scanned());
    let onPreferred = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const rack = prefer.find((r) => replicas[p]!.some((n) => rackOf.get(n) === r));
      const want = rack === undefined ? replicas[p]![0] : replicas[p]!.find((n) => rackOf.get(n) === rack);
      assert.equal(served.get(p), want, `partition ${p} with --prefer-racks ${prefer}`);
      if (rack !== undefined) onPreferred++;
    }
    assert.ok(onPreferred > 0 && (prefer.length > 1 || onPreferred < PARTITIONS), `${onPreferred} partitions on preferred racks`);
    assert.match(run.stderr, new RegExp(`--prefer-racks: ${onPreferred} of ${PARTITIONS} partition\\(s\\) on nodes in rack\\(s\\) ${prefer.join(',')}`));
  }
  const scan = await runProgram('as-scan', ['-h', host, '-n', 'test', '--prefer-racks', '3', '-I', '-u']);
  assert.equal(scan.code, 0, scan.stderr);
  assert.equal(scan.stdout.toString().trim().split('\n').length, total);
  const viaScan = servedBy(await server.scanned());
  assert.ok([...viaScan].every(([p, n]) => (replicas[p]!.some((x) => rackOf.get(x) === 3) ? rackOf.get(n) === 3 : n === replicas[p]![0])));
});

test('positive: with the preferred rack\'s node down, its partitions are scanned on their masters', async () => {
  const stopped = server.nodes[3]!; // the only node on rack 3
  await stopped.stop();
  try {
    await server.scanned();
    const run = await backupRecords(['--prefer-racks', '3']);
    assert.equal(run.digests.length, total);
    const served = servedBy(await server.scanned());
    const replicas = await replicaMap();
    for (let p = 0; p < PARTITIONS; p++) assert.equal(served.get(p), replicas[p]![0]);
    assert.match(run.stderr, /--prefer-racks: 0 of 4096 partition\(s\)/);
  } finally {
    await stopped.start();
  }
});

test('positive: a Community cluster refuses rack-ids; every partition is read from its master, and the user is told', async () => {
  const ce = await startDevServerThread({ nodes: 2, namespaces: ['test'] });
  try {
    const r = await runProgram('asbackup', ['-h', `127.0.0.1:${ce.seeds[0]!.port}`, '-n', 'test', '-o', '-', '--prefer-racks', '1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /--prefer-racks: the cluster reports no rack ids \(rack-ids needs server Enterprise Edition\)/);
    const c = await Cluster.connect({ hosts: ce.seeds, tendIntervalMs: 0 });
    try {
      for (const [p, n] of servedBy(await ce.scanned())) assert.equal(n, c.partitions.owner('test', p, 0)?.name);
    } finally {
      c.close();
    }
  } finally {
    await ce.close();
  }
});

test('negative: rack ids are numbers 0..1000000', async () => {
  for (const bad of ['x', '1,,2', '-1', '1000001', '']) {
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', `--prefer-racks=${bad}`]);
    assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--prefer-racks: expected rack ids 0\.\.1000000.*\[USAGE\]/);
  }
});
