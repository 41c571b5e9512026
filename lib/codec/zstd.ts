// zstd through zstd-napi's streaming contexts (ZSTD_compressStream2 / ZSTD_decompressStream).
// The addon is loaded on first use, so plain runs never load it.
import { createRequire } from 'node:module';
import { AsError } from '../errors.js';

/** ZstdBinding: zstd-napi's thin native API. */
export type ZstdBinding = typeof import('zstd-napi/binding.js');

/** ZSTD_MAGIC: the first four bytes of every zstd frame (0xFD2FB528, little-endian). */
export const ZSTD_MAGIC: Buffer = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** ZSTD_MIN_LEVEL, ZSTD_MAX_LEVEL: the levels libzstd 1.5 accepts (negative = faster). */
export const ZSTD_MIN_LEVEL = -131072;
export const ZSTD_MAX_LEVEL = 22;

let binding: ZstdBinding | undefined;

/** zstd: the binding, loaded once; ZSTD_UNAVAILABLE when the addon was not built. */
export function zstd(): ZstdBinding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
  } catch (e) {
    throw new AsError('ZSTD_UNAVAILABLE', `zstd is not available: the zstd-napi addon did not load (${(e as Error).message.split('\n')[0]}); run npm ci again`, { cause: e });
  }
  return binding;
}

/** isZstdStart: `b` starts with a zstd frame's magic number. */
export function isZstdStart(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}
