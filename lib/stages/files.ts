// The file sinks: an .asb chunk stream into one file (or stdout) or into a directory of
// `<namespace>_<NNNNN>.asb` files that roll over at a size limit, locally or in S3, each
// file compressed and encrypted on its own when asked (lib/stages/output.ts). Files are
// written under a `.part` name (S3: uploaded but not completed) and made visible only when
// the whole backup succeeded, so a failed or interrupted run never leaves a file that
// looks like a complete backup.
import { readdirSync, renameSync, rmSync, rmdirSync, existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AsError, UsageError } from '../errors.js';
import { fsReason, makeDirectory, statOf } from '../paths.js';
import { encodeHeader, type AsbRun } from '../asb/encode.js';
import type { Writable } from 'node:stream';
import type { Codec } from '../codec/codec.js';
import type { RecordMarks } from '../records/types.js';
import { isOutputClosed, outputClosed } from './write-chunk.js';
import { OutputFile, PART, localDirectory, localFileTarget, stdoutTarget, type DirectoryPlace, type StreamTail, type Target } from './output.js';
import { threadHash } from './file-hash.js';

/** One encoded block of an .asb file and what it holds. */
export interface AsbChunk {
  kind: 'record' | 'sindex' | 'udf';
  bytes: Buffer;
}

/**
 * AsbBatch: what the sinks take: chunks one by one, or a run of records encoded back to
 * back (asbackup's hot path: one copy per run instead of one per record); with `marks`
 * (a resumable backup) where each record comes from.
 */
export type AsbBatch = (AsbChunk[] | AsbRun) & { marks?: RecordMarks };

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

/**
 * WriteRoom: where the next run may be encoded in place: the sink sets `room` to its
 * current file's OutputFile.room, the encoder asks it for a frame's worth (asbackup's hot
 * path: no copy of each run into the file's buffer).
 */
export interface WriteRoom {
  room?: (bytes: number) => Buffer | undefined;
}

/** What a sink wrote. */
export interface WriteResult {
  files: string[];
  /** .asb bytes (before compression and encryption). */
  bytes: number;
  records: number;
  /** Bytes stored: the files' size on disk after the codec (= bytes for plain files). */
  stored?: number;
}

/** A file as far as it is durable: name (in its directory, or the -o path), size, records, SHA-256. */
export interface DurableFile {
  name: string;
  size: number;
  records: number;
  sha256: string;
}

/**
 * Checkpoints: what a resumable backup is told as it writes: which records went into the
 * files, and each moment they are durable (-d: a file closed; -o: every `interval` bytes,
 * at a zstd frame end). The sinks call them in write order.
 */
export interface Checkpoints {
  /** Records [from, to) of `batch` went into the current file. */
  wrote(batch: AsbBatch, from: number, to: number): void;
  /** All of `batch` went in. */
  ended(batch: AsbBatch): void;
  /**
   * point: the durable point that everything written so far makes (-d: the closed files; -o:
   * `file` up to its size), taken now; the returned function saves it, called once those
   * bytes are synced (-d syncs a closed file while the next one fills).
   */
  point(file: DurableFile, result: WriteResult): () => Promise<void>;
  /** -o: bytes stored between durable points. */
  interval: number;
}

/**
 * isFileOf: a backup file name of one slice: `<prefix>_...` (the files a backup with
 * --output-file-prefix writes, and the only ones it refuses or clears).
 */
export function isFileOf(name: string, prefix: string): boolean {
  return name.startsWith(`${prefix}_`);
}

/**
 * asbFilesIn: the .asb files (and leftover .asb.part files) of a directory; with
 * `namePrefix`, only those of that slice.
 */
export function asbFilesIn(dir: string, namePrefix?: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new AsError('OUTPUT', `--directory ${dir}: cannot list it: ${fsReason(e)}`, { value: dir });
  }
  return names.filter((f) => (f.endsWith('.asb') || f.endsWith('.asb' + PART)) && (namePrefix === undefined || isFileOf(f, namePrefix)));
}

/**
 * journalFilesIn: the state files and manifests of the backups in a directory
 * (`<prefix|ns>.asb.state`, `<prefix|ns>.asb.manifest`); with `namePrefix`, that slice's.
 */
export function journalFilesIn(dir: string, namePrefix?: string): string[] {
  const ours = (f: string): boolean => namePrefix === undefined ? f.endsWith('.asb.state') || f.endsWith('.asb.manifest') : f === `${namePrefix}.asb.state` || f === `${namePrefix}.asb.manifest`;
  try {
    return readdirSync(dir).filter(ours);
  } catch {
    return [];
  }
}

/**
 * checkDirectory: what prepareDirectory would refuse, without touching anything (called
 * before connecting): a path that is not a directory, or a directory that already holds a
 * backup (of the slice `namePrefix`, if given) unless removeFiles. True when the directory
 * exists.
 */
export function checkDirectory(dir: string, removeFiles: boolean, namePrefix?: string): boolean {
  let st;
  try {
    st = statOf(dir);
  } catch (e) {
    throw new AsError('OUTPUT', `--directory ${dir}: ${fsReason(e)}`, { value: dir });
  }
  if (st === undefined) return false;
  if (!st.isDirectory()) throw new UsageError(`--directory ${dir} exists and is not a directory`, dir, 'OUTPUT');
  const existing = asbFilesIn(dir, namePrefix);
  if (existing.length > 0 && !removeFiles) throw new UsageError(`directory ${dir} already holds a backup (${existing.length} file(s) such as ${existing[0]}); use -r/--remove-files to clear it`, dir, 'OUTPUT_EXISTS');
  return true;
}

/**
 * prepareDirectory: creates the directory if missing; refuses one that already holds a
 * backup unless removeFiles, which deletes only its .asb files. With `namePrefix`
 * (--output-file-prefix), only the files of that slice count: slices of one backup share
 * a directory.
 */
export function prepareDirectory(dir: string, removeFiles: boolean, log?: (s: string) => void, namePrefix?: string): void {
  if (!checkDirectory(dir, removeFiles, namePrefix)) {
    makeDirectory(dir);
    log?.(`Directory ${dir} does not exist, creating`);
    return;
  }
  const existing = asbFilesIn(dir, namePrefix);
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
  /** S3: unfinished uploads aborted. */
  aborted?: number;
}

/**
 * removeBackupFiles: the .asb files of a directory (and the .asb.part files of a run that
 * failed; with `namePrefix` only those of that slice), then the directory when nothing
 * else is left in it. A missing directory holds nothing to remove.
 */
export function removeBackupFiles(dir: string, namePrefix?: string): Removed {
  const removed: Removed = { files: [], directory: false };
  if (!existsSync(dir)) return removed;
  if (!statSync(dir).isDirectory()) throw new UsageError(`--directory ${dir} is not a directory; nothing removed`, dir, 'OUTPUT');
  for (const f of [...asbFilesIn(dir, namePrefix), ...journalFilesIn(dir, namePrefix)]) {
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
  for (const f of [path, path + PART, `${path}.state`, `${path}.manifest`]) {
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
  /** A local directory; or `place`. */
  dir?: string;
  /** Where the files go (an S3 prefix): instead of `dir`. */
  place?: DirectoryPlace;
  namespace: string;
  /** Roll over before a record once the file holds this many bytes on disk (after the codec). */
  fileLimit: number;
  /** File name prefix; the namespace by default. */
  prefix?: string;
  /** Each file compressed and encrypted on its own (default: plain). */
  codec?: Codec;
  /** The header of the first file when it is not ours to write (as-split-files copies it). */
  firstHeader?: Buffer;
  onFile?: (path: string) => void;
  /** Filled in as the files are written, so a caller knows what was written when this fails. */
  result?: WriteResult;
  /** A resumable backup: told of the records written and of each file closed. */
  checkpoints?: Checkpoints;
  /** Set to the current file's room, for an encoder that writes runs in place. */
  writeRoom?: WriteRoom;
  /**
   * A resumed backup: the files the interrupted run closed (names, in order, still .part
   * until the backup is whole): the numbering goes on after them, and they are made
   * visible with the new ones. `result` then starts with their counts.
   */
  closed?: string[];
}

/** fileName: `<prefix>_<NNNNN>.asb`, the counter zero-padded to 5 digits. */
export function fileName(prefix: string, n: number): string {
  return `${prefix}_${String(n).padStart(5, '0')}.asb`;
}

// At most this many files are made visible at once (S3: CompleteMultipartUpload requests).
const COMMITS_AT_ONCE = 8;

/**
 * commitAll: makes every closed file visible. If one fails, the ones already visible are
 * taken back (renamed to .part, deleted from S3) and the rest aborted, so a backup is
 * either whole or not there; the first failure is thrown.
 */
export async function commitAll(files: OutputFile[]): Promise<void> {
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < files.length) {
      const f = files[next++]!;
      try {
        await f.commit();
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(COMMITS_AT_ONCE, files.length) }, worker));
  if (failure === undefined) return;
  await Promise.all(files.map((f) => f.abort()));
  throw failure.e;
}

/**
 * writeDirectory: writes batches of chunks into numbered files. Only the first file gets
 * `# first-file` and the index and UDF blocks; a record never spans two files. Batches
 * keep the per-record work synchronous: only a full write buffer waits. Each file is its
 * own compressed and encrypted stream (one zstd frame, a fresh counter), as in the
 * official -d files; it is closed when the next one starts and every file is committed
 * once the whole input was written.
 */
export async function writeDirectory(batches: AsyncIterable<AsbBatch>, opts: DirectoryOptions): Promise<WriteResult> {
  const place = opts.place ?? localDirectory(opts.dir!);
  const prefix = opts.prefix ?? opts.namespace;
  const result: WriteResult = opts.result ?? { files: [], bytes: 0, records: 0, stored: undefined };
  const cp = opts.checkpoints;
  const earlier = opts.closed ?? [];
  const files: OutputFile[] = [];
  let stored = result.stored ?? 0; // bytes of the files already closed
  let file: OutputFile | undefined;
  // A file close: every byte of it stored (S3: every part uploaded) and synced; a resumable
  // backup notes it as durable. At a roll-over, a local file is synced while the next one
  // fills (`settling`; one at a time, in order): a backup need not stall on each fsync
  // (~0.1 s for a file of 256 MiB here). Its durable point is taken when its last byte is
  // written, before the next file's first record, and saved once it is synced.
  const closedNow = new Set<OutputFile>();
  let settling: Promise<void> = Promise.resolve();
  let settleFailure: { e: unknown } | undefined;
  const closeFile = async (f: OutputFile, background = false): Promise<void> => {
    if (closedNow.has(f)) return; // once only: a failure after the close must not list it twice
    closedNow.add(f);
    await f.end();
    stored += f.size;
    result.stored = stored;
    const save = cp?.point({ name: basename(f.name), size: f.size, records: f.records, sha256: (await f.sha256())! }, result);
    await settling;
    settling = f.close().then(save);
    if (background && f.target.syncsAside === true) {
      settling.catch((e: unknown) => { settleFailure ??= { e }; });
      return;
    }
    await settling;
  };
  const next = async () => {
    if (file) await closeFile(file, true);
    const n = earlier.length + files.length;
    const f = new OutputFile(await place.create(fileName(prefix, n)), opts.codec, cp ? { hash: threadHash() } : {});
    file = f;
    if (opts.writeRoom !== undefined) opts.writeRoom.room = (bytes) => f.room(bytes);
    files.push(file);
    result.files.push(file.name);
    opts.onFile?.(file.name);
    const header = n === 0 ? (opts.firstHeader ?? encodeHeader(opts.namespace, true)) : encodeHeader(opts.namespace, false);
    file.add(header);
    result.bytes += header.length;
  };
  // Before a record: a new file when there is none yet (a resumed backup opens its first
  // file only for something to write) or when this one is full.
  const room = async (): Promise<void> => {
    if (settleFailure !== undefined) throw settleFailure.e;
    if (file === undefined || (file.size >= opts.fileLimit && result.records > 0)) await next();
  };
  // A run goes in whole slices: as many records as start before the file's limit.
  const addRun = async (run: AsbBatch & AsbRun): Promise<void> => {
    const { bytes, ends } = run;
    let i = 0;
    let from = 0;
    while (i < ends.length) {
      await room();
      const left = opts.fileLimit - file!.size; // a record may start while left > 0
      let j = i + 1;
      while (j < ends.length && ends[j - 1]! - from < left) j++;
      const to = ends[j - 1]!;
      result.records += j - i;
      result.bytes += to - from;
      const full = file!.add(bytes.subarray(from, to), j - i);
      cp?.wrote(run, i, j);
      if (full) await file!.flush();
      i = j;
      from = to;
    }
  };
  try {
    if (earlier.length === 0) await next();
    for await (const batch of batches) {
      if (!Array.isArray(batch)) {
        await addRun(batch);
        cp?.ended(batch);
        continue;
      }
      let k = 0;
      for (const c of batch) {
        if (c.kind === 'record') {
          await room();
          result.records++;
        } else if (file === undefined) await next();
        const full = file!.add(c.bytes, c.kind === 'record' ? 1 : 0);
        if (c.kind === 'record') cp?.wrote(batch, k, ++k);
        if (full) await file!.flush();
        result.bytes += c.bytes.length;
      }
      cp?.ended(batch);
    }
    if (file !== undefined) await closeFile(file);
    result.stored = stored;
  } catch (e) {
    await settling.catch(() => undefined);
    result.stored = stored + (file?.size ?? 0);
    // Stopped (a signal, a scan that failed): what was written is a resume point, so the
    // open file is closed as a durable one, once records came (before them the index and
    // UDF blocks may be only partly there). A failed write leaves the last resume point.
    if (cp !== undefined && file !== undefined && result.records > 0 && !isOutputError(e)) {
      try {
        await closeFile(file);
      } catch {
        // the last resume point stays
      }
    }
    await Promise.all(files.map((f) => f.abort()));
    throw e;
  }
  // The whole backup is written: now, and only now, its files appear (a resumed backup's
  // earlier files first).
  for (const name of earlier) commitEarlier(place, name);
  await commitAll(files);
  return result;
}

/** isOutputError: a failure of the files themselves (nothing more may be written to them). */
function isOutputError(e: unknown): boolean {
  return e instanceof AsError && (e.code === 'OUTPUT' || e.code.startsWith('S3'));
}

/** commitEarlier: a file an interrupted run closed gets its name (it may have it already). */
function commitEarlier(place: DirectoryPlace, name: string): void {
  const path = join(place.name, name);
  if (existsSync(path + PART)) {
    try {
      renameSync(path + PART, path);
    } catch (e) {
      throw new AsError('OUTPUT', `cannot rename ${path + PART} to ${path}: ${fsReason(e)}`, { cause: e, value: path });
    }
  }
}

/** Single-file sink options; path '-' is stdout. */
export interface FileOptions {
  path: string;
  namespace: string;
  header?: Buffer;
  /** Where `-` writes (default process.stdout). */
  stdout?: Writable;
  /** Where the bytes go when `path` is not a local path or `-` (an S3 object). */
  target?: Target;
  /** Compressed and encrypted as one stream (default: plain). */
  codec?: Codec;
  /** The abort line of a compressed or encrypted stdout (see StreamTail). */
  tail?: StreamTail;
  /** Filled in as the file is written (for stdout: what was handed on), see DirectoryOptions. */
  result?: WriteResult;
  /** A resumable backup: told of the records written and of each durable point. */
  checkpoints?: Checkpoints;
  /** Set to the file's room, for an encoder that writes runs in place. */
  writeRoom?: WriteRoom;
  /**
   * A resumed backup: the file as the interrupted run left it at its last durable point
   * (cut back to it, opened for appending): its header and first records are there.
   */
  resumed?: OutputFile;
}

/**
 * writeSingleFile: the whole backup, in batches of chunks, into one file (or stdout, or an
 * S3 object), made visible when it is whole. A reader of stdout that goes away first ends
 * it with OUTPUT_CLOSED naming the records handed on before.
 */
export async function writeSingleFile(batches: AsyncIterable<AsbBatch>, opts: FileOptions): Promise<WriteResult> {
  const header = opts.header ?? encodeHeader(opts.namespace, true);
  const result: WriteResult = opts.result ?? { files: [], bytes: 0, records: 0, stored: undefined };
  const stream = opts.target === undefined && opts.path === '-';
  const cp = opts.checkpoints;
  let file: OutputFile;
  if (opts.resumed !== undefined) {
    file = opts.resumed;
  } else {
    const target = opts.target ?? (stream ? stdoutTarget(opts.stdout) : await localFileTarget(opts.path, { inPlace: isSpecialFile(opts.path) }));
    file = new OutputFile(target, opts.codec, cp ? { hash: threadHash() } : {});
    file.add(header);
    result.bytes += header.length;
  }
  opts.tail?.attach(file);
  if (opts.writeRoom !== undefined) opts.writeRoom.room = (bytes) => file.room(bytes);
  result.files.push(opts.path);
  let durableAt = file.size;
  // A durable point: the frame ended, every byte synced, then the state that says so.
  const durable = async (): Promise<void> => {
    await file.checkpoint();
    durableAt = file.size;
    result.stored = file.size;
    await cp!.point({ name: basename(opts.path), size: file.size, records: result.records, sha256: (await file.sha256())! }, result)();
  };
  try {
    for await (const batch of batches) {
      const records = batchRecords(batch);
      result.records += records;
      result.bytes += batchBytes(batch);
      if (!Array.isArray(batch)) {
        if (file.add(batch.bytes, records)) await file.flush();
      } else {
        for (const c of batch) if (file.add(c.bytes, c.kind === 'record' ? 1 : 0)) await file.flush();
      }
      if (cp === undefined) continue;
      cp.wrote(batch, 0, records);
      cp.ended(batch);
      // Only after records: the index and UDF blocks before them are never cut in two.
      if (result.records > 0 && file.size - durableAt >= cp.interval) await durable();
    }
    await file.close();
    result.stored = file.size;
    // Whole: the state says so before the file gets its name.
    await cp?.point({ name: basename(opts.path), size: file.size, records: result.records, sha256: (await file.sha256())! }, result)();
    await file.commit();
  } catch (e) {
    if (cp !== undefined && !isOutputError(e) && result.records > 0) {
      try {
        await durable();
      } catch {
        // the last resume point stays
      }
    }
    await file.abort();
    result.stored = file.size;
    if (stream) {
      // What the reader was handed, not what was encoded.
      result.records = file.delivered.records;
      result.bytes = result.stored = file.delivered.bytes;
      if (isOutputClosed(e)) throw outputClosed(result.records, 'record', 'backup incomplete');
    }
    throw e;
  }
  return result;
}
