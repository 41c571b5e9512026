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

test('positive: the README pipeline as-scan -s | as-encode-asb | as-split-files is the backup asbackup -s writes, byte for byte (item 10)', async () => {
  const base = tempDir();
  for (const set of ['users', 'orders']) {
    const sel = ['-n', 'test', '-s', set, '-w', '1', '-f', '1'];
    const w = await runProgram('asbackup', ['-h', host, ...sel, '-d', join(base, `w-${set}`)]);
    assert.equal(w.code, 0, w.stderr);
    const p = await runPipeline([
      ['as-scan', ['-h', host, ...sel]],
      ['as-encode-asb', []],
      ['as-split-files', ['-d', join(base, `p-${set}`)]],
    ]);
    for (const r of p) assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(join(base, `w-${set}`)).filter((f) => f.endsWith('.asb'));
    assert.deepEqual(readdirSync(join(base, `p-${set}`)), files);
    for (const f of files) {
      const a = readFileSync(join(base, `w-${set}`, f));
      assert.ok(a.equals(readFileSync(join(base, `p-${set}`, f))), `${set}: ${f} differs`);
      const idx = (await itemsOf(a)).filter((i) => i.kind === 'sindex');
      assert.deepEqual(idx.map((i) => i.kind === 'sindex' && i.set), [set], 'only the index of the set backed up');
    }
    // as-scan says it reads; it backs nothing up.
    assert.doesNotMatch(p[0]!.stderr, /Backing up/);
    assert.match(p[0]!.stderr, /Reading 1 secondary index\(es\)/);
  }
});

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

test('positive: the log says what the namespace holds and what the options take of it (item 15)', async () => {
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '--max-records', '5', '-s', 'users']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Set\\(s\\) users contain ${USERS + LATE} record\\(s\\)`));
  assert.match(r.stderr, /Backing up 5 of them \(--max-records 5\)/);
  assert.doesNotMatch(r.stderr, /contain 5 record/);
  assert.equal((await itemsOf(r.stdout)).filter((i) => i.kind === 'record').length, 5);
});

test('negative: -F with -o or -e is refused, not ignored (item 15)', async () => {
  for (const args of [['-o', join(tempDir(), 'one.asb')], ['-e'], ['-o', '-']]) {
    const r = await runProgram('asbackup', ['-h', '127.0.0.1:1', '-n', 'test', '-F', '5', ...args]);
    const line = assertFailure(r, 2, 'USAGE', `-F ${args.join(' ')}`);
    assert.match(line, /--file-limit/);
  }
  const ok = await runProgram('asbackup', ['-h', host, '-n', 'test', '-F', '5', '-d', join(tempDir(), 'd')]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('positive: -l matches a node by any name of its address; an unknown node is NODE_NOT_FOUND, naming the nodes (item 15)', async () => {
  const port = server.seeds[1]!.port;
  const byIp = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-I', '-u', '-l', `127.0.0.1:${port}`]);
  const byName = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-I', '-u', '-l', `localhost:${port}`]);
  assert.equal(byIp.code, 0, byIp.stderr);
  assert.equal(byName.code, 0, byName.stderr);
  const n = (await itemsOf(byIp.stdout)).length;
  assert.ok(n > 0 && n < USERS + ORDERS + LATE, `${n} records: the partitions of one node`);
  assert.ok(byName.stdout.equals(byIp.stdout) || (await itemsOf(byName.stdout)).length === n, 'localhost names the same node');
  const unknown = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '-l', '127.0.0.1:9']);
  const line = assertFailure(unknown, 1, 'NODE_NOT_FOUND', '-l unknown');
  assert.match(line, new RegExp(`127\\.0\\.0\\.1:9\\b.*127\\.0\\.0\\.1:${server.seeds[0]!.port}`));
});

test('positive: -e estimates what would be backed up: sets, sampling, an unknown set (item 17)', async () => {
  const total = USERS + ORDERS + LATE;
  const est = async (...args: string[]) => {
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-e', ...args]);
    assert.equal(r.code, 0, r.stderr);
    const m = /Estimated total backup size is (?:about |at most )?(\d+) byte\(s\) \((?:about |at most )?(\d+) record\(s\)/.exec(r.stderr);
    const s = /\(from (\d+) sampled record\(s\)\)/.exec(r.stderr);
    assert.ok(m && s, r.stderr);
    return { bytes: Number(m[1]), records: Number(m[2]), samples: Number(s[1]), stderr: r.stderr };
  };
  const all = await est();
  assert.equal(all.records, total);
  const users = await est('-s', 'users');
  assert.equal(users.records, USERS + LATE);
  assert.equal(users.samples, USERS + LATE, 'sampled from the set only');
  const none = await est('-s', 'nosuch');
  assert.deepEqual([none.records, none.bytes, none.samples], [0, 0, 0]);
  const half = await est('-%', '50');
  assert.equal(half.records, Math.round(total / 2));
  assert.ok(half.samples < total, 'sampled with the percentage applied');
  const late = await est('-a', localStamp(cutoff));
  assert.equal(late.samples, LATE, 'the time window applies to the sample');
  assert.match(late.stderr, /at most \d+ record\(s\)/);
  assert.match(late.stderr, /--modified-after is not known before the scan/);
});
