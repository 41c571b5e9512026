// The restore's decoder (decodeAsbOpsBatches): records come as the WRITE ops of their bins,
// byte for byte what their bins as objects write (decodeAll checks that for every decoder
// test); here the records it must hand over as objects, and names that are not plain ASCII.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAsbOpsBatches } from '../../lib/asb/decode.js';
import { withSeed } from '../helpers.js';
import { decodeAll, decodeError, chunked, vectorsDir } from './helpers.js';

const HEAD = 'Version 3.1\n# namespace test\n# first-file\n';
const record = (digest: string, bins: string[]): string => `+ n test\n+ d ${digest}\n+ s demo\n+ g 1\n+ t 0\n+ b ${bins.length}\n${bins.join('')}`;
const D1 = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const D2 = 'AQEBAQEBAQEBAQEBAQEBAQEBAQE=';

async function kinds(text: string | Buffer, chunk = 1 << 20): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of decodeAsbOpsBatches(chunked(Buffer.from(text), chunk), 't.asb')) {
    for (const ev of batch) if (ev.kind === 'item') out.push(ev.item.kind);
  }
  return out;
}

describe('records decoded as ops', () => {
  it('plain records come as ops; one that repeats a bin name, or has over 64 bins, comes as objects', async () => {
    const many = Array.from({ length: 65 }, (_, i) => `- I b${i} ${i}\n`);
    const text = HEAD
      + record(D1, ['- I a 1\n', '- S s 3 xyz\n'])
      + record(D2, ['- I a 1\n', '- I a 2\n'])
      + record(D1, many)
      + record(D2, ['- Z ok T\n']);
    for (const chunk of [1 << 20, 7]) {
      assert.deepEqual(await kinds(text, chunk), ['record-ops', 'record', 'record', 'record-ops']);
    }
    // The repeated name: the later value replaces the earlier, as the C client does.
    const { items } = await decodeAll(Buffer.from(text));
    const dup = items[1]!.item;
    assert.ok(dup.kind === 'record');
    assert.deepEqual(dup.bins.map((b) => [b.name, b.data.readBigInt64BE().toString()]), [['a', '2']]);
  });

  it('every form writers give comes as ops, the bytes its bins as objects write', async () => {
    const forms = [
      '- N nil\n', '- Z t T\n', '- Z f F\n', '- I i 42\n', '- I neg -9007199254740991\n', '- I zero -0\n', '- D d 0.33333333333333331\n',
      '- D e -1.5e-300\n', '- S s 7 a\nb\nc d\n', '- S empty 0 \n', '- X x 4 YWJj\n', '- G g 2 {}\n', '- B b 4 AAEC\n', '- B! c 3 a\nb\n',
      '- L l 8 kwECAw==\n', '- M m 8 gaFhAQ==\n', '- I! lenient 7\n', `- S long 100 ${'y'.repeat(99)}\n\n`, '- I abcdefghijklmno 1\n',
    ];
    const keys = ['', '+ k S 3 a b\n', '+ k I -5\n', '+ k B 4 AAEC\n', '+ k D 2.5\n'];
    const text = HEAD + keys.map((k, i) => k + record(i % 2 ? D1 : D2, forms)).join('') + record(D1, []);
    for (const chunk of [1 << 20, 64, 7]) assert.deepEqual(await kinds(text, chunk), [...keys.map(() => 'record-ops'), 'record-ops']);
    const { items } = await decodeAll(Buffer.from(text)); // the two decoders' bytes, line numbers and positions
    assert.equal(items[1]!.line, 4 + 6 + forms.length + 4); // and the 4 LFs inside values
  });

  it('records with escaped, non-ASCII or not-UTF-8 bin names come as objects, and write the bytes the ops path would', async () => {
    const latin1 = Buffer.concat([Buffer.from(HEAD + record(D1, ['- I sp\\ ace 1\n', '- I ünï 2\n'])), Buffer.from('- I x'), Buffer.from([0xff, 0xfe]), Buffer.from(' 3\n')]);
    const text = Buffer.from(latin1.toString('latin1').replace('+ b 2', '+ b 3'), 'latin1');
    assert.deepEqual(await kinds(text), ['record']);
    await decodeAll(text); // compares the two decoders' bytes
  });

  it('a digest line padded early still gives 20 bytes, in both decoders, as the C reader reads it', async () => {
    // The last group `AQ==` holds one byte: the digest's 20th byte comes from the bits that
    // '=' stands for (zero), as the C reader decodes into its 20-byte digest.
    const early = 'AQEBAQEBAQEBAQEBAQEBAQEBAQ==';
    const text = HEAD + record(early, ['- I a 1\n']);
    assert.deepEqual(await kinds(text), ['record-ops']);
    const { items } = await decodeAll(Buffer.from(text)); // the ops decoder's digest must equal this one
    const r = items[0]!.item;
    assert.ok(r.kind === 'record');
    assert.equal(r.digest.toString('hex'), '01'.repeat(19) + '00');
  });

  it('a value larger than the arena moves its record whole, at any chunk size', async () => {
    const big = Buffer.alloc(300 * 1024, 7).toString('base64');
    const text = HEAD + record(D1, ['- I a 1\n']) + record(D2, ['- I a 1\n', `- B blob ${big.length} ${big}\n`, '- S s 2 ok\n']);
    for (const chunk of [1 << 20, 4096]) {
      const { items } = await decodeAll(Buffer.from(text), 't.asb', chunk);
      assert.equal(items.length, 2);
    }
  });

  it('damaged files: both decoders fail alike, or decode alike, wherever the damage is (seeded)', () => withSeed(async (rng) => {
    const file = readFileSync(join(vectorsDir, 'official-vec.asb'));
    // Bytes that matter to the grammar, and some that never belong.
    const pick = Buffer.from('0123456789 \n+-=\\ABZSIDGLMXNk!/\xff\x00', 'latin1');
    for (let n = 0; n < 150; n++) {
      let b = Buffer.from(file);
      for (let k = 1 + rng.int(3); k > 0; k--) {
        const at = 12 + rng.int(b.length - 12); // the version line stays: past it is the part both decode
        const what = rng.int(3);
        const c = Buffer.from([pick[rng.int(pick.length)]!]);
        if (what === 0) b[at] = c[0]!;
        else if (what === 1) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        else b = Buffer.concat([b.subarray(0, at), c, b.subarray(at)]);
      }
      await decodeError(b, [7, 100, 1 << 20][rng.int(3)]); // asserts the two decoders agree
    }
  }));
});
