// A backup file's first bytes against the options it is read with: the cheap check that
// turns "wrong key", "forgot -z" and "forgot -y" into one line saying so, before anything is
// decoded or restored. The decoder runs it on every file; a restore can also run it on every
// file of a directory up front (checkFileHead) so a wrong key fails before the first write.
import { open } from 'node:fs/promises';
import { ABORTED_PREFIX, VERSION_PREFIX } from '../asb/constants.js';
import type { ErrorCode } from '../errors.js';
import { AES_HEADER_SIZE, dataDecipher, decryptHeader } from './aes.js';
import type { Codec } from './codec.js';
import { CodecError } from './errors.js';
import { isZstdStart } from './zstd.js';

/** HEAD_SIZE: bytes of a file that checkHead needs (fewer only when the file is shorter). */
export const HEAD_SIZE = AES_HEADER_SIZE + VERSION_PREFIX.length;

const VERSION = Buffer.from(VERSION_PREFIX, 'latin1');
const ABORTED = Buffer.from(ABORTED_PREFIX.slice(0, VERSION_PREFIX.length), 'latin1');
const V = `"${VERSION_PREFIX.trim()}"`;

// The whole "Version " prefix is there.
const hasVersion = (b: Buffer): boolean => b.length >= VERSION.length && b.subarray(0, VERSION.length).equals(VERSION);
// A file too short to tell is given the benefit of the doubt; the .asb decoder judges it.
// A stream whose writer failed before its first byte holds only its abort line (encoded
// like the rest, docs/pipelines.md): the .asb decoder reports it as INPUT_ABORTED.
const startsWith = (b: Buffer, p: Buffer): boolean => b.length >= p.length && b.subarray(0, p.length).equals(p);
const mayBeAsb = (b: Buffer): boolean => hasVersion(b) || startsWith(b, ABORTED) || (b.length < VERSION.length && VERSION.subarray(0, b.length).equals(b));

// Text files hold tabs, line ends and printable bytes; encrypted bytes almost never do.
function isBinary(b: Buffer): boolean {
  for (const c of b) if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c >= 0x7f) return true;
  return false;
}

/**
 * checkHead: throws a CodecError with the likely cause when `head` (the file's first
 * HEAD_SIZE bytes, or all of a shorter file) cannot be what `codec` says. A file that passes
 * may still be damaged further on; the decoder finds that.
 */
export function checkHead(head: Buffer, codec: Codec, file: string): void {
  const fail = (code: ErrorCode, at: number, why: string): never => {
    throw new CodecError(code, file, at, why);
  };
  let data = head;
  let at = 0;
  if (codec.encrypt) {
    const { algorithm, key } = codec.encrypt;
    if (hasVersion(head)) fail('CODEC_NOT_ENCRYPTED', 0, `starts with ${V}, so it is not encrypted: drop --encrypt and the key`);
    if (isZstdStart(head)) fail('CODEC_NOT_ENCRYPTED', 0, 'starts with a zstd frame, so it is not encrypted: drop --encrypt and the key');
    if (head.length < AES_HEADER_SIZE) fail('CODEC_TRUNCATED', head.length, `ends at byte ${head.length}, inside the ${AES_HEADER_SIZE}-byte encryption header: the file is truncated`);
    data = dataDecipher(algorithm, key, decryptHeader(algorithm, key, head)).update(head.subarray(AES_HEADER_SIZE));
    at = AES_HEADER_SIZE;
  }
  const wrongKey = `wrong key, or wrong --encrypt algorithm (the file may be ${codec.encrypt?.algorithm === 'aes128' ? 'aes256' : 'aes128'})`;
  if (codec.compress) {
    if (data.length === 0) fail('CODEC_TRUNCATED', at, `ends at byte ${at}, before the first zstd frame: the file is truncated`);
    if (isZstdStart(data) || data.length < 4) return;
    if (hasVersion(data)) fail('CODEC_NOT_COMPRESSED', at, `${codec.encrypt ? 'decrypts to' : 'starts with'} ${V}, so it is not compressed: drop --compress`);
    if (codec.encrypt) fail('CODEC_WRONG_KEY', at, `decrypted data is not a zstd frame: ${wrongKey}, or not written with --compress zstd`);
    if (isBinary(data)) fail('CODEC_ENCRYPTED', at, 'is not zstd data but binary: if it is encrypted, add --encrypt aes128|aes256 and its key');
    fail('CODEC_NOT_COMPRESSED', at, 'is not zstd data: drop --compress');
  }
  if (mayBeAsb(data)) return;
  if (isZstdStart(data)) fail('CODEC_COMPRESSED', at, `${codec.encrypt ? 'decrypts to zstd data' : 'looks zstd-compressed'}: add --compress zstd`);
  if (codec.encrypt) fail('CODEC_WRONG_KEY', at, `decrypted data does not start with ${V}: ${wrongKey}, or not an encrypted backup`);
  if (isBinary(data)) fail('CODEC_ENCRYPTED', at, `starts with binary data, not ${V}: if it is encrypted, add --encrypt aes128|aes256 and its key`);
  // Text that is not an .asb file: the .asb decoder names the line.
}

/** checkFileHead: reads a file's first bytes and runs checkHead on them. */
export async function checkFileHead(path: string, codec: Codec): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(HEAD_SIZE);
    const { bytesRead } = await fh.read(head, 0, HEAD_SIZE, 0);
    checkHead(head.subarray(0, bytesRead), codec, path);
  } finally {
    await fh.close();
  }
}
