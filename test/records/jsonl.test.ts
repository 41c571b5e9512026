import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parse, stringify } from '../../lib/records/jsonl.js';
import { particle } from '../../lib/protocol/particle.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import type { RecordItem } from '../../lib/records/types.js';

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
  assert.throws(() => parse('{'), /not JSON/);
  assert.throws(() => parse('{"kind":"thing"}'), /unknown item kind/);
  assert.throws(() => parse('{"kind":"record","namespace":"t","digest":"AAAA"}'), /not 20 bytes/);
  const bad = JSON.stringify({ kind: 'record', namespace: 't', digest: Buffer.alloc(20).toString('base64'), bins: [{ name: 'a', type: 'integer', value: '99999999999999999999' }] });
  assert.throws(() => parse(bad), /invalid value/);
  const unknownType = JSON.stringify({ kind: 'record', namespace: 't', digest: Buffer.alloc(20).toString('base64'), bins: [{ name: 'a', type: 'weird' }] });
  assert.throws(() => parse(unknownType), /unknown particle type/);
});
