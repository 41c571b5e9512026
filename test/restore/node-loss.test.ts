// Riding out node loss (issue #19): a node stops mid-restore on a 2- and a 3-node dev
// cluster with replication factor 2, whose nodes keep the stopped one for 1.5 s as a real
// cluster does until its heartbeat times out. The restore waits for the cluster to
// re-form (no retry used), completes, and every record is there exactly once, as the
// official client sees it. Re-sent writes found already written are counted in doubt, not
// fresher/existed, in the summary and the -m file. Moments are seeded record counts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/worker.js';
import { makeFile } from '../../bench/data.js';
import { errorCode, lastLine, runProgram, seededRng, startPipeline, tempDir, waitFor, type Rng, type RunningPipeline } from '../helpers.js';
import { client } from '../devserver/helpers.js';

const RECORDS = 4000;
/**
 * Batch writes (the default) of 8 records, 2 in flight: slow enough that a stop lands
 * mid-run (at the default 128 x 32 the whole file is in flight at once).
 */
const PACE = ['--batch-size', '8', '--max-async-batches', '2'];
/** A real cluster's heartbeat timeout: 150 ms x 10. */
const NODE_TIMEOUT_MS = 1500;
let file: string;
const rng: Rng = seededRng();

before(async () => {
  file = join(tempDir(), 'bench.asb');
  await makeFile(file, RECORDS, 'test');
  console.log(`random seed ${rng.seed} (run again with TEST_SEED=${rng.seed})`);
});

let server: DevServerThread | undefined;
after(async () => {
  await server?.close();
});

/** distinctDigests: the records of namespace test as the official client scans them (digests). */
async function distinctDigests(port: number): Promise<{ records: number; distinct: number }> {
  const c = await client(port);
  try {
    const seen = new Set<string>();
    let records = 0;
    await new Promise<void>((resolve, reject) => {
      const s = c.scan('test').foreach();
      s.on('data', (r: { key: { digest: Buffer } }) => { records++; seen.add(r.key.digest.toString('hex')); });
      s.on('error', reject);
      s.on('end', () => resolve());
    });
    return { records, distinct: seen.size };
  } finally {
    await c.close();
  }
}

/**
 * holdUntil: holds the run back (every reply 200 ms late) until its stderr shows `line`, so
 * what a test waits to see cannot be outrun by the end of the run; then back to `ms`.
 */
async function holdUntil(s: DevServerThread, p: RunningPipeline, line: RegExp, ms: number, what: string): Promise<void> {
  let err = '';
  p.procs[0]!.stderr.on('data', (b: Buffer) => { err += b.toString(); });
  await s.faults.slowReplies(200);
  try {
    await waitFor(() => line.test(err), `${line} (${what})`);
  } finally {
    await s.faults.slowReplies(ms);
  }
}

interface Summary { inserted: number; existed: number; fresher: number; resent: number; inDoubt: number; moved: number }

function summaryOf(stderr: string): Summary {
  const ins = /Inserted (\d+) record\(s\), skipped \d+ \(existed (\d+), fresher (\d+)/.exec(stderr);
  assert.ok(ins, stderr);
  const loss = /Re-sent (\d+) record\(s\) whose answer was lost, (\d+) of them in doubt .*; (\d+) partition\(s\) written on another node/.exec(stderr);
  return { inserted: Number(ins[1]), existed: Number(ins[2]), fresher: Number(ins[3]), resent: Number(loss?.[1] ?? 0), inDoubt: Number(loss?.[2] ?? 0), moved: Number(loss?.[3] ?? 0) };
}

/**
 * restoreLosingNode: restores the file into a fresh cluster, stopping node `victim` once
 * `at` records are in; checks everything a user relies on and returns the summary.
 */
async function restoreLosingNode(nodes: number, victim: number, at: number, extra: string[]): Promise<Summary> {
  const what = `${nodes} nodes, node ${victim} stops after ${at} records, ${extra.join(' ') || 'default policy'} (seed ${rng.seed})`;
  server = await startDevServerThread({ nodes, namespaces: ['test'], replicationFactor: 2, nodeTimeoutMs: NODE_TIMEOUT_MS, migrationMs: 500 });
  try {
    // Slow enough that the stop lands mid-run; the moment is a record count, not a time.
    await server.faults.slowReplies(2);
    const seeds = server.seeds.map((s) => `127.0.0.1:${s.port}`).join(',');
    const machine = join(tempDir(), 'm');
    const p = startPipeline([['asrestore', ['-h', seeds, '-i', file, '-m', machine, ...PACE, ...extra]]]);
    await waitFor(async () => (await server!.count('test')) >= at, `${at} records to be written (${what})`);
    const hold = holdUntil(server, p, new RegExp(`Remove node ${server.nodes[victim]!.id}`), 2, what);
    await server.nodes[victim]!.stop();
    await hold;
    const [r] = await p.done;
    assert.equal(r!.code, 0, `${what}\n${r!.stderr}`);
    assert.match(r!.stderr, new RegExp(`Remove node ${server.nodes[victim]!.id}`), what);
    const s = summaryOf(r!.stderr);
    // Every record is there once; none was there before, so nothing "existed" or was "fresher":
    // a record found already written was this restore's own lost attempt, and is in doubt.
    assert.equal(s.existed + s.fresher, 0, `${what}\n${r!.stderr}`);
    assert.equal(s.inserted + s.inDoubt, RECORDS, `${what}\n${r!.stderr}`);
    assert.ok(s.inDoubt <= s.resent, `${what}: every record in doubt was re-sent\n${r!.stderr}`);
    const lines = readFileSync(machine, 'utf8').trim().split('\n');
    if (s.resent > 0) assert.equal(lines[lines.length - 2], `IN_DOUBT:${s.inDoubt}:${s.resent}`, what);
    else assert.doesNotMatch(lines.join('\n'), /IN_DOUBT/, what);
    assert.match(lines[lines.length - 1]!, new RegExp(`^SUMMARY:0:0:${RECORDS}:0:0:0 :${s.inserted}:0:0$`), what);
    const alive = server.nodes.find((_, i) => i !== victim)!;
    assert.deepEqual(await distinctDigests(alive.port), { records: RECORDS, distinct: RECORDS }, what);
    return s;
  } finally {
    await server.close();
    server = undefined;
  }
}

test('a node stops mid-restore on a 2-node cluster (RF 2), at seeded moments: the restore waits for the cluster to re-form and completes', async () => {
  // --max-retries 0: riding out the lost node uses up no retry.
  // With puts too (--disable-batch-writes; --batch-size then groups puts).
  for (const extra of [[], ['-u'], ['--max-retries', '0'], ['--disable-batch-writes'], ['--disable-batch-writes', '--max-retries', '0']]) {
    const at = 200 + rng.int(RECORDS / 2 - 200);
    await restoreLosingNode(2, rng.int(2), at, extra);
  }
});

test('a node stops mid-restore on a 3-node cluster (RF 2), at seeded moments: the restore completes', async () => {
  for (const extra of [['-u'], []]) {
    const at = 200 + rng.int(RECORDS / 2 - 200);
    await restoreLosingNode(3, rng.int(3), at, extra);
  }
});

test('two nodes of three stop one after the other mid-restore (RF 2): the restore completes on the last one', async () => {
  server = await startDevServerThread({ nodes: 3, namespaces: ['test'], replicationFactor: 2, nodeTimeoutMs: NODE_TIMEOUT_MS });
  try {
    await server.faults.slowReplies(2);
    const seeds = server.seeds.map((s) => `127.0.0.1:${s.port}`).join(',');
    const p = startPipeline([['asrestore', ['-h', seeds, '-i', file, '-u', ...PACE]]]);
    const first = rng.int(3);
    const second = (first + 1 + rng.int(2)) % 3;
    const what = `nodes ${first} then ${second} stop (seed ${rng.seed})`;
    for (const [victim, at] of [[first, 200 + rng.int(1000)], [second, 1400 + rng.int(600)]] as const) {
      await waitFor(async () => (await server!.count('test')) >= at, `${at} records to be written (${what})`);
      const hold = holdUntil(server, p, new RegExp(`The cluster re-formed after .* of node ${server.nodes[victim]!.id}`), 2, what);
      await server.nodes[victim]!.stop();
      await hold;
    }
    const [r] = await p.done;
    assert.equal(r!.code, 0, `${what}\n${r!.stderr}`);
    const s = summaryOf(r!.stderr);
    assert.equal(s.existed + s.fresher, 0, `${what}\n${r!.stderr}`);
    assert.equal(s.inserted + s.inDoubt, RECORDS, `${what}\n${r!.stderr}`);
    const last = server.nodes.find((_, i) => i !== first && i !== second)!;
    assert.deepEqual(await distinctDigests(last.port), { records: RECORDS, distinct: RECORDS }, what);
  } finally {
    await server.close();
    server = undefined;
  }
});

test('a node joins mid-restore: one line says so, and the restore completes with every record once', async () => {
  server = await startDevServerThread({ nodes: 3, namespaces: ['test'], replicationFactor: 2, nodeTimeoutMs: 0, migrationMs: 500 });
  try {
    await server.nodes[2]!.stop();
    await server.faults.slowReplies(2);
    const seeds = `127.0.0.1:${server.seeds[0]!.port}`;
    const p = startPipeline([['asrestore', ['-h', seeds, '-i', file, ...PACE]]]);
    const at = 200 + rng.int(RECORDS / 2 - 200);
    await waitFor(async () => (await server!.count('test')) >= at, `${at} records to be written (seed ${rng.seed})`);
    const hold = holdUntil(server, p, new RegExp(`Add node ${server.nodes[2]!.id}`), 2, `seed ${rng.seed}`);
    await server.nodes[2]!.start();
    await hold;
    const [r] = await p.done;
    assert.equal(r!.code, 0, r!.stderr);
    assert.match(r!.stderr, new RegExp(`Add node ${server.nodes[2]!.id}`));
    assert.equal(summaryOf(r!.stderr).inserted, RECORDS, r!.stderr);
    assert.deepEqual(await distinctDigests(server.nodes[2]!.port), { records: RECORDS, distinct: RECORDS });
  } finally {
    await server.close();
    server = undefined;
  }
});

test('negative: the cluster does not re-form within --partition-wait: PARTITION_UNAVAILABLE names the partition, the node and the records written', async () => {
  // The survivors never notice (a timeout far beyond the wait): the partitions stay without a master.
  server = await startDevServerThread({ nodes: 2, namespaces: ['test'], replicationFactor: 2, nodeTimeoutMs: 600_000 });
  try {
    await server.faults.slowReplies(2);
    const seeds = server.seeds.map((s) => `127.0.0.1:${s.port}`).join(',');
    const p = startPipeline([['asrestore', ['-h', seeds, '-i', file, '--partition-wait', '1000', ...PACE]]]);
    await waitFor(async () => (await server!.count('test')) >= 500, '500 records to be written');
    await server.nodes[0]!.stop();
    const [r] = await p.done;
    assert.equal(r!.code, 1, r!.stderr);
    assert.equal(errorCode(r!.stderr), 'PARTITION_UNAVAILABLE', r!.stderr);
    const line = lastLine(r!.stderr);
    assert.match(line, /partition \d+ of namespace test/, line);
    assert.ok(line.includes(server.nodes[0]!.id), `names the node lost: ${line}`);
    const written = Number(/(\d+) record\(s\) were written before/.exec(line)?.[1]);
    assert.equal(written, summaryOf(r!.stderr).inserted, r!.stderr);
    assert.match(r!.stderr, /has no master \(node .* left\): writes wait up to 1 s \(--partition-wait\)/);
  } finally {
    await server.close();
    server = undefined;
  }
});

test('positive: --partition-wait is an asrestore option with a default that covers a heartbeat timeout', async () => {
  const r = await runProgram('asrestore', ['--help']);
  assert.match(r.stdout.toString(), /--partition-wait <ms>.*\(default: 10000\)/s);
});
