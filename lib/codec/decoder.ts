// One backup file's bytes back to plain .asb text: the reverse of FileEncoder. Reads any
// number of zstd frames back to back, with or without content checksums, and unlike the
// official reader treats a stream that ends inside a frame as an error. Decompressed output
// is carved out of 1 MiB slabs and handed on, never reused.
import type { Decipher } from 'node:crypto';
import { AES_HEADER_SIZE, dataDecipher, decryptHeader } from './aes.js';
import type { Codec } from './codec.js';
import { CodecError } from './errors.js';
import { HEAD_SIZE, checkHead } from './head.js';
import { zstd } from './zstd.js';

const SLAB = 1 << 20;
const STEP = 1 << 16;
const EMPTY: Buffer = Buffer.alloc(0);

type Source = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));

/**
 * decodeFile: the plain bytes of one backup file, from its chunks as read. `file` names it
 * in errors. Throws CodecError: CODEC_TRUNCATED / CODEC_CORRUPT with the byte offset, or one
 * of checkHead's codes when the first bytes do not fit the options.
 */
export async function* decodeFile(chunks: Source, file: string, codec: Codec): AsyncGenerator<Buffer> {
  const it = Symbol.asyncIterator in chunks ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  // The head: enough bytes for checkHead (a file's first chunk nearly always has them).
  const first: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < HEAD_SIZE) {
    const r = await it.next();
    if (r.done) { done = true; break; }
    first.push(asBuffer(r.value));
    have += r.value.length;
  }
  let head: Buffer = first.length === 1 ? first[0]! : Buffer.concat(first);
  // A reader that stops early (a bad head, an error further on, -R) ends the source too:
  // a file is closed, the S3 ranges in flight are cancelled.
  const release = async (): Promise<void> => {
    if (!done) {
      done = true;
      await it.return?.();
    }
  };
  try {
    checkHead(head.subarray(0, HEAD_SIZE), codec, file);
  } catch (e) {
    await release();
    throw e;
  }

  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      head = EMPTY;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) {
          done = true;
          return;
        }
        if (r.value.length > 0) yield asBuffer(r.value);
      }
    } finally {
      await release();
    }
  }

  let input: AsyncGenerator<Buffer> = rest();
  if (codec.encrypt) input = decrypt(input, codec.encrypt, file);
  if (codec.compress) input = decompress(input, file, codec.encrypt ? AES_HEADER_SIZE : 0);
  yield* input;
}

async function* decrypt(input: AsyncGenerator<Buffer>, enc: NonNullable<Codec['encrypt']>, file: string): AsyncGenerator<Buffer> {
  let decipher: Decipher | undefined;
  let header: Buffer = Buffer.alloc(0);
  for await (let b of input) {
    if (!decipher) {
      header = header.length ? Buffer.concat([header, b]) : b;
      if (header.length < AES_HEADER_SIZE) continue;
      decipher = dataDecipher(enc.algorithm, enc.key, decryptHeader(enc.algorithm, enc.key, header));
      b = header.subarray(AES_HEADER_SIZE);
    }
    if (b.length > 0) yield decipher.update(b);
  }
  // checkHead saw the whole file when it is this short; kept for callers that skip it.
  if (!decipher) throw new CodecError('CODEC_TRUNCATED', file, header.length, `ends at byte ${header.length}, inside the ${AES_HEADER_SIZE}-byte encryption header: the file is truncated`);
}

async function* decompress(input: AsyncGenerator<Buffer>, file: string, base: number): AsyncGenerator<Buffer> {
  const z = zstd();
  const dctx = new z.DCtx();
  let slab = Buffer.allocUnsafe(SLAB);
  let pos = 0;
  let offset = base; // file offset of the next compressed byte
  let frameStart = base;
  let inFrame = false;
  for await (let src of input) {
    while (src.length > 0 || inFrame) {
      if (slab.length - pos < 1 << 17) {
        slab = Buffer.allocUnsafe(SLAB);
        pos = 0;
      }
      const room = slab.length - pos;
      // At most STEP bytes a call, so an error's byte range stays narrow.
      const feed = src.length > STEP ? src.subarray(0, STEP) : src;
      let left: number, produced: number, consumed: number;
      try {
        [left, produced, consumed] = dctx.decompressStream(slab.subarray(pos), feed);
      } catch (e) {
        const where = `in the zstd frame that starts at byte ${frameStart}, between bytes ${offset} and ${offset + feed.length}`;
        throw new CodecError('CODEC_CORRUPT', file, offset, `corrupt data ${where}: ${(e as Error).message}`, e);
      }
      offset += consumed;
      src = src.subarray(consumed);
      if (consumed > 0 || produced > 0) inFrame = left !== 0;
      if (!inFrame) frameStart = offset;
      if (produced > 0) {
        yield slab.subarray(pos, pos + produced);
        pos += produced;
      }
      // Input used up and output not full: zstd holds nothing more back; wait for input.
      if (src.length === 0 && produced < room) break;
    }
  }
  if (inFrame) throw new CodecError('CODEC_TRUNCATED', file, offset, `ends at byte ${offset}, inside the zstd frame that starts at byte ${frameStart}: the file is truncated`);
  if (offset === base) throw new CodecError('CODEC_TRUNCATED', file, offset, `ends at byte ${offset}, before the first zstd frame: the file is truncated`);
}
