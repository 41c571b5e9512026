// A node stops mid-backup (issue #19): on a 2- and a 3-node dev cluster with replication
// factor 2 whose nodes keep the stopped one for 1.5 s (a real heartbeat timeout), the
// backup holds every record exactly once, says the node left, and how many partitions it
// read again on another node. The moment is a seeded number of partitions served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, readdirSync } from 'node:fs';
import { startDevServer } from '../../lib/devserver/index.js';
import { benchRecord } from '../../bench/data.js';
import { runProgram, seededRng, startPipeline, tempDir, waitFor } from '../helpers.js';

const RECORDS = 4000;
const rng = seededRng();

test(`a node stops mid-backup at seeded moments: every record once, and the log says what happened (seed ${rng.seed})`, async () => {
  for (const nodes of [2, 3, 2]) {
    const victim = rng.int(nodes);
    const at = 300 + rng.int(1700);
    const what = `${nodes} nodes, node ${victim} stops after ${at} partitions were served (seed ${rng.seed}: TEST_SEED=${rng.seed})`;
    const server = await startDevServer({ nodes, namespaces: ['test'], replicationFactor: 2, nodeTimeoutMs: 1500 });
    try {
      for (let i = 0; i < RECORDS; i++) {
        const r = benchRecord(i, 'test');
        server.put('test', r.set, r.digest, r.bins, { key: r.key });
      }
      const dir = join(tempDir(), 'backup');
      // Paced by the server's records-per-second, so the stop lands mid-scan.
      const p = startPipeline([['asbackup', ['-h', `127.0.0.1:${server.seeds[0]!.port}`, '-n', 'test', '-d', dir, '--records-per-second', '2000']]]);
      let served = 0;
      await waitFor(() => {
        for (const pids of Object.values(server.scanned())) served += pids.length;
        return served >= at;
      }, what);
      await server.nodes[victim]!.stop();
      const [r] = await p.done;
      assert.equal(r!.code, 0, `${what}\n${r!.stderr}`);
      assert.match(r!.stderr, new RegExp(`Remove node ${server.nodes[victim]!.id}`), what);
      assert.match(r!.stderr, /Re-reading \d+ partition\(s\) on another node, from where their scan stopped/, what);
      const files = readdirSync(dir).filter((f) => f.endsWith('.asb'));
      const digests: string[] = [];
      for (const f of files) {
        const out = await runProgram('as-decode-asb', [], { input: readFileSync(join(dir, f)) });
        assert.equal(out.code, 0, out.stderr);
        for (const line of out.stdout.toString().split('\n')) if (line.startsWith('{"kind":"record"')) digests.push(JSON.parse(line).digest as string);
      }
      assert.equal(digests.length, RECORDS, what);
      assert.equal(new Set(digests).size, RECORDS, `${what}: no record twice`);
    } finally {
      await server.close();
    }
  }
});
