// Our writer and reader together: every combination of -z and -y, several frames, several
// levels, seeded data cut at random points; plain is a pass-through; bytesOut is the size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Codec } from '../../lib/codec/codec.js';
import { FileEncoder } from '../../lib/codec/encoder.js';
import { SEED, asbLike, decodeAll, encodeAll, pieces, rng } from './helpers.js';

const key128 = randomBytes(16);
const key256 = randomBytes(32);
const codecs: Array<[string, Codec]> = [
  ['plain', {}],
  ['-z zstd', { compress: { level: 0 } }],
  ['-z zstd --compression-level 1', { compress: { level: 1 } }],
  ['-z zstd --compression-level 19', { compress: { level: 19 } }],
  ['-z zstd --compression-level -5', { compress: { level: -5 } }],
  ['-y aes128', { encrypt: { algorithm: 'aes128', key: key128 } }],
  ['-y aes256', { encrypt: { algorithm: 'aes256', key: key256 } }],
  ['-z zstd -y aes128', { compress: { level: 3 }, encrypt: { algorithm: 'aes128', key: key128 } }],
  ['-z zstd -y aes256', { compress: { level: 0 }, encrypt: { algorithm: 'aes256', key: key256 } }],
];

for (const [name, codec] of codecs) {
  for (const frames of [1, 5]) {
    const seed = SEED + frames;
    test(`positive: ${name}, ${frames} frame(s): round trip of 3 MiB cut at random points (seed ${seed})`, async () => {
      const plain = asbLike(seed, 3 << 20);
      const parts = pieces(plain, seed, 200_000);
      const r = rng(seed);
      const ends = new Set<number>();
      while (ends.size < frames - 1) ends.add(Math.floor(r() * (parts.length - 1)));
      const { file, encoder } = encodeAll(parts, codec, { frameEnds: ends });
      assert.equal(encoder.bytesOut, file.length, 'bytesOut is the file size');
      assert.equal(encoder.bytesIn, plain.length);
      if (codec.compress) {
        assert.equal(encoder.frames, frames);
        assert.ok(file.length < plain.length, 'compressed');
      } else {
        assert.equal(file.length, plain.length + (codec.encrypt ? 16 : 0));
      }
      for (const chunk of [1 << 16, 7, 100_003]) {
        const back = await decodeAll(file, codec, 'rt.asb', chunk);
        assert.ok(back.equals(plain), `decoded with ${chunk}-byte reads`);
      }
    });
  }
}

test('positive: plain: push hands back the same Buffer, nothing copied', () => {
  const e = new FileEncoder({});
  const b = Buffer.from('Version 3.1\n');
  assert.equal(e.push(b), b);
  assert.equal(e.endFrame().length, 0);
  assert.equal(e.finish().length, 0);
  assert.equal(e.bytesOut, b.length);
});

test('positive: endFrame without new data and finish after endFrame add no empty frames', () => {
  const e = new FileEncoder({ compress: { level: 0 } });
  const out = [e.push(Buffer.from('Version 3.1\n')), e.endFrame(), e.endFrame(), e.finish()];
  assert.equal(e.frames, 1);
  assert.ok(out[2]!.length === 0 && out[3]!.length === 0);
});

test('positive: an encoder that got no data still writes a valid file (header, one empty frame)', async () => {
  for (const [name, codec] of codecs) {
    const { file } = encodeAll([], codec);
    assert.equal((await decodeAll(file, codec)).length, 0, name);
    if (codec.encrypt) assert.ok(file.length >= 16, name);
  }
});

test('positive: each file gets a fresh initial counter: the same data encrypts differently', () => {
  const codec: Codec = { encrypt: { algorithm: 'aes256', key: key256 } };
  const data = [Buffer.from('Version 3.1\n# namespace test\n')];
  const a = encodeAll(data, codec).file;
  const b = encodeAll(data, codec).file;
  assert.notDeepEqual(a.subarray(0, 16), b.subarray(0, 16));
  assert.notDeepEqual(a.subarray(16), b.subarray(16));
});

test('negative: after finish the encoder refuses more data', () => {
  const e = new FileEncoder({ compress: { level: 0 } });
  e.finish();
  assert.throws(() => e.push(Buffer.from('x')), { code: 'INTERNAL' });
});
