// Record streams at the edge of a program: JSON lines in from stdin (or files), out to stdout.
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import split2 from 'split2';
import { abortedItemLine, parseLine, stringify, type StringifyOptions } from '../records/jsonl.js';
import { ABORTED_PREFIX } from '../asb/constants.js';
import { isOutputClosed, outputClosed, writeChunk } from '../stages/write-chunk.js';
import type { StreamFormat } from './program.js';
import { checkInputFile } from '../paths.js';

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

/**
 * openInput: stdin for '-' or no name, otherwise a file, checked first so that a missing
 * file or a directory is one line naming it (`dirHint`: what to do with a directory).
 */
export function openInput(path: string | undefined, stdin: Readable = process.stdin, dirHint?: string): { stream: Readable; name: string } {
  if (path === undefined || path === '-') return { stream: stdin, name: '<stdin>' };
  checkInputFile(path, 'input file', dirHint);
  return { stream: createReadStream(path), name: path };
}

/**
 * abortLine: the last line of a stream whose writer stopped early (docs/pipelines.md): in
 * .asb a `# ABORTED` line, in a record stream an `aborted` item; every reader refuses both.
 */
export function abortLine(format: StreamFormat, program: string, why: string): string {
  const reason = why.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 300);
  return format === 'asb' ? `${ABORTED_PREFIX}${program}: ${reason}\n` : abortedItemLine(program, reason);
}

/**
 * writeItems: items as JSON lines, batched into ~64 KiB writes. A reader that goes away
 * (`| head`) ends it with OUTPUT_CLOSED, naming the items handed on before. When the items
 * stop with an error, the lines of the items before it are written first, then the error
 * is thrown.
 */
export async function writeItems(items: AsyncIterable<StreamItem>, out: Writable = process.stdout, opts: StringifyOptions = {}): Promise<number> {
  let buf = '';
  let n = 0;
  let written = 0;
  let writeFailed = false;
  const write = async (): Promise<void> => {
    try {
      await writeChunk(out, buf);
    } catch (e) {
      writeFailed = true;
      if (isOutputClosed(e)) throw outputClosed(written, 'item');
      throw e;
    }
    written = n;
    buf = '';
  };
  try {
    for await (const item of items) {
      buf += stringify(item, opts);
      n++;
      if (buf.length >= 65536) await write();
    }
  } catch (e) {
    // The error is the story; an output that is gone as well adds nothing to it.
    if (!writeFailed && buf.length > 0) await writeChunk(out, buf).catch(() => undefined);
    throw e;
  }
  if (buf.length > 0) await write();
  return n;
}
