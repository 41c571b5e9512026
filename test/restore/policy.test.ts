// The write policies against records that exist, are older or are newer on the server;
// the put layout; TTL rules; as-write with indexes and UDFs in the stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { decodeMessage, encodeMessage, field } from '../../lib/protocol/message.js';
import { FieldType } from '../../lib/protocol/constants.js';
import { stringify } from '../../lib/records/jsonl.js';
import type { RecordItem, StreamItem } from '../../lib/records/types.js';
import { TTL_NEVER, ttlFor, writeBits } from '../../lib/restore/write-policy.js';
import { putFrame } from '../../lib/restore/writer.js';
import { errorCode, runProgram, tempDir } from '../helpers.js';
import { wireFrames } from '../protocol/wire-fixtures.js';

let server: DevServer;
let host: string;
before(async () => {
  server = await startDevServer({ nodes: 3, namespaces: ['test', 'bar'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
});
after(async () => {
  await server.close();
});

const key = (k: string) => particle.string(k);
const digest = (k: string) => computeDigest('p', 3, Buffer.from(k));
function rec(k: string, generation: number, bins: Record<string, number>): RecordItem {
  return {
    kind: 'record', namespace: 'test', set: 'p', digest: digest(k), key: key(k), generation, voidTime: 0,
    bins: Object.entries(bins).map(([name, v]) => ({ name, ...particle.integer(v) })),
  };
}
function asbFile(items: StreamItem[]): string {
  const f = join(tempDir(), 'p.asb');
  writeFileSync(f, Buffer.concat([encodeHeader('test', true), ...items.map((i) => encodeItem(i))]));
  return f;
}
const binsOf = (k: string) => Object.fromEntries((server.get('bar', digest(k))?.bins ?? []).map((b) => [b.name, b.data.readBigInt64BE()]));

// Server state before each policy run: 'old' at gen 1 with an extra bin, 'new' at gen 9.
function seed(): void {
  server.truncate('bar');
  server.put('bar', 'p', digest('old'), [{ name: 'a', ...particle.integer(1) }, { name: 'x', ...particle.integer(7) }], { key: key('old'), generation: 1 });
  server.put('bar', 'p', digest('new'), [{ name: 'a', ...particle.integer(1) }], { key: key('new'), generation: 9 });
}
const file = () => asbFile([rec('old', 5, { a: 2 }), rec('new', 5, { a: 2 }), rec('missing', 5, { a: 2 })]);
const restoreWith = (args: string[]) => runProgram('asrestore', ['-h', host, '-n', 'test,bar', '-i', file(), ...args]);

test('policy: default updates older records (bins merged), leaves newer ones, creates missing ones', async () => {
  seed();
  const r = await restoreWith([]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Inserted 2 record\(s\), skipped 1 \(existed 0, fresher 1,/);
  assert.deepEqual(binsOf('old'), { a: 2n, x: 7n });
  assert.deepEqual(binsOf('new'), { a: 1n });
  assert.deepEqual(binsOf('missing'), { a: 2n });
});

test('policy: -g writes over newer records too', async () => {
  seed();
  const r = await restoreWith(['-g']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Inserted 3 record\(s\), skipped 0/);
  assert.deepEqual(binsOf('new'), { a: 2n });
});

test('policy: -r replaces older records whole (extra bins gone), still respects generation', async () => {
  seed();
  const r = await restoreWith(['-r']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Inserted 2 record\(s\), skipped 1 \(existed 0, fresher 1,/);
  assert.deepEqual(binsOf('old'), { a: 2n });
  assert.deepEqual(binsOf('new'), { a: 1n });
  seed();
  const rg = await restoreWith(['-r', '-g']);
  assert.match(rg.stderr, /Inserted 3 record\(s\)/);
  assert.deepEqual(binsOf('new'), { a: 2n });
});

test('policy: -u creates only; existing records are untouched and counted existed', async () => {
  seed();
  const r = await restoreWith(['-u']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Inserted 1 record\(s\), skipped 2 \(existed 2, fresher 0,/);
  assert.deepEqual(binsOf('old'), { a: 1n, x: 7n });
  assert.equal(server.get('bar', digest('old'))!.generation, 1);
});

test('policy: a rejected record fails the restore (exit 1) unless --ignore-record-error', async () => {
  server.truncate('bar');
  // The server holds 'k' under another key: KEY_MISMATCH (19) for the restored one.
  server.put('bar', 'p', digest('k'), [{ name: 'a', ...particle.integer(1) }], { key: key('other') });
  const f = asbFile([rec('k', 5, { a: 2 }), rec('fine', 1, { a: 3 })]);
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,bar', '-i', f]);
  assert.equal(r.code, 1);
  assert.equal(errorCode(r.stderr), 'RECORD_REJECTED');
  assert.match(r.stderr, /failed 1/);
  const ok = await runProgram('asrestore', ['-h', host, '-n', 'test,bar', '-i', f, '--ignore-record-error']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /ignored errors 1, failed 0/);
  assert.deepEqual(binsOf('fine'), { a: 3n });
});

test('unit: header bits, TTL rule and the put layout', () => {
  assert.deepEqual(writeBits({}), { info2: 0x01 | 0x08, info3: 0, sendGeneration: true });
  assert.deepEqual(writeBits({ unique: true }), { info2: 0x01 | 0x08 | 0x20, info3: 0, sendGeneration: true });
  assert.deepEqual(writeBits({ replace: true, noGeneration: true }), { info2: 0x01, info3: 0x10, sendGeneration: false });
  assert.equal(ttlFor(0, 1000), TTL_NEVER);
  assert.equal(ttlFor(1000, 1000), undefined);
  assert.equal(ttlFor(900, 1000, 100), undefined);
  assert.equal(ttlFor(900, 1000, 101), 1);
  const r = { ...rec('old', 5, { a: 2 }), set: '' };
  delete r.key;
  const f = putFrame(r, 'bar', writeBits({}), 77);
  const { msg } = decodeMessage(f.subarray(8));
  assert.deepEqual(msg.fields.map((x) => x.type), [0, 1, 4], 'NAMESPACE, SET (empty), DIGEST; no KEY');
  assert.equal(msg.fields[1]!.data.length, 0);
  assert.deepEqual(msg.fields[2]!.data, r.digest);
  assert.equal(msg.generation, 5);
  assert.equal(msg.recordTtl, 77);
  assert.deepEqual(msg.ops.map((o) => [o.op, o.type, o.name, o.data.toString('hex')]), [[2, 1, 'a', '0000000000000002']]);
  const k = decodeMessage(putFrame(rec('old', 5, { a: 2 }), 'bar', writeBits({ noGeneration: true }), 1).subarray(8)).msg;
  assert.deepEqual(k.fields.map((x) => x.type), [0, 1, 4, 2]);
  assert.equal(k.generation, 0);
});

test('unit: putFrame writes the bytes the generic message encoder gives', () => {
  const geo = particle.geojson('{"type":"Point","coordinates":[1,2]}');
  const records: RecordItem[] = [
    rec('a', 7, { a: 1, bb: -2 }),
    { ...rec('b', 1, {}), set: '', bins: [{ name: 'ünï', ...particle.string('ä text') }, { name: 'd', ...particle.double(0.1) }] },
    { ...rec('c', 65535, {}), set: 'ß-set', key: particle.integer(-5), bins: [{ name: 'g', ...geo }, { name: 'l', ...particle.list(Buffer.from('92a2016102', 'hex')) }] },
    { ...rec('d', 3, {}), key: particle.blob(Buffer.from([0, 1, 2])), bins: [{ name: 'n', type: 0, data: Buffer.alloc(0) }] },
  ];
  for (const r of records) {
    for (const bits of [writeBits({}), writeBits({ unique: true }), writeBits({ replace: true, noGeneration: true })]) {
      const spec = {
        info2: bits.info2, info3: bits.info3, generation: bits.sendGeneration ? r.generation : 0, recordTtl: 123, transactionTtl: 9,
        fields: [
          { type: 0, data: Buffer.from('bär') }, { type: 1, data: Buffer.from(r.set) }, { type: 4, data: r.digest },
          ...(r.key ? [{ type: 2, data: Buffer.concat([Buffer.from([r.key.type]), r.key.data]) }] : []),
        ],
        ops: r.bins.map((b) => ({ op: 2, type: b.type, name: b.name, data: b.data })),
      };
      assert.ok(putFrame(r, 'bär', bits, 123, 9).equals(encodeMessage(spec)), `record ${r.bins.map((b) => b.name).join()}`);
    }
  }
});

test('unit: putFrame of the record the server answered is the put the real client sent, byte for byte', () => {
  // The get answer carries the server's GeoJSON cell; the put must carry the client's form.
  const [put, got] = wireFrames('put-get-types.hex') as [Buffer, Buffer];
  const sent = decodeMessage(put.subarray(8)).msg;
  const answer = decodeMessage(got.subarray(8)).msg;
  const keyField = field(sent, FieldType.KEY)!;
  const r: RecordItem = {
    kind: 'record', namespace: 'test', set: 'wire', digest: field(sent, FieldType.DIGEST)!, key: { type: keyField[0]!, data: keyField.subarray(1) },
    generation: answer.generation, voidTime: answer.recordTtl, bins: answer.ops.map((o) => ({ name: o.name, type: o.type, data: o.data })),
  };
  assert.ok(r.bins.some((b) => b.type === 23 && b.data.readUInt16BE(1) === 1), 'the answer holds a GeoJSON particle with a cell');
  assert.equal(putFrame(r, 'test', writeBits({ noGeneration: true }), 3600, 1000).toString('hex'), put.toString('hex'));
});

test('as-write: a JSON-line stream with an index, a UDF and records, -n renames, -u counts existing', async () => {
  server.truncate('bar');
  const items: StreamItem[] = [
    { kind: 'sindex', namespace: 'test', set: 'p', name: 'p_a', indexType: 'N', bin: 'a', binType: 'N' },
    { kind: 'udf', name: 'w.lua', udfType: 'L', content: Buffer.from('function f(r) return 1 end\n') },
    rec('w1', 1, { a: 1 }), rec('w2', 1, { a: 2 }), { ...rec('nobins', 1, {}) },
  ];
  const input = items.map((i) => stringify(i)).join('');
  const r = await runProgram('as-write', ['-h', host, '-n', 'bar'], { input });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Wrote 2 of 3 record\(s\).*no bins 1.*1 secondary index\(es\), 1 UDF file\(s\)/);
  assert.deepEqual(binsOf('w2'), { a: 2n });
  const again = await runProgram('as-write', ['-h', host, '-n', 'bar', '-u'], { input });
  assert.match(again.stderr, /existed 2/);
});
