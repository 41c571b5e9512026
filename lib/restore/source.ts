// The reading side of a restore: which .asb files, decoded one after the other, each item
// with its size in the file (for throttling and progress) and its position (for errors).
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAsb, decodeAsbBatches, type AsbHeader } from '../asb/decode.js';
import { AsError, ParseError, UsageError } from '../errors.js';
import { checkInputDirectory, checkInputFile } from '../paths.js';
import type { StreamItem } from '../records/types.js';

/** SourceItem: a decoded item, its byte size in the file and where it starts. */
export interface SourceItem {
  item: StreamItem;
  bytes: number;
  file: string;
  line: number;
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

/** readFileHeader: the header of one .asb file (its version line and meta lines). */
export async function readFileHeader(path: string): Promise<AsbHeader> {
  const input = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    const events = decodeAsb(input as AsyncIterable<Buffer>, path);
    const first = await events.next();
    await events.return(undefined);
    return first.value as AsbHeader;
  } finally {
    input.destroy();
  }
}

/**
 * checkHeaders: reads the header of every file before anything is written, so a file that
 * is not an .asb file, or holds another namespace than -n names, stops the restore before
 * its first record. Returns the namespaces the headers name. Stdin and pipes
 * (`-i <(zcat ...)`) can be read only once: their header is checked when they are read.
 */
export async function checkHeaders(files: string[], mapping?: { source: string; target: string }): Promise<string[]> {
  const seen = new Set<string>();
  for (const f of files) {
    if (f === '-' || !statSync(f).isFile()) continue;
    const h = await readFileHeader(f);
    if (h.namespace === undefined) continue;
    seen.add(h.namespace);
    if (mapping !== undefined && h.namespace !== mapping.source) {
      const n = mapping.source === mapping.target ? `-n ${mapping.source}` : `-n ${mapping.source},${mapping.target}`;
      throw new AsError('NAMESPACE_MISMATCH', `${f}: the file holds namespace ${h.namespace}, not ${mapping.source} (${n}); to restore it into ${mapping.target}, use -n ${h.namespace},${mapping.target}`, { value: f });
    }
  }
  return [...seen].sort();
}

/** totalSize: bytes of all files (0 for stdin), for percent complete. */
export function totalSize(files: string[]): number {
  let n = 0;
  for (const f of files) {
    if (f === '-') continue;
    try {
      n += statSync(f).size;
    } catch {
      // Unreadable: reading it says so, naming the file.
    }
  }
  return n;
}

/** Options of readBackupFiles. */
export interface ReadOptions {
  /** -n: records of any other namespace are an error at their line, as in the C tool. */
  namespace?: string;
  /** -R: stop each file at its first record (only the global section is wanted). */
  noRecords?: boolean;
  onFile?: (path: string) => void;
}

/** readBackupFiles: the items of each file in turn ('-' is stdin), in batches. */
export async function* readBackupFiles(files: string[], o: ReadOptions = {}): AsyncGenerator<SourceItem[]> {
  for (const path of files) {
    const name = path === '-' ? '<stdin>' : path;
    o.onFile?.(name);
    const input = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
    try {
      let stop = false;
      let header = 0; // the header's bytes count with the first block, so progress reaches 100 %
      for await (const events of decodeAsbBatches(input, name)) {
        const out: SourceItem[] = [];
        for (const ev of events) {
          if (ev.kind !== 'item') {
            header = ev.end - ev.start;
            continue;
          }
          const item = ev.item;
          if (item.kind === 'record') {
            if (o.noRecords) { stop = true; break; }
            if (o.namespace !== undefined && item.namespace !== o.namespace) {
              if (out.length > 0) yield out; // what came before the bad record is valid
              throw new ParseError(`Invalid namespace ${item.namespace} in backup record, expected: ${o.namespace}`, name, ev.line, 1);
            }
          }
          out.push({ item, bytes: ev.end - ev.start + header, file: name, line: ev.line });
          header = 0;
        }
        if (out.length > 0) yield out;
        if (stop) break;
      }
    } finally {
      if (path !== '-') (input as ReturnType<typeof createReadStream>).destroy();
    }
  }
}
