// The SHA-256 a backup's state and manifest record, computed on the hashing thread: the
// same digest as a plain SHA-256 of the bytes, whatever memory they come in, for files
// hashed side by side, and of a prefix while more follows (an -o durable point).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { inlineHash, threadHash } from '../../lib/stages/file-hash.js';

const sha = (...parts: Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

function shared(bytes: Buffer): Buffer {
  const b = Buffer.from(new SharedArrayBuffer(bytes.length + 16), 8, bytes.length);
  bytes.copy(b);
  return b;
}

describe('file hash', () => {
  it('the thread hashes shared and plain memory, files side by side, a prefix and then the rest', async () => {
    const a1 = randomBytes(100_000);
    const a2 = randomBytes(3);
    const b1 = randomBytes(70_000);
    const a = threadHash();
    const b = threadHash();
    assert.equal(a.shared, true);
    await Promise.all([a.update([shared(a1)]), b.update([b1])]);
    assert.equal(await a.hex(), sha(a1));
    await a.update([Buffer.alloc(0), a2]);
    assert.equal(await a.hex(), sha(a1, a2));
    assert.equal(await b.hex(), sha(b1));
    a.end();
    b.end();
  });

  it('a hash on this thread (a resumed file) gives the same digests', async () => {
    const x = randomBytes(5000);
    const h = inlineHash();
    assert.equal(h.update([x.subarray(0, 10), x.subarray(10)]), undefined);
    assert.equal(await h.hex(), sha(x));
    assert.equal(await h.hex(), sha(x));
  });
});
