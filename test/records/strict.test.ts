// Issue 11, items 5-7, through the real programs: a record stream is read strictly and every
// refusal names <stdin>:LINE (or file:LINE) and the field; a UDF with no content is refused
// before anything is sent, and a backup that meets one on the server fails naming it;
// as-encode-asb refuses what the .asb format cannot hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { encodeItem } from '../../lib/asb/encode.js';
import { ParticleType as P } from '../../lib/protocol/constants.js';
import type { RecordItem, SindexItem, StreamItem, UdfItem } from '../../lib/records/types.js';
import { infoValue } from '../devserver/helpers.js';
import { errorCode, runProgram, tempDir } from '../helpers.js';

let server: DevServerThread;
let port: number;
let host: string[];

before(async () => {
  server = await startDevServerThread({ namespaces: ['test'] });
  port = server.seeds[0]!.port;
  host = ['-h', `127.0.0.1:${port}`];
});

after(async () => {
  await server.close();
});

const DIGEST = Buffer.alloc(20, 3).toString('base64');
const rec = (o: Record<string, unknown> = {}): string => JSON.stringify({ kind: 'record', namespace: 'test', set: 's', digest: DIGEST, generation: 1, voidTime: 0, bins: [{ name: 'a', type: 'integer', value: 1 }], ...o });
const bins = (b: Record<string, unknown>): string => rec({ bins: [{ name: 'a', ...b }] });
const sindex = (o: Record<string, unknown> = {}): string => JSON.stringify({ kind: 'sindex', namespace: 'test', set: 's', name: 'i', indexType: 'N', bin: 'a', binType: 'N', ...o });
const udf = (content: string): string => JSON.stringify({ kind: 'udf', name: 'x.lua', udfType: 'L', content });
const input = (...lines: string[]): string => lines.join('\n') + '\n';

test('negative: as-encode-asb refuses each bad value with <stdin>:LINE and the field (item 5)', async () => {
  const cases: Array<[string, RegExp, string]> = [
    [bins({ type: 'integer', value: 1.5 }), /bin "a": 1\.5 is not a 64-bit integer/, 'STREAM_VALUE'],
    [bins({ type: 'integer', value: -0.9 }), /bin "a": -0\.9 is not a 64-bit integer/, 'STREAM_VALUE'],
    [bins({ type: 'blob', base64: 'AQ=!' }), /bin "a" base64: "AQ=!" is not valid base64/, 'STREAM_BASE64'],
    [bins({ type: 'list', base64: 'kQE' }), /bin "a" base64: "kQE" is not valid base64/, 'STREAM_BASE64'],
    [rec({ digest: 'AwMDAwMDAwMDAwMDAwMDAwMDAwM' }), /digest: .* is not valid base64/, 'STREAM_BASE64'],
    [rec({ generation: 'x' }), /generation: "x" is not an integer from 0 to 65535/, 'STREAM_VALUE'],
    [rec({ generation: -1 }), /generation: -1 is not/, 'STREAM_VALUE'],
    [rec({ generation: 70000 }), /generation: 70000 is not/, 'STREAM_VALUE'],
    [rec({ voidTime: 'abc' }), /voidTime: "abc" is not an integer from 0 to 4294967295/, 'STREAM_VALUE'],
    [sindex({ indexType: 'Q' }), /indexType: "Q" is not one of "N", "L", "K", "V"/, 'STREAM_VALUE'],
    [sindex({ context: '!!' }), /context: "!!" is not valid base64/, 'STREAM_BASE64'],
    [udf('!!!'), /content: "!!!" is not valid base64/, 'STREAM_BASE64'],
  ];
  for (const [bad, message, code] of cases) {
    // line 1 and 3 are fine, line 2 is not: the error names line 2
    const r = await runProgram('as-encode-asb', [], { input: input(rec(), bad, rec()) });
    assert.equal(r.code, 1, bad);
    const first = r.stderr.split('\n')[0]!;
    assert.match(first, /^as-encode-asb: <stdin>:2:1: /, bad);
    assert.match(first, message, bad);
    assert.equal(errorCode(r.stderr), code, bad);
  }
});

test('negative: as-filter names the file and line; as-write names <stdin>:LINE and writes nothing of a bad line', async () => {
  const file = join(tempDir(), 'records.jsonl');
  writeFileSync(file, input(rec(), rec(), rec({ voidTime: 'abc' })));
  const f = await runProgram('as-filter', [file]);
  assert.equal(f.code, 1);
  assert.match(f.stderr, new RegExp(`^as-filter: ${file}:3:1: voidTime: "abc"`));
  assert.equal(errorCode(f.stderr), 'STREAM_VALUE');

  const w = await runProgram('as-write', [...host], { input: input(bins({ type: 'integer', value: 1.5 })) });
  assert.equal(w.code, 1);
  assert.match(w.stderr, /as-write: <stdin>:1:1: bin "a": 1\.5 /);
  assert.equal(errorCode(w.stderr), 'STREAM_VALUE');
  assert.equal(await server.get('test', Buffer.from(DIGEST, 'base64')), undefined);
});

test('negative: a UDF with no content or bad base64 is refused before anything is sent (item 6)', async () => {
  for (const [content, named, code] of [['', /<stdin>:1:1: UDF module x\.lua /, 'UDF_EMPTY'], ['!!!', /<stdin>:1:1: content: "!!!" /, 'STREAM_BASE64']] as const) {
    const w = await runProgram('as-write', [...host], { input: input(udf(content), rec()) });
    assert.equal(w.code, 1);
    assert.match(w.stderr, named);
    assert.equal(errorCode(w.stderr), code);
    assert.equal(await infoValue(port, 'udf-list'), '', 'no module registered');
  }
  // The same module in an .asb file (the format can hold it): asrestore refuses it too.
  const file = join(tempDir(), 'empty-udf.asb');
  writeFileSync(file, 'Version 3.1\n# namespace test\n# first-file\n* u L x.lua 0 \n');
  const r = await runProgram('asrestore', [...host, '-i', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /x\.lua/);
  assert.equal(errorCode(r.stderr), 'UDF_EMPTY');
  assert.equal(await infoValue(port, 'udf-list'), '');
});

test('negative: a backup that meets an unreadable UDF fails naming the module and the way out (item 6)', async () => {
  // How a module gets there: an older tool registered empty content.
  assert.equal(await infoValue(port, 'udf-put:filename=broken.lua;content=;content-len=0;udf-type=LUA;'), 'ok');
  try {
    const dir = tempDir();
    const b = await runProgram('asbackup', [...host, '-n', 'test', '-o', join(dir, 'b.asb')]);
    assert.equal(b.code, 1);
    // The line names the module and both ways out.
    assert.match(b.stderr, /broken\.lua.*udf-remove:filename=broken\.lua.*--no-udfs/);
    assert.equal(errorCode(b.stderr), 'UDF_UNREADABLE');
    const s = await runProgram('as-scan', [...host, '-n', 'test']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /broken\.lua/);
    assert.equal(errorCode(s.stderr), 'UDF_UNREADABLE');
    const skip = await runProgram('asbackup', [...host, '-n', 'test', '-o', join(dir, 'c.asb'), '--no-udfs']);
    assert.equal(skip.code, 0, skip.stderr);
  } finally {
    await infoValue(port, 'udf-remove:filename=broken.lua');
  }
});

test('negative: as-encode-asb refuses what its own decoder would refuse; the limits themselves read back (item 7)', async () => {
  const name15 = '€€€€€'; // 15 bytes of UTF-8
  const ok = await runProgram('as-encode-asb', [], {
    input: input(sindex({ name: 'n'.repeat(999) }), rec({ namespace: 'n'.repeat(31), set: 's'.repeat(63), bins: [{ name: name15, type: 'integer', value: 1 }] })),
  });
  assert.equal(ok.code, 0, ok.stderr);
  const back = await runProgram('as-decode-asb', [], { input: ok.stdout });
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout.toString(), /"name":"€€€€€"/);

  const cases: Array<[string, RegExp]> = [
    [rec({ bins: [{ name: 'abcdefghijklmnop', type: 'integer', value: 1 }] }), /record AwMDAwMDAwMDAwMDAwMDAwMDAwM=: bin name "abcdefghijklmnop" is 16 bytes; \.asb holds at most 15/],
    [rec({ bins: [{ name: `${name15}a`, type: 'integer', value: 1 }] }), /bin name "€€€€€a" is 16 bytes/],
    [rec({ namespace: 'n'.repeat(32) }), /namespace "n{32}" is 32 bytes; \.asb holds at most 31/],
    [rec({ set: 's'.repeat(64) }), /set "s{64}" is 64 bytes; \.asb holds at most 63/],
    [sindex({ name: 'n'.repeat(1000) }), /index n{1000}: index name .* is 1000 bytes/],
  ];
  for (const [bad, message] of cases) {
    const r = await runProgram('as-encode-asb', [], { input: input(bad) });
    assert.equal(r.code, 1, bad.slice(0, 80));
    assert.match(r.stderr, message);
    assert.equal(errorCode(r.stderr), 'ASB_ENCODE', bad.slice(0, 80));
  }
  // index type Q is refused where it is read, with its line (item 5's check)
  const q = await runProgram('as-encode-asb', [], { input: input(rec(), sindex({ indexType: 'Q' })) });
  assert.equal(q.code, 1);
  assert.match(q.stderr, /<stdin>:2:1: indexType: "Q"/);
  assert.equal(errorCode(q.stderr), 'STREAM_VALUE');
});

test('negative: the encoder itself refuses letters and lengths the format cannot hold (in-process callers)', () => {
  const r: RecordItem = { kind: 'record', namespace: 'test', set: '', digest: Buffer.alloc(20), generation: 1, voidTime: 0, bins: [{ name: 'a'.repeat(16), type: P.INTEGER, data: Buffer.alloc(8) }] };
  const s: SindexItem = { kind: 'sindex', namespace: 'test', set: '', name: 'i', indexType: 'N', bin: 'b', binType: 'N' };
  const u: UdfItem = { kind: 'udf', name: 'x.lua', udfType: 'L', content: Buffer.from('x') };
  const refused: StreamItem[] = [
    r,
    { ...s, indexType: 'Q' as SindexItem['indexType'] },
    { ...s, binType: 'I' as SindexItem['binType'] },
    { ...s, context: 'c'.repeat(1000) },
    { ...u, udfType: 'P' as UdfItem['udfType'] },
    { ...u, name: 'u'.repeat(1000) },
  ];
  for (const item of refused) assert.throws(() => encodeItem(item), { code: 'ASB_ENCODE' }, JSON.stringify(item).slice(0, 80));
  assert.throws(() => encodeItem(r), { message: /^record AAAAAAAAAAAAAAAAAAAAAAAAAAA=: bin name/ });
  assert.throws(() => encodeItem({ ...s, indexType: 'Q' as SindexItem['indexType'] }), { message: /^index i: index type "Q"/ });
  // and the writer is still fine afterwards
  assert.ok(encodeItem(s).toString().startsWith('* i test  i N 1 b N'));
});
