// One backup file on its way out: the sinks of files.ts add .asb bytes, OutputFile runs
// them through the codec (zstd, AES; nothing at all for plain files), buffers them and
// hands them to a Target: a local file written under a `.part` name and renamed when the
// whole backup succeeded, stdout, or an S3 object (lib/storage/s3-output.ts) that appears
// only when its upload completes. `size` is the file's size on disk, after the codec: what
// --file-limit counts.
//
// A file's life: add()/flush() while it is written; checkpoint() where the bytes so far
// must decode on their own (a resume point); close() when it is whole; commit() once the
// whole backup is, which makes it visible; abort() when the run fails, which leaves nothing
// under the final name. A Target says how each step happens where the bytes go.
import { renameSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AsError } from '../errors.js';
import { fsReason } from '../paths.js';
import { isPlain, PLAIN, type Codec } from '../codec/codec.js';
import { FileEncoder } from '../codec/encoder.js';
import { writeChunk } from './write-chunk.js';
import type { FileHash } from './file-hash.js';

/** PART: the suffix of a local backup file until the backup succeeded. */
export const PART = '.part';

/** Target: where one output file's bytes go. */
export interface Target {
  /** The file's final name: a path, `s3://bucket/key`, or `-` for stdout. */
  readonly name: string;
  /**
   * A stream: it holds the buffers it is given until they are written (so they are never
   * reused), and it is written in small pieces, so a reader that stops early sees how far
   * the run got.
   */
  readonly stream?: boolean;
  /**
   * What a failed run wrote stays (a .part file; what a stream's reader got): the records
   * still buffered are written too when the file is aborted, so it holds what the run's
   * summary says and a stream's abort line follows them.
   */
  readonly keepsAborted?: boolean;
  write(parts: Buffer[]): Promise<void>;
  /**
   * A local file also written by plain write(2) calls at its end: the hashing thread may
   * write its bytes instead of write() (lib/stages/file-hash.ts); `error` names the file
   * in such a write's failure.
   */
  readonly direct?: { fd: number; error(e: unknown): AsError };
  /** Every byte written is stored; the file is whole but not yet visible under its name. */
  close(): Promise<void>;
  /** Every byte written so far survives a crash (fsync); for a resume point. */
  sync?(): Promise<void>;
  /**
   * Closing it only waits for the disk (a local file's fsync), holding no memory: the next
   * file of a directory may fill meanwhile. (An S3 upload's close sends its last parts, whose
   * buffers would add to the next file's.)
   */
  readonly syncsAside?: boolean;
  /**
   * Starts writing what was written so far to the disk, without waiting (the next sync()
   * waits for it and reports its failure): a big file's closing fsync then has little left.
   */
  syncAhead?(): void;
  /** Makes a closed file visible under its name. */
  commit(): Promise<void>;
  /** Takes a committed file back out of sight (a backup that failed while committing). */
  uncommit(): Promise<void>;
  /** Releases a file of a failed run; nothing is left under its final name. */
  abort(): Promise<void>;
}

const FLUSH_AT = 1 << 20; // gather ~1 MiB before each write: fewer syscalls and requests
const STREAM_FLUSH_AT = 1 << 16; // stdout: 64 KiB, so a pipeline moves steadily
// A local file is synced ahead every 32 MiB written: its closing fsync then waits for at most
// that much (the kernel left alone writes nothing back for 30 s or 10% of memory, so a
// 256 MiB file's fsync stalled a backup ~0.1-0.2 s here).
const SYNC_AHEAD = 32 << 20;

type State = 'open' | 'ended' | 'closed' | 'committed' | 'aborted';

// Writes under way at once to a local file written by the hashing thread (which takes them
// in order): a flush waits only when all are. With one, the main thread waited ~0.5 s of a
// 1.7 s backup for a thread that was only slow to be scheduled on a busy 2-core machine
// (its answers reach the main thread between frames). Medians of 1 M-record backups with
// 1/2/4/8: 544/570/572/571 k rec/s; 2 costs one 2 MiB buffer more than 1, 4 three.
const FILE_WRITES_AT_ONCE = 2;

/**
 * OutputFile: one backup file being written (a resource, hence a class). Bytes are copied
 * (or encoded) into reused buffers as they are added, so a caller may reuse its memory at
 * once; one buffer fills while the others are written.
 */
export class OutputFile {
  readonly name: string;
  private readonly encoder: FileEncoder | undefined;
  private readonly flushAt: number;
  private out: Buffer;
  private spares: Buffer[] = []; // buffers written, to fill again (a stream's are not reused)
  private used = 0;
  private overflow: Buffer[] = []; // what did not fit (larger than the buffer)
  /** The last write: it ends after all before it (a failure fails every write after it). */
  private writing: Promise<void> | undefined;
  private readonly underWay: Promise<void>[] = []; // the writes not yet awaited, oldest first
  private stored = 0;
  private aheadAt = 0; // `stored` when the target was last asked to sync ahead
  private pendingRecords = 0;
  private pendingBytes = 0;
  private state: State = 'open';
  /** Records and bytes whose writes have completed (what a reader of a stream was handed). */
  delivered = { records: 0, bytes: 0 };
  /** Records added so far. */
  records = 0;
  private readonly hash: FileHash | undefined;

  /**
   * `o.hash` is fed every stored byte, as it is written (a resumable backup's SHA-256 of the
   * file); a resumed file continues an `encoder` at `stored` bytes (see FileEncoder's resume).
   */
  constructor(readonly target: Target, codec: Codec = PLAIN, o: { hash?: FileHash; encoder?: FileEncoder; stored?: number } = {}) {
    this.name = target.name;
    this.encoder = o.encoder ?? (isPlain(codec) ? undefined : new FileEncoder(codec));
    this.hash = o.hash;
    this.stored = o.stored ?? 0;
    this.flushAt = target.stream ? STREAM_FLUSH_AT : FLUSH_AT;
    // A hash on its own thread reads the buffers in place: they are shared memory then.
    this.shared = o.hash?.shared === true;
    this.out = this.buffer(2 * this.flushAt);
    // A hashing thread that reads shared buffers in place writes a local file's bytes too.
    this.direct = this.shared ? target.direct : undefined;
    this.writesAtOnce = this.direct !== undefined ? FILE_WRITES_AT_ONCE : 1;
  }

  private readonly shared: boolean;
  private readonly direct: Target['direct'];
  private readonly writesAtOnce: number;

  private buffer(n: number): Buffer {
    return this.shared ? Buffer.from(new SharedArrayBuffer(n)) : Buffer.allocUnsafeSlow(n);
  }

  /**
   * room: the free end of the write buffer, where the next add() copies its bytes, when at
   * least `n` bytes are free there and bytes go in as they are (no codec): a writer may
   * encode straight into it and add() what it wrote, which is then not copied. Valid until
   * the next add() or flush().
   */
  room(n: number): Buffer | undefined {
    if (this.encoder !== undefined || this.state !== 'open' || this.overflow.length > 0 || this.out.length - this.used < n) return undefined;
    return this.out.subarray(this.used);
  }

  /** size: bytes of the file so far as stored, after compression and encryption. */
  get size(): number {
    return this.stored;
  }

  /**
   * add: `b` (.asb bytes holding `records` records) into the file; true when enough is
   * buffered that the caller should `await flush()` before adding more.
   */
  add(b: Buffer, records = 0): boolean {
    this.pendingRecords += records;
    this.records += records;
    if (this.encoder === undefined) return this.put(b, false);
    return this.put(this.encoder.push(b), true);
  }

  // `owned`: the encoder's output, never reused by anyone: kept without a copy on overflow.
  private put(b: Buffer, owned: boolean): boolean {
    if (b.length > 0) {
      if (this.overflow.length === 0 && this.used + b.length <= this.out.length) {
        // Bytes written in place (room()) are already where they go.
        if (b.buffer !== this.out.buffer || b.byteOffset !== this.out.byteOffset + this.used) b.copy(this.out, this.used);
        this.used += b.length;
      } else {
        this.overflow.push(owned ? b : Buffer.from(b));
      }
      this.stored += b.length;
      this.pendingBytes += b.length;
    }
    return this.used >= this.flushAt || this.overflow.length > 0;
  }

  /** flush: starts writing what is buffered; waits only when as many writes as allowed are under way. */
  async flush(): Promise<void> {
    if (this.used === 0 && this.overflow.length === 0) return;
    while (this.underWay.length >= this.writesAtOnce) await this.underWay.shift();
    const filled = this.out;
    const parts = this.used > 0 ? [filled.subarray(0, this.used), ...this.overflow] : this.overflow;
    this.out = this.spares.pop() ?? this.buffer(filled.length);
    this.used = 0;
    this.overflow = [];
    const records = this.pendingRecords;
    const bytes = this.pendingBytes;
    this.pendingRecords = 0;
    this.pendingBytes = 0;
    // A buffer is reused once its bytes are both written and hashed (`direct`: by the hashing
    // thread, which writes them, then hashes them). Writes are in order: the hashing thread
    // takes its messages so, and (with one write at once) any other write starts after the
    // one before.
    const direct = this.direct;
    let stored: Promise<unknown>;
    if (direct !== undefined) {
      stored = this.hash!.update(parts, direct.fd)!.catch((e: unknown) => { throw direct.error(e); });
    } else {
      const hashed = this.hash?.update(parts);
      const written = this.target.write(parts);
      stored = hashed === undefined ? written : Promise.all([written, hashed]);
    }
    const ahead = this.target.syncAhead !== undefined && this.stored - this.aheadAt >= SYNC_AHEAD;
    if (ahead) this.aheadAt = this.stored;
    const stream = this.target.stream === true;
    const done = Promise.all([this.writing, stored]).then(() => {
      this.delivered.records += records;
      this.delivered.bytes += bytes;
      if (!stream) this.spares.push(filled);
      if (ahead) this.target.syncAhead!();
    });
    this.writing = done;
    this.underWay.push(done);
    // A failed write surfaces at the next flush or close, not as an unhandled rejection.
    done.catch(() => undefined);
  }

  /**
   * checkpoint: ends the current zstd frame and writes everything out, so the bytes stored
   * so far decode on their own (where a resumed backup could go on appending).
   */
  async checkpoint(): Promise<void> {
    if (this.encoder !== undefined) this.put(this.encoder.endFrame(), true);
    await this.flush();
    await this.writing;
    await this.target.sync?.();
  }

  /** sha256: the SHA-256 (hex) of the bytes stored so far, when hashed (after a flush, checkpoint or close: of every byte). */
  async sha256(): Promise<string | undefined> {
    await this.writing;
    return this.hash?.hex();
  }

  /** end: the file's last bytes (the codec's end), all written (its size and hash final); not yet synced. */
  async end(): Promise<void> {
    if (this.state !== 'open') return;
    if (this.encoder !== undefined) this.put(this.encoder.finish(), true);
    await this.flush();
    await this.writing;
    this.state = 'ended';
    // An ended file waits for its commit without its buffers.
    this.out = Buffer.alloc(0);
    this.spares = [];
    this.underWay.length = 0;
  }

  /** close: end(), then every byte synced and the file closed; not yet visible. */
  async close(): Promise<void> {
    await this.end();
    if (this.state !== 'ended') return;
    await this.target.sync?.();
    await this.target.close();
    this.state = 'closed';
  }

  /** commit: makes a closed file visible under its name. */
  async commit(): Promise<void> {
    if (this.state === 'committed') return;
    if (this.state !== 'closed') throw new AsError('INTERNAL', `internal: ${this.name} committed while ${this.state}`, { value: this.name });
    await this.target.commit();
    this.state = 'committed';
    this.hash?.end();
  }

  /** abort: a failed run: nothing of this file stays under its final name; never throws. */
  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    const was = this.state;
    this.state = 'aborted';
    this.hash?.end();
    try {
      if (was === 'committed') return await this.target.uncommit();
      await this.writing;
      if (this.target.keepsAborted && was === 'open') {
        await this.flush();
        await this.writing;
      }
    } catch {
      // the file is being given up: its own failure is not the run's error
    }
    await this.target.abort().catch(() => undefined);
  }

  /**
   * tail: `text` as the next bytes of this stream, through its codec, ending it: the abort
   * line of a compressed or encrypted stream (written by lib/cli/run.ts after a failure).
   */
  tail(text: string): Buffer {
    const b = Buffer.from(text, 'latin1');
    if (this.encoder === undefined) return b;
    try {
      return Buffer.concat([this.encoder.push(b), this.encoder.finish()]);
    } catch {
      return Buffer.alloc(0); // the stream was already finished: nothing may follow it
    }
  }
}

/**
 * StreamTail: the abort line of a compressed or encrypted stdout (docs/pipelines.md). The
 * program hands `encode` to run.ts before the backup starts; the sink attaches the file it
 * writes, so the line continues its zstd frame and AES keystream and decodes as the last
 * line. Before any file, the line is a stream of its own, encoded alike.
 */
export class StreamTail {
  private file: OutputFile | undefined;
  constructor(private readonly codec: Codec) {}

  attach(file: OutputFile): void {
    this.file = file;
  }

  readonly encode = (text: string): Buffer => {
    if (this.file !== undefined) return this.file.tail(text);
    return new OutputFile(stdoutTarget(undefined), this.codec).tail(text);
  };
}

/** outputError: a failed write or create of a local file, naming it. */
function outputError(what: string, path: string, e: unknown): AsError {
  return new AsError('OUTPUT', `cannot ${what} ${path}: ${fsReason(e)}`, { cause: e, value: path });
}

/**
 * localFileTarget: a local file, written as `<path>.part` and renamed at commit; `inPlace`
 * (an existing /dev/null, FIFO or terminal) writes to the path itself, never renamed.
 */
export async function localFileTarget(path: string, o: { inPlace?: boolean; append?: boolean } = {}): Promise<Target> {
  const at = o.inPlace ? path : path + PART;
  let handle: FileHandle;
  try {
    // `append`: a resumed backup goes on writing its .part file (already cut back).
    handle = await open(at, o.inPlace ? 'w' : o.append ? 'a' : 'wx');
  } catch (e) {
    throw outputError('create', at, e);
  }
  let open_ = true;
  // A sync ahead under way, and the first one that failed (a later fsync may not report it again).
  let ahead: Promise<void> | undefined;
  let aheadFailure: { e: unknown } | undefined;
  const closeHandle = async (): Promise<void> => {
    if (!open_) return;
    open_ = false;
    await ahead;
    await handle.close();
  };
  return {
    name: path,
    keepsAborted: true,
    syncsAside: true,
    direct: { fd: handle.fd, error: (e) => outputError('write', at, e) },
    async write(parts) {
      try {
        await handle.writev(parts);
      } catch (e) {
        throw outputError('write', at, e);
      }
    },
    close: closeHandle,
    syncAhead() {
      if (o.inPlace || ahead !== undefined || !open_) return;
      ahead = handle.datasync().then(
        () => { ahead = undefined; },
        (e: unknown) => { ahead = undefined; aheadFailure ??= { e }; },
      );
    },
    async sync() {
      if (o.inPlace) return;
      try {
        await ahead;
        if (aheadFailure !== undefined) throw aheadFailure.e;
        await handle.sync();
      } catch (e) {
        throw outputError('sync', at, e);
      }
    },
    async commit() {
      if (o.inPlace) return;
      // A finished file gets its name: the `.part` is renamed.
      try {
        renameSync(at, path);
      } catch (e) {
        throw new AsError('OUTPUT', `cannot rename ${at} to ${path}: ${fsReason(e)}`, { cause: e, value: path });
      }
    },
    async uncommit() {
      if (!o.inPlace) renameSync(path, at);
    },
    // The .part file stays: the run's summary names it; -r clears it.
    abort: () => closeHandle().catch(() => undefined),
  };
}

/** stdoutTarget: a stream (stdout); nothing to close, commit or remove. */
export function stdoutTarget(out: Writable | undefined): Target {
  return {
    name: '-',
    stream: true,
    keepsAborted: true,
    async write(parts) {
      for (const p of parts) await writeChunk(out ?? process.stdout, p);
    },
    close: async () => undefined,
    commit: async () => undefined,
    uncommit: async () => undefined,
    abort: async () => undefined,
  };
}

/** DirectoryPlace: where the files of a directory backup go (a local directory, an S3 prefix). */
export interface DirectoryPlace {
  /** The directory's name for messages: a path or `s3://bucket/prefix`. */
  readonly name: string;
  /** create: a new file `fileName` in it, invisible until committed. */
  create(fileName: string): Promise<Target>;
}

/** localDirectory: the files of a backup directory on the local disk. */
export function localDirectory(dir: string): DirectoryPlace {
  return { name: dir, create: (fileName) => localFileTarget(join(dir, fileName)) };
}
