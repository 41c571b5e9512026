// The restore's decoder (decodeAsbOpsBatches): records come as the WRITE ops of their bins,
// byte for byte what their bins as objects write (decodeAll checks that for every decoder
// test); here the records it must hand over as objects, and names that are not plain ASCII.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAsbOpsBatches } from '../../lib/asb/decode.js';
import { decodeAll, chunked } from './helpers.js';

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

  it('escaped, non-ASCII and not-UTF-8 bin names write the bytes their names as objects write', async () => {
    const latin1 = Buffer.concat([Buffer.from(HEAD + record(D1, ['- I sp\\ ace 1\n', '- I ünï 2\n'])), Buffer.from('- I x'), Buffer.from([0xff, 0xfe]), Buffer.from(' 3\n')]);
    const text = Buffer.from(latin1.toString('latin1').replace('+ b 2', '+ b 3'), 'latin1');
    assert.deepEqual(await kinds(text), ['record-ops']);
    await decodeAll(text); // compares the two decoders' bytes
  });

  it('a value larger than the arena moves its record whole, at any chunk size', async () => {
    const big = Buffer.alloc(300 * 1024, 7).toString('base64');
    const text = HEAD + record(D1, ['- I a 1\n']) + record(D2, ['- I a 1\n', `- B blob ${big.length} ${big}\n`, '- S s 2 ok\n']);
    for (const chunk of [1 << 20, 4096]) {
      const { items } = await decodeAll(Buffer.from(text), 't.asb', chunk);
      assert.equal(items.length, 2);
    }
  });
});
