// One backup file on its way in: a local file, stdin, or an S3 object
// (lib/storage/s3-input.ts), its bytes as stored, then through the codec (lib/codec
// decodeFile: the first bytes checked against the options, AES undone, zstd frames
// decompressed) to .asb text for the decoder.
import { createReadStream, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { ParseError } from '../errors.js';
import type { Codec } from '../codec/codec.js';
import { decodeFile } from '../codec/decoder.js';
import { CodecError } from '../codec/errors.js';

// Reads of 256 KiB: few enough refills for the decoder, yet each chunk is decoded and let go
// within a young-generation GC cycle. Chunks of 1 MiB outlived it while a restore waited for
// its writes, and piled up in the old generation: +40 MiB of peak RSS.
const READ_SIZE = 256 * 1024;

/** BackupInput: one backup file to read. */
export interface BackupInput {
  /** Its name in messages: a path, `s3://bucket/key` or `<stdin>`. */
  readonly name: string;
  /** Bytes as stored, when known before reading (progress). */
  readonly size?: number;
  /** It can be read only once (stdin, a pipe): its head is checked as it is read. */
  readonly once?: boolean;
  /** Its bytes as stored, in order; `chunk` asks for smaller reads (just the head). */
  read(chunk?: number): AsyncIterable<Buffer>;
}

/** localInput: a file on the local disk (a pipe or device is read once, as it comes). */
export function localInput(path: string): BackupInput {
  let size: number | undefined;
  let once = false;
  try {
    const st = statSync(path);
    once = !st.isFile();
    if (!once) size = st.size;
  } catch {
    // Unreadable: reading it says so, naming the file (the programs check first).
  }
  return { name: path, size, once, read: (chunk) => createReadStream(path, { highWaterMark: chunk ?? READ_SIZE }) };
}

/** stdinInput: standard input, read once. */
export function stdinInput(stdin: Readable): BackupInput {
  return { name: '<stdin>', once: true, read: () => stdin as AsyncIterable<Buffer> };
}

/**
 * decoded: an input's .asb bytes. `onStored` is told the bytes read as stored (before
 * decompression), for progress in the units of the files' sizes.
 */
export function decoded(input: BackupInput, codec: Codec, onStored?: (n: number) => void, chunk?: number): AsyncGenerator<Buffer> {
  const raw = input.read(chunk);
  return decodeFile(onStored === undefined ? raw : counted(raw, onStored), input.name, codec);
}

/**
 * readAsb: `decode` (an .asb decoder) over an input's decoded bytes. In a compressed file a
 * parse error is most often damage that zstd's checksum confirms at the end of the frame:
 * the rest of the file is then read, and its CodecError, naming the byte, is thrown
 * instead. (AES alone has no checksum: damage shows only where the text breaks.)
 */
export async function* readAsb<T>(input: BackupInput, codec: Codec, decode: (bytes: AsyncIterable<Buffer>) => AsyncIterable<T>, onStored?: (n: number) => void): AsyncGenerator<T> {
  const bytes = decoded(input, codec, onStored);
  // The decoder's early end must not close the bytes: they may still be read to the end.
  const kept: AsyncIterable<Buffer> = { [Symbol.asyncIterator]: () => ({ next: () => bytes.next(), return: async () => ({ done: true, value: undefined }) }) };
  try {
    yield* decode(kept);
  } catch (e) {
    if (e instanceof ParseError && e.code === 'PARSE' && codec.compress !== undefined) {
      try {
        while (!(await bytes.next()).done);
      } catch (damage) {
        if (damage instanceof CodecError) throw damage;
      }
    }
    throw e;
  } finally {
    await bytes.return(undefined);
  }
}

async function* counted(chunks: AsyncIterable<Buffer>, onStored: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const b of chunks) {
    onStored(b.length);
    yield b;
  }
}
