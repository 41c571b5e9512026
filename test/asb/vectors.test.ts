// The files written by the official asbackup: every one decodes, and encoding what was
// decoded gives the same bytes (header and every block), at any chunking of the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { decodeAll, decodeError, vectorsDir } from './helpers.js';

const files = [
  'official-vec.asb', 'official-vec-compact.asb', 'official-test_backup_file.asb',
  ...readdirSync(path.join(vectorsDir, 'official-vec-dir')).filter((f) => f.endsWith('.asb')).map((f) => `official-vec-dir/${f}`),
];

for (const f of files) {
  test(`positive: ${f} decodes and re-encodes byte for byte`, async () => {
    const data = readFileSync(path.join(vectorsDir, f));
    const compact = f.includes('compact');
    for (const chunk of [1 << 20, 4096, 7]) {
      const { header, items } = await decodeAll(data, f, chunk);
      assert.equal(header.version, '3.1');
      assert.equal(header.namespace, 'test');
      const parts = [encodeHeader(header.namespace, header.firstFile)];
      assert.equal(parts[0]!.length, header.end);
      let offset = header.end;
      for (const ev of items) {
        assert.equal(ev.start, offset, 'blocks are contiguous');
        const line = data.subarray(0, ev.start).reduce((n, b) => n + (b === 10 ? 1 : 0), 1);
        assert.equal(ev.line, line, `line of the block at ${ev.start}`);
        const bytes = encodeItem(ev.item, compact);
        assert.ok(bytes.equals(data.subarray(ev.start, ev.end)), `block at line ${ev.line}`);
        parts.push(bytes);
        offset = ev.end;
      }
      assert.equal(offset, data.length);
      assert.ok(Buffer.concat(parts).equals(data));
    }
  });
}

test('positive: the vec dataset has what its README lists', async () => {
  const { header, items } = await decodeAll(readFileSync(path.join(vectorsDir, 'official-vec.asb')));
  assert.equal(header.firstFile, true);
  const kinds = items.map((e) => e.item.kind);
  assert.equal(kinds.filter((k) => k === 'record').length, 200);
  assert.equal(kinds.filter((k) => k === 'sindex').length, 4);
  assert.equal(kinds.filter((k) => k === 'udf').length, 1);
  const udf = items.find((e) => e.item.kind === 'udf')!.item;
  assert.ok(udf.kind === 'udf' && udf.name === 'vecudf.lua' && udf.content.length === 1184);
});

test('negative: the bad vector fails at line 13 with the C message', async () => {
  const data = readFileSync(path.join(vectorsDir, 'official-test_bad_backup_file.asb'));
  for (const chunk of [1 << 20, 5, 1]) {
    assert.deepEqual(await decodeError(data, chunk), { message: 'Invalid bytes label "x"', line: 13, column: 3 });
  }
});
