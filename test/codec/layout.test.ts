// The bytes we write follow the official layout, checked with independent tools: the AES
// header is AES-ECB(key, IV0) and the data is plain AES-CTR from IV0 + 1 (node:crypto, our
// own 128-bit counter arithmetic); the zstd frames decompress with the zstd command-line
// tool (Debian package `zstd`) and each carries the content checksum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import type { Codec } from '../../lib/codec/codec.js';
import { zstd } from '../../lib/codec/zstd.js';
import { SEED, asbLike, decryptPlainCtr, encodeAll, pieces, plus, zstdCli } from './helpers.js';

// Each zstd frame's start and whether its descriptor has the Content_Checksum_flag (bit 2).
function frames(data: Buffer): Array<{ at: number; checksum: boolean }> {
  const out: Array<{ at: number; checksum: boolean }> = [];
  for (let at = 0; at < data.length; at += zstd().findFrameCompressedSize(data.subarray(at))) {
    assert.equal(data.readUInt32LE(at), 0xfd2fb528, `zstd magic at ${at}`);
    out.push({ at, checksum: (data[at + 4]! & 0x04) !== 0 });
  }
  return out;
}

const plain = asbLike(SEED, 1 << 20);
const parts = pieces(plain, SEED, 50_000);

for (const bits of [128, 256] as const) {
  test(`positive: -z zstd -y aes${bits}: node:crypto AES-CTR from the header's counter, then zstd -d, give the data back (seed ${SEED})`, (t) => {
    const key = randomBytes(bits / 8);
    const codec: Codec = { compress: { level: 0 }, encrypt: { algorithm: `aes${bits}`, key } };
    const { file } = encodeAll(parts, codec, { frameEnds: new Set([3, 9]) });
    const compressed = decryptPlainCtr(key, file);
    const fr = frames(compressed);
    assert.equal(fr.length, 3);
    assert.ok(fr.every((f) => f.checksum), 'every frame carries the content checksum');
    if (!zstdCli(t)) return;
    const cli = spawnSync('zstd', ['-d', '-c', '-q'], { input: compressed, maxBuffer: 1 << 26 });
    assert.equal(cli.status, 0, cli.stderr.toString());
    assert.ok(cli.stdout.equals(plain));
  });

  test(`positive: -y aes${bits}: the data is plain AES-CTR from the header's counter + 1`, () => {
    const key = randomBytes(bits / 8);
    const { file } = encodeAll(parts, { encrypt: { algorithm: `aes${bits}`, key } });
    assert.equal(file.length, plain.length + 16);
    assert.ok(decryptPlainCtr(key, file).equals(plain));
  });
}

test('positive: -z zstd: frames back to back with checksums, as zstd -d reads them', (t) => {
  const { file } = encodeAll(parts, { compress: { level: 0 } }, { frameEnds: new Set([0, 1, 2]) });
  const fr = frames(file);
  assert.equal(fr.length, 4);
  assert.ok(fr.every((f) => f.checksum));
  if (!zstdCli(t)) return;
  const cli = spawnSync('zstd', ['-d', '-c', '-q'], { input: file, maxBuffer: 1 << 26 });
  assert.equal(cli.status, 0, cli.stderr.toString());
  assert.ok(cli.stdout.equals(plain));
});

test('positive: the counter is one 128-bit big-endian number: carries cross the 64-bit halves and wrap', () => {
  const key = randomBytes(32);
  const data = Buffer.concat([Buffer.from('Version 3.1\n'), randomBytes(100)]);
  const starts = ['0000000000000000fffffffffffffffd', 'fffffffffffffffffffffffffffffffe', '00ff00ff00ff00ffffffffffffffffff'];
  for (const hex of starts) {
    const iv0 = Buffer.from(hex, 'hex');
    const { file } = encodeAll([data], { encrypt: { algorithm: 'aes256', key } }, { iv0 });
    const ecb = (block: Buffer) => createCipheriv('aes-256-ecb', key, null).setAutoPadding(false).update(block);
    assert.ok(file.subarray(0, 16).equals(ecb(iv0)), `header = AES-ECB(key, IV0) for ${hex}`);
    for (let i = 0; i * 16 < data.length; i++) {
      const ks = ecb(plus(iv0, BigInt(i + 1)));
      const blk = data.subarray(i * 16, i * 16 + 16);
      const want = Buffer.from(blk.map((c, j) => c ^ ks[j]!));
      assert.ok(file.subarray(16 + i * 16, 16 + i * 16 + blk.length).equals(want), `block ${i} from ${hex}`);
    }
  }
});
