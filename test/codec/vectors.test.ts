// The official tools' compressed and encrypted files (asbackup 4.5.8 and 3.9.1) decode
// through decodeFile to the same records, indexes and UDF as their plain twin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeItems } from '../../lib/asb/decode.js';
import { stringify } from '../../lib/records/jsonl.js';
import type { StreamItem } from '../../lib/records/types.js';
import type { Codec } from '../../lib/codec/codec.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import { zstd } from '../../lib/codec/zstd.js';
import { OFFICIAL, envKey, pemKey } from './helpers.js';

// Items keyed so that order does not matter: records by digest, the rest by their text.
async function itemsOf(files: string[], codec: Codec): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of files) {
    // Small reads, so frames and the AES header straddle chunk boundaries.
    const plain = decodeFile(createReadStream(f, { highWaterMark: 4093 }), f, codec);
    for await (const it of decodeItems(plain, f)) out.set(keyOf(it), stringify(it));
  }
  return out;
}
const keyOf = (it: StreamItem): string => (it.kind === 'record' ? `r ${it.digest.toString('hex')}` : stringify(it));

const reference = itemsOf([join(OFFICIAL, 'vec-plain.asb')], {});

const cases: Array<[string, string[], () => Codec]> = [
  ['vec-zstd.asb (-z zstd)', ['vec-zstd.asb'], () => ({ compress: { level: 0 } })],
  ['vec-zstd-dir (-z zstd -d, 4 files)', readdirSync(join(OFFICIAL, 'vec-zstd-dir')).sort().map((f) => join('vec-zstd-dir', f)), () => ({ compress: { level: 0 } })],
  ['vec-aes128.asb (-y aes128, PEM key)', ['vec-aes128.asb'], () => ({ encrypt: { algorithm: 'aes128', key: pemKey('aes128') } })],
  ['vec-zstd-aes256.asb (-z zstd -y aes256, PEM key)', ['vec-zstd-aes256.asb'], () => ({ compress: { level: 0 }, encrypt: { algorithm: 'aes256', key: pemKey('aes256') } })],
  ['vec-aes256-envkey.asb (-y aes256, env key)', ['vec-aes256-envkey.asb'], () => ({ encrypt: { algorithm: 'aes256', key: envKey('aes256') } })],
  ['vec-391-zstd-aes128.asb (asbackup 3.9.1)', ['vec-391-zstd-aes128.asb'], () => ({ compress: { level: 0 }, encrypt: { algorithm: 'aes128', key: pemKey('aes128') } })],
];

for (const [name, files, codec] of cases) {
  test(`positive: official ${name} decodes to the records, indexes and UDF of vec-plain.asb`, async () => {
    const want = await reference;
    assert.equal(want.size, 199 + 4 + 1);
    const got = await itemsOf(files.map((f) => join(OFFICIAL, f)), codec());
    assert.equal(got.size, want.size);
    for (const [k, v] of want) assert.equal(got.get(k), v, k);
  });
}

test('positive: official single files decode to exactly as many bytes as vec-plain.asb', async () => {
  const size = readFileSync(join(OFFICIAL, 'vec-plain.asb')).length;
  for (const [, files, codec] of cases.filter(([, f]) => f.length === 1)) {
    let n = 0;
    for await (const b of decodeFile([readFileSync(join(OFFICIAL, files[0]!))], files[0]!, codec())) n += b.length;
    assert.equal(n, size, files[0]);
  }
});

test('positive: each official -d file holds two zstd frames back to back (the reader must go on)', () => {
  const z = zstd();
  for (const f of readdirSync(join(OFFICIAL, 'vec-zstd-dir'))) {
    const data = readFileSync(join(OFFICIAL, 'vec-zstd-dir', f));
    let frames = 0;
    for (let at = 0; at < data.length; frames++) at += z.findFrameCompressedSize(data.subarray(at));
    assert.equal(frames, 2, f);
  }
});
