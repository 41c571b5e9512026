// The SHA-256 a backup's state and manifest record, computed on the hashing thread: the
// same digest as a plain SHA-256 of the bytes, whatever memory they come in, for files
// hashed side by side, and of a prefix while more follows (an -o durable point); and the
// thread's writes of a local file, of which none follows a failed one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { inlineHash, threadHash } from '../../lib/stages/file-hash.js';
import { tempDir } from '../helpers.js';

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

  it('a failed write fails every later write of that file: none of them is made, even to a good descriptor', async () => {
    const dir = tempDir();
    const readOnly = openSync(join(dir, 'r'), 'w+');
    closeSync(readOnly);
    const bad = openSync(join(dir, 'r'), 'r');
    const good = openSync(join(dir, 'w'), 'w');
    try {
      const h = threadHash();
      const first = h.update([shared(randomBytes(1000))], bad)!;
      const second = h.update([shared(randomBytes(1000))], good)!;
      await assert.rejects(first, (e: NodeJS.ErrnoException) => e.code === 'EBADF');
      await assert.rejects(second, (e: NodeJS.ErrnoException) => e.code === 'EBADF');
      assert.equal(statSync(join(dir, 'w')).size, 0, 'nothing written after the failed write');
      h.end();
      // Another file goes on being written.
      const other = threadHash();
      const bytes = randomBytes(3000);
      await other.update([shared(bytes)], good);
      assert.ok(readFileSync(join(dir, 'w')).equals(bytes));
      assert.equal(await other.hex(), sha(bytes));
      other.end();
    } finally {
      closeSync(bad);
      closeSync(good);
    }
  });

  it('a hash on this thread (a resumed file) gives the same digests', async () => {
    const x = randomBytes(5000);
    const h = inlineHash();
    assert.equal(h.update([x.subarray(0, 10), x.subarray(10)]), undefined);
    assert.equal(await h.hex(), sha(x));
    assert.equal(await h.hex(), sha(x));
  });
});
