// Record digests and partition ids.
import { createHash } from 'node:crypto';
import { PARTITIONS, ParticleType } from './constants.js';

/**
 * computeDigest: RIPEMD-160 over set name, key particle type and key bytes (the namespace
 * is not part of it). Integer keys hash as 8 bytes big-endian.
 */
export function computeDigest(set: string, keyType: number, keyBytes: Buffer): Buffer {
  return createHash('ripemd160').update(Buffer.from(set, 'utf8')).update(Buffer.from([keyType])).update(keyBytes).digest();
}

/** keyBytes: the key value bytes for a JS key (number/bigint -> integer, string, Buffer -> blob). */
export function userKey(key: number | bigint | string | Buffer): { type: number; data: Buffer } {
  if (typeof key === 'string') return { type: ParticleType.STRING, data: Buffer.from(key, 'utf8') };
  if (Buffer.isBuffer(key)) return { type: ParticleType.BLOB, data: key };
  const data = Buffer.allocUnsafe(8);
  data.writeBigInt64BE(BigInt(key));
  return { type: ParticleType.INTEGER, data };
}

/** partitionId: the partition of the digest at `at` (little-endian u16 of its first bytes, mod 4096). */
export function partitionId(digest: Buffer, at = 0): number {
  return (digest[at]! | (digest[at + 1]! << 8)) & (PARTITIONS - 1);
}

/**
 * digestModulo: what the server's digest_modulo(mod) expression returns: digest bytes
 * 16..19 read as a little-endian u32 (the server reads them in x86 host order), mod `mod`.
 */
export function digestModulo(digest: Buffer, mod: number): number {
  return digest.readUInt32LE(16) % mod;
}
