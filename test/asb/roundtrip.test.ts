// Randomized round trip: items of every type -> encode -> decode -> the same items -> encode
// -> the same bytes, in normal and compact mode, at awkward chunk sizes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import { geojsonParticle } from '../../lib/protocol/geojson.js';
import type { Bin, RecordItem, StreamItem } from '../../lib/records/types.js';
import { encodeItem, encodeStream } from '../../lib/asb/encode.js';
import { decodeAll } from './helpers.js';

let seed = 42;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return Math.floor((seed / 4294967296) * n);
};
const bytes = (n: number): Buffer => { const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = rnd(256); return b; };
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
const NAMES = ['a', 'bin', 'sp ace', 'back\\slash', 'new\nline', '  ', '', 'ünï', '\\', 'x'.repeat(15), 'tab\tx', '日本'];
const BYTES_TYPES: number[] = [P.BLOB, P.JAVA_BLOB, P.CSHARP_BLOB, P.PYTHON_BLOB, P.RUBY_BLOB, P.PHP_BLOB, P.ERLANG_BLOB, P.HLL, P.MAP, P.LIST];

function value(type: number, big: boolean, medium = false): Buffer {
  const len = big ? 3 * 1024 * 1024 + rnd(1000) : medium ? 10_000 + rnd(60_000) : pick([0, 1, 2, 3, 4, 10, 100, 1000]);
  switch (type) {
    case P.NULL: return Buffer.alloc(0);
    case P.BOOL: return Buffer.from([rnd(2)]);
    case P.INTEGER: {
      const b = Buffer.alloc(8);
      b.writeBigInt64BE(pick([0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n + 1n, BigInt(rnd(1e9) - 5e8)]));
      return b;
    }
    case P.FLOAT: {
      // Random bit patterns, but no NaN payloads (the format keeps only a NaN's sign).
      const b = rnd(3) === 0 ? bytes(8) : Buffer.alloc(8);
      if (b.readDoubleBE(0) !== b.readDoubleBE(0)) b[1]! &= 0xef;
      if (b[0] === 0 && b[1] === 0) b.writeDoubleBE((rnd(2e9) - 1e9) / (1 + rnd(1000)));
      return b;
    }
    case P.STRING: {
      if (big) return Buffer.from('line of text\n+ n x\n'.repeat(len / 20));
      return Buffer.from(Array.from({ length: len }, () => pick(['a', ' ', '\n', '\0', 'ü', '\\', 'z', '+ ', '- '])).join(''));
    }
    case P.GEOJSON: return geojsonParticle(Buffer.from(`{"type":"Point","coordinates":[${rnd(180)},${rnd(90)}]}`));
    default: return bytes(len);
  }
}

function record(big: boolean, medium = false): RecordItem {
  const types = [P.NULL, P.BOOL, P.INTEGER, P.FLOAT, P.STRING, P.GEOJSON, ...BYTES_TYPES];
  const n = rnd(8);
  const used = new Set<string>();
  const bins: Bin[] = [];
  for (let i = 0; i < n; i++) {
    const name = pick(NAMES);
    if (used.has(name)) continue; // a repeated name would be merged by the reader
    used.add(name);
    const type = pick(types);
    bins.push({ name, type, data: value(type, false, medium && i === 0) });
  }
  // Multi-MB values: a string with LFs and a blob, far larger than any input chunk.
  if (big) bins.push({ name: 'bigS', type: P.STRING, data: value(P.STRING, true) }, { name: 'bigB', type: P.LIST, data: value(P.LIST, true) });
  const r: RecordItem = {
    kind: 'record', namespace: pick(['test', 'n s', 'a\\b']), set: pick(['', 'set', 'my set', 'x\ny']), digest: bytes(20),
    generation: pick([0, 1, 65535]), voidTime: pick([0, 1, 0xffffffff, 480000000]), bins,
  };
  const k = rnd(5);
  if (k === 1) r.key = { type: P.INTEGER, data: value(P.INTEGER, false) };
  if (k === 2) r.key = { type: P.STRING, data: value(P.STRING, false) };
  if (k === 3) r.key = { type: P.BLOB, data: bytes(rnd(30)) };
  if (k === 4) r.key = { type: P.FLOAT, data: value(P.FLOAT, false) };
  return r;
}

async function* iter<T>(xs: T[]): AsyncGenerator<T> { yield* xs; }

for (const compact of [false, true]) {
  test(`positive: random items round-trip (${compact ? 'compact' : 'normal'} mode)`, async () => {
    const items: StreamItem[] = [
      { kind: 'sindex', namespace: 'test', set: 'a b', name: 'i\\x', indexType: 'K', bin: 'b n', binType: 'S', context: '' },
      { kind: 'udf', name: 'u.lua', udfType: 'L', content: Buffer.from('* i x\n+ n y\n- ') },
    ];
    // Some records of 10-70 kB: longer and shorter than the bridge over a chunk's end (decode.ts).
    for (let i = 0; i < 400; i++) items.push(record(i % 100 === 7, i % 10 === 3));
    const parts: Buffer[] = [];
    for await (const { bytes: b } of encodeStream(iter(items), { compact })) parts.push(b);
    const file = Buffer.concat(parts);
    for (const chunk of [1 << 20, 65536, 20000, 997]) {
      const { header, items: decoded } = await decodeAll(file, 'rt.asb', chunk);
      assert.equal(header.namespace, 'test');
      assert.equal(header.firstFile, true);
      assert.equal(decoded.length, items.length);
      for (let i = 0; i < items.length; i++) {
        assert.deepEqual(decoded[i]!.item, items[i]);
        assert.ok(encodeItem(decoded[i]!.item, compact).equals(file.subarray(decoded[i]!.start, decoded[i]!.end)));
      }
    }
  });
}

test('positive: encodeStream puts the header first, with the namespace option for an empty stream', async () => {
  const out: Buffer[] = [];
  for await (const { bytes: b } of encodeStream(iter<StreamItem>([]), { namespace: 'ns x' })) out.push(b);
  assert.equal(Buffer.concat(out).toString(), 'Version 3.1\n# namespace ns\\ x\n# first-file\n');
  const udfFirst: StreamItem[] = [{ kind: 'udf', name: 'a', udfType: 'L', content: Buffer.from('x') }, record(false)];
  const got: Buffer[] = [];
  for await (const { bytes: b } of encodeStream(iter(udfFirst), { firstFile: false })) got.push(b);
  assert.match(Buffer.concat(got).toString('latin1'), /^Version 3\.1\n# namespace \S+\n\* u L a 1 x\n/);
});

test('negative: values the format cannot hold are refused', () => {
  const r = record(false);
  assert.throws(() => encodeItem({ ...r, bins: [{ name: 'v', type: P.VECTOR, data: Buffer.alloc(4) }] }), { code: 'ASB_ENCODE' });
  assert.throws(() => encodeItem({ ...r, generation: 65536 }), { code: 'ASB_ENCODE' });
  assert.throws(() => encodeItem({ ...r, key: { type: P.BOOL, data: Buffer.from([1]) } }), { code: 'ASB_ENCODE' });
  // The writer state survives a refused item.
  assert.ok(encodeItem(r).length > 0);
});
