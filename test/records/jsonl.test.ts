import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse, parseLine, stringify } from '../../lib/records/jsonl.js';
import { ParseError } from '../../lib/errors.js';
import { particle } from '../../lib/protocol/particle.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import type { RecordItem, SindexItem } from '../../lib/records/types.js';

function nanBytes(neg: boolean): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(neg ? 0xfff8000000000000n : 0x7ff8000000000000n);
  return b;
}

const rec: RecordItem = {
  kind: 'record', namespace: 'test', set: 'demo', digest: Buffer.alloc(20, 7),
  key: { type: P.INTEGER, data: particle.integer(-9223372036854775808n).data },
  generation: 3, voidTime: 567000000,
  bins: [
    { name: 'max', ...particle.integer(9223372036854775807n) },
    { name: 'small', ...particle.integer(-42) },
    { name: 'one', ...particle.double(1.0) },
    { name: 'negzero', ...particle.double(-0) },
    { name: 'nan', type: P.FLOAT, data: nanBytes(true) },
    { name: 'pnan', type: P.FLOAT, data: nanBytes(false) },
    { name: 'inf', ...particle.double(-Infinity) },
    { name: 'tiny', ...particle.double(5e-324) },
    { name: 's', ...particle.string('ü\n\u0000') },
    { name: 'bad-utf8', type: P.STRING, data: Buffer.from([0xff, 0xfe, 0x41]) },
    { name: 'empty', ...particle.string('') },
    { name: 'java', ...particle.blob(Buffer.from([0, 10, 255]), P.JAVA_BLOB) },
    { name: 'bool', ...particle.bool(true) },
    { name: 'list', ...particle.list(Buffer.from('9201a20361', 'hex')) },
    { name: 'map', ...particle.map(Buffer.from('82c70001c0c0a2036b07', 'hex')) },
    { name: 'hll', ...particle.hll(Buffer.from([1, 2, 3])) },
    { name: 'geo', ...particle.geojson('{"type":"Point","coordinates":[1,2]}') },
    { name: 'nil', ...particle.nil() },
  ],
};

test('positive: every particle type survives a JSON line round trip bit for bit', () => {
  const line = stringify(rec);
  assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
  const back = parse(line) as RecordItem;
  assert.deepEqual(back, rec);
});

test('positive: the line is stable under jq -c . when jq is installed', (t) => {
  let jq: string;
  try {
    jq = execFileSync('jq', ['-c', '.'], { input: stringify(rec) }).toString();
  } catch {
    t.skip('jq is not installed');
    return;
  }
  assert.deepEqual(parse(jq), rec);
});

test('negative: malformed lines name the problem', () => {
  assert.throws(() => parse('{'), { code: 'STREAM' });
  assert.throws(() => parse('{"kind":"thing"}'), { code: 'STREAM' });
  assert.throws(() => parse('{"kind":"record","namespace":"t","digest":"AAAA","bins":[]}'), { code: 'STREAM_VALUE', message: /digest/ });
  assert.throws(() => parse('{"kind":"record","namespace":"t","digest":"AAAA"}'), { code: 'STREAM', message: /bins/ });
});

const D = Buffer.alloc(20, 1).toString('base64');
const line = (o: Record<string, unknown>): string => JSON.stringify({ kind: 'record', namespace: 't', digest: D, bins: [], ...o });
const bin = (b: Record<string, unknown>): string => line({ bins: [{ name: 'a', ...b }] });

test('negative: values are refused, never rounded or guessed (issue 11, item 5)', () => {
  const cases: Array<[string, string, RegExp]> = [
    [bin({ type: 'integer', value: 1.5 }), 'STREAM_VALUE', /bin "a": 1.5 is not/],
    [bin({ type: 'integer', value: -0.9 }), 'STREAM_VALUE', /bin "a": -0.9 is not/],
    [bin({ type: 'integer', value: '99999999999999999999' }), 'STREAM_VALUE', /bin "a"/],
    [bin({ type: 'integer', value: '1e3' }), 'STREAM_VALUE', /bin "a"/],
    [bin({ type: 'integer', value: 2 ** 60 }), 'STREAM_VALUE', /decimal string/],
    [bin({ type: 'double', value: 'x' }), 'STREAM_VALUE', /bin "a"/],
    [bin({ type: 'string', value: 5 }), 'STREAM_VALUE', /bin "a"/],
    [bin({ type: 'bool', value: 1 }), 'STREAM_VALUE', /bin "a"/],
    [bin({ type: 'blob', value: 'AQI=' }), 'STREAM_VALUE', /base64/],
    [bin({ type: 'blob', base64: 'AQI' }), 'STREAM_BASE64', /bin "a" base64/],
    [bin({ type: 'blob', base64: 'A Q I =' }), 'STREAM_BASE64', /bin "a" base64/],
    [bin({ type: 'blob', base64: 'AQ-_' }), 'STREAM_BASE64', /bin "a" base64/],
    [bin({ type: 'blob', base64: 'AR==' }), 'STREAM_BASE64', /bin "a" base64/], // non-zero padding bits
    [bin({ type: 'string', value: 'x', base64: 'eA==' }), 'STREAM_VALUE', /both/],
    [bin({ type: 'weird' }), 'STREAM_VALUE', /unknown particle type/],
    [bin({ type: 'integer', value: 1, view: 1 }), 'STREAM_VALUE', /view/],
    [line({ digest: 'AQID!!' }), 'STREAM_BASE64', /digest/],
    [line({ generation: 'x' }), 'STREAM_VALUE', /generation/],
    [line({ generation: -1 }), 'STREAM_VALUE', /generation/],
    [line({ generation: 70000 }), 'STREAM_VALUE', /generation/],
    [line({ generation: 1.5 }), 'STREAM_VALUE', /generation/],
    [line({ voidTime: 'abc' }), 'STREAM_VALUE', /voidTime/],
    [line({ voidTime: 2 ** 32 }), 'STREAM_VALUE', /voidTime/],
    [line({ lastUpdate: -5 }), 'STREAM_VALUE', /lastUpdate/],
    [line({ set: 7 }), 'STREAM_VALUE', /set/],
    [line({ key: { type: 'integer', value: 0.5 } }), 'STREAM_VALUE', /key/],
    [JSON.stringify({ kind: 'sindex', namespace: 't', set: '', name: 'i', indexType: 'Q', bin: 'b', binType: 'N' }), 'STREAM_VALUE', /indexType/],
    [JSON.stringify({ kind: 'sindex', namespace: 't', set: '', name: 'i', indexType: 'N', bin: 'b', binType: 'I' }), 'STREAM_VALUE', /binType/],
    [JSON.stringify({ kind: 'sindex', namespace: 't', set: '', name: 'i', indexType: 'N', bin: 'b', binType: 'N', context: '!!' }), 'STREAM_BASE64', /context/],
    [JSON.stringify({ kind: 'sindex', namespace: 't', set: '', name: 'i', indexType: 'N', bin: 'b', binType: 'N', context: 'AQ==' }), 'STREAM_VALUE', /context/],
    [JSON.stringify({ kind: 'udf', name: 'x.lua', udfType: 'L', content: '!!!' }), 'STREAM_BASE64', /content/],
    [JSON.stringify({ kind: 'udf', name: 'x.lua', udfType: 'L', content: '' }), 'UDF_EMPTY', /x\.lua/],
    [JSON.stringify({ kind: 'udf', name: 'x.lua', udfType: 'P', content: 'eA==' }), 'STREAM_VALUE', /udfType/],
  ];
  for (const [text, code, message] of cases) assert.throws(() => parse(text), { code, message }, text);
});

test('positive: the accepted forms of values', () => {
  const ok = (b: Record<string, unknown>) => (parse(bin(b)) as RecordItem).bins[0]!.data;
  assert.deepEqual(ok({ type: 'integer', value: '-9223372036854775808' }), particle.integer(-9223372036854775808n).data);
  assert.deepEqual(ok({ type: 'integer', value: -0 }), particle.integer(0).data);
  assert.deepEqual(ok({ type: 'integer', value: 9007199254740991 }), particle.integer(9007199254740991).data);
  assert.deepEqual(ok({ type: 'double', value: 2 }), particle.double(2).data);
  assert.deepEqual(ok({ type: 'blob', base64: '' }), Buffer.alloc(0));
  const s = parse(JSON.stringify({ kind: 'sindex', namespace: 't', set: '', name: 'i', bin: 'b', binType: 'N', context: Buffer.from([0x92, 0x10, 0x00]).toString('base64') })) as SindexItem;
  assert.deepEqual([s.indexType, s.context], ['N', 'khAA']);
  const r = parse(JSON.stringify({ kind: 'record', namespace: 't', digest: D, bins: [] })) as RecordItem;
  assert.deepEqual([r.generation, r.voidTime, r.set], [0, 0, '']);
});

test('positive: with the view option lists and maps carry a view; parse checks it and keeps it', () => {
  const withView = stringify(rec, { view: true });
  const o = JSON.parse(withView);
  const list = o.bins.find((b: { name: string }) => b.name === 'list');
  assert.deepEqual(list.view, [1, 'a']);
  // the map of `rec` is not valid msgpack: no view, the bytes alone
  assert.equal('view' in o.bins.find((b: { name: string }) => b.name === 'map'), false);
  assert.equal(stringify(rec), stringify(rec, { view: false }));
  assert.ok(!stringify(rec).includes('"view"'));
  const back = parse(withView) as RecordItem;
  assert.equal(back.bins.find((b) => b.name === 'list')!.view, true);
  // a stage that re-serializes (as-filter) keeps the views that came in
  assert.equal(stringify(back), withView);
});

test('negative: a view that differs from its bytes, or a view without bytes, is refused', () => {
  const good = { type: 'list', view: [1, 'a'], base64: Buffer.from('9201a20361', 'hex').toString('base64') };
  assert.equal((parse(bin(good)) as RecordItem).bins[0]!.view, true);
  assert.throws(() => parse(bin({ ...good, view: [1, 'b'] })), { code: 'STREAM_VIEW_MISMATCH', message: new RegExp(`record ${D.replace(/[+/]/g, '.')}: bin "a"`) });
  assert.throws(() => parse(bin({ ...good, view: [1, 'a', 2] })), { code: 'STREAM_VIEW_MISMATCH' });
  assert.throws(() => parse(bin({ type: 'list', view: [1, 'a'] })), { code: 'STREAM_VIEW_WITHOUT_BYTES', message: /bin "a"/ });
  assert.throws(() => parse(bin({ type: 'map', value: { a: 1 } })), { code: 'STREAM_VIEW_WITHOUT_BYTES' });
  // bytes that are not msgpack have no view to agree with
  assert.throws(() => parse(bin({ type: 'list', view: null, base64: 'kg==' })), { code: 'STREAM_VIEW_MISMATCH' });
  // key order inside a view does not matter (jq -S)
  const m = { type: 'map', view: { b: 2, a: 1 }, base64: Buffer.from('82a2036101a2036202', 'hex').toString('base64') };
  assert.equal((parse(bin(m)) as RecordItem).bins[0]!.view, true);
});

test('negative: parseLine names file:line and keeps the code', () => {
  assert.throws(() => parseLine(line({ generation: 'x' }), '<stdin>', 7), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.deepEqual([e.code, e.file, e.line], ['STREAM_VALUE', '<stdin>', 7]);
    return true;
  });
});
