// Record streams at the edge of a program: JSON lines in from stdin (or files), out to stdout.
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import split2 from 'split2';
import { parseLine, stringify, type StringifyOptions } from '../records/jsonl.js';
import { writeChunk } from '../stages/write-chunk.js';

export { writeChunk };
import type { StreamItem } from '../records/types.js';

/** readItems: items from a JSON-lines stream; a bad line stops with its file:line. */
export async function* readItems(input: Readable, name = '<stdin>'): AsyncGenerator<StreamItem> {
  let line = 0;
  for await (const text of input.pipe(split2()) as AsyncIterable<string>) {
    line++;
    if (text.length === 0) continue;
    yield parseLine(text, name, line);
  }
}

/** openInput: stdin for '-' or no name, otherwise a file. */
export function openInput(path: string | undefined, stdin: Readable = process.stdin): { stream: Readable; name: string } {
  if (path === undefined || path === '-') return { stream: stdin, name: '<stdin>' };
  return { stream: createReadStream(path), name: path };
}

/** writeItems: items as JSON lines, batched into ~64 KiB writes. */
export async function writeItems(items: AsyncIterable<StreamItem>, out: Writable = process.stdout, opts: StringifyOptions = {}): Promise<number> {
  let buf = '';
  let n = 0;
  for await (const item of items) {
    buf += stringify(item, opts);
    n++;
    if (buf.length >= 65536) {
      await writeChunk(out, buf);
      buf = '';
    }
  }
  if (buf.length > 0) await writeChunk(out, buf);
  return n;
}
