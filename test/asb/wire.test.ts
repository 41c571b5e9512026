// The wire-form fast path must write exactly what the object path writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeItem, encodeWireRun } from '../../lib/asb/encode.js';
import { writeMessage, messageSize } from '../../lib/protocol/message.js';
import { FieldType, OpType } from '../../lib/protocol/constants.js';
import { RecordParser } from '../../lib/protocol/record-parser.js';
import type { RecordItem } from '../../lib/records/types.js';
import { decodeAll, vectorsDir } from './helpers.js';
import { wireFrames } from '../protocol/wire-fixtures.js';

/** A scan frame body holding the records as the server sends them. */
function frameOf(records: RecordItem[]): Buffer {
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

test('positive: every record of the official vectors encodes the same from wire form', async () => {
  for (const compact of [false, true]) {
    const { items } = await decodeAll(readFileSync(path.join(vectorsDir, 'official-vec.asb')));
    const records = items.map((d) => d.item).filter((i): i is RecordItem => i.kind === 'record');
    assert.ok(records.length >= 190);
    const body = frameOf(records);
    const offsets: number[] = [];
    const sink = { record() {}, partitionDone() {} };
    new RecordParser('test', sink).offsets(body, offsets);
    assert.equal(offsets.length, records.length);
    const run = encodeWireRun({ namespace: 'test', body, offsets }, compact);
    assert.equal(run.ends.length, records.length);
    records.forEach((r, i) => {
      const block = run.bytes.subarray(i === 0 ? 0 : run.ends[i - 1], run.ends[i]);
      assert.ok(block.equals(encodeItem(r, compact)), `record ${i} (compact ${compact})`);
    });
    assert.equal(run.ends[records.length - 1], run.bytes.length);
  }
});

test('positive: a real scan frame (asbackup 3.9.1, CE 8.1.2.0) encodes the same from wire form and from objects', () => {
  const body = wireFrames('asbackup-vec-scan.hex')[0]!.subarray(8);
  const sink = { record() {}, partitionDone() {} };
  const records: RecordItem[] = [];
  new RecordParser('test', sink).parse(body, records);
  const offsets: number[] = [];
  new RecordParser('test', sink).offsets(body, offsets);
  assert.equal(offsets.length, 34);
  for (const compact of [false, true]) {
    const run = encodeWireRun({ namespace: 'test', body, offsets }, compact);
    const blocks = records.map((r) => Buffer.from(encodeItem(r, compact)));
    assert.ok(Buffer.from(run.bytes).equals(Buffer.concat(blocks)), `compact ${compact}`);
    // The GeoJSON bins carry the server's cells; the .asb keeps the text only.
    assert.match(Buffer.concat(blocks).toString('latin1'), /\n- G gidx \d+ \{"type":"Point"/);
  }
});
