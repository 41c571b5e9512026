// The AS_MSG layout helpers against real traffic: the Node client's put of a record with a
// bin of every type, the server's answer to the get of it, and the walk's refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FieldType, MSG_HEADER_SIZE, OpType, PROTO_HEADER_SIZE } from '../../lib/protocol/constants.js';
import {
  checkedFieldEnd, checkedOpEnd, checkMsgHeader, fieldDataAt, fieldSize, fieldType, keyFieldSize, MsgOffset, OP_FLAG_HAS_LUT, opCode, opHasLut,
  opNameAt, opNameEnd, opParticleType, opSize, opValueAt, readU16, readU32, viewOf, writeField, writeKeyField, writeMsgHeader, writeOp, writeOpNamed,
  writeStringField,
} from '../../lib/protocol/layout.js';
import { ProtocolError } from '../../lib/errors.js';
import { wireFrames } from './wire-fixtures.js';

const [put, got] = wireFrames('put-get-types.hex') as [Buffer, Buffer];

interface WalkedOp { op: number; type: number; name: string; value: Buffer; lut: boolean }

/** walk: every field and op of the message at `at` with the checked walk. */
function walk(b: Buffer, at: number, limit = b.length) {
  const v = viewOf(b);
  let p = checkMsgHeader(v, at, limit);
  const fields: Array<{ type: number; data: Buffer }> = [];
  for (let i = 0; i < readU16(b, at + MsgOffset.N_FIELDS); i++) {
    const end = checkedFieldEnd(v, p, limit);
    fields.push({ type: fieldType(b, p), data: b.subarray(fieldDataAt(p), end) });
    p = end;
  }
  const ops: WalkedOp[] = [];
  for (let i = 0; i < readU16(b, at + MsgOffset.N_OPS); i++) {
    const end = checkedOpEnd(v, p, limit);
    ops.push({ op: opCode(b, p), type: opParticleType(b, p), name: b.toString('utf8', opNameAt(p), opNameEnd(b, p)), value: b.subarray(opValueAt(b, p), end), lut: opHasLut(b, p) });
    p = end;
  }
  return { fields, ops, end: p };
}

test('positive: the named header offsets read the header of a real put and a real answer', () => {
  const h = PROTO_HEADER_SIZE;
  assert.equal(put[h + MsgOffset.HEADER_SIZE], MSG_HEADER_SIZE);
  assert.equal(put[h + MsgOffset.INFO2], 0x01); // WRITE
  assert.equal(readU32(put, h + MsgOffset.RECORD_TTL), 3600);
  assert.equal(readU32(put, h + MsgOffset.TRANSACTION_TTL), 1000);
  assert.equal(readU16(put, h + MsgOffset.N_FIELDS), 4);
  assert.equal(readU16(put, h + MsgOffset.N_OPS), 14);
  assert.equal(got[h + MsgOffset.RESULT_CODE], 0);
  assert.equal(readU32(got, h + MsgOffset.GENERATION), 1);
  assert.equal(readU32(got, h + MsgOffset.RECORD_TTL), 533161866); // a void time in answers
  assert.equal(readU16(got, h + MsgOffset.N_OPS), 14);
});

test('positive: the writers give back, byte for byte, the put the real client sent', () => {
  const { fields, ops, end } = walk(put, PROTO_HEADER_SIZE);
  assert.equal(end, put.length);
  assert.deepEqual(fields.map((f) => f.type), [FieldType.NAMESPACE, FieldType.SET, FieldType.DIGEST, FieldType.KEY]);
  assert.deepEqual(ops.map((o) => o.name), ['int', 'negint', 'bigint', 'dbl1', 'dbl01', 'str', 'estr', 'buf', 'list', 'map', 'nested', 'geo', 'btrue', 'bfalse']);
  assert.ok(ops.every((o) => o.op === OpType.WRITE && !o.lut));
  const [ns, set, digest, key] = fields.map((f) => f.data) as [Buffer, Buffer, Buffer, Buffer];

  let size = MSG_HEADER_SIZE + fieldSize(ns.length) + fieldSize(set.length) + fieldSize(20) + keyFieldSize(key.length - 1);
  for (const o of ops) size += opSize(Buffer.byteLength(o.name), o.value.length);
  assert.equal(PROTO_HEADER_SIZE + size, put.length);

  // Written at an odd offset into a dirty buffer, with each writer (Buffer and string names).
  for (const named of [false, true]) {
    const buf = Buffer.alloc(3 + put.length, 0xee);
    put.copy(buf, 3, 0, PROTO_HEADER_SIZE);
    let at = writeMsgHeader(buf, 3 + PROTO_HEADER_SIZE, 0, 0x01, 0, 0, 0, 0, 3600, 1000, 4, ops.length);
    at = writeStringField(buf, at, FieldType.NAMESPACE, 'test');
    at = writeField(buf, at, FieldType.SET, Buffer.from('wire'));
    at = writeField(buf, at, FieldType.DIGEST, digest);
    at = writeKeyField(buf, at, key[0]!, key.subarray(1));
    for (const o of ops) {
      at = named ? writeOpNamed(buf, at, o.op, o.type, o.name, o.value) : writeOp(buf, at, o.op, o.type, Buffer.from(o.name), o.value);
    }
    assert.equal(at, buf.length);
    assert.equal(buf.subarray(3).toString('hex'), put.toString('hex'), named ? 'writeOpNamed' : 'writeOp');
    assert.equal(set.toString(), 'wire');
  }
});

test('positive: the op walker reads every bin of a real answer', () => {
  const { fields, ops, end } = walk(got, PROTO_HEADER_SIZE);
  assert.equal(end, got.length);
  assert.equal(fields.length, 0);
  assert.ok(ops.every((o) => o.op === OpType.READ));
  const byName = new Map(ops.map((o) => [o.name, o]));
  assert.equal(byName.get('int')!.value.readBigInt64BE(0), 42n);
  assert.equal(byName.get('str')!.value.toString('utf8'), 'héllo wörld ✓ 日本');
  assert.equal(byName.get('estr')!.value.length, 0);
  assert.equal(byName.get('buf')!.value.toString('hex'), '000102ff');
  assert.equal(byName.get('geo')!.type, 23);
  assert.equal(byName.get('bfalse')!.value.toString('hex'), '00');
});

test('positive: with the LUT bit, the walker steps over the 8-byte last-update time', () => {
  // The answer's "int" op, re-sent as an XDR-style op carrying a LUT between name and value.
  const at = PROTO_HEADER_SIZE + MSG_HEADER_SIZE;
  const plain = got.subarray(at, at + 4 + readU32(got, at));
  const lut = Buffer.from('0000019ab0c0ffee', 'hex');
  const op = Buffer.concat([plain.subarray(0, 8 + 3), lut, plain.subarray(8 + 3)]);
  op.writeUInt32BE(readU32(plain, 0) + 8, 0);
  op[6] = OP_FLAG_HAS_LUT;
  assert.ok(opHasLut(op, 0));
  assert.equal(checkedOpEnd(viewOf(op), 0, op.length), op.length);
  assert.equal(op.toString('utf8', opNameAt(0), opNameEnd(op, 0)), 'int');
  assert.equal(op.subarray(opValueAt(op, 0)).readBigInt64BE(0), 42n);
  assert.deepEqual(op.subarray(opNameEnd(op, 0), opValueAt(op, 0)), lut);
  // An op with the LUT bit but fewer than 8 bytes after its name lies about its size.
  const short = Buffer.alloc(opSize(1, 7));
  writeOp(short, 0, OpType.READ, 3, Buffer.from('s'), Buffer.from('1234567'));
  assert.equal(checkedOpEnd(viewOf(short), 0, short.length), short.length);
  short[6] = OP_FLAG_HAS_LUT;
  assert.throws(() => checkedOpEnd(viewOf(short), 0, short.length), (e: unknown) => e instanceof ProtocolError && e.code === 'PROTOCOL');
});

test('negative: every truncation of a real message, and every lying size, is a ProtocolError', () => {
  const body = got.subarray(PROTO_HEADER_SIZE);
  for (let cut = 0; cut < body.length; cut++) {
    assert.throws(() => walk(body, 0, cut), (e: unknown) => e instanceof ProtocolError && e.code === 'PROTOCOL', `cut at ${cut}`);
  }
  assert.equal(walk(body, 0).end, body.length);
  const badHeader = Buffer.from(body);
  badHeader[0] = 21;
  assert.throws(() => walk(badHeader, 0), ProtocolError);
  const lying = Buffer.from(body);
  lying.writeUInt32BE(3, MSG_HEADER_SIZE); // smaller than the op header's own 4 bytes + name
  assert.throws(() => walk(lying, 0), ProtocolError);
  const zeroField = Buffer.from(put.subarray(PROTO_HEADER_SIZE));
  zeroField.writeUInt32BE(0, MSG_HEADER_SIZE);
  assert.throws(() => walk(zeroField, 0), ProtocolError);
});
