// The scan parser on a real scan frame (asbackup 3.9.1 against CE 8.1.2.0), on ops with the
// LUT bit, on the stream's control messages, and on every cut of a real frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldType, Info3, MSG_HEADER_SIZE, OpType, ParticleType, PROTO_HEADER_SIZE } from '../../lib/protocol/constants.js';
import { partitionId } from '../../lib/protocol/digest.js';
import { geojsonCellCount } from '../../lib/protocol/geojson.js';
import {
  fieldSize, OP_FLAG_HAS_LUT, OP_LUT_SIZE, opSize, writeField, writeMsgHeader, writeOp, writeStringField,
} from '../../lib/protocol/layout.js';
import { RecordParser, ScanResultError, type ParseSink } from '../../lib/protocol/record-parser.js';
import type { RecordItem } from '../../lib/records/types.js';
import { ProtocolError } from '../../lib/errors.js';
import { wireFrames } from './wire-fixtures.js';

const scanBody = wireFrames('asbackup-vec-scan.hex')[0]!.subarray(PROTO_HEADER_SIZE);

function recorder() {
  const seen: Array<[number, string]> = [];
  const done: Array<[number, number]> = [];
  const sink: ParseSink = {
    record: (pid, body, at) => { seen.push([pid, body.toString('hex', at, at + 20)]); },
    partitionDone: (pid, rc) => { done.push([pid, rc]); },
  };
  return { sink, seen, done };
}

test('positive: a real scan frame parses into its 34 records, as objects and as offsets', () => {
  const a = recorder();
  const records: RecordItem[] = [];
  assert.equal(new RecordParser('test', a.sink).parse(scanBody, records), false, 'no LAST in a record frame');
  assert.equal(records.length, 34);
  assert.ok(records.every((r) => r.namespace === 'test' && r.set === 'vec' && r.digest.length === 20 && r.generation >= 1));
  assert.deepEqual(a.seen, records.map((r) => [partitionId(r.digest), r.digest.toString('hex')]));
  const geo = records.flatMap((r) => r.bins).filter((b) => b.type === ParticleType.GEOJSON);
  assert.ok(geo.length > 0 && geo.every((b) => geojsonCellCount(b.data) > 0 && b.data.toString('latin1').includes('"type"')), 'the server\'s cells, then the text');
  assert.ok(records.some((r) => r.key === undefined) && records.some((r) => r.key?.type === ParticleType.INTEGER));

  const b = recorder();
  const offsets: number[] = [];
  assert.equal(new RecordParser('test', b.sink).offsets(scanBody, offsets), false);
  assert.equal(offsets.length, 34);
  assert.equal(offsets[0], 0);
  assert.deepEqual(b.seen, a.seen);
});

/** A scan record message: NAMESPACE, DIGEST, SET, then ops (with a LUT when `lut` is given). */
function recordMsg(digest: Buffer, bins: Array<{ name: string; type: number; data: Buffer }>, lut?: Buffer): Buffer {
  const extra = lut ? OP_LUT_SIZE : 0;
  let size = MSG_HEADER_SIZE + fieldSize(4) + fieldSize(20) + fieldSize(3);
  for (const b of bins) size += opSize(Buffer.byteLength(b.name), b.data.length) + extra;
  const buf = Buffer.alloc(size);
  let at = writeMsgHeader(buf, 0, 0, 0, 0, 0, 0, 3, 12345, 0, 3, bins.length);
  at = writeStringField(buf, at, FieldType.NAMESPACE, 'test');
  at = writeField(buf, at, FieldType.DIGEST, digest);
  at = writeStringField(buf, at, FieldType.SET, 'lut');
  for (const b of bins) {
    const name = Buffer.from(b.name);
    if (!lut) { at = writeOp(buf, at, OpType.READ, b.type, name, b.data); continue; }
    // The server's layout with has_lut: size counts the LUT, which sits between name and value.
    const value = Buffer.concat([lut, b.data]);
    const next = writeOp(buf, at, OpType.READ, b.type, name, value);
    buf[at + 6] = OP_FLAG_HAS_LUT;
    at = next;
  }
  assert.equal(at, size);
  return buf;
}

test('positive: ops with the LUT bit give the same bins as ops without', () => {
  const digest = Buffer.alloc(20, 7);
  const bins = [
    { name: 'i', type: ParticleType.INTEGER, data: Buffer.from('000000000000002a', 'hex') },
    { name: 'empty', type: ParticleType.STRING, data: Buffer.alloc(0) },
    { name: 's', type: ParticleType.STRING, data: Buffer.from('text') },
  ];
  const parse = (body: Buffer) => {
    const out: RecordItem[] = [];
    new RecordParser('test', recorder().sink).parse(body, out);
    return out;
  };
  const plain = parse(recordMsg(digest, bins));
  const withLut = parse(recordMsg(digest, bins, Buffer.from('0000019ab0c0ffee', 'hex')));
  assert.deepEqual(withLut, plain);
  assert.deepEqual(plain[0]!.bins, bins);
  assert.equal(plain[0]!.voidTime, 12345);
  assert.equal(plain[0]!.generation, 3);
});

/** A bare control message (no fields, no ops). */
function control(info3: number, rc: number, generation = 0): Buffer {
  const b = Buffer.alloc(MSG_HEADER_SIZE);
  writeMsgHeader(b, 0, 0, 0, info3, 0, rc, generation, 0, 0, 0, 0);
  return b;
}

test('positive: partition-done, LAST and KEY_NOT_FOUND end or mark the stream; negative: error results throw', () => {
  const r = recorder();
  const p = new RecordParser('test', r.sink);
  const out: number[] = [];
  assert.equal(p.offsets(Buffer.concat([control(Info3.PARTITION_DONE, 0, 17), control(Info3.PARTITION_DONE, 11, 4095)]), out), false);
  assert.deepEqual(r.done, [[17, 0], [4095, 11]]);
  assert.equal(p.offsets(Buffer.concat([scanBody, control(Info3.LAST, 0)]), out), true);
  assert.equal(out.length, 34);
  assert.equal(p.offsets(control(Info3.LAST, 2), []), true);
  assert.equal(p.offsets(control(0, 2), []), true);
  for (const m of [control(Info3.LAST, 9), control(0, 15)]) {
    assert.throws(() => p.offsets(m, []), (e: unknown) => e instanceof ScanResultError && e.resultCode === m[5]);
  }
  const busy = control(Info3.PARTITION_DONE, 0, 1);
  busy.writeUInt16BE(1, 20); // n_ops on a partition-done
  assert.throws(() => p.offsets(busy, []), ProtocolError);
});

test('negative: every cut of a real frame inside a record, and a record without digest, is a ProtocolError', () => {
  const ends: number[] = [];
  new RecordParser('test', recorder().sink).offsets(scanBody, ends);
  const boundaries = new Set([...ends, scanBody.length]);
  const last = ends[4]!; // the first four records and the start of the fifth
  for (let cut = 1; cut < last; cut++) {
    const body = scanBody.subarray(0, cut);
    for (const mode of ['parse', 'offsets'] as const) {
      const run = () => new RecordParser('test', recorder().sink)[mode](body, []);
      if (boundaries.has(cut)) assert.equal(run(), false);
      else assert.throws(run, ProtocolError, `${mode} cut at ${cut}`);
    }
  }
  const noDigest = recordMsg(Buffer.alloc(20), []);
  noDigest[MSG_HEADER_SIZE + fieldSize(4) + 4] = FieldType.KEY + 40; // the digest field becomes an unknown field
  assert.throws(() => new RecordParser('test', recorder().sink).parse(noDigest, []), ProtocolError);
});
