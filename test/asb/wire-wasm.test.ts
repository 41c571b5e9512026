// The WebAssembly .asb writer (lib/asb/wasm/wire-writer.ts) must write exactly what the JS
// writer and the object path write, for every particle type, key type, name and double,
// and leave to the JS writer, record by record, what it does not write itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeItem, encodeWireRun } from '../../lib/asb/encode.js';
import { useWasmWireWriter, wasmWireWriter } from '../../lib/asb/wire-wasm.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import { particle } from '../../lib/protocol/particle.js';
import { RecordParser } from '../../lib/protocol/record-parser.js';
import type { RecordItem } from '../../lib/records/types.js';
import { AsError } from '../../lib/errors.js';
import { frameOf } from './helpers.js';
import { withSeed, type Rng } from '../helpers.js';

function offsetsOf(body: Buffer): number[] {
  const offsets: number[] = [];
  new RecordParser('test', { record() {}, partitionDone() {} }).offsets(body, offsets);
  return offsets;
}

/** Both writers' runs of the same frame (the JS writer alone, then with the WebAssembly one). */
function bothRuns(body: Buffer, offsets: number[], compact: boolean, into?: () => Buffer): { js: { bytes: Buffer; ends: Uint32Array }; wasm: { bytes: Buffer; ends: Uint32Array } } {
  useWasmWireWriter(false);
  let js: { bytes: Buffer; ends: Uint32Array };
  try {
    const r = encodeWireRun({ namespace: 'test', body, offsets }, compact, into?.());
    js = { bytes: Buffer.from(r.bytes), ends: r.ends };
  } finally {
    useWasmWireWriter(true);
  }
  const r = encodeWireRun({ namespace: 'test', body, offsets }, compact, into?.());
  return { js, wasm: { bytes: Buffer.from(r.bytes), ends: r.ends } };
}

const double = (bits: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, bits));
  return b;
};

/** Doubles of every shape: random bits, the fast path's range, whole numbers, ties, powers of ten, the specials. */
function randomDouble(rng: Rng): Buffer {
  const b = Buffer.alloc(8);
  switch (rng.int(9)) {
    case 0: return rng.bytes(8); // any bits: mostly far outside 1e-6..1e17 (the JS writer's)
    case 1: b.writeDoubleBE((rng.next() - 0.5) * 10 ** (rng.int(24) - 7)); return b;
    case 2: b.writeDoubleBE(rng.int(2 ** 30) / 3); return b;
    case 3: b.writeDoubleBE((rng.int(2 ** 20) - 2 ** 19) * 2 ** rng.int(40)); return b; // whole numbers, some past 2^53
    case 4: b.writeDoubleBE(rng.int(2 ** 24) / 2 ** (rng.int(30) + 1)); return b; // short binary fractions: ties among them
    case 5: { // powers of ten and their neighbours
      b.writeDoubleBE(10 ** (rng.int(30) - 8));
      b.writeBigUInt64BE(b.readBigUInt64BE(0) + BigInt(rng.int(5) - 2));
      return b;
    }
    case 6: return double(BigInt(rng.int(2 ** 30)) * 2n ** 20n + BigInt(rng.int(2 ** 20))); // subnormals
    case 7: return [double(0x7ff8000000000000n), double(0xfff8000000000000n), double(0x7ff0000000000001n), double(0xfff0000000000000n), double(0x7ff0000000000000n), double(0x8000000000000000n), double(0n)][rng.int(7)]!;
    default: b.writeDoubleBE(rng.next() * 1e6); return b;
  }
}

function randomInteger(rng: Rng): Buffer {
  const b = Buffer.alloc(8);
  const edges = [0n, 1n, -1n, 9n, 10n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n)];
  if (rng.int(3) === 0) b.writeBigInt64BE(edges[rng.int(edges.length)]!);
  else if (rng.int(2) === 0) b.writeBigInt64BE(BigInt(rng.int(2 ** 31) - 2 ** 30));
  else b.writeBigInt64BE(rng.bytes(8).readBigInt64BE(0));
  return b;
}

const NAME_BYTES = 'ab_-9\\ \n\u00e9';
function randomName(rng: Rng, min: number, max: number): string {
  let s = '';
  for (let n = min + rng.int(max - min + 1); s.length < n;) s += NAME_BYTES[rng.int(NAME_BYTES.length)];
  return Buffer.from(s).length > max ? s.slice(0, max / 2) : s;
}

const BYTES_FAMILY = [P.BLOB, P.JAVA_BLOB, P.CSHARP_BLOB, P.PYTHON_BLOB, P.RUBY_BLOB, P.PHP_BLOB, P.ERLANG_BLOB, P.HLL, P.MAP, P.LIST];

function randomRecord(rng: Rng, i: number): RecordItem {
  const bins: RecordItem['bins'] = [];
  const names = new Set<string>();
  for (let n = rng.int(9); bins.length < n;) {
    const name = randomName(rng, 1, 14);
    if (names.has(name)) continue;
    names.add(name);
    const kind = rng.int(11);
    const long = rng.int(4) === 0 ? 65 + rng.int(1200) : rng.int(70); // both sides of the native-copy and base64 thresholds
    let value: { type: number; data: Buffer };
    if (kind === 0) value = particle.nil();
    else if (kind === 1) value = particle.bool(rng.int(2) === 1);
    else if (kind === 2) value = { type: P.INTEGER, data: randomInteger(rng) };
    else if (kind <= 4) value = { type: P.FLOAT, data: randomDouble(rng) };
    else if (kind <= 6) value = particle.string(rng.bytes(long));
    else if (kind === 7 && rng.int(20) === 0) value = particle.geojson(`{"type":"Point","coordinates":[${i % 90},${i % 45}]}`);
    else value = { type: BYTES_FAMILY[rng.int(BYTES_FAMILY.length)]!, data: rng.bytes(long) };
    bins.push({ name, ...value });
  }
  const keyKind = rng.int(6);
  const key = keyKind === 0 ? undefined
    : keyKind === 1 ? { type: P.INTEGER, data: randomInteger(rng) }
      : keyKind === 2 ? { type: P.STRING, data: rng.bytes(rng.int(90)) }
        : keyKind === 3 ? { type: P.BLOB, data: rng.bytes(rng.int(90)) }
          : keyKind === 4 ? { type: P.FLOAT, data: randomDouble(rng) }
            : undefined;
  return {
    kind: 'record', namespace: 'test', set: rng.int(3) === 0 ? '' : randomName(rng, 1, 30), digest: rng.bytes(20), key,
    generation: rng.int(4) === 0 ? rng.int(65536) : 1 + rng.int(9), voidTime: rng.int(3) === 0 ? 0 : rng.int(2 ** 32), bins,
  };
}

test('positive: the WebAssembly writer is built and writes plain records itself', () => {
  const w = wasmWireWriter();
  assert.ok(w, 'dist/wasm/wire-writer.wasm is missing: npm run build makes it');
  const records = Array.from({ length: 50 }, (_, i): RecordItem => ({
    kind: 'record', namespace: 'test', set: 'people', digest: Buffer.alloc(20, i), key: { type: P.STRING, data: Buffer.from(`user-${i}`) }, generation: 1, voidTime: 0,
    bins: [{ name: 'name', ...particle.string(`user ${i}`) }, { name: 'score', ...particle.double(i / 3) }, { name: 'avatar', ...particle.blob(Buffer.alloc(i, i)) }],
  }));
  const body = frameOf(records);
  const offsets = offsetsOf(body);
  assert.ok(w.load(body, offsets, Buffer.from('+ n test\n+ d ')));
  assert.equal(w.run(0, false), records.length, 'every record written by the WebAssembly writer');
  assert.equal(Buffer.from(w.text()).toString('latin1'), records.map((r) => encodeItem(r).toString('latin1')).join(''));
});

test('positive: random records of every particle type, key type, name and double: both writers and the object path write the same', async () => {
  await withSeed((rng) => {
    for (let frame = 0; frame < 40; frame++) {
      const records = Array.from({ length: 1 + rng.int(120) }, (_, i) => randomRecord(rng, i));
      const body = frameOf(records);
      const offsets = offsetsOf(body);
      for (const compact of [false, true]) {
        const { js, wasm } = bothRuns(body, offsets, compact);
        const objects = Buffer.concat(records.map((r) => encodeItem(r, compact)));
        assert.ok(js.bytes.equals(objects), `frame ${frame}: the JS writer and the object path (compact ${compact})`);
        if (!wasm.bytes.equals(js.bytes)) {
          let k = 0;
          while (wasm.bytes[k] === js.bytes[k]) k++;
          assert.fail(`frame ${frame} (compact ${compact}) differs at byte ${k}:\n${js.bytes.toString('latin1', k - 60, k + 30)}\n---\n${wasm.bytes.toString('latin1', k - 60, k + 30)}`);
        }
        assert.deepEqual([...wasm.ends], [...js.ends]);
      }
    }
  });
});

test('positive: a record the WebAssembly writer leaves (GeoJSON, a double off its fast path) is written by JS in its place, the rest around it', () => {
  const plain = (i: number): RecordItem => ({
    kind: 'record', namespace: 'test', set: 's', digest: Buffer.alloc(20, i), generation: 1, voidTime: 0, bins: [{ name: 'n', ...particle.integer(i) }],
  });
  const left: RecordItem[] = [
    { ...plain(100), bins: [{ name: 'where', ...particle.geojson('{"type":"Point","coordinates":[1,2]}') }] },
    { ...plain(101), bins: [{ name: 'tiny', ...particle.double(1.5e-300) }] },
    { ...plain(102), key: { type: P.FLOAT, data: particle.double(6.02e23).data } },
  ];
  const records = [left[0]!, plain(1), plain(2), left[1]!, plain(3), left[2]!];
  const body = frameOf(records);
  const offsets = offsetsOf(body);
  const w = wasmWireWriter()!;
  assert.ok(w.load(body, offsets, Buffer.from('+ n test\n+ d ')));
  assert.equal(w.run(0, false), 0, 'GeoJSON: left to JS');
  assert.ok(w.leftToJs);
  assert.equal(w.run(1, false), 3, 'a double below 1e-6: left to JS');
  assert.equal(w.run(4, false), 5, 'a double key of 6.02e23: left to JS');
  const { js, wasm } = bothRuns(body, offsets, false);
  assert.ok(wasm.bytes.equals(js.bytes));
  assert.deepEqual([...wasm.ends], [...js.ends]);
  assert.ok(wasm.bytes.equals(Buffer.concat(records.map((r) => encodeItem(r)))));
});

test('negative: what .asb cannot hold fails as it does in the JS writer (particle type, generation)', () => {
  const bad: Array<[RecordItem, RegExp]> = [
    [{ kind: 'record', namespace: 'test', set: '', digest: Buffer.alloc(20), generation: 1, voidTime: 0, bins: [{ name: 'ok', ...particle.integer(1) }, { name: 'v', type: P.VECTOR, data: Buffer.alloc(8) }] }, /particle type 16/],
    [{ kind: 'record', namespace: 'test', set: '', digest: Buffer.alloc(20), generation: 70000, voidTime: 0, bins: [] }, /generation 70000/],
  ];
  for (const [r, message] of bad) {
    const body = frameOf([r]);
    const offsets = offsetsOf(body);
    for (const on of [true, false]) {
      useWasmWireWriter(on);
      try {
        assert.throws(() => encodeWireRun({ namespace: 'test', body, offsets }), (e: unknown) => e instanceof AsError && e.code === 'ASB_ENCODE' && message.test(e.message));
      } finally {
        useWasmWireWriter(true);
      }
    }
  }
});

test('positive: a bin with a last-update time (XDR) is written from after it', () => {
  const r: RecordItem = { kind: 'record', namespace: 'test', set: 's', digest: Buffer.alloc(20, 7), generation: 2, voidTime: 5, bins: [{ name: 'v', ...particle.string('after the LUT') }] };
  const plain = frameOf([r]);
  // The op starts after the 22-byte header and the namespace, digest and set fields.
  const op = 22 + (4 + 1 + 4) + (4 + 1 + 20) + (4 + 1 + 1);
  assert.equal(plain.readUInt32BE(op), 4 + 'v'.length + 'after the LUT'.length);
  const nameEnd = op + 8 + 1;
  const body = Buffer.concat([plain.subarray(0, nameEnd), Buffer.alloc(8, 0xee), plain.subarray(nameEnd)]);
  body.writeUInt32BE(plain.readUInt32BE(op) + 8, op);
  body[op + 6]! |= 0x01;
  const { js, wasm } = bothRuns(body, offsetsOf(body), false);
  assert.equal(wasm.bytes.toString(), encodeItem(r).toString());
  assert.ok(wasm.bytes.equals(js.bytes));
});

test('positive: records whose bounds pass the room made for the frame: the writer stops for room, and goes on after it', () => {
  // Offsets that do not ascend bound each record by the rest of the frame (3 bytes of text
  // per byte): 40 times a record of 256 KiB is ~30 MiB of bounds for ~13 MiB of text.
  const r: RecordItem = { kind: 'record', namespace: 'test', set: '', digest: Buffer.alloc(20, 3), generation: 1, voidTime: 0, bins: [{ name: 'b', ...particle.blob(Buffer.alloc(256 << 10, 9)) }] };
  const body = frameOf([r]);
  const again = Array.from({ length: 40 }, () => 0);
  const { js, wasm } = bothRuns(body, again, false);
  assert.ok(wasm.bytes.equals(js.bytes));
  assert.ok(wasm.bytes.equals(Buffer.concat(again.map(() => encodeItem(r)))));
  const w = wasmWireWriter()!;
  assert.ok(w.load(body, again, Buffer.from('+ n test\n+ d ')));
  assert.equal(w.run(0, false), again.length, 'all written by the WebAssembly writer, none left to JS for room');
  assert.ok(Buffer.from(w.text()).equals(wasm.bytes));
});

test('positive: a frame bigger than the WebAssembly memory grows it, and a run bigger than `into` moves to a buffer of its own', () => {
  const records: RecordItem[] = [4 << 20, 10, 3 << 20].map((n, i) => ({
    kind: 'record', namespace: 'test', set: '', digest: Buffer.alloc(20, i), generation: 1, voidTime: 0, bins: [{ name: 'big', ...particle.blob(Buffer.alloc(n, i + 1)) }, { name: 's', ...particle.string('x'.repeat(n >> 1)) }],
  }));
  const body = frameOf(records);
  const offsets = offsetsOf(body);
  for (const compact of [false, true]) {
    const { js, wasm } = bothRuns(body, offsets, compact, () => Buffer.alloc(1000));
    assert.ok(wasm.bytes.equals(js.bytes));
    assert.ok(wasm.bytes.equals(Buffer.concat(records.map((r) => encodeItem(r, compact)))));
  }
});
