// Issue 18 through the real programs: data written by the official client into the dev
// server, as-scan --view, real jq (Debian package `jq`), as-encode-asb / as-write /
// as-filter / as-decode-asb. The jq examples are read from docs/record-stream.md and run
// as written there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Aerospike from 'aerospike';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { FrameReader } from '../../lib/protocol/frame.js';
import { decodeMessage, field } from '../../lib/protocol/message.js';
import { FieldType, ParticleType as P } from '../../lib/protocol/constants.js';
import { MAX_VIEW_DEPTH, viewOf } from '../../lib/records/view.js';
import { errorCode, repoRoot, runProgram } from '../helpers.js';
import { connectOfficial } from '../dataset.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const A: any = Aerospike;

let server: DevServerThread;
let port: number;
let host: string[];
/** as-scan output without and with views. */
let plain: Buffer;
let viewed: Buffer;

// The records the doc examples select from (key -> bins), written by the official client.
function users(): Record<string, Record<string, unknown>> {
  const D = A.Double;
  return {
    u1: { tags: ['vip', 'new'], profile: { country: 'DE', address: { city: 'Berlin', zip: '10115' } }, orders: [{ sku: 'A', price: 12.5, qty: 1 }, { sku: 'B', price: new D(99), qty: 2 }] },
    u2: { tags: ['new'], profile: { country: 'FR', address: { city: 'Paris' } }, orders: [{ price: 5 }, { price: new D(25) }], scores: new Map([[1, 10], [2, 20]]) },
    u3: { tags: ['vip'], profile: { country: 'DE', address: { city: 'Munich' } }, orders: [], scores: new Map([[2, 5]]) },
    u4: { profile: { country: 'US' }, orders: [{ price: new D(15) }], note: 'vip' },
  };
}

let deep: unknown = 'bottom';
for (let i = 0; i < MAX_VIEW_DEPTH + 40; i++) deep = [deep];

before(async () => {
  server = await startDevServerThread({ namespaces: ['test', 'other'] });
  port = server.seeds[0]!.port;
  host = ['-h', `127.0.0.1:${port}`];
  const client = await connectOfficial(port);
  try {
    const policy = new A.WritePolicy({ key: A.policy.key.SEND });
    for (const [k, bins] of Object.entries(users())) await client.put(new A.Key('test', 'users', k), bins, {}, policy);
    // The edge cases of the issue, as the Node client writes them.
    await client.put(new A.Key('test', 'edge', 'e1'), {
      edge: [new A.Double(1.0), NaN, Infinity, -Infinity, 2n ** 62n, -(2n ** 63n), null, true, false, Buffer.from([1, 2, 3]),
        new A.GeoJSON({ type: 'Point', coordinates: [13.4, 52.5] }), 'vip'],
      mix: new Map<unknown, unknown>([[1, 'a'], ['1', 'b']]),
      bkey: new Map([[Buffer.from([1]), 'x']]),
      deep,
    }, {}, policy);
    const job = await client.createIndex({ ns: 'test', set: 'users', bin: 'note', index: 'users_note', datatype: A.indexDataType.STRING });
    await job.wait(10);
  } finally {
    await client.close();
  }
  // One scan command per node: the two scans are compared byte for byte, and records of
  // two partition ranges scanned at once arrive in either order.
  const a = await runProgram('as-scan', [...host, '-n', 'test', '--scans-per-node', '1']);
  assert.equal(a.code, 0, a.stderr);
  plain = a.stdout;
  const b = await runProgram('as-scan', [...host, '-n', 'test', '--scans-per-node', '1', '--view']);
  assert.equal(b.code, 0, b.stderr);
  viewed = b.stdout;
});

after(async () => {
  await server.close();
});

function jq(args: string[], input: Buffer): Buffer {
  const r = spawnSync('jq', args, { input, maxBuffer: 1 << 28 });
  assert.notEqual(r.error?.message.includes('ENOENT'), true, 'jq is not installed (Debian package jq; .ci/run installs it)');
  assert.equal(r.status, 0, r.stderr.toString());
  return r.stdout;
}

const lines = (b: Buffer): any[] => b.toString().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
const keysOf = (b: Buffer): string[] => lines(b).filter((o) => o.kind === 'record').map((o) => o.key.value).sort();
const binOf = (rec: any, name: string): any => rec.bins.find((b: any) => b.name === name);

test('positive: the jq examples of docs/record-stream.md select the right records', () => {
  const doc = readFileSync(join(repoRoot, 'docs/record-stream.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### jq examples'), doc.indexOf('### Writers and the view'));
  const examples = [...section.matchAll(/^# (.*)\nas-scan -n test --view \| jq -c '(.*)'$/gm)].map((m) => [m[1]!, m[2]!] as const);
  const expected: Record<string, string[]> = {
    'records whose "tags" list contains "vip"': ['u1', 'u3'],
    'records whose "profile" map has the key "country" equal to "DE"': ['u1', 'u3'],
    'a nested path: records whose profile.address.city is "Berlin"': ['u1'],
    'a numeric range inside a list of maps: records with an order of 10 <= price < 20': ['u1', 'u4'],
    'a map with integer keys: records whose "scores" map holds at least 20 under the key 2': ['u2'],
  };
  assert.deepEqual(examples.map(([c]) => c), Object.keys(expected), 'the examples of the doc');
  for (const [comment, filter] of examples) {
    assert.deepEqual(keysOf(jq(['-c', filter], viewed)), expected[comment], comment);
    // Without --view there is nothing to look into.
    assert.deepEqual(keysOf(jq(['-c', filter], plain)), [], comment);
  }
});

test('positive: the doc\'s VIP backup pipeline keeps index and UDF items and writes the bytes the plain scan has', async () => {
  const doc = readFileSync(join(repoRoot, 'docs/record-stream.md'), 'utf8');
  const filter = /\| jq -c '(select\(\.kind != "record" or .*)' \\\n/.exec(doc)![1]!;
  const enc = await runProgram('as-encode-asb', [], { input: jq(['-c', filter], viewed) });
  assert.equal(enc.code, 0, enc.stderr);
  // The same selection made on the plain stream by key gives the same file.
  const byKey = jq(['-c', 'select(.kind != "record" or .key.value == "u1" or .key.value == "u3")'], plain);
  const ref = await runProgram('as-encode-asb', [], { input: byKey });
  assert.ok(enc.stdout.equals(ref.stdout));
  const back = await runProgram('as-decode-asb', [], { input: enc.stdout });
  assert.deepEqual(keysOf(back.stdout), ['u1', 'u3']);
  assert.deepEqual(lines(back.stdout).filter((o) => o.kind === 'sindex').map((o) => o.name), ['users_note']);
});

test('positive: round trips stay byte for byte with the view present (jq -c ., jq -S, as-filter, as-decode-asb)', async () => {
  const ref = await runProgram('as-encode-asb', [], { input: plain });
  assert.equal(ref.code, 0, ref.stderr);
  for (const args of [['-c', '.'], ['-S', '-c', '.']]) {
    const r = await runProgram('as-encode-asb', [], { input: jq(args, viewed) });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.equals(ref.stdout), `jq ${args.join(' ')}`);
  }
  // as-filter re-serializes records: the views survive, so a jq after it still finds them.
  const filtered = await runProgram('as-filter', ['-s', 'users'], { input: viewed });
  assert.equal(filtered.code, 0, filtered.stderr);
  assert.deepEqual(keysOf(jq(['-c', 'select(any(.bins[] | select(.name == "tags") | .view[]?; . == "vip"))'], filtered.stdout)), ['u1', 'u3']);
  // as-decode-asb --view of the official vector, through jq, encodes to the same file.
  const file = join(repoRoot, 'test/fixtures/official/official-vec.asb');
  const dec = await runProgram('as-decode-asb', ['--view', file]);
  assert.equal(dec.code, 0, dec.stderr);
  assert.ok(lines(dec.stdout).some((o) => o.kind === 'record' && o.bins.some((b: any) => 'view' in b)));
  const enc = await runProgram('as-encode-asb', [], { input: jq(['-c', '.'], dec.stdout) });
  assert.equal(enc.code, 0, enc.stderr);
  assert.ok(enc.stdout.equals(readFileSync(file)));
});

test('positive: the edge cases as the official client wrote them', () => {
  const recs = lines(viewed).filter((o) => o.kind === 'record');
  const e1 = recs.find((o) => o.key.value === 'e1');
  assert.deepEqual(binOf(e1, 'edge').view, [1, 'nan', 'inf', '-inf', '4611686018427387904', '-9223372036854775808', null, true, false,
    { $blob: 'AQID' }, { $geojson: '{"type":"Point","coordinates":[13.4,52.5]}' }, 'vip']);
  assert.deepEqual(binOf(e1, 'mix').view, { $entries: [[1, 'a'], ['1', 'b']] });
  assert.deepEqual(binOf(e1, 'bkey').view, { '{"$blob":"AQ=="}': 'x' });
  // 1.0 is a double in the bytes (cb 3ff0...), shown as 1
  assert.equal(Buffer.from(binOf(e1, 'edge').base64, 'base64').subarray(1, 10).toString('hex'), 'cb3ff0000000000000');
  // the Node client writes objects as key-ordered maps: the ext header is in the bytes, not in the view
  const u1 = recs.find((o) => o.key.value === 'u1');
  assert.equal(Buffer.from(binOf(u1, 'profile').base64, 'base64').subarray(1, 5).toString('hex'), 'c70001c0');
  assert.deepEqual(binOf(u1, 'profile').view, { address: { city: 'Berlin', zip: '10115' }, country: 'DE' });
  // nesting: the view stops at MAX_VIEW_DEPTH, and jq still reads the line (it did above)
  let v = binOf(e1, 'deep').view;
  let levels = 0;
  while (Array.isArray(v)) { v = v[0]; levels++; }
  assert.equal(levels, MAX_VIEW_DEPTH);
  assert.ok(typeof v.$msgpack === 'string');
});

test('negative: a jq edit of a view, or a view without its bytes, is refused by as-encode-asb and as-write', async () => {
  const edit = jq(['-c', 'if .key.value? == "u1" then (.bins[] | select(.name == "tags") | .view) |= . + ["gold"] else . end'], viewed);
  const r = await runProgram('as-encode-asb', [], { input: edit });
  assert.equal(r.code, 1);
  const n = edit.toString().split('\n').findIndex((l) => l.includes('"gold"')) + 1;
  const u1 = lines(viewed).find((o) => o.key?.value === 'u1');
  assert.match(r.stderr, new RegExp(`^as-encode-asb: <stdin>:${n}:1: record ${u1.digest.replace(/[+/]/g, '.')}: bin "tags": `));
  assert.equal(errorCode(r.stderr), 'STREAM_VIEW_MISMATCH');
  const w = await runProgram('as-write', [...host, '-n', 'other'], { input: edit });
  assert.equal(w.code, 1);
  assert.match(w.stderr, new RegExp(`<stdin>:${n}:1: record .*bin "tags"`));
  assert.equal(errorCode(w.stderr), 'STREAM_VIEW_MISMATCH');
  assert.equal(await server.get('other', Buffer.from(u1.digest, 'base64')), undefined, 'the edited record was not written');

  const noBytes = jq(['-c', 'if .key.value? == "u2" then (.bins[] | select(.name == "orders")) |= del(.base64) else . end'], viewed);
  const r2 = await runProgram('as-encode-asb', [], { input: noBytes });
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /<stdin>:\d+:1: record .*bin "orders"/);
  assert.equal(errorCode(r2.stderr), 'STREAM_VIEW_WITHOUT_BYTES');
});

test('positive: wildcard and infinity as the official client sends them (captured on the wire)', async () => {
  // The values exist only in operations and expressions; a proxy (in its own thread: the
  // official client blocks this one while it connects) hands us the client's bytes.
  const proxy = new Worker(`
    const net = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    let id = 0;
    const server = net.createServer((c) => {
      const conn = id++;
      const s = net.connect(workerData.port, '127.0.0.1');
      c.on('data', (d) => { parentPort.postMessage({ conn, d }); s.write(d); });
      s.pipe(c);
      c.on('error', () => s.destroy()); s.on('error', () => c.destroy()); c.on('close', () => s.destroy());
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));`, { eval: true, workerData: { port } });
  const readers = new Map<number, FrameReader>();
  const filters: Buffer[] = [];
  const proxyPort = await new Promise<number>((resolve) => proxy.on('message', (m: { port?: number; conn: number; d: Uint8Array }) => {
    if (m.port !== undefined) return resolve(m.port);
    if (!readers.has(m.conn)) readers.set(m.conn, new FrameReader());
    for (const f of readers.get(m.conn)!.push(Buffer.from(m.d))) {
      if (f.type !== 3) continue;
      const x = field(decodeMessage(f.body).msg, FieldType.FILTER);
      if (x) filters.push(Buffer.from(x));
    }
  }));
  const client = await connectOfficial(proxyPort);
  try {
    const exp = A.exp;
    await client.get(new A.Key('test', 'edge', 'e1'), { filterExpression: exp.and(exp.lt(exp.binInt('n'), exp.inf()), exp.eq(exp.binInt('n'), exp.wildcard())) }).catch(() => undefined);
  } finally {
    await client.close();
    await proxy.terminate();
  }
  assert.equal(filters.length, 1);
  // and(lt(bin n, inf), eq(bin n, wildcard)): the expression is a msgpack list
  const v = viewOf(P.LIST, filters[0]!) as any[];
  assert.equal(v[0], 16);
  assert.deepEqual(v[1][2], { $infinity: true });
  assert.deepEqual(v[2][2], { $wildcard: true });
});
