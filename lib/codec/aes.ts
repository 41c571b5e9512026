// AES-CTR as the official tools write it: the file starts with a 16-byte header, the
// initial counter IV0 encrypted with AES-ECB; the data's keystream starts at IV0 + 1 and
// runs on across zstd frames to the end of the file. The counter is the whole 128-bit block,
// big-endian (OpenSSL's CRYPTO_ctr128 and Node's aes-*-ctr agree). There is no MAC.
import { createCipheriv, createDecipheriv, randomBytes, type Cipher, type Decipher } from 'node:crypto';
import type { AesAlgorithm } from './codec.js';

/** AES_HEADER_SIZE: bytes of the encrypted initial counter at the start of each file. */
export const AES_HEADER_SIZE = 16;

/** aesKeySize: key bytes of an algorithm (16 or 32). */
export function aesKeySize(algorithm: AesAlgorithm): 16 | 32 {
  return algorithm === 'aes128' ? 16 : 32;
}

/** newCounter: a fresh random initial counter (IV0) for one file. */
export function newCounter(): Buffer {
  return randomBytes(AES_HEADER_SIZE);
}

/** addCounter: `counter + n` as a 128-bit big-endian number, wrapping at 2^128. */
export function addCounter(counter: Uint8Array, n: number): Buffer {
  const out = Buffer.from(counter);
  let carry = n;
  for (let i = 15; i >= 0 && carry > 0; i--) {
    const sum = out[i]! + (carry % 256);
    out[i] = sum & 0xff;
    carry = Math.floor(carry / 256) + (sum >> 8);
  }
  return out;
}

// Node's cipher names: aes-128-ecb, aes-256-ctr, ...
function cipherName(algorithm: AesAlgorithm, mode: 'ecb' | 'ctr'): string {
  return `aes-${aesKeySize(algorithm) * 8}-${mode}`;
}

function ecb(algorithm: AesAlgorithm, key: Buffer, block: Uint8Array, encrypt: boolean): Buffer {
  const name = cipherName(algorithm, 'ecb');
  const c = encrypt ? createCipheriv(name, key, null) : createDecipheriv(name, key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

/** encryptHeader: the file header for initial counter `iv0`: AES-ECB(key, IV0). */
export function encryptHeader(algorithm: AesAlgorithm, key: Buffer, iv0: Uint8Array): Buffer {
  return ecb(algorithm, key, iv0, true);
}

/** decryptHeader: the initial counter IV0 from a file's 16-byte header. */
export function decryptHeader(algorithm: AesAlgorithm, key: Buffer, header: Uint8Array): Buffer {
  return ecb(algorithm, key, header.subarray(0, AES_HEADER_SIZE), false);
}

/** dataCipher: the CTR cipher of the data after the header (keystream from IV0 + 1). */
export function dataCipher(algorithm: AesAlgorithm, key: Buffer, iv0: Uint8Array): Cipher {
  return createCipheriv(cipherName(algorithm, 'ctr'), key, addCounter(iv0, 1));
}

/** dataDecipher: the reverse of dataCipher (CTR is its own inverse; named for the reader). */
export function dataDecipher(algorithm: AesAlgorithm, key: Buffer, iv0: Uint8Array): Decipher {
  return createDecipheriv(cipherName(algorithm, 'ctr'), key, addCounter(iv0, 1));
}

/**
 * dataCipherAt: dataCipher positioned `offset` bytes into the data (a resumed file goes on
 * with the keystream where it stopped).
 */
export function dataCipherAt(algorithm: AesAlgorithm, key: Buffer, iv0: Uint8Array, offset: number): Cipher {
  const c = createCipheriv(cipherName(algorithm, 'ctr'), key, addCounter(iv0, 1 + Math.floor(offset / 16)));
  if (offset % 16 > 0) c.update(Buffer.alloc(offset % 16));
  return c;
}
