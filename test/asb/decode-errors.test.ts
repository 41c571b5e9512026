// The reader's strictness, case by case (spec §9 and §13): what it accepts, and for what it
// rejects, the message and the line:column, as the C reader reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAll, decodeError } from './helpers.js';

const H = 'Version 3.1\n# namespace test\n';
const REC = '+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n+ t 0\n';
const rec = (bins: string, n = 1): string => `${H}${REC}+ b ${n}\n${bins}`;

// [name, input, message, line, column]
const BAD: [string, string, string | RegExp, number, number][] = [
  ['empty file', '', /^Error while reading version/, 1, 1],
  ['version 3.2', 'Version 3.2\n', /^Invalid backup file version 3\.2/, 1, 9],
  ['version + CR', 'Version 3.1\r\n', /^Invalid version line/, 1, 1],
  ['no LF after version', 'Version 3.1', /^Invalid version line/, 1, 1],
  ['unknown meta', 'Version 3.1\n# foo\n', /^Invalid meta data line "# foo"/, 2, 1],
  ['# without SP', 'Version 3.1\n#namespace test\n', /^Invalid meta data line/, 2, 1],
  ['bad start', `${H}x\n`, 'Invalid start character "x" in block', 3, 1],
  ['* in 3.0', 'Version 3.0\n* i a b c N 1 d S\n', 'Invalid start character "*" in block', 2, 1],
  ['unknown global', `${H}* x\n`, 'Invalid global type character "x" in block', 3, 3],
  ['index type I', `${H}* i test s n I 1 b S\n`, 'Invalid index type character "I" in block', 3, 14],
  ['path type I', `${H}* i test s n N 1 b I\n`, 'Invalid path type character "I" in block', 3, 20],
  ['npaths 0', `${H}* i test s n N 0 b S\n`, 'Missing path(s) in index block', 3, 17],
  ['udf type', `${H}* u J x 1 a\n`, 'Invalid UDF type character "J" in block', 3, 5],
  ['LDT', rec('- U x 1\n'), /^The backup contains LDTs/, 8, 6],
  ['bad label', rec('- x baz T\n'), 'Invalid bytes label "x"', 8, 3],
  ['uppercase E', rec('- D d 1E5\n'), 'Invalid character "E" in backup block, expected floating point notation', 8, 8],
  ['incomplete double', rec('- D d 1e\n'), 'Invalid floating-point value 1e in backup block', 8, 9],
  ['+5', rec('- I i +5\n'), 'Invalid character "+" in backup block, expected digit', 8, 7],
  ['int overflow', rec('- I i 9223372036854775808\n'), 'Integer overflow with number 9223372036854775808 in backup block', 8, 26],
  ['int underflow', rec('- I i -9223372036854775809\n'), /^Integer overflow/, 8, 27],
  ['b64 length', rec('- B b 3 AAA\n'), 'Invalid encoded data size 3', 8, 8],
  ['b64 char', rec('- B b 4 AA-A\n'), 'Invalid base-64 character ("A", "A", "-", or "A")', 8, 12],
  ['short digest', `${H}+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n`, /^Invalid base-64 character/, 4, 32],
  ['long digest', `${H}+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n`, 'Unexpected character "=" in backup block, expected \\x0a', 4, 33],
  ['generation 65536', `${H}+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 65536\n`, 'Invalid generation count 65536', 5, 10],
  ['bin count 65536', `${H}${REC}+ b 65536\n`, 'Invalid bin count 65536', 7, 10],
  ['expiration 2^32', `${H}+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g 1\n+ t 4294967296\n`, 'Invalid expiration time 4294967296', 6, 15],
  ['wrong order', `${H}+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n`, 'Unexpected character "d" in backup block, expected "k"', 3, 3],
  ['bool', rec('- Z z X\n'), 'Unknown boolean value encoding: "X"', 8, 8],
  ['too few bins', rec('- I a 1\n', 2), 'Unexpected end of file in backup block', 9, 1],
  ['too many bins', rec('- I a 1\n- I b 2\n'), 'Invalid start character "-" in block', 9, 1],
  ['length past EOF', rec('- S s 100 abc\n'), 'Unexpected end of file in backup block', 9, 1],
  ['EOF in base64', rec('- B b 8 AAAA'), 'Unexpected end of file in backup block', 8, 13],
  ['lone backslash at EOF', rec('- S a\\'), 'Unexpected end of file in backup block', 8, 7],
  ['16-byte bin name', rec('- I abcdefghijklmnop 1\n'), /^Error while setting bin abcdefghijklmnop/, 8, 23],
  ['key type', `${H}+ k Q 1\n`, 'Invalid key type character "Q" in block', 3, 5],
  ['ns too long', `${H}+ n ${'n'.repeat(32)}\n`, 'Buffer overflow while reading token in backup block', 3, 36],
  ['lines count data LFs', rec('- S s 5 a\nb\nc\n- x\n', 2), 'Invalid bytes label "x"', 11, 3],
];

for (const [name, input, message, line, column] of BAD) {
  test(`negative: ${name}`, async () => {
    for (const chunk of [1 << 20, 1]) {
      const err = await decodeError(input, chunk);
      assert.ok(err, 'must fail');
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      assert.deepEqual([err.line, err.column], [line, column], `${err.message} (chunk ${chunk})`);
    }
  });
}

// The same faults in a block cut by a chunk's end, where the decoder finishes the block in
// a short bridge to the next chunk (decode.ts): a record of filler before the fault puts
// the faulty block's start a few bytes before the cut.
const filler = (bytes: number): string => {
  const head = `${REC}+ b 1\n- S s `;
  for (let len = bytes - head.length - 3; len > 0; len--) {
    const text = `${head}${len} ${'x'.repeat(len)}\n`;
    if (text.length === bytes) return text;
  }
  throw new Error(`no filler of ${bytes} bytes`);
};
test('negative: a fault in a block cut by a chunk\'s end is found where it is', async () => {
  for (const [name, input, message, line, column] of BAD.filter(([, input]) => input.startsWith(H) && input.length > H.length)) {
    for (const chunk of [16 * 1024 + 1, 20000, 65536]) {
      for (const before of [1, 7, 40]) {
        const padded = H + filler(chunk - before - H.length) + input.slice(H.length);
        const err = await decodeError(padded, chunk);
        assert.ok(err, `${name} must fail`);
        if (typeof message === 'string') assert.equal(err.message, message);
        else assert.match(err.message, message);
        assert.deepEqual([err.line, err.column], [line + 6, column], `${name}: ${err.message} (chunk ${chunk}, ${before} bytes before the cut)`);
      }
    }
  }
});

test('positive: a block cut just before a value longer than the bridge decodes whole', async () => {
  const big = 'v'.repeat(40_000);
  for (const chunk of [16 * 1024 + 1, 65536]) {
    for (const before of [1, 7, 40]) {
      const input = Buffer.from(H + filler(chunk - before - H.length) + rec(`- S s ${big.length} ${big}\n- I i 7\n`, 2).slice(H.length) + REC + '+ b 0\n', 'latin1');
      const { items } = await decodeAll(input, 'ok.asb', chunk);
      const whole = await decodeAll(input, 'ok.asb', input.length);
      assert.deepEqual(items, whole.items);
      const r = items[1]!.item as { bins: { data: Buffer }[] };
      assert.equal(r.bins[0]!.data.toString('latin1'), big);
      assert.equal(items.length, 3);
    }
  }
});

const GOOD: [string, string, (items: unknown[]) => void][] = [
  ['3.0 file, no unescape', 'Version 3.0\n+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ s a\\b\n+ g 1\n+ t 0\n+ b 0\n', (i) => assert.equal((i[0] as { set: string }).set, 'a\\b')],
  ['no meta lines', `Version 3.1\n${REC}+ b 0\n`, (i) => assert.equal(i.length, 1)],
  ['meta repeated, any order', 'Version 3.1\n# first-file\n# namespace a\n# namespace b\n', (i) => assert.equal(i.length, 0)],
  ['sindex without ctx and with empty ctx', `${H}* i test s n N 1 b S\n* i test s n N 1 b S \n`, (i) => {
    assert.equal((i[0] as { context?: string }).context, undefined);
    assert.equal((i[1] as { context?: string }).context, '');
  }],
  ['! after any label, X strings and keys', `${H}+ k X 4 YWJj\n${REC}+ b 2\n- I! i 5\n- X s 4 YWJj\n`, (i) => {
    const r = i[0] as { key: { data: Buffer }; bins: { data: Buffer }[] };
    assert.equal(r.key.data.toString(), 'abc');
    assert.equal(r.bins[1]!.data.toString(), 'abc');
  }],
  ['empty numbers are 0, - alone is 0', `${H}+ n test\n+ d AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n+ g \n+ t -\n+ b 1\n- I i \n`, (i) => {
    const r = i[0] as { generation: number; voidTime: number; bins: { data: Buffer }[] };
    assert.deepEqual([r.generation, r.voidTime, r.bins[0]!.data.readBigInt64BE()], [0, 0, 0n]);
  }],
  ['= inside base64 reads as 0', rec('- B b 4 A=A=\n'), (i) => assert.equal((i[0] as { bins: { data: Buffer }[] }).bins[0]!.data.toString('hex'), '0000')],
  ['escapes in names', rec('- I first\\ name 1\n- I \\a 2\n', 2), (i) => assert.deepEqual((i[0] as { bins: { name: string }[] }).bins.map((b) => b.name), ['first name', 'a'])],
  ['15-byte name, duplicate names (last wins in place)', rec('- I abcdefghijklmno 1\n- I x 2\n- I abcdefghijklmno 3\n', 3), (i) => {
    const bins = (i[0] as { bins: { name: string; data: Buffer }[] }).bins;
    assert.deepEqual(bins.map((b) => [b.name, Number(b.data.readBigInt64BE())]), [['abcdefghijklmno', 3], ['x', 2]]);
  }],
];

for (const [name, input, check] of GOOD) {
  test(`positive: ${name}`, async () => {
    for (const chunk of [1 << 20, 1]) {
      const { items } = await decodeAll(Buffer.from(input, 'latin1'), 'ok.asb', chunk);
      check(items.map((e) => e.item));
    }
  });
}
