// asbackup's per-frame arrays (each record's partition and digest for the state file, each
// record's end in the text) are reused once a batch is in its file: a batch must still carry
// its own frame's, whatever memory they sit in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Spares } from '../../lib/stages/spares.js';
import { encodeBatches } from '../../lib/backup/encode.js';
import { encodeItem } from '../../lib/asb/encode.js';
import { EncodePool } from '../../lib/stages/encode-pool.js';
import { partitionId } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { RecordParser } from '../../lib/protocol/record-parser.js';
import type { AsbRun } from '../../lib/asb/writer.js';
import type { RecordItem, WireBatch } from '../../lib/records/types.js';
import { frameOf } from '../asb/helpers.js';
import { withSeed } from '../helpers.js';

test('unit: Spares lends arrays of the size asked, takes back only its own, once, and lends them again', () => {
  const s = new Spares((ab, n) => new Uint32Array(ab, 0, n), 4, 2);
  const a = s.take(100);
  assert.equal(a.length, 100);
  s.give(a);
  const b = s.take(90);
  assert.equal(b.length, 90);
  assert.equal(b.buffer, a.buffer, 'a smaller array reuses the memory given back');
  s.give(new Uint32Array(100)); // not lent here: ignored
  s.give(b);
  s.give(b); // given twice: the second is ignored, so its memory is lent to one taker only
  const c = s.take(100);
  const d = s.take(100);
  assert.equal(c.buffer, a.buffer);
  assert.notEqual(d.buffer, c.buffer);
  const e = s.take(10_000);
  assert.notEqual(e.buffer, a.buffer, 'too small to serve: a new one');
  assert.equal(e.length, 10_000);
  for (const x of [c, d, e]) s.give(x);
  const kept = new Set([s.take(1).buffer, s.take(1).buffer, s.take(1).buffer]);
  assert.equal([...kept].filter((ab) => ab === c.buffer || ab === d.buffer || ab === e.buffer).length, 2, 'at most `keep` are kept');
});

test('positive: each batch of a backup carries its own frame\'s partitions, digests and ends, reused memory or not, with and without encoder threads', async () => {
  await withSeed(async (rng) => {
    // Frames of 20-80 records with random digests: the arrays' sizes change from frame to frame.
    const frames: RecordItem[][] = Array.from({ length: 30 }, (_, f) => Array.from({ length: 20 + rng.int(61) }, (_, i): RecordItem => ({
      kind: 'record', namespace: 'test', set: 's', digest: rng.bytes(20), generation: 1, voidTime: 0, bins: [{ name: 'v', ...particle.integer(f * 1000 + i) }],
    })));
    const bodies = frames.map((records) => {
      const body = frameOf(records);
      const offsets: number[] = [];
      new RecordParser('test', { record() {}, partitionDone() {} }).offsets(body, offsets);
      // The digest field follows the namespace field: 22-byte header, 4 + 1 + 4 bytes of `test`, 4 + 1.
      return { body, offsets: Uint32Array.from(offsets), digestAt: Uint32Array.from(offsets, (at) => at + 36) };
    });
    for (const threads of [0, 2]) {
      const pool = threads > 0 ? new EncodePool(threads, false) : undefined;
      try {
        async function* wire(): AsyncGenerator<WireBatch> {
          for (const [f, b] of bodies.entries()) {
            yield { kind: 'wire', namespace: 'test', body: Buffer.from(b.body), offsets: b.offsets.slice(), length: b.offsets.length, digestAt: b.digestAt.slice(), done: [f] };
          }
        }
        const memory = new Set<ArrayBufferLike>();
        let reused = 0;
        let f = 0;
        for await (const batch of encodeBatches(wire(), false, { indexes: 0, udfs: 0 }, pool, undefined, true)) {
          const run = batch as AsbRun & { marks?: { pids: Uint16Array; digests: Buffer; done: number[] } };
          const records = frames[f]!;
          assert.ok(run.marks, `frame ${f}: marks`);
          assert.deepEqual([...run.marks.pids], records.map((r) => partitionId(r.digest)), `frame ${f}: partitions`);
          assert.ok(run.marks.digests.equals(Buffer.concat(records.map((r) => r.digest))), `frame ${f}: digests`);
          assert.deepEqual(run.marks.done, [f]);
          const blocks = records.map((r) => encodeItem(r));
          let end = 0;
          assert.deepEqual([...run.ends], blocks.map((b) => (end += b.length)), `frame ${f}: ends`);
          assert.ok(Buffer.from(run.bytes).equals(Buffer.concat(blocks)), `frame ${f}: text`);
          if (memory.has(run.marks.digests.buffer)) reused++;
          memory.add(run.marks.digests.buffer);
          f++;
        }
        assert.equal(f, frames.length);
        assert.ok(reused > frames.length / 2, `digest memory reused for ${reused} of ${frames.length} batches (${threads} threads)`);
      } finally {
        await pool?.close();
      }
    }
  });
});
