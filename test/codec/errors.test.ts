// Bad input gets an error with a stable code naming the file (and byte, where one exists):
// wrong key or algorithm, options that do not match the file, truncation, flipped bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Codec } from '../../lib/codec/codec.js';
import { checkFileHead } from '../../lib/codec/head.js';
import { tempDir } from '../helpers.js';
import { OFFICIAL, SEED, asbLike, decodeAll, encodeAll, envKey, errorOf, pemKey, pieces, rng } from './helpers.js';

const official = (f: string): Buffer => readFileSync(join(OFFICIAL, f));
const Z: Codec = { compress: { level: 0 } };
const aes = (algorithm: 'aes128' | 'aes256', key: Buffer, z = false): Codec => ({ ...(z ? Z : {}), encrypt: { algorithm, key } });

async function code(file: Buffer, codec: Codec, name = 'f.asb'): Promise<string | undefined> {
  return (await errorOf(() => decodeAll(file, codec, name))).code;
}

test('negative: wrong key: CODEC_WRONG_KEY, with or without compression', async () => {
  assert.equal(await code(official('vec-aes128.asb'), aes('aes128', envKey('aes128'))), 'CODEC_WRONG_KEY');
  assert.equal(await code(official('vec-zstd-aes256.asb'), aes('aes256', envKey('aes256'), true)), 'CODEC_WRONG_KEY');
  assert.equal(await code(official('vec-aes256-envkey.asb'), aes('aes256', pemKey('aes256'))), 'CODEC_WRONG_KEY');
  const e = await errorOf(() => decodeAll(official('vec-aes128.asb'), aes('aes128', randomBytes(16)), 'backup/x.asb'));
  assert.match(e.message, /^backup\/x\.asb: .*wrong key/);
});

test('negative: wrong algorithm (right key material): CODEC_WRONG_KEY', async () => {
  assert.equal(await code(official('vec-aes128.asb'), aes('aes256', pemKey('aes256'))), 'CODEC_WRONG_KEY');
  assert.equal(await code(official('vec-zstd-aes256.asb'), aes('aes128', pemKey('aes128'), true)), 'CODEC_WRONG_KEY');
  assert.equal(await code(official('vec-391-zstd-aes128.asb'), aes('aes256', pemKey('aes256'), true)), 'CODEC_WRONG_KEY');
});

test('negative: -z for a file that is not compressed: CODEC_NOT_COMPRESSED', async () => {
  assert.equal(await code(official('vec-plain.asb'), Z), 'CODEC_NOT_COMPRESSED');
  assert.equal(await code(official('vec-aes128.asb'), aes('aes128', pemKey('aes128'), true)), 'CODEC_NOT_COMPRESSED');
  assert.equal(await code(Buffer.from('# not an asb file\n'), Z), 'CODEC_NOT_COMPRESSED');
});

test('negative: no -z for a compressed file: CODEC_COMPRESSED, saying to add --compress zstd', async () => {
  const e = await errorOf(() => decodeAll(official('vec-zstd.asb'), {}));
  assert.equal(e.code, 'CODEC_COMPRESSED');
  assert.match(e.message, /add --compress zstd/);
  assert.equal(await code(official('vec-zstd-aes256.asb'), aes('aes256', pemKey('aes256'))), 'CODEC_COMPRESSED');
});

test('negative: -y for a file that is not encrypted: CODEC_NOT_ENCRYPTED', async () => {
  assert.equal(await code(official('vec-plain.asb'), aes('aes256', pemKey('aes256'))), 'CODEC_NOT_ENCRYPTED');
  assert.equal(await code(official('vec-zstd.asb'), aes('aes256', pemKey('aes256'), true)), 'CODEC_NOT_ENCRYPTED');
});

test('negative: no -y for an encrypted file: CODEC_ENCRYPTED', async () => {
  assert.equal(await code(official('vec-aes128.asb'), {}), 'CODEC_ENCRYPTED');
  assert.equal(await code(official('vec-zstd-aes256.asb'), Z), 'CODEC_ENCRYPTED');
});

test('negative: checkFileHead gives the same answers from a file\'s first bytes', async () => {
  const dir = tempDir('codec-head-');
  const f = join(dir, 'enc.asb');
  writeFileSync(f, official('vec-zstd-aes256.asb'));
  await checkFileHead(f, aes('aes256', pemKey('aes256'), true));
  const e = await errorOf(() => checkFileHead(f, aes('aes256', envKey('aes256'), true)));
  assert.equal(e.code, 'CODEC_WRONG_KEY');
  assert.equal(e.file, f);
  assert.equal((await errorOf(() => checkFileHead(f, {}))).code, 'CODEC_ENCRYPTED');
});

const plain = asbLike(SEED, 600_000);
const parts = pieces(plain, SEED, 40_000);

test(`negative: truncated zstd stream: CODEC_TRUNCATED naming the byte where it ends (seed ${SEED})`, async () => {
  const key = randomBytes(32);
  for (const codec of [Z, aes('aes256', key, true)]) {
    const { file } = encodeAll(parts, codec, { frameEnds: new Set([2, 5]) });
    const r = rng(SEED);
    for (let i = 0; i < 12; i++) {
      const cut = 30 + Math.floor(r() * (file.length - 31));
      const e = await errorOf(() => decodeAll(file.subarray(0, cut), codec, 'cut.asb', 4096));
      // A cut exactly between two frames would look whole: the frames here are ~100 KB apart.
      assert.equal(e.code, 'CODEC_TRUNCATED', `cut at ${cut}: ${e.message}`);
      assert.equal(e.offset, cut);
      assert.match(e.message, new RegExp(`^cut\\.asb: ends at byte ${cut}, inside the zstd frame that starts at byte \\d+`));
    }
  }
  const zst = official('vec-zstd.asb');
  assert.equal(await code(zst.subarray(0, zst.length - 1), Z), 'CODEC_TRUNCATED');
});

test('negative: truncated encryption header: CODEC_TRUNCATED', async () => {
  const { file } = encodeAll(parts, aes('aes128', randomBytes(16)));
  const e = await errorOf(() => decodeAll(file.subarray(0, 10), aes('aes128', randomBytes(16))));
  assert.equal(e.code, 'CODEC_TRUNCATED');
  assert.equal(e.offset, 10);
});

test('negative: a flipped byte inside the data: CODEC_CORRUPT (the content checksum catches it)', async () => {
  const key = randomBytes(16);
  for (const codec of [Z, aes('aes128', key, true)]) {
    const { file } = encodeAll(parts, codec);
    for (const at of [Math.floor(file.length / 2), file.length - 2]) {
      const bad = Buffer.from(file);
      bad[at] ^= 0x10;
      const e = await errorOf(() => decodeAll(bad, codec, 'flip.asb'));
      assert.equal(e.code, 'CODEC_CORRUPT', `flip at ${at}: ${e.message}`);
      assert.match(e.message, /^flip\.asb: corrupt data in the zstd frame that starts at byte \d+, between bytes \d+ and \d+: /);
    }
  }
});

test(`negative: any flipped byte after the magic: an error, or (harmless header bits) the very same data (seed ${SEED})`, async () => {
  const small = asbLike(SEED + 1, 60_000);
  const { file } = encodeAll(pieces(small, SEED, 9000), Z, { frameEnds: new Set([1, 3]) });
  const r = rng(SEED + 1);
  for (let i = 0; i < 60; i++) {
    const at = 4 + Math.floor(r() * (file.length - 4));
    const bad = Buffer.from(file);
    bad[at] ^= 1 << Math.floor(r() * 8);
    try {
      const back = await decodeAll(bad, Z, 'flip.asb', 1000);
      assert.ok(back.equals(small), `flip at ${at} decoded to different data without an error`);
    } catch (e) {
      assert.ok(['CODEC_CORRUPT', 'CODEC_TRUNCATED'].includes((e as { code: string }).code), `flip at ${at}: ${String(e)}`);
    }
  }
});

test('negative: trailing garbage after the last frame: CODEC_CORRUPT', async () => {
  const { file } = encodeAll(parts, Z);
  assert.equal(await code(Buffer.concat([file, Buffer.from('Version 3.1\n')]), Z), 'CODEC_CORRUPT');
});
