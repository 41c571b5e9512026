// What a backup file's bytes go through on the way to disk: zstd, then AES. The same
// description serves the writer (encoder.ts) and the reader (decoder.ts, head.ts).

/** AesAlgorithm: the `--encrypt` values; the number is the key size in bits. */
export type AesAlgorithm = 'aes128' | 'aes256';

/** Codec: how each backup file is stored. Neither field set: plain `.asb` text. */
export interface Codec {
  /** zstd compression (`-z zstd`); level 0 means zstd's default (3), as in the C tool. */
  compress?: { level: number };
  /** AES-CTR encryption (`-y`); `key` is already derived: 16 bytes for aes128, 32 for aes256. */
  encrypt?: { algorithm: AesAlgorithm; key: Buffer };
}

/** PLAIN: no compression, no encryption. */
export const PLAIN: Codec = Object.freeze({});

/** isPlain: neither compressed nor encrypted (the files are .asb text as they are). */
export function isPlain(codec: Codec): boolean {
  return codec.compress === undefined && codec.encrypt === undefined;
}

/** codecName: the options a codec stands for, for messages (`-z zstd -y aes256`, `plain`). */
export function codecName(codec: Codec): string {
  const parts: string[] = [];
  if (codec.compress) parts.push('-z zstd');
  if (codec.encrypt) parts.push(`-y ${codec.encrypt.algorithm}`);
  return parts.length ? parts.join(' ') : 'plain';
}
