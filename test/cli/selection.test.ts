// What a selection selects, and what the programs say about it (issue #11 items 10, 15, 17),
// through the real programs: the README's pipeline is the same backup as asbackup, a time
// window that cannot be judged is an error, the logs and the estimate tell the selection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { applySindex } from '../../lib/restore/metadata.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import type { StreamItem } from '../../lib/records/types.js';
import { assertFailure, runPipeline, runProgram, tempDir } from '../helpers.js';

let server: DevServer;
let host: string;
const USERS = 60;
const ORDERS = 40;
const LATE = 7;
let cutoff: Date;

function localStamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function put(set: string, i: number): void {
  const k = particle.string(`${set}-${i}`);
  server.put('test', set, computeDigest(set, k.type, k.data), [{ name: 'age', ...particle.integer(i) }, { name: 'name', ...particle.string(`n${i}`) }], { key: k });
}

before(async () => {
  server = await startDevServer({ nodes: 2, namespaces: ['test'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  for (let i = 0; i < USERS; i++) put('users', i);
  for (let i = 0; i < ORDERS; i++) put('orders', i);
  // A day later: records for the modified-after window.
  server.clock.advance(86_400_000);
  cutoff = new Date(server.clock.now() - 3_600_000);
  for (let i = 0; i < LATE; i++) put('users', 1000 + i);
  const c = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    await applySindex(c, { kind: 'sindex', namespace: 'test', set: 'users', name: 'users_age', indexType: 'N', bin: 'age', binType: 'N' });
    await applySindex(c, { kind: 'sindex', namespace: 'test', set: 'orders', name: 'orders_name', indexType: 'N', bin: 'name', binType: 'S' });
  } finally {
    c.close();
  }
});
after(async () => {
  await server.close();
});

async function itemsOf(bytes: Buffer): Promise<StreamItem[]> {
  const out: StreamItem[] = [];
  for await (const it of decodeItems([bytes], 'x')) out.push(it);
  return out;
}

test('negative: as-filter -a/-b on a stream without lastUpdate is an error, not an empty result; as-scan -a selects on the server (item 10)', async () => {
  const [scan, filter] = await runPipeline([
    ['as-scan', ['-h', host, '-n', 'test', '-s', 'users', '-I', '-u']],
    ['as-filter', ['-a', localStamp(cutoff)]],
  ]);
  assert.equal(scan!.code, 0, scan!.stderr);
  assertFailure(filter!, 1, 'NO_LAST_UPDATE', 'as-filter -a');
  assert.match(filter!.stderr, /<stdin>:1:1: .*as-scan -a/);
  // The same window on the server: exactly the late records.
  const late = await runProgram('as-scan', ['-h', host, '-n', 'test', '-s', 'users', '-I', '-u', '-a', localStamp(cutoff)]);
  assert.equal(late.code, 0, late.stderr);
  assert.equal(late.stdout.toString().trim().split('\n').length, LATE);
  // A stream that carries lastUpdate is judged by it.
  const lines = ['1000', '5000'].map((t, i) => JSON.stringify({ kind: 'record', namespace: 'test', set: 's', digest: Buffer.alloc(20, i + 1).toString('base64'), generation: 1, voidTime: 0, lastUpdate: Number(t), bins: [] }));
  const judged = await runProgram('as-filter', ['-a', localStamp(new Date(3000))], { input: lines.join('\n') + '\n' });
  assert.equal(judged.code, 0, judged.stderr);
  assert.equal(judged.stdout.toString().trim().split('\n').length, 1);
});
