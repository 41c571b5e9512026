// One backup file's bytes on their way to disk: plain .asb text in, the file's bytes out
// (zstd frames, then AES-CTR with its 16-byte header). Compression comes first, as in both
// official tools. Output buffers are handed to the caller and never reused, so a caller may
// queue them for writing; compressed output is carved out of 1 MiB slabs, not allocated per
// push. Memory: zstd's window and block buffers, plus the caller's write queue.
import type { Cipher } from 'node:crypto';
import { AsError } from '../errors.js';
import { AES_HEADER_SIZE, dataCipher, dataCipherAt, encryptHeader, newCounter } from './aes.js';
import type { Codec } from './codec.js';
import { zstd, type ZstdBinding } from './zstd.js';

const SLAB = 1 << 20;
const EMPTY = Buffer.alloc(0);

type CCtx = InstanceType<ZstdBinding['CCtx']>;

/**
 * FileEncoder: the state of one output file. Plain codec: push returns its input (no copy).
 * Every method returns the bytes to append to the file next (possibly empty).
 */
export class FileEncoder {
  readonly codec: Codec;
  #cctx: CCtx | undefined;
  #z: ZstdBinding | undefined;
  #cipher: Cipher | undefined;
  #header: Buffer | undefined; // the AES header, until the first output carries it
  #slab = EMPTY;
  #pos = 0;
  #frameOpen = false; // bytes pushed since the last frame end
  #frames = 0;
  #bytesIn = 0;
  #bytesOut = 0;
  #finished = false;

  /**
   * `iv0` fixes the initial counter (tests); by default each file gets a fresh random one.
   * `resume` goes on with a file that already holds `stored` bytes ending at a frame end (a
   * resumed backup): no header, the keystream continues at its position in the file, and
   * the next bytes start a fresh zstd frame.
   */
  constructor(codec: Codec, iv0?: Uint8Array, resume?: { stored: number }) {
    this.codec = codec;
    if (codec.compress) {
      const z = (this.#z = zstd());
      this.#cctx = new z.CCtx();
      this.#cctx.setParameter(z.CParameter.compressionLevel, codec.compress.level);
      // Both official readers accept the checksum; it turns silent corruption into an error.
      this.#cctx.setParameter(z.CParameter.checksumFlag, 1);
    }
    if (codec.encrypt) {
      const { algorithm, key } = codec.encrypt;
      const iv = iv0 ?? newCounter();
      if (resume === undefined) {
        this.#header = encryptHeader(algorithm, key, iv);
        this.#cipher = dataCipher(algorithm, key, iv);
      } else {
        this.#cipher = dataCipherAt(algorithm, key, iv, resume.stored - AES_HEADER_SIZE);
      }
    }
    if (resume !== undefined) {
      this.#bytesOut = resume.stored;
      this.#frames = 1; // the file holds frames already: an empty resumed run adds none
    }
  }

  /** bytesIn: plain .asb bytes pushed so far. */
  get bytesIn(): number { return this.#bytesIn; }
  /** bytesOut: bytes returned so far: the file's size on disk (what --file-limit counts). */
  get bytesOut(): number { return this.#bytesOut; }
  /** frames: zstd frames ended so far. */
  get frames(): number { return this.#frames; }

  /** push: plain bytes in; the file's next bytes out. zstd may hold up to a block back. */
  push(chunk: Uint8Array): Buffer {
    this.#live();
    this.#bytesIn += chunk.length;
    if (this.#cctx) {
      if (chunk.length === 0) return this.#emit(EMPTY);
      this.#frameOpen = true;
      return this.#emit(this.#compress(chunk, this.#z!.EndDirective.continue));
    }
    return this.#emit(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  /**
   * endFrame: ends the current zstd frame (a checkpoint: the bytes so far decode on their
   * own). Nothing to do without compression or when no byte was pushed since the last end.
   */
  endFrame(): Buffer {
    this.#live();
    if (!this.#cctx || !this.#frameOpen) return this.#emit(EMPTY);
    return this.#emit(this.#end());
  }

  /** finish: the file's last bytes; a compressed file that got no data holds one empty frame. */
  finish(): Buffer {
    this.#live();
    const last = this.#cctx && (this.#frameOpen || this.#frames === 0) ? this.#end() : EMPTY;
    const out = this.#emit(last);
    this.#finished = true;
    this.#cctx = undefined;
    return out;
  }

  #live(): void {
    if (this.#finished) throw new AsError('INTERNAL', 'internal: a backup file was written after it was finished');
  }

  #end(): Buffer {
    const out = this.#compress(EMPTY, this.#z!.EndDirective.end);
    this.#frameOpen = false;
    this.#frames++;
    return out;
  }

  // Runs the compressor until `src` is consumed (continue) or the frame is closed (end).
  // The output is contiguous in the current slab unless the slab fills up on the way.
  #compress(src: Uint8Array, op: number): Buffer {
    const end = op === this.#z!.EndDirective.end;
    if (this.#cipher) this.#pos = 0; // the cipher copies every output: one slab is reused
    let parts: Buffer[] | undefined;
    let start = this.#pos;
    for (;;) {
      if (this.#slab.length - this.#pos < 1 << 17) {
        if (this.#pos > start) (parts ??= []).push(this.#slab.subarray(start, this.#pos));
        this.#slab = Buffer.allocUnsafe(SLAB);
        this.#pos = start = 0;
      }
      const room = this.#slab.length - this.#pos;
      const [left, produced, consumed] = this.#cctx!.compressStream2(this.#slab.subarray(this.#pos), src, op);
      this.#pos += produced;
      src = src.subarray(consumed);
      if (end ? left === 0 : src.length === 0 && produced < room) break;
    }
    const tail = this.#slab.subarray(start, this.#pos);
    if (!parts) return tail;
    parts.push(tail);
    return Buffer.concat(parts);
  }

  #emit(b: Buffer): Buffer {
    let out = this.#cipher && b.length > 0 ? this.#cipher.update(b) : b;
    if (this.#header) {
      out = out.length > 0 ? Buffer.concat([this.#header, out]) : this.#header;
      this.#header = undefined;
    }
    this.#bytesOut += out.length;
    return out;
  }
}
