// The backup's fast path against the item encoder: several scans per node, encoder threads
// and recycled frame bodies must give, byte for byte, the .asb text encodeItem gives for the
// same records (read as objects), every record exactly once. Seeded random records of every
// type .asb holds, with doubles at their edges, over enough frames that frame bodies are
// pooled and reused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { scanPartitions, splitRanges } from '../../lib/cluster/scan.js';
import { backup } from '../../lib/backup/backup.js';
import type { BackupSettings } from '../../lib/backup/settings.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle, type Particle } from '../../lib/protocol/particle.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import { pack } from '../../lib/protocol/msgpack.js';
import { moveFrameMemory, pooledBody, recycleFrameBody, returnFrameMemory } from '../../lib/protocol/frame.js';
import { seededRng, tempDir, type Rng } from '../helpers.js';

const N = 6000; // ~3 MiB of frames: dozens of pooled 64 KiB bodies per node

// Doubles .asb writes with %.17g: zeros, subnormals, the extremes, powers of ten around the
// switch to exponent form, ties at the 17th digit, and the non-finite values.
const EDGE_DOUBLES: Buffer[] = [
  '0000000000000000', '8000000000000000', '0000000000000001', '8000000000000001', '000fffffffffffff', '0010000000000000',
  '7fefffffffffffff', 'ffefffffffffffff', '7ff0000000000000', 'fff0000000000000', '7ff8000000000000', 'fff8000000000000',
  '7ff0000000000001', '3ff0000000000000', '3fb999999999999a',
].map((h) => Buffer.from(h, 'hex'));
for (const v of [1e-5, 1e-4, 9.999999999999999e-5, 1e16, 1e17, 99999999999999999, 1e-300, 1e300, 2251799813685246.25, 2251799813685246.75, 1 / 3, -2 / 7]) {
  EDGE_DOUBLES.push(doubleBits(v));
}

function doubleBits(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
}

function randomDouble(rng: Rng, i: number): Particle {
  if (i % 3 === 0) return { type: P.FLOAT, data: EDGE_DOUBLES[rng.int(EDGE_DOUBLES.length)]! };
  const b = rng.bytes(8);
  if (i % 3 === 1) b[0] = (b[0]! & 0x80) | (0x3c + rng.int(8)); // |x| around 1e-18..1e19
  return { type: P.FLOAT, data: b };
}

function randomString(rng: Rng, max: number): string {
  const alphabet = 'abc xyz\n\\äö€😀0123456789';
  const chars = [...alphabet];
  let s = '';
  for (let n = rng.int(max); n > 0; n--) s += chars[rng.int(chars.length)];
  return s;
}

function fill(server: DevServer, rng: Rng): void {
  const sets = ['plain', 'with space', 'back\\slash', ''];
  for (let i = 0; i < N; i++) {
    const set = sets[i % sets.length]!;
    const keyKind = i % 5;
    let key: { type: number; data: Buffer } | undefined;
    if (keyKind === 0) key = particle.string(`key ${i} ${randomString(rng, 10)}`);
    else if (keyKind === 1) key = particle.integer(BigInt.asIntN(64, BigInt(`0x${rng.bytes(8).toString('hex')}`)));
    else if (keyKind === 2) key = { type: P.BLOB, data: Buffer.concat([Buffer.from(String(i)), rng.bytes(rng.int(40))]) };
    else if (keyKind === 3) key = { type: P.FLOAT, data: i < 5 * EDGE_DOUBLES.length ? EDGE_DOUBLES[i / 5 | 0]! : doubleBits(i / 7) };
    const digest = key !== undefined ? computeDigest(set, key.type, key.data) : rng.bytes(20);
    const bins = [
      { name: 'name', ...particle.string(randomString(rng, 120)) },
      { name: 'n', ...(i % 7 === 0 ? particle.integer(BigInt.asIntN(64, BigInt(`0x${rng.bytes(8).toString('hex')}`))) : particle.integer(rng.int(2 ** 31) - 2 ** 30)) },
      { name: 'd', ...randomDouble(rng, i + 1) },
      { name: 'blob', ...particle.blob(rng.bytes(rng.int(300))) },
      { name: 'ok', ...particle.bool(rng.int(2) === 1) },
      { name: 'list', ...particle.list(pack([i, randomString(rng, 8), [1.5, null]])) },
      { name: 'sp ace', ...particle.string('') },
    ];
    if (i % 11 === 0) bins.push({ name: 'geo', ...particle.geojson(`{"type":"Point","coordinates":[${i % 180},${i % 90}]}`) });
    server.put('test', set, digest, bins, key !== undefined ? { key, generation: 1 + rng.int(65535) } : { generation: 1 });
  }
}

let server: DevServer;
let seed = 0;
/** The reference: each record's .asb block by the item encoder, by digest (base64). */
const reference = new Map<string, Buffer>();

before(async () => {
  const rng = seededRng();
  seed = rng.seed;
  server = await startDevServer({ nodes: 2, namespaces: ['test'] });
  fill(server, rng);
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    for await (const r of scanPartitions(cluster, { namespace: 'test' })) reference.set(r.digest.toString('base64'), encodeItem(r));
  } finally {
    cluster.close();
  }
  assert.equal(reference.size, N, `seed ${seed}`);
});
after(async () => {
  await server.close();
});

function settings(over: Partial<BackupSettings>): BackupSettings {
  return {
    namespace: 'test', noBins: false, noRecords: false, noIndexes: false, noUdfs: false, percent: 100, noTtlOnly: false, maxRecords: 0,
    recordsPerSecond: 0, parallel: 10, priority: 0, noClusterChange: false, socketTimeout: 10000, totalTimeout: 0, maxRetries: 5,
    fileLimit: 250, removeFiles: false, compact: false, encoderThreads: 0, estimateSamples: 100, ...over,
  };
}

/** Each file must be its header and then, in the file's order, the reference blocks of its records. */
async function assertSameAsReference(dir: string, what: string): Promise<void> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort(); // beside them: the manifest
  const seen = new Set<string>();
  for (const [i, f] of files.entries()) {
    const got = readFileSync(join(dir, f));
    const parts: Buffer[] = [encodeHeader('test', i === 0)];
    for await (const it of decodeItems([got], f)) {
      assert.equal(it.kind, 'record', what);
      if (it.kind !== 'record') continue;
      const d = it.digest.toString('base64');
      assert.ok(!seen.has(d), `${what}: record ${d} twice (seed ${seed})`);
      seen.add(d);
      const block = reference.get(d);
      assert.ok(block, `${what}: record ${d} is not in the namespace (seed ${seed})`);
      parts.push(block);
    }
    assert.ok(got.equals(Buffer.concat(parts)), `${what}: ${f} differs from the item encoder's bytes (seed ${seed}; run again with TEST_SEED=${seed})`);
  }
  assert.equal(seen.size, N, `${what}: records backed up (seed ${seed})`);
}

const cluster = () => Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });

for (const [name, over] of [
  ['one scan per node, one node at a time', { scansPerNode: 1, parallel: 1 }],
  ['four scans per node on both nodes', { scansPerNode: 4 }],
  ['seven scans per node, two encoder threads, files of 1 MiB', { scansPerNode: 7, encoderThreads: 2, fileLimit: 1 }],
  // A slow writer: frames wait in the scan's queue while later ones arrive.
  ['two scans per node written at 4 MiB/s', { scansPerNode: 2, nice: 4 }],
] as Array<[string, Partial<BackupSettings>]>) {
  test(`positive: ${name}: every record once, byte for byte the item encoder's text`, async () => {
    const dir = join(tempDir(), 'bk');
    const s = await backup(settings({ directory: dir, ...over }), { connect: cluster });
    assert.equal(s.records, N);
    await assertSameAsReference(dir, name);
  });
}

test('positive: splitRanges: contiguous ranges in order, covering every partition once, sizes within one', () => {
  const pids = Array.from({ length: 4096 }, (_, i) => i);
  for (const [n, k] of [[4096, 4], [4096, 7], [10, 3], [3, 8], [1, 1], [2048, 64]] as Array<[number, number]>) {
    const ranges = splitRanges(pids.slice(0, n), k);
    assert.equal(ranges.length, Math.min(n, k), `${n} in ${k}`);
    assert.deepEqual(ranges.flat(), pids.slice(0, n), `${n} in ${k}: every partition once, in order`);
    const sizes = ranges.map((r) => r.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${n} in ${k}: sizes ${sizes.join(',')}`);
  }
});

test('positive: a recycled frame body is lent again, once; other buffers are not taken', () => {
  const a = pooledBody(40_000);
  a.fill(1);
  recycleFrameBody(a);
  const b = pooledBody(50_000); // the same 64 KiB step: a's memory again
  assert.equal(b.buffer, a.buffer);
  assert.equal(b.length, 50_000);
  const c = pooledBody(50_000);
  assert.notEqual(c.buffer, b.buffer, 'a body out on loan is not lent twice');
  recycleFrameBody(b);
  recycleFrameBody(b); // a second give-back is ignored
  const d = pooledBody(50_000);
  const e = pooledBody(50_000);
  assert.notEqual(d.buffer, e.buffer, 'a body given back twice is lent once');
  const own = Buffer.alloc(65_536);
  recycleFrameBody(own); // not from the pool: ignored
  for (let i = 0; i < 4; i++) assert.notEqual(pooledBody(50_000).buffer, own.buffer);
  assert.equal(pooledBody(100).length, 100); // small bodies are plain allocations
});

test('positive: pooled memory moved to a thread comes back into the pool; nothing else gets in', () => {
  assert.equal(moveFrameMemory(Buffer.alloc(70_000)), undefined, 'not from the pool: copied, not moved');
  assert.equal(moveFrameMemory(pooledBody(100)), undefined, 'a small body is no pooled memory');
  const early = new ArrayBuffer(65_536);
  returnFrameMemory(early); // nothing was moved: ignored
  for (let i = 0; i < 4; i++) assert.notEqual(pooledBody(60_000).buffer, early);
  const body = pooledBody(60_000);
  const ab = moveFrameMemory(body);
  assert.ok(ab instanceof ArrayBuffer && ab.byteLength === 65_536);
  assert.equal(moveFrameMemory(body), undefined, 'moved once');
  recycleFrameBody(body); // moved away: no longer on loan, ignored
  const back = structuredClone(ab, { transfer: [ab] }); // as a thread hands it back: a new ArrayBuffer
  returnFrameMemory(back);
  const next = [pooledBody(60_000), pooledBody(60_000)];
  assert.equal(next.filter((b) => b.buffer === back).length, 1, 'the returned memory is lent again, once');
  const stray = new ArrayBuffer(65_536);
  returnFrameMemory(stray); // one move, one return: a second return is ignored
  for (let i = 0; i < 4; i++) assert.notEqual(pooledBody(60_000).buffer, stray);
});
