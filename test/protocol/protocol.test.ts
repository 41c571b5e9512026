import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameReader, frame, readProtoHeader } from '../../lib/protocol/frame.js';
import { ProtoType, FieldType, OpType, ParticleType, Info1, Info3 } from '../../lib/protocol/constants.js';
import { encodeMessage, decodeMessage, decodeMessages, Fields, field } from '../../lib/protocol/message.js';
import { infoRequest, parseInfo, infoError, parseKeyValues } from '../../lib/protocol/info.js';
import { computeDigest, partitionId, userKey } from '../../lib/protocol/digest.js';
import { compile, selectionFilter, exp } from '../../lib/protocol/expression.js';
import { pack, unpack } from '../../lib/protocol/msgpack.js';
import { compressMessage, decompressBody } from '../../lib/protocol/compress.js';
import { encodeAdmin, decodeAdmin, loginRequest } from '../../lib/protocol/admin.js';
import { particle, readInteger, readGeojson } from '../../lib/protocol/particle.js';
import { ProtocolError } from '../../lib/errors.js';

const sample = () => [
  frame(ProtoType.INFO, Buffer.from('node\tBB9\n')),
  encodeMessage({ info1: Info1.READ, fields: [Fields.string(FieldType.NAMESPACE, 'test')], ops: [{ op: OpType.READ, type: 0, name: 'a', data: Buffer.alloc(0) }] }),
  frame(ProtoType.INFO, Buffer.alloc(0)),
];

test('positive: frames reassemble when fed byte by byte', () => {
  const all = Buffer.concat(sample());
  const r = new FrameReader();
  const got = [];
  for (const b of all) got.push(...r.push(Buffer.from([b])));
  assert.equal(got.length, 3);
  assert.equal(got[0]!.type, ProtoType.INFO);
  assert.equal(got[0]!.body.toString(), 'node\tBB9\n');
  assert.equal(got[2]!.body.length, 0);
  assert.equal(r.pending, 0);
});

test('positive: frames reassemble when split inside the header and across frames', () => {
  const all = Buffer.concat(sample());
  for (let cut1 = 1; cut1 < all.length - 1; cut1 += 3) {
    const r = new FrameReader();
    const got = [...r.push(all.subarray(0, cut1)), ...r.push(all.subarray(cut1, cut1 + 5)), ...r.push(all.subarray(cut1 + 5))];
    assert.equal(got.length, 3, `cut at ${cut1}`);
    assert.deepEqual(got.map((f) => f.body.length), [9, 22 + 9 + 9, 0]);
  }
});

test('negative: a bad version, type or absurd size is a ProtocolError', () => {
  assert.throws(() => new FrameReader().push(Buffer.from([9, 1, 0, 0, 0, 0, 0, 0])), ProtocolError);
  assert.throws(() => new FrameReader().push(Buffer.from([2, 9, 0, 0, 0, 0, 0, 0])), ProtocolError);
  assert.throws(() => new FrameReader().push(Buffer.from([2, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), ProtocolError);
});

test('positive: proto header is version 2, type, 48-bit size', () => {
  const f = frame(ProtoType.MSG, Buffer.alloc(300));
  assert.deepEqual([...f.subarray(0, 8)], [2, 3, 0, 0, 0, 0, 1, 44]);
  assert.deepEqual(readProtoHeader(f), { version: 2, type: 3, size: 300 });
});

test('positive: AS_MSG encode/decode round trip with fields and ops', () => {
  const buf = encodeMessage({
    info1: Info1.READ | Info1.GET_NO_BINS, info3: Info3.PARTITION_DONE, generation: 7, recordTtl: 0xffffffff, transactionTtl: 1000,
    fields: [Fields.string(FieldType.NAMESPACE, 'test'), Fields.u32(FieldType.SOCKET_TIMEOUT, 30000), Fields.u64(FieldType.TASK_ID, 123n)],
    ops: [{ op: OpType.WRITE, type: ParticleType.INTEGER, name: 'bin', data: particle.integer(-5n).data }],
  });
  assert.equal(buf[8], 22);
  const { msg, end } = decodeMessage(buf.subarray(8));
  assert.equal(end, buf.length - 8);
  assert.equal(msg.info1, 0x21);
  assert.equal(msg.info3, 4);
  assert.equal(msg.generation, 7);
  assert.equal(msg.recordTtl, 0xffffffff);
  assert.equal(field(msg, FieldType.NAMESPACE)!.toString(), 'test');
  assert.equal(field(msg, FieldType.SOCKET_TIMEOUT)!.readUInt32BE(0), 30000);
  assert.equal(msg.ops[0]!.name, 'bin');
  assert.equal(readInteger(msg.ops[0]!.data), -5n);
});

test('positive: several messages in one body; negative: lying lengths', () => {
  const a = encodeMessage({ generation: 1 }).subarray(8);
  const b = encodeMessage({ info3: Info3.LAST }).subarray(8);
  const msgs = decodeMessages(Buffer.concat([a, b]));
  assert.equal(msgs.length, 2);
  assert.equal(msgs[1]!.info3, Info3.LAST);
  const bad = Buffer.from(encodeMessage({ fields: [Fields.string(0, 'x')] }).subarray(8));
  bad.writeUInt32BE(1000, 22);
  assert.throws(() => decodeMessage(bad), ProtocolError);
  assert.throws(() => decodeMessage(Buffer.alloc(10)), ProtocolError);
});

test('positive: info request and answers, including values with newlines', () => {
  assert.equal(infoRequest(['node', 'build']).subarray(8).toString(), 'node\nbuild\n');
  assert.deepEqual(parseInfo('node\tBB9\nbuild\t8.1.2.0\n'), [['node', 'BB9'], ['build', '8.1.2.0']]);
  const withNl = 'sets/test\tns=test:set=a\nb:objects=1;\nbuild\t8.1.2.0\n';
  assert.deepEqual(parseInfo(withNl, ['sets/test', 'build']), [['sets/test', 'ns=test:set=a\nb:objects=1;'], ['build', '8.1.2.0']]);
  assert.deepEqual(infoError('ERROR:4:unrecognized command'), { code: 4, message: 'unrecognized command' });
  assert.deepEqual(infoError('error=not_found'), { code: 100, message: 'not_found' });
  assert.equal(infoError('ok'), undefined);
  assert.deepEqual(parseKeyValues('objects=3;type=x;junk'), { objects: '3', type: 'x' });
});

test('positive: digests match the published vectors; partition id is LE u16 mod 4096', () => {
  const k = userKey(1);
  assert.equal(computeDigest('demo', k.type, k.data).toString('hex'), 'b7f4b83889e2da67de683e1df6919a1eacc446c8');
  const s = userKey('key1');
  const d = computeDigest('demo', s.type, s.data);
  assert.equal(d.toString('hex'), 'ec91192d4b7f8ce35d5d78d34bca65cbaaaac960');
  assert.equal(d.toString('base64'), '7JEZLUt/jONdXXjTS8ply6qqyWA=');
  assert.equal(partitionId(d), 492);
});

test('positive: modified-after/before expressions match the documented bytes', () => {
  const after = Date.UTC(2024, 0, 1);
  assert.equal(compile(selectionFilter({ modifiedAfter: after })!).toString('hex'), '930491' + '42cf17a610170165' + '0000');
  const both = compile(selectionFilter({ modifiedAfter: after, modifiedBefore: Date.UTC(2024, 1, 1) })!);
  assert.equal(both.toString('hex'), '9310' + '930491' + '42cf17a6101701650000' + '930591' + '42cf17af941499f60000');
  assert.equal(compile(exp.eq(exp.ttl(), exp.int(-1))).toString('hex'), '930191' + '45ff');
  assert.equal(selectionFilter({}), undefined);
  assert.equal(selectionFilter({ percent: 100 }), undefined);
});

test('positive: msgpack strings carry the particle type byte and round trip', () => {
  const b = pack(['a', Buffer.from([1]), 300, -1, null, true]);
  assert.equal(b.toString('hex'), '96' + 'a20361' + 'a20401' + 'cd012c' + 'ff' + 'c0' + 'c3');
  const { value } = unpack(b);
  assert.ok(Array.isArray(value));
  assert.deepEqual((value as unknown[])[0], { str: 3, data: Buffer.from('a') });
  assert.equal((value as unknown[])[2], 300n);
});

test('positive: compressed messages round trip; negative: a bad inner size', () => {
  const inner = encodeMessage({ generation: 9, fields: [Fields.string(0, 'x'.repeat(500))] });
  const outer = compressMessage(inner);
  assert.equal(outer[1], ProtoType.MSG_COMPRESSED);
  assert.deepEqual(decompressBody(outer.subarray(8)), inner.subarray(8));
  const bad = Buffer.from(outer.subarray(8));
  bad.writeBigUInt64BE(5n, 0);
  assert.throws(() => decompressBody(bad), ProtocolError);
});

test('positive: admin login message layout', () => {
  const m = loginRequest('admin', '$2a$10$x');
  assert.equal(m[1], ProtoType.ADMIN);
  assert.equal(m[10], 20);
  assert.equal(m[11], 2);
  const d = decodeAdmin(m.subarray(8));
  assert.equal(d.fields.get(0)!.toString(), 'admin');
  assert.equal(decodeAdmin(encodeAdmin(0, [], 52).subarray(8)).result, 52);
});

test('positive: GeoJSON particle reader skips the cells', () => {
  const p = Buffer.concat([Buffer.from([0, 0, 1]), Buffer.from('31da180ab7f7a279', 'hex'), Buffer.from('{"type":"Point"}')]);
  const g = readGeojson(p);
  assert.equal(g.cells.length, 1);
  assert.equal(g.json, '{"type":"Point"}');
  assert.equal(particle.geojson('{}').data.length, 5);
});
