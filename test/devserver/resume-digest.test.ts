// A partition scan resumed after a digest, the official client as the judge of the
// partition's walk order: our scan with a resume point by partition id gets exactly the
// records after that digest in the order the official client reads the whole partition
// (the real server's resume: the C client's partition tracker sends the last digest it got
// and the server goes on after it). The official Node client's own "from this digest"
// (scan.partitions(begin, count, digest)) aborts the process in its binding (7.x: an
// assert on the digest buffer in extract_blob_from_jsobject), so it cannot ask itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { scanPartitions } from '../../lib/cluster/scan.js';
import { computeDigest, partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { connectOfficial } from '../dataset.js';
import { withSeed } from '../helpers.js';

let server: DevServerThread;
const PID = 1234;
const IN_PID = 12;

before(async () => {
  server = await startDevServerThread({ nodes: 3, namespaces: ['test'] });
  // Records of one partition (keys found by hashing), and others around them.
  let found = 0;
  for (let i = 0; found < IN_PID || i < 300; i++) {
    const k = particle.string(`r${i}`);
    const d = computeDigest('s', k.type, k.data);
    const mine = partitionId(d) === PID;
    if (!mine && i >= 300) continue;
    if (mine) found++;
    await server.put('test', 's', d, [{ name: 'i', ...particle.integer(i) }], { key: k });
  }
});

after(async () => {
  await server.close();
});

test('a partition resumed after a digest by its id: exactly the records after it, in the walk order the official client reads', async () => {
  const client = await connectOfficial(server.seeds[0]!.port);
  const ours = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: server.seeds[0]!.port }], tendIntervalMs: 0 });
  try {
    const whole = client.scan('test', 's');
    whole.partitions(PID, 1);
    const all: Buffer[] = (await whole.results()).map((r: { key: { digest: Buffer } }) => r.key.digest);
    assert.equal(all.length, IN_PID);
    await withSeed(async (rng) => {
      for (const k of [0, rng.int(IN_PID - 2) + 1, IN_PID - 1]) {
        const after = all[k]!;
        const got: string[] = [];
        for await (const r of scanPartitions(ours, { namespace: 'test', set: 's', partitions: [PID], resume: new Map([[PID, after]]) })) got.push(r.digest.toString('hex'));
        assert.deepEqual(got, all.slice(k + 1).map((d) => d.toString('hex')), `after record ${k}`);
      }
    }, 77);
  } finally {
    ours.close();
    await client.close();
  }
});
