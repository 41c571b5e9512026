// Golden files (test/fixtures/asb/*.asb, written by hand from the spec and from vector
// lines): the encoder must produce them byte for byte, and the decoder must give back the
// items they were made from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import { geojsonParticle } from '../../lib/protocol/geojson.js';
import type { Bin, RecordItem, StreamItem, UserKey } from '../../lib/records/types.js';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { decodeAll, fixturesDir, vectorsDir } from './helpers.js';

const int = (v: bigint): Buffer => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b; };
const dbl = (v: number): Buffer => { const b = Buffer.alloc(8); b.writeDoubleBE(v); return b; };
const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const bin = (name: string, type: number, data: Buffer): Bin => ({ name, type, data });
const rec = (bins: Bin[], key?: UserKey): RecordItem => {
  const r: RecordItem = { kind: 'record', namespace: 'test', set: 'golden', digest: Buffer.alloc(20), generation: 1, voidTime: 0, bins };
  if (key) r.key = key;
  return r;
};

/** The items of each fixture (the same in normal and compact mode). */
const GOLDEN: Record<string, StreamItem[]> = {
  nil: [rec([bin('n', P.NULL, Buffer.alloc(0))])],
  bool: [rec([bin('t', P.BOOL, hex('01')), bin('f', P.BOOL, hex('00'))])],
  int: [rec([bin('zero', P.INTEGER, int(0n)), bin('neg', P.INTEGER, int(-1n)), bin('min', P.INTEGER, int(-(2n ** 63n))),
    bin('max', P.INTEGER, int(2n ** 63n - 1n)), bin('odd', P.INTEGER, int(2n ** 53n + 1n))])],
  double: [rec([bin('a', P.FLOAT, dbl(0.1)), bin('b', P.FLOAT, dbl(-0)), bin('c', P.FLOAT, dbl(Infinity)), bin('d', P.FLOAT, dbl(-Infinity)),
    bin('e', P.FLOAT, hex('7ff8000000000000')), bin('f', P.FLOAT, hex('fff8000000000000')), bin('g', P.FLOAT, dbl(1e308)),
    bin('h', P.FLOAT, dbl(5e-324)), bin('i', P.FLOAT, dbl(7)), bin('j', P.FLOAT, dbl(0.0001)), bin('k', P.FLOAT, dbl(1e-5))])],
  string: [rec([bin('empty', P.STRING, Buffer.alloc(0)), bin('s', P.STRING, Buffer.from('hello world')), bin('nl', P.STRING, Buffer.from('a\nb\\c')),
    bin('u', P.STRING, Buffer.from('ü')), bin('sp ace', P.STRING, Buffer.from('x')), bin('nul', P.STRING, Buffer.from('a\0b'))])],
  geojson: [rec([bin('point', P.GEOJSON, geojsonParticle(Buffer.from('{"type":"Point","coordinates":[103.913,1.308]}')))])],
  blob: [rec([bin('b', P.BLOB, hex('000102ff')), bin('e', P.BLOB, Buffer.alloc(0)), bin('nl', P.BLOB, hex('0a000a'))])],
  java: [rec([bin('java', P.JAVA_BLOB, Buffer.from('java\0blob\n'))])],
  csharp: [rec([bin('csharp', P.CSHARP_BLOB, Buffer.from('c#'))])],
  python: [rec([bin('python', P.PYTHON_BLOB, hex('80044b012e'))])],
  ruby: [rec([bin('ruby', P.RUBY_BLOB, hex('04086906'))])],
  php: [rec([bin('php', P.PHP_BLOB, Buffer.from('i:1;'))])],
  erlang: [rec([bin('erlang', P.ERLANG_BLOB, hex('836101'))])],
  hll: [rec([bin('h', P.HLL, hex('010203'))])],
  map: [rec([bin('m', P.MAP, hex('81a2036b07')), bin('empty', P.MAP, hex('81c70001c0'))])],
  list: [rec([bin('l', P.LIST, hex('9201a20361')), bin('empty', P.LIST, hex('90'))])],
  keys: [
    rec([bin('v', P.INTEGER, int(1n))], { type: P.INTEGER, data: int(-(2n ** 63n)) }),
    rec([bin('v', P.INTEGER, int(1n))], { type: P.FLOAT, data: dbl(1.5) }),
    rec([bin('v', P.INTEGER, int(1n))], { type: P.STRING, data: Buffer.from('a\nb') }),
    rec([bin('v', P.INTEGER, int(1n))], { type: P.STRING, data: Buffer.alloc(0) }),
    rec([bin('v', P.INTEGER, int(1n))], { type: P.BLOB, data: Buffer.from('k\n1') }),
  ],
  globals: [
    { kind: 'sindex', namespace: 'test', set: 'users', name: 'age_idx', indexType: 'N', bin: 'age', binType: 'N' },
    { kind: 'sindex', namespace: 'test', set: '', name: 'global_name_idx', indexType: 'N', bin: 'name', binType: 'S' },
    { kind: 'sindex', namespace: 'test', set: 'users', name: 'tags_idx', indexType: 'L', bin: 'tags', binType: 'S', context: 'khAA' },
    { kind: 'sindex', namespace: 'test', set: 'my set', name: 'k_idx', indexType: 'K', bin: 'm', binType: 'B' },
    { kind: 'sindex', namespace: 'test', set: 'users', name: 'v_idx', indexType: 'V', bin: 'm', binType: 'G' },
    { kind: 'udf', name: 'hello.lua', udfType: 'L', content: Buffer.from('function hello(rec)\n  return "hi"\nend\n') },
    { kind: 'udf', name: 'empty.lua', udfType: 'L', content: Buffer.alloc(0) },
    { kind: 'record', namespace: 'test', set: '', digest: Buffer.from('zc60ud+TI8PyEjLbO5ee2bO2HwM=', 'base64'), generation: 7, voidTime: 567000000, bins: [] },
  ],
};

for (const [name, items] of Object.entries(GOLDEN)) {
  for (const compact of [false, true]) {
    const file = `${name}${compact ? '-compact' : ''}.asb`;
    test(`positive: golden ${file}`, async () => {
      const data = readFileSync(path.join(fixturesDir, file));
      const first = name === 'globals';
      const encoded = Buffer.concat([encodeHeader('test', first), ...items.map((i) => encodeItem(i, compact))]);
      assert.equal(encoded.toString('latin1'), data.toString('latin1'));
      const { header, items: decoded } = await decodeAll(data, file, 3);
      assert.deepEqual({ ns: header.namespace, first: header.firstFile }, { ns: 'test', first });
      assert.deepEqual(decoded.map((d) => d.item), items);
    });
  }
}

test('positive: golden lines agree with the official vectors where the same value appears', () => {
  const vec = readFileSync(path.join(vectorsDir, 'official-vec.asb')).toString('latin1');
  for (const line of ['- J java 16 amF2YQBibG9iCg==', '- C csharp 4 YyM=', '- P python 8 gARLAS4=', '- R ruby 8 BAhpBg==',
    '- H php 8 aToxOw==', '- E erlang 4 g2EB', '- L empty 4 kA==', '- M empty 8 gccAAcA=', '- S empty 0 ', '- B b 0 ',
    '- G point 46 {"type":"Point","coordinates":[103.913,1.308]}', '- Z t T', '- D d 7', '+ k I -9223372036854775808']) {
    assert.ok(vec.includes(`\n${line}\n`), line);
  }
});
