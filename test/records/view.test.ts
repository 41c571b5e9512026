// The view of lists and maps (lib/records/view.ts): every rule of docs/record-stream.md on
// hand-made msgpack, the lists and maps of the official vectors (written by the Node client
// and the official asbackup), and random values against an independent oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_VIEW_DEPTH, sameView, viewOf, viewText } from '../../lib/records/view.js';
import { decodeAsb } from '../../lib/asb/decode.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import { pack, unpack, type PackValue, type Unpacked } from '../../lib/protocol/msgpack.js';
import type { RecordItem } from '../../lib/records/types.js';
import { repoRoot } from '../helpers.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/ /g, ''), 'hex');
const list = (s: string): unknown => viewOf(P.LIST, hex(s));
const map = (s: string): unknown => viewOf(P.MAP, hex(s));
const str = (s: string, type = 3): string => {
  const b = Buffer.concat([Buffer.from([type]), Buffer.from(s)]);
  return Buffer.concat([Buffer.from([0xa0 | b.length]), b]).toString('hex');
};

test('positive: scalars read as a bin of their type reads', () => {
  assert.deepEqual(list('93 c0 c3 c2'), [null, true, false]);
  // integers of every width, and the 2^53 limit beyond which they are decimal strings
  assert.deepEqual(list('97 05 ff cc ff d1 8000 ce ffffffff d3 001fffffffffffff d3 0020000000000000'),
    [5, -1, 255, -32768, 4294967295, 9007199254740991, '9007199254740992']);
  assert.deepEqual(list('92 d3 8000000000000000 cf 7fffffffffffffff'), ['-9223372036854775808', '9223372036854775807']);
  // a uint64 above 2^63-1 is an Aerospike (signed) integer, as the clients read it
  assert.deepEqual(list('91 cf ffffffffffffffff'), [-1]);
  // doubles: whole numbers are plain numbers; the specials are strings, as in a double bin
  assert.deepEqual(list('97 cb 3ff0000000000000 cb 3ff8000000000000 cb 7ff8000000000000 cb fff8000000000000 cb 7ff0000000000000 cb fff0000000000000 cb 8000000000000000'),
    [1, 1.5, 'nan', '-nan', 'inf', '-inf', '-0']);
  assert.deepEqual(list('91 ca 3fc00000'), [1.5]); // float32
});

test('positive: the particle-type byte of str/bin values picks the form', () => {
  assert.deepEqual(list(`93 ${str('vip')} ${str('\x01\x02', 4)} ${str('x', 7)}`), ['vip', { $blob: 'AQI=' }, { '$java-blob': 'eA==' }]);
  assert.deepEqual(list(`92 ${str('{"type":"Point"}', 23)} ${str('h', 18)}`), [{ $geojson: '{"type":"Point"}' }, { $hll: 'aA==' }]);
  // str8 / str16 / bin8 lead bytes carry the same payload
  assert.deepEqual(list('93 d9 02 0361 da 0002 0362 c4 02 0363'), ['a', 'b', 'c']);
  // what cannot be shown otherwise: the element's own msgpack
  assert.deepEqual(list('91 a0'), [{ $msgpack: 'oA==' }]); // no type byte at all
  assert.deepEqual(list('91 a2 63 00'), [{ $msgpack: 'omMA' }]); // unknown type byte
  assert.deepEqual(list('91 a3 03 ff fe'), [{ $msgpack: 'owP//g==' }]); // a string that is not UTF-8
  assert.deepEqual(list('92 01 d5 05 0102'), [1, { $msgpack: '1QUBAg==' }]); // another ext, not first
});

test('positive: wildcard and infinity in both ext encodings; other 0xff exts are not flags', () => {
  assert.deepEqual(list('94 d4 ff 00 d4 ff 01 c7 01 ff 00 c7 01 ff 01'), [{ $wildcard: true }, { $infinity: true }, { $wildcard: true }, { $infinity: true }]);
  // as the first element a 0xff ext is a value, not the list flags
  assert.deepEqual(list('92 d4 ff 01 05'), [{ $infinity: true }, 5]);
});

test('positive: list and map flags are skipped, with or without an index in the ext', () => {
  assert.deepEqual(list('93 c7 00 01 01 02'), [1, 2]); // ordered list
  assert.deepEqual(list('92 d4 01 00 07'), [7]); // flags as fixext 1
  assert.deepEqual(map(`83 c7 00 01 c0 ${str('b')} 01 ${str('a')} 02`), { b: 1, a: 2 }); // key-ordered
  assert.deepEqual(map(`82 c7 03 03 010203 c0 ${str('k')} 07`), { k: 7 }); // flags with index bytes
  assert.deepEqual(map('81 c7 00 01 c0'), {}); // empty ordered map
  assert.deepEqual(list('91 c7 00 01'), []); // empty ordered list
  // only the first element can be flags
  assert.deepEqual(list('92 01 c7 00 01'), [1, { $msgpack: 'xwAB' }]);
});

test('positive: map keys: strings as is, integers as digits, others as the JSON of their view', () => {
  assert.equal(viewText(P.MAP, hex(`84 ${str('s')} 01 05 02 d3 7fffffffffffffff 03 cb 3ff8000000000000 04`)),
    '{"s":1,"5":2,"9223372036854775807":3,"1.5":4}');
  assert.equal(viewText(P.MAP, hex(`83 c3 01 c0 02 ${str('\x01', 4)} 03`)), '{"true":1,"null":2,"{\\"$blob\\":\\"AQ==\\"}":3}');
  // keys stay in the order of the bytes (a JS object would move "1" and "3" to the front)
  assert.equal(viewText(P.MAP, hex(`83 ${str('z')} 01 03 02 01 03`)), '{"z":1,"3":2,"1":3}');
});

test('positive: keys that come out alike turn the map into $entries', () => {
  assert.deepEqual(map(`82 01 ${str('a')} ${str('1')} ${str('b')}`), { $entries: [[1, 'a'], ['1', 'b']] });
  assert.deepEqual(map(`82 cb 3ff0000000000000 0a 01 0b`), { $entries: [[1, 10], [1, 11]] });
  // a key named __proto__ is an ordinary key
  const v = map(`81 ${str('__proto__')} 01`) as Record<string, unknown>;
  assert.deepEqual(Object.keys(v), ['__proto__']);
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
});

test('positive: nesting deeper than MAX_VIEW_DEPTH is shown as $msgpack; jq depth stays below 256', () => {
  const depth = MAX_VIEW_DEPTH + 50;
  const bytes = Buffer.concat([Buffer.alloc(depth, 0x91), Buffer.from([0x2a])]);
  const text = viewText(P.LIST, bytes)!;
  let v: unknown = JSON.parse(text);
  let levels = 0;
  while (Array.isArray(v)) { v = v[0]; levels++; }
  assert.equal(levels, MAX_VIEW_DEPTH);
  assert.deepEqual(v, { $msgpack: Buffer.alloc(50 + 1, 0x91).fill(0x2a, 50).toString('base64') });
  // a map in $entries form needs two more levels than an object
  let deep = 0x2a as PackValue;
  for (let i = 0; i < MAX_VIEW_DEPTH - 1; i++) deep = [deep];
  const entries = new Map<PackValue, PackValue>([[1, deep], ['1', 0]]);
  const shown = viewText(P.LIST, pack([[entries]]))!;
  let max = 0;
  let d = 0;
  for (const ch of shown) { if (ch === '[' || ch === '{') max = Math.max(max, ++d); else if (ch === ']' || ch === '}') d--; }
  assert.ok(max <= MAX_VIEW_DEPTH + 1, `depth ${max}`);
});

test('negative: bytes that are not one msgpack value have no view', () => {
  for (const bad of ['', '92 01', '91 c1', 'a3 03 61', '91 01 02', 'dd ffffffff', '81 01', 'cb 3ff0', 'c7 05 01 00']) {
    assert.equal(viewText(P.LIST, hex(bad)), undefined, bad);
  }
  assert.equal(viewText(P.BLOB, hex('90')), undefined); // only lists and maps have views
});

test('positive: sameView ignores object key order, nothing else', () => {
  assert.ok(sameView({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
  assert.ok(!sameView([1, 2], [2, 1]));
  assert.ok(!sameView({ a: 1 }, { a: 1, b: 2 }));
  assert.ok(!sameView({ a: 1 }, { b: 1 }));
  assert.ok(!sameView([1], { 0: 1 }));
  assert.ok(!sameView(1, '1'));
  assert.ok(!sameView(null, {}));
});

test('positive: the lists and maps of the official vectors (Node client, official asbackup)', async () => {
  const file = readFileSync(join(repoRoot, 'test/fixtures/official/official-vec.asb'));
  const views = new Map<string, unknown>();
  let shown = 0;
  for await (const ev of decodeAsb([file], 'official-vec.asb')) {
    if (ev.kind !== 'item' || ev.item.kind !== 'record') continue;
    const r: RecordItem = ev.item;
    for (const b of r.bins) {
      if (b.type !== P.LIST && b.type !== P.MAP) continue;
      const v = viewOf(b.type, b.data);
      assert.notEqual(v, undefined, `${b.name} of ${r.digest.toString('base64')} has a view`);
      shown++;
      if (r.key?.type === P.STRING) views.set(`${r.key.data.toString()}/${b.name}`, v);
    }
  }
  assert.ok(shown > 100);
  assert.deepEqual(views.get('type-list/mixed'), [1, 'two', 3.5, [4, [5]], { a: 1 }, { $blob: 'AQI=' }, true, false, null, '-9223372036854775808', '9223372036854775807']);
  assert.deepEqual(views.get('type-list/nested'), [[[[['deep']]]], { k: [1, { z: 'x' }] }]);
  assert.deepEqual(views.get('type-list-ordered/ol'), [-7, 1, 2, 2, 3]);
  assert.deepEqual(views.get('type-map-ordering/kordered'), { a: 2, m: 3, z: 1 });
  assert.deepEqual(views.get('type-map-ordering/kvordered'), { a: 2, m: 0, z: 1 });
  assert.deepEqual(views.get('type-map/byteskey'), { 1: 'i', s: 2, '{"$blob":"Yms="}': 1 });
});

// ---- random values against an oracle built on lib/protocol/msgpack.ts's unpack ----

let seed = Number(process.env.VIEW_SEED ?? 20261204);
const firstSeed = seed;
function rnd(n: number): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return Math.floor((seed / 4294967296) * n);
}

function randomValue(depth: number): PackValue {
  switch (rnd(depth > 3 ? 8 : 11)) {
    case 0: return null;
    case 1: return rnd(2) === 0;
    case 2: return rnd(200) - 100;
    case 3: return BigInt.asIntN(64, BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 4) + 1) * (rnd(2) ? 1n : -1n));
    case 4: return { float: [0, -0, 1, 0.1, 1e300, NaN, Infinity, -Infinity, 2 ** 53][rnd(9)]! };
    case 5: return ['', 'a', 'ü', '"\\\n', '1', 'x'.repeat(40)][rnd(6)]!;
    case 6: return Buffer.from([rnd(256), rnd(256)]);
    case 7: return { ext: 0xff, data: Buffer.from([rnd(2)]) };
    case 8: case 9: {
      const a: PackValue[] = [];
      for (let i = rnd(4); i > 0; i--) a.push(randomValue(depth + 1));
      return a;
    }
    default: {
      const m = new Map<PackValue, PackValue>();
      if (rnd(2)) m.set({ ext: rnd(2) ? 1 : 3, data: Buffer.alloc(0) }, null);
      for (let i = rnd(4); i > 0; i--) m.set([rnd(5), String(rnd(5)), `k${rnd(5)}`][rnd(3)]!, randomValue(depth + 1));
      return m;
    }
  }
}

// The documented rules, written once more over unpack's tree.
function oracle(u: Unpacked, first = false): unknown {
  if (u === null || typeof u === 'boolean') return u;
  if (typeof u === 'bigint') return u >= -(2n ** 53n - 1n) && u <= 2n ** 53n - 1n ? Number(u) : u.toString();
  if (typeof u === 'number') {
    if (Number.isNaN(u)) return 'nan'; // our random NaN is the positive one
    if (u === Infinity) return 'inf';
    if (u === -Infinity) return '-inf';
    return Object.is(u, -0) ? '-0' : u;
  }
  if (Array.isArray(u)) {
    const items = u.length > 0 && isFlagsExt(u[0]!) ? u.slice(1) : u;
    return items.map((x) => oracle(x));
  }
  if ('str' in u) {
    if (u.str === 3) return u.data.toString('utf8');
    if (u.str === 4) return { $blob: u.data.toString('base64') };
    throw new Error('unexpected str type');
  }
  if ('ext' in u) return u.data[0] === 0 ? { $wildcard: true } : { $infinity: true };
  void first;
  let entries = u.entries;
  if (entries.length > 0 && isFlagsExt(entries[0]![0])) entries = entries.slice(1);
  const texts = entries.map(([k]) => keyOf(k));
  if (new Set(texts).size !== texts.length) return { $entries: entries.map(([k, v]) => [oracle(k), oracle(v)]) };
  const o: Record<string, unknown> = {};
  entries.forEach(([, v], i) => { o[texts[i]!] = oracle(v); });
  return o;
}

function isFlagsExt(u: Unpacked): boolean {
  return typeof u === 'object' && u !== null && !Array.isArray(u) && 'ext' in u && u.ext !== 0xff;
}

function keyOf(k: Unpacked): string {
  if (typeof k === 'bigint') return k.toString();
  if (typeof k === 'object' && k !== null && !Array.isArray(k) && 'str' in k && k.str === 3) return k.data.toString('utf8');
  return JSON.stringify(oracle(k));
}

test('positive: random lists and maps match the oracle and survive JSON (seeded)', () => {
  for (let i = 0; i < 3000; i++) {
    const bytes = pack([randomValue(0), randomValue(0)]);
    const text = viewText(P.LIST, bytes);
    assert.notEqual(text, undefined, `seed ${firstSeed}, value ${i}: ${bytes.toString('hex')}`);
    const expected = oracle(unpack(bytes).value);
    assert.ok(sameView(JSON.parse(text!), expected), `seed ${firstSeed}, value ${i}: ${bytes.toString('hex')}\n${text}\n${JSON.stringify(expected)}`);
  }
});
