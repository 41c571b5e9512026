// Shared helpers of the .asb tests: where the repo and the shared vectors are, and decoding
// a whole buffer (optionally cut into small chunks) into its events.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeAsb, type AsbEvent, type AsbHeader, type DecodedItem } from '../../lib/asb/decode.js';

/** repoRoot: the nearest directory above this (compiled) file that holds package.json. */
export const repoRoot: string = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
})();

/** vectorsDir: the files written by the official tools (test/fixtures/official/README.md). */
export const vectorsDir = path.join(repoRoot, 'test/fixtures/official');
/** fixturesDir: test/fixtures/asb in the repo (the golden files). */
export const fixturesDir = path.join(repoRoot, 'test/fixtures/asb');

/** chunked: a buffer cut into pieces of `size` bytes (to exercise refills at every boundary). */
export function chunked(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** decodeAll: every event of a buffer, decoded from chunks of `chunk` bytes. */
export async function decodeAll(data: Buffer, name = 'test.asb', chunk = 1 << 20): Promise<{ header: AsbHeader; items: DecodedItem[] }> {
  const events: AsbEvent[] = [];
  for await (const ev of decodeAsb(chunked(data, chunk), name)) events.push(ev);
  const [header, ...items] = events;
  return { header: header as AsbHeader, items: items as DecodedItem[] };
}

/** decodeError: the ParseError a buffer fails with (or undefined when it decodes). */
export async function decodeError(data: Buffer | string, chunk = 1 << 20): Promise<{ message: string; line: number; column: number } | undefined> {
  try {
    await decodeAll(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, 'bad.asb', chunk);
    return undefined;
  } catch (e) {
    const pe = e as { code?: string; message: string; line: number; column: number };
    if (pe.code !== 'PARSE') throw e;
    return { message: pe.message, line: pe.line, column: pe.column };
  }
}
