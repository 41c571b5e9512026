// Shared helpers of the .asb tests: where the repo and the shared vectors are, decoding
// a whole buffer (optionally cut into small chunks) into its events, and records as a scan
// frame.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { decodeAsb, decodeAsbOpsBatches, type AsbEvent, type AsbHeader, type AsbOpsEvent, type DecodedItem } from '../../lib/asb/decode.js';
import type { OpsRecordItem, RecordItem, StreamItem, WriteItem } from '../../lib/records/types.js';
import { messageSize, writeMessage } from '../../lib/protocol/message.js';
import { FieldType, OpType } from '../../lib/protocol/constants.js';
import { digestBuffer, digestOffset, recordParts, writeRecordParts } from '../../lib/restore/writer.js';

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

/**
 * decodeAll: every event of a buffer, decoded from chunks of `chunk` bytes. Every call also
 * decodes the buffer as asrestore does (decodeAsbOpsBatches) and checks that the two agree:
 * the same events, and each record decoded as ops writes the very bytes its bins as objects
 * write. So every decoder test covers both decoders.
 */
export async function decodeAll(data: Buffer, name = 'test.asb', chunk = 1 << 20): Promise<{ header: AsbHeader; items: DecodedItem[] }> {
  const events: AsbEvent[] = [];
  for await (const ev of decodeAsb(chunked(data, chunk), name)) events.push(ev);
  const [header, ...items] = events;
  const ops: AsbOpsEvent[] = [];
  for await (const batch of decodeAsbOpsBatches(chunked(data, chunk), name)) ops.push(...batch);
  assert.equal(ops.length, events.length, 'the ops decoder gives as many events');
  assert.deepEqual(ops[0], header);
  for (let i = 1; i < events.length; i++) assertSameWrite((ops[i] as DecodedItem<StreamItem | OpsRecordItem>), events[i] as DecodedItem);
  return { header: header as AsbHeader, items: items as DecodedItem[] };
}

/** assertSameWrite: an event of the ops decoder against the object decoder's. */
function assertSameWrite(o: DecodedItem<StreamItem | OpsRecordItem>, e: DecodedItem): void {
  assert.deepEqual([o.start, o.end, o.line], [e.start, e.end, e.line]);
  if (o.item.kind !== 'record-ops') {
    assert.deepEqual(o.item, e.item);
    return;
  }
  const r = e.item;
  assert.equal(r.kind, 'record');
  if (r.kind !== 'record') return;
  const { ops: _ops, binCount, kind: _kind, arena: _arena, digestAt: _digestAt, ...meta } = o.item;
  const { bins, kind: _k, ...want } = r;
  assert.deepEqual({ ...meta, digest: o.item.digest }, want);
  // The digest where the writer reads it (in the arena, no view made) is the record's.
  const at = digestOffset(o.item);
  assert.ok(digestBuffer(o.item).subarray(at, at + 20).equals(r.digest), `record at line ${e.line}: the digest in the arena`);
  assert.equal(binCount, bins.length);
  const write = (x: WriteItem): Buffer => {
    const parts = recordParts(x, 'ns');
    const buf = Buffer.alloc(parts.size);
    assert.equal(writeRecordParts(buf, 0, x, parts, false), parts.size);
    return buf;
  };
  assert.equal(write(o.item).toString('hex'), write(r).toString('hex'), `record at line ${e.line}: its ops are the bytes of its bins`);
}

/** decodeError: the ParseError a buffer fails with (or undefined when it decodes); both decoders fail alike. */
export async function decodeError(data: Buffer | string, chunk = 1 << 20): Promise<{ message: string; line: number; column: number } | undefined> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const failure = async (decode: () => Promise<unknown>): Promise<{ message: string; line: number; column: number } | undefined> => {
    try {
      await decode();
      return undefined;
    } catch (e) {
      const pe = e as { code?: string; message: string; line: number; column: number };
      if (pe.code !== 'PARSE') throw e;
      return { message: pe.message, line: pe.line, column: pe.column };
    }
  };
  const objects = await failure(async () => {
    for await (const _ of decodeAsb(chunked(bytes, chunk), 'bad.asb'));
  });
  const ops = await failure(async () => {
    for await (const _ of decodeAsbOpsBatches(chunked(bytes, chunk), 'bad.asb'));
  });
  assert.deepEqual(ops, objects, 'the ops decoder fails as the object decoder does');
  if (objects === undefined) await decodeAll(bytes, 'bad.asb', chunk);
  return objects;
}

/** A scan frame body holding the records as the server sends them. */
export function frameOf(records: RecordItem[]): Buffer {
  const specs = records.map((r) => ({
    generation: r.generation,
    recordTtl: r.voidTime,
    fields: [
      { type: FieldType.NAMESPACE, data: Buffer.from(r.namespace) },
      { type: FieldType.DIGEST, data: r.digest },
      ...(r.set !== '' ? [{ type: FieldType.SET, data: Buffer.from(r.set) }] : []),
      ...(r.key ? [{ type: FieldType.KEY, data: Buffer.concat([Buffer.from([r.key.type]), r.key.data]) }] : []),
    ],
    ops: r.bins.map((b) => ({ op: OpType.READ, type: b.type, name: b.name, data: b.data })),
  }));
  const body = Buffer.alloc(specs.reduce((n, s) => n + messageSize(s), 0));
  let at = 0;
  for (const s of specs) at = writeMessage(body, at, s);
  return body;
}
