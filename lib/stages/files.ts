// The file sinks: an .asb chunk stream into one file (or stdout) or into a directory of
// `<namespace>_<NNNNN>.asb` files that roll over at a size limit. Files are written under
// a `.part` name and renamed only when the whole backup succeeded, so a failed or
// interrupted run never leaves a file that looks like a complete backup.
import { readdirSync, rmSync, rmdirSync, existsSync, statSync, renameSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AsError, UsageError } from '../errors.js';
import { fsReason, makeDirectory, statOf } from '../paths.js';
import { encodeHeader, type AsbRun } from '../asb/encode.js';
import type { Writable } from 'node:stream';
import { isOutputClosed, outputClosed, writeChunk } from './write-chunk.js';

/** One encoded block of an .asb file and what it holds. */
export interface AsbChunk {
  kind: 'record' | 'sindex' | 'udf';
  bytes: Buffer;
}

/**
 * AsbBatch: what the sinks take: chunks one by one, or a run of records encoded back to
 * back (asbackup's hot path: one copy per run instead of one per record).
 */
export type AsbBatch = AsbChunk[] | AsbRun;

/** batchBytes: the bytes of a batch. */
export function batchBytes(batch: AsbBatch): number {
  if (!Array.isArray(batch)) return batch.bytes.length;
  let n = 0;
  for (const c of batch) n += c.bytes.length;
  return n;
}

/** batchRecords: the records in a batch. */
export function batchRecords(batch: AsbBatch): number {
  if (!Array.isArray(batch)) return batch.ends.length;
  let n = 0;
  for (const c of batch) if (c.kind === 'record') n++;
  return n;
}

/** What a sink wrote. */
export interface WriteResult {
  files: string[];
  bytes: number;
  records: number;
}

const PART = '.part';
const FLUSH_AT = 1 << 20; // gather ~1 MiB before each write: fewer syscalls on the hot path

/**
 * BufferedFile: an open file with write buffers (a resource, hence a class). Chunks are
 * copied into reused buffers, so the caller may reuse its own memory at once and the sink
 * allocates nothing per write.
 */
class BufferedFile {
  // Two buffers: one is written to disk while the other fills, so encoding and disk
  // writes overlap.
  private out = Buffer.allocUnsafeSlow(2 * FLUSH_AT);
  private spare = Buffer.allocUnsafeSlow(2 * FLUSH_AT);
  private used = 0;
  private overflow: Buffer[] = []; // chunks that did not fit (larger than the buffer)
  private writing: Promise<void> | undefined;
  size = 0;
  private constructor(private readonly handle: FileHandle, readonly path: string) {}

  static async create(path: string, flags = 'wx'): Promise<BufferedFile> {
    try {
      return new BufferedFile(await open(path, flags), path);
    } catch (e) {
      throw new AsError('OUTPUT', `cannot create ${path}: ${fsReason(e)}`, { cause: e, value: path });
    }
  }

  /** add: buffers a copy of b; true when enough is buffered that the caller should flush. */
  add(b: Buffer): boolean {
    if (this.overflow.length === 0 && this.used + b.length <= this.out.length) {
      b.copy(this.out, this.used);
      this.used += b.length;
    } else {
      this.overflow.push(Buffer.from(b));
    }
    this.size += b.length;
    return this.used >= FLUSH_AT || this.overflow.length > 0;
  }

  async write(b: Buffer): Promise<void> {
    if (this.add(b)) await this.flush();
  }

  /** flush: starts writing what is buffered; waits only for the write before it. */
  async flush(): Promise<void> {
    if (this.used === 0 && this.overflow.length === 0) return;
    await this.writing;
    const parts = [this.out.subarray(0, this.used), ...this.overflow];
    [this.out, this.spare] = [this.spare, this.out];
    this.used = 0;
    this.overflow = [];
    this.writing = this.handle.writev(parts).then(
      () => undefined,
      (e: Error) => { throw new AsError('OUTPUT', `cannot write ${this.path}: ${fsReason(e)}`, { cause: e, value: this.path }); },
    );
    // Surface a failed write at the next flush or close, not as an unhandled rejection.
    this.writing.catch(() => undefined);
  }

  async close(): Promise<void> {
    try {
      await this.flush();
      await this.writing;
    } finally {
      await this.handle.close();
    }
  }
}

/** asbFilesIn: the .asb files (and leftover .asb.part files) of a directory. */
export function asbFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new AsError('OUTPUT', `--directory ${dir}: cannot list it: ${fsReason(e)}`, { value: dir });
  }
  return names.filter((f) => f.endsWith('.asb') || f.endsWith('.asb' + PART));
}

/**
 * checkDirectory: what prepareDirectory would refuse, without touching anything (called
 * before connecting): a path that is not a directory, or a directory that already holds a
 * backup unless removeFiles. True when the directory exists.
 */
export function checkDirectory(dir: string, removeFiles: boolean): boolean {
  let st;
  try {
    st = statOf(dir);
  } catch (e) {
    throw new AsError('OUTPUT', `--directory ${dir}: ${fsReason(e)}`, { value: dir });
  }
  if (st === undefined) return false;
  if (!st.isDirectory()) throw new UsageError(`--directory ${dir} exists and is not a directory`, dir, 'OUTPUT');
  const existing = asbFilesIn(dir);
  if (existing.length > 0 && !removeFiles) throw new UsageError(`directory ${dir} already holds a backup (${existing.length} file(s) such as ${existing[0]}); use -r/--remove-files to clear it`, dir, 'OUTPUT_EXISTS');
  return true;
}

/**
 * prepareDirectory: creates the directory if missing; refuses one that already holds a
 * backup unless removeFiles, which deletes only its .asb files.
 */
export function prepareDirectory(dir: string, removeFiles: boolean, log?: (s: string) => void): void {
  if (!checkDirectory(dir, removeFiles)) {
    makeDirectory(dir);
    log?.(`Directory ${dir} does not exist, creating`);
    return;
  }
  const existing = asbFilesIn(dir);
  if (existing.length === 0) return;
  for (const f of existing) {
    try {
      rmSync(join(dir, f));
    } catch (e) {
      throw new AsError('OUTPUT', `-r/--remove-files: cannot remove ${join(dir, f)}: ${fsReason(e)}`, { value: join(dir, f) });
    }
  }
  log?.(`Removed ${existing.length} .asb file(s) from ${dir}`);
}

/**
 * prepareOutputFile: refuses a directory, a path whose directory is missing, and an
 * existing file unless removeFiles, which deletes it.
 */
export function prepareOutputFile(path: string, removeFiles: boolean): void {
  if (path === '-' || isSpecialFile(path)) return;
  const st = statOf(path);
  if (st?.isDirectory()) throw new UsageError(`--output-file ${path} is a directory; name a file in it, or use -d/--directory to write a backup directory`, path, 'OUTPUT');
  const parent = statOf(dirname(path));
  if (parent === undefined || !parent.isDirectory()) throw new AsError('OUTPUT', `--output-file ${path}: directory ${dirname(path)} ${parent === undefined ? 'does not exist' : 'is not a directory'}`, { value: path });
  for (const f of [path, path + PART]) {
    if (!existsSync(f)) continue;
    if (!removeFiles) throw new UsageError(`output file ${f} already exists; use -r/--remove-files to overwrite it`, f, 'OUTPUT_EXISTS');
    try {
      rmSync(f);
    } catch (e) {
      throw new AsError('OUTPUT', `-r/--remove-files: cannot remove ${f}: ${fsReason(e)}`, { value: f });
    }
  }
}

function removeFile(path: string): void {
  try {
    rmSync(path);
  } catch (e) {
    throw new AsError('OUTPUT', `cannot remove ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, value: path });
  }
}

/** What removeBackupFiles / removeOutputFile took away. */
export interface Removed {
  files: string[];
  /** The directory itself, left empty. */
  directory: boolean;
}

/**
 * removeBackupFiles: the .asb files of a directory (and the .asb.part files of a run that
 * failed), then the directory when nothing else is left in it. A missing directory holds
 * nothing to remove.
 */
export function removeBackupFiles(dir: string): Removed {
  const removed: Removed = { files: [], directory: false };
  if (!existsSync(dir)) return removed;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--directory ${dir} is not a directory; nothing removed`, dir, 'OUTPUT');
  for (const f of asbFilesIn(dir)) {
    removeFile(join(dir, f));
    removed.files.push(join(dir, f));
  }
  if (readdirSync(dir).length === 0) {
    try {
      rmdirSync(dir);
      removed.directory = true;
    } catch (e) {
      throw new AsError('OUTPUT', `cannot remove the empty directory ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e, value: dir });
    }
  }
  return removed;
}

/**
 * removeOutputFile: a backup file (and its .part file); a missing one holds nothing to
 * remove. What is not a regular file (/dev/null, a FIFO) is never removed.
 */
export function removeOutputFile(path: string): Removed {
  const removed: Removed = { files: [], directory: false };
  for (const f of [path, path + PART]) {
    if (!existsSync(f)) continue;
    if (!statSync(f).isFile()) throw new UsageError(`--output-file ${f} is not a regular file; nothing removed`, f, 'OUTPUT');
    removeFile(f);
    removed.files.push(f);
  }
  return removed;
}

/**
 * isSpecialFile: an existing path that is not a regular file (/dev/null, a FIFO, a
 * terminal): written in place, never removed, renamed or refused.
 */
export function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/** Directory sink options. */
export interface DirectoryOptions {
  dir: string;
  namespace: string;
  /** Roll over before a record once the file holds this many bytes. */
  fileLimit: number;
  /** File name prefix; the namespace by default. */
  prefix?: string;
  /** The header of the first file when it is not ours to write (as-split-files copies it). */
  firstHeader?: Buffer;
  onFile?: (path: string) => void;
  /** Filled in as the files are written, so a caller knows what was written when this fails. */
  result?: WriteResult;
}

/** fileName: `<prefix>_<NNNNN>.asb`, the counter zero-padded to 5 digits. */
export function fileName(prefix: string, n: number): string {
  return `${prefix}_${String(n).padStart(5, '0')}.asb`;
}

/**
 * writeDirectory: writes batches of chunks into numbered files. Only the first file gets
 * `# first-file` and the index and UDF blocks; a record never spans two files. Batches
 * keep the per-record work synchronous: only a full write buffer waits.
 */
export async function writeDirectory(batches: AsyncIterable<AsbBatch>, opts: DirectoryOptions): Promise<WriteResult> {
  const prefix = opts.prefix ?? opts.namespace;
  const result: WriteResult = opts.result ?? { files: [], bytes: 0, records: 0 };
  let file: BufferedFile | undefined;
  const next = async () => {
    if (file) await file.close();
    const name = join(opts.dir, fileName(prefix, result.files.length));
    file = await BufferedFile.create(name + PART);
    result.files.push(name);
    opts.onFile?.(name);
    const header = result.files.length === 1 ? (opts.firstHeader ?? encodeHeader(opts.namespace, true)) : encodeHeader(opts.namespace, false);
    await file.write(header);
    result.bytes += header.length;
  };
  // A run goes in whole slices: as many records as start before the file's limit.
  const addRun = async ({ bytes, ends }: AsbRun): Promise<void> => {
    let i = 0;
    let from = 0;
    while (i < ends.length) {
      if (file!.size >= opts.fileLimit && result.records > 0) await next();
      const room = opts.fileLimit - file!.size; // a record may start while room > 0
      let j = i + 1;
      while (j < ends.length && ends[j - 1]! - from < room) j++;
      const to = ends[j - 1]!;
      result.records += j - i;
      result.bytes += to - from;
      if (file!.add(bytes.subarray(from, to))) await file!.flush();
      i = j;
      from = to;
    }
  };
  try {
    await next();
    for await (const batch of batches) {
      if (!Array.isArray(batch)) {
        await addRun(batch);
        continue;
      }
      for (const c of batch) {
        if (c.kind === 'record') {
          if (file!.size >= opts.fileLimit && result.records > 0) await next();
          result.records++;
        }
        if (file!.add(c.bytes)) await file!.flush();
        result.bytes += c.bytes.length;
      }
    }
    await file!.close();
    file = undefined;
  } catch (e) {
    await file?.close().catch(() => undefined);
    throw e;
  }
  for (const f of result.files) finish(f);
  return result;
}

// A finished file gets its name: the `.part` is renamed.
function finish(path: string): void {
  try {
    renameSync(path + PART, path);
  } catch (e) {
    throw new AsError('OUTPUT', `cannot rename ${path + PART} to ${path}: ${fsReason(e)}`, { value: path });
  }
}

/** Single-file sink options; path '-' is stdout. */
export interface FileOptions {
  path: string;
  namespace: string;
  header?: Buffer;
  /** Where `-` writes (default process.stdout). */
  stdout?: Writable;
  /** Filled in as the file is written (for stdout: what was handed on), see DirectoryOptions. */
  result?: WriteResult;
}

/**
 * writeSingleFile: the whole backup, in batches of chunks, into one file (or stdout). A
 * reader of stdout that goes away first ends it with OUTPUT_CLOSED naming the records
 * handed on before.
 */
export async function writeSingleFile(batches: AsyncIterable<AsbBatch>, opts: FileOptions): Promise<WriteResult> {
  const header = opts.header ?? encodeHeader(opts.namespace, true);
  const result: WriteResult = opts.result ?? { files: [], bytes: 0, records: 0 };
  result.files.push(opts.path);
  if (opts.path === '-') {
    let out: Buffer[] = [header];
    let outBytes = header.length;
    let outRecords = 0;
    const write = async (): Promise<void> => {
      try {
        await writeChunk(opts.stdout ?? process.stdout, Buffer.concat(out, outBytes));
      } catch (e) {
        if (isOutputClosed(e)) throw outputClosed(result.records, 'record', 'backup incomplete');
        throw e;
      }
      result.records += outRecords;
      result.bytes += outBytes;
      out = [];
      outBytes = 0;
      outRecords = 0;
    };
    for await (const batch of batches) {
      // Copy each batch at once: its blocks may be views of memory the encoder reuses.
      const parts = Array.isArray(batch) ? batch.map((c) => c.bytes) : [batch.bytes];
      const n = batchBytes(batch);
      outRecords += batchRecords(batch);
      out.push(Buffer.concat(parts, n));
      outBytes += n;
      if (outBytes >= 65536) await write();
    }
    if (outBytes > 0) await write();
    return result;
  }
  result.bytes += header.length;
  const special = isSpecialFile(opts.path);
  const file = await BufferedFile.create(special ? opts.path : opts.path + PART, special ? 'w' : 'wx');
  try {
    await file.write(header);
    for await (const batch of batches) {
      result.records += batchRecords(batch);
      result.bytes += batchBytes(batch);
      if (!Array.isArray(batch)) {
        if (file.add(batch.bytes)) await file.flush();
        continue;
      }
      for (const c of batch) if (file.add(c.bytes)) await file.flush();
    }
    await file.close();
  } catch (e) {
    await file.close().catch(() => undefined);
    throw e;
  }
  if (!special) finish(opts.path);
  return result;
}
