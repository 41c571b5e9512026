// Shared helpers of the codec tests: fixture paths, the official files' codecs, seeded
// data, and whole-buffer encode/decode through FileEncoder and decodeFile.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Codec } from '../../lib/codec/codec.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import { FileEncoder } from '../../lib/codec/encoder.js';
import { deriveAesKey, readKeyEnv, readKeyFile } from '../../lib/codec/key.js';
import { repoRoot } from '../helpers.js';

/** OFFICIAL: the official tools' files (test/fixtures/official/zstd-aes). */
export const OFFICIAL = join(repoRoot, 'test/fixtures/official/zstd-aes');
/** KEYS: test keys with the SHA-256 the C tool derives (test/fixtures/keys). */
export const KEYS = join(repoRoot, 'test/fixtures/keys');

/** pemKey, envKey: AES keys from the official files' key file and variable. */
export const pemKey = (alg: 'aes128' | 'aes256'): Buffer => deriveAesKey(readKeyFile(join(OFFICIAL, 'key-shared.pem')), alg);
export const envKey = (alg: 'aes128' | 'aes256'): Buffer =>
  deriveAesKey(readKeyEnv('VEC_KEY_B64', { VEC_KEY_B64: readFileSync(join(OFFICIAL, 'env-key-shared.b64'), 'utf8') }), alg);

/** SEED: the seed of every random test (TEST_SEED overrides); test names show it. */
export const SEED = Number(process.env.TEST_SEED ?? 20251204);

/** rng: xorshift32 from a seed, numbers in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

/**
 * asbLike: `size` bytes starting with the .asb version line, then runs of record-like text
 * (compressible) and random bytes (not), so both zstd block types appear.
 */
export function asbLike(seed: number, size: number): Buffer {
  const r = rng(seed);
  const out = Buffer.alloc(size);
  let at = out.write('Version 3.1\n# namespace test\n# first-file\n', 'latin1');
  while (at < size) {
    if (r() < 0.3) {
      const n = Math.min(size - at, 1 + Math.floor(r() * 3000));
      for (let i = 0; i < n; i++) out[at + i] = Math.floor(r() * 256);
      at += n;
    } else {
      at += out.write(`+ k S ${Math.floor(r() * 1e6)}\n+ n test\n+ d ${Math.floor(r() * 1e12).toString(36)}=\n- I age ${Math.floor(r() * 100)}\n`, at, 'latin1');
    }
  }
  return out;
}

/** pieces: `data` cut at random points into at most `max`-byte pieces. */
export function pieces(data: Buffer, seed: number, max: number): Buffer[] {
  const r = rng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const n = 1 + Math.floor(r() * max);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** encodeAll: a whole file through FileEncoder; a frame ends after each of `frameEnds` pushes. */
export function encodeAll(parts: Buffer[], codec: Codec, opts: { frameEnds?: Set<number>; iv0?: Buffer } = {}): { file: Buffer; encoder: FileEncoder } {
  const encoder = new FileEncoder(codec, opts.iv0);
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    out.push(encoder.push(p));
    if (opts.frameEnds?.has(i)) out.push(encoder.endFrame());
  });
  out.push(encoder.finish());
  return { file: Buffer.concat(out), encoder };
}

/** decodeAll: a whole file through decodeFile, read in `chunk`-byte pieces. */
export async function decodeAll(file: Buffer, codec: Codec, name = 'test.asb', chunk = 65536): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < file.length; i += chunk) chunks.push(file.subarray(i, i + chunk));
  const out: Buffer[] = [];
  for await (const b of decodeFile(chunks, name, codec)) out.push(b);
  return Buffer.concat(out);
}

/** errorOf: the error `fn` rejects with (fails the test when it resolves). */
export async function errorOf(fn: () => Promise<unknown> | unknown): Promise<{ code?: string; message: string; offset?: number; file?: string }> {
  try {
    await fn();
  } catch (e) {
    return e as { code?: string; message: string };
  }
  throw new Error('expected an error, got none');
}

export const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
export function zstdCli(t: { skip(msg: string): void }): boolean {
  if (hasZstdCli) return true;
  const msg = 'the zstd command-line tool is not installed (Debian package zstd: apt-get install -y zstd)';
  if (process.env.CI === 'true') assert.fail(`${msg}; CI must have it (.ci/run installs it)`);
  t.skip(msg);
  return false;
}

// (IV0 + n) mod 2^128, big-endian, computed apart from the code under test.
export function plus(iv: Buffer, n: bigint): Buffer {
  const v = (BigInt('0x' + iv.toString('hex')) + n) % (1n << 128n);
  return Buffer.from(v.toString(16).padStart(32, '0'), 'hex');
}
function ecbDecrypt(key: Buffer, block: Buffer): Buffer {
  const d = createDecipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  return Buffer.concat([d.update(block), d.final()]);
}
// The file's payload under plain AES-CTR from the counter in its header.
export function decryptPlainCtr(key: Buffer, file: Buffer): Buffer {
  const iv0 = ecbDecrypt(key, file.subarray(0, 16));
  return createDecipheriv(`aes-${key.length * 8}-ctr`, key, plus(iv0, 1n)).update(file.subarray(16));
}

/** unzstdCli: the zstd command-line tool's decompression of `data` (every frame, in order). */
export function unzstdCli(data: Buffer): Buffer {
  const cli = spawnSync('zstd', ['-d', '-c', '-q'], { input: data, maxBuffer: 1 << 28 });
  assert.equal(cli.status, 0, `zstd -d: ${cli.stderr?.toString()}`);
  return cli.stdout;
}
