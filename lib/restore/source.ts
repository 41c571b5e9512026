// The reading side of a restore: which .asb files (local, stdin or S3), decoded one after
// the other through the codec, each item with its size in the file (for throttling and
// progress) and its position (for errors).
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { decodeAsb, decodeAsbBatches, decodeAsbOpsBatches, type AsbHeader, type AsbOpsEvent } from '../asb/decode.js';
import { PLAIN, type Codec } from '../codec/codec.js';
import { AsError, ParseError, UsageError } from '../errors.js';
import { checkInputDirectory, checkInputFile } from '../paths.js';
import type { OpsRecordItem, StreamItem } from '../records/types.js';
import { decoded, localInput, readAsb, stdinInput, type BackupInput } from '../stages/input.js';
import type { S3Settings } from '../storage/options.js';
import { isS3Url } from '../storage/s3-url.js';

/**
 * SourceBatch: decoded items of one file, in order, with their bytes in the file (for
 * throttling and progress) and how many are records. No object per item beyond the item.
 */
export interface SourceBatch {
  items: Array<StreamItem | OpsRecordItem>;
  bytes: number;
  records: number;
}

/**
 * listBackupFiles: every `*.asb` of a directory, sorted by name (the C tool uses readdir
 * order), each checked to be a readable file. A directory holding only the `.part` files of
 * a backup that did not finish says so.
 */
export function listBackupFiles(dir: string, label = '--directory'): string[] {
  const names = checkInputDirectory(dir, label, 'use -i/--input-file to restore a single file');
  const files = names.filter((f) => f.endsWith('.asb')).sort().map((f) => join(dir, f));
  if (files.length === 0) {
    const parts = names.filter((f) => f.endsWith('.asb.part')).sort();
    if (parts.length > 0) {
      throw new UsageError(`no backup files (*.asb) in ${dir}, only ${parts.length} unfinished file(s) such as ${parts[0]}: the backup that wrote them did not finish; take it again`, dir, 'NO_BACKUP_FILES');
    }
    throw new UsageError(`no backup files (*.asb) found in ${dir}`, dir, 'NO_BACKUP_FILES');
  }
  for (const f of files) checkInputFile(f, 'backup file');
  return files;
}

/** checkBackupFile: -i: a readable file (stdin, `-`, is not checked). */
export function checkBackupFile(path: string): void {
  if (path !== '-') checkInputFile(path, '--input-file', 'use -d/--directory to restore the .asb files of a directory');
}

// A header needs the first bytes only: small reads (one ranged GET in S3), not 5 MiB ones.
const HEADER_READ = 64 * 1024;

/**
 * readFileHeader: the header of one .asb file (its version line and meta lines), read
 * through the codec: first bytes that do not fit -z/-y fail here (CodecError).
 */
export async function readFileHeader(input: BackupInput, codec: Codec = PLAIN): Promise<AsbHeader> {
  const bytes = decoded(input, codec, undefined, HEADER_READ);
  try {
    const events = decodeAsb(bytes, input.name);
    const first = await events.next();
    await events.return(undefined);
    return first.value as AsbHeader;
  } finally {
    await bytes.return(undefined); // the file closed, the S3 read cancelled
  }
}

/**
 * checkHeaders: reads the head of every file before anything is written, so a file whose
 * first bytes do not fit -z/-y (a wrong key, a missing -z or -y), that is not an .asb
 * file, or that holds another namespace than -n names, stops the restore before its first
 * record. Returns the namespaces the headers name. Stdin and pipes (`-i <(zcat ...)`) can
 * be read only once: their head is checked when they are read.
 */
export async function checkHeaders(inputs: readonly BackupInput[], codec: Codec = PLAIN, mapping?: { source: string; target: string }): Promise<string[]> {
  const seen = new Set<string>();
  for (const f of inputs) {
    if (f.once) continue;
    const h = await readFileHeader(f, codec);
    if (h.namespace === undefined) continue;
    seen.add(h.namespace);
    if (mapping !== undefined && h.namespace !== mapping.source) {
      const n = mapping.source === mapping.target ? `-n ${mapping.source}` : `-n ${mapping.source},${mapping.target}`;
      throw new AsError('NAMESPACE_MISMATCH', `${f.name}: the file holds namespace ${h.namespace}, not ${mapping.source} (${n}); to restore it into ${mapping.target}, use -n ${h.namespace},${mapping.target}`, { value: f.name });
    }
  }
  return [...seen].sort();
}

/** totalSize: bytes of all files as stored (0 for stdin and pipes), for percent complete. */
export function totalSize(inputs: readonly BackupInput[]): number {
  let n = 0;
  for (const f of inputs) n += f.size ?? 0;
  return n;
}

/** BackupSource: the files a restore reads, and the S3 client reading them, if any. */
export interface BackupSource {
  inputs: BackupInput[];
  /** Releases the S3 client. */
  close(): void;
}

/** Where a restore reads: directories (or S3 prefixes), then files, in order. */
export interface SourcePaths {
  directories?: string[];
  /** Files: paths, `-` (stdin) or `s3://bucket/key`. */
  files?: string[];
}

/** Options of openBackupSource. */
export interface SourceOptions {
  s3?: S3Settings;
  log?: (line: string) => void;
  stdin?: Readable;
  /** How a directory was named, for messages (`--directory`, `--directory-list`). */
  dirLabel?: string;
  /** How a file was named, for messages (`--input-file`, `input file`). */
  fileLabel?: string;
  /** Checks a local file before anything starts (default: checkBackupFile). */
  checkFile?: (path: string) => void;
}

/**
 * openBackupSource: every file to read, all of them known (and checked to be there) before
 * the first is read: the .asb files of each directory or S3 prefix (sorted by name), then
 * the files. The S3 client is opened only when a path is s3:// (the AWS SDK is loaded only
 * then).
 */
export async function openBackupSource(paths: SourcePaths, o: SourceOptions = {}): Promise<BackupSource> {
  const all = [...(paths.directories ?? []), ...(paths.files ?? [])];
  const s3 = all.some(isS3Url) ? await import('../storage/s3-input.js') : undefined;
  const store = s3 === undefined ? undefined : await (await import('../storage/s3-output.js')).openS3Store(o.s3, o.log);
  try {
    const inputs: BackupInput[] = [];
    for (const d of paths.directories ?? []) {
      const label = o.dirLabel ?? '--directory';
      const found = isS3Url(d) ? await s3!.s3DirectoryInputs(store!, d, label) : listBackupFiles(d, label).map(localInput);
      o.log?.(`Found ${found.length} backup file(s) in ${d}`);
      inputs.push(...found);
    }
    for (const f of paths.files ?? []) {
      if (f === '-') inputs.push(stdinInput(o.stdin ?? process.stdin));
      else if (isS3Url(f)) inputs.push(await s3!.s3ObjectInput(store!, f, o.fileLabel ?? '--input-file'));
      else {
        (o.checkFile ?? checkBackupFile)(f);
        inputs.push(localInput(f));
      }
    }
    return { inputs, close: () => store?.close() };
  } catch (e) {
    store?.close();
    throw e;
  }
}

/** Options of readBackupFiles. */
export interface ReadOptions {
  /** -n: records of any other namespace are an error at their line, as in the C tool. */
  namespace?: string;
  /** -R: stop each file at its first record (only the global section is wanted). */
  noRecords?: boolean;
  onFile?: (path: string) => void;
  /** How the files are stored (default plain). */
  codec?: Codec;
  /** Told the bytes read as stored (before decompression), for progress. */
  onStored?: (bytes: number) => void;
  /** Decode records straight into the WRITE ops of their bins (OpsRecordItem), for writing them. */
  ops?: boolean;
}

/**
 * readBackupFiles: the items of each file in turn, in batches. A string is a local path
 * ('-' is stdin).
 */
export async function* readBackupFiles(files: ReadonlyArray<string | BackupInput>, o: ReadOptions = {}): AsyncGenerator<SourceBatch> {
  for (const f of files) {
    const file = typeof f !== 'string' ? f : f === '-' ? stdinInput(process.stdin) : localInput(f);
    const name = file.name;
    o.onFile?.(name);
    let stop = false;
    let carry = 0; // bytes of a batch without items (the header), counted with the next
    const decode = (bytes: AsyncIterable<Buffer>): AsyncIterable<AsbOpsEvent[]> => (o.ops ? decodeAsbOpsBatches(bytes, name) : decodeAsbBatches(bytes, name));
    for await (const events of readAsb(file, o.codec ?? PLAIN, decode, o.onStored)) {
      // The header's bytes count with the first block, so progress reaches 100 %.
      const out: SourceBatch = { items: [], bytes: carry, records: 0 };
      for (let i = 0; i < events.length; i++) { // indexed: see recordsOf
        const ev = events[i]!;
        const size = ev.end - ev.start;
        if (ev.kind !== 'item') {
          out.bytes += size;
          continue;
        }
        const item = ev.item;
        if (item.kind === 'record' || item.kind === 'record-ops') {
          if (o.noRecords) { stop = true; break; }
          if (o.namespace !== undefined && item.namespace !== o.namespace) {
            if (out.items.length > 0) yield out; // what came before the bad record is valid
            throw new ParseError(`Invalid namespace ${item.namespace} in backup record, expected: ${o.namespace}`, name, ev.line, 1);
          }
          out.records++;
        }
        out.bytes += size;
        out.items.push(item);
      }
      carry = out.items.length > 0 ? 0 : out.bytes;
      if (out.items.length > 0) yield out;
      if (stop) break;
    }
  }
}
