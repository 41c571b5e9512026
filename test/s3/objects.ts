// Writing and reading objects through radosgw: multipart round trips, small objects,
// bounded uploads in flight, abort, and a read pinned to the ETag.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { MiB, UPLOAD_AHEAD_PARTS } from '../../lib/storage/options.js';
import { readS3Object, statS3Object } from '../../lib/storage/s3-reader.js';
import { S3ObjectWriter } from '../../lib/storage/s3-writer.js';
import { collect, createBucket, openStore, putObject, rejectsWith, seededBytes, seededSizes, sha, writeInChunks, type S3TestContext } from './support.js';

export function objectTests(ctx: S3TestContext): void {
  const bucket = 'objects';
  before(async () => {
    await createBucket(ctx.store, bucket);
  });

  test('positive: 63 MiB of seeded data in odd chunks goes up in 13 parts at once and reads back byte for byte', async () => {
    const data = seededBytes(ctx.seed, 'roundtrip', 63 * MiB + 17);
    const loc = { bucket, key: 'round/trip_00000.asb' };
    const w = new S3ObjectWriter(ctx.store, loc, { expectedBytes: 250 * MiB });
    await writeSeeded(ctx, w, data, 'roundtrip');
    assert.equal(w.bytes, data.length);
    await w.end();
    // Every part is stored, yet nothing is visible under the key until complete().
    await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'before complete');
    const done = await w.complete();
    assert.equal(done.bytes, data.length);
    assert.equal(done.url, `s3://${bucket}/round/trip_00000.asb`);
    assert.match(done.etag, /^"[0-9a-f]{32}-13"$/, 'the ETag of a 13-part upload (from HeadObject: Pacific gives none on complete)');
    assert.deepEqual(await statS3Object(ctx.store, loc), { size: data.length, etag: done.etag });
    const back = await collect(readS3Object(ctx.store, loc));
    assert.equal(back.length, data.length, `seed ${ctx.seed}`);
    assert.equal(sha(back), sha(data), `seed ${ctx.seed}`);
    // Smaller ranges and a narrow window give the same bytes, in order.
    const narrow = await collect(readS3Object(ctx.store, loc, { chunkSize: 3 * MiB + 1, window: 2 }));
    assert.equal(sha(narrow), sha(data), `seed ${ctx.seed}`);
    const wide = await collect(readS3Object(ctx.store, loc, { chunkSize: MiB }));
    assert.equal(sha(wide), sha(data), `seed ${ctx.seed}`);
  });

  test('positive: a reader hands on pieces that own their bytes: kept pieces stay as read while later ranges arrive', async () => {
    const data = seededBytes(ctx.seed, 'pieces', 23 * MiB + 5);
    const loc = { bucket, key: 'pieces/test_00000.asb' };
    const w = new S3ObjectWriter(ctx.store, loc);
    await w.write(data);
    await w.complete();
    // Two objects read one after the other through one store, every piece kept: the
    // second read's ranges go into the memory of the first's.
    for (const round of [1, 2]) {
      const kept: Buffer[] = [];
      for await (const piece of readS3Object(ctx.store, loc, { window: 2 })) kept.push(piece);
      // (A piece of a few bytes may sit in Node's pool of small buffers.)
      const views = kept.filter((p) => p.buffer.byteLength > Math.max(p.length, Buffer.poolSize)).length;
      assert.equal(views, 0, `round ${round}: pieces that are views of a range's buffer`);
      assert.equal(sha(Buffer.concat(kept)), sha(data), `round ${round}, seed ${ctx.seed}`);
    }
  });

  test('positive: an object smaller than a part, and an empty one, appear whole at complete()', async () => {
    for (const size of [0, 1, 1000, 5 * MiB - 1]) {
      const data = seededBytes(ctx.seed, `small${size}`, size);
      const loc = { bucket, key: `small/${size}.asb` };
      const w = new S3ObjectWriter(ctx.store, loc);
      await writeSeeded(ctx, w, data, `small${size}`);
      await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', `${size} B before complete`);
      const done = await w.complete();
      assert.equal(done.bytes, size);
      assert.ok(done.etag.length > 2, `${size} B: ETag ${done.etag}`);
      const back = await collect(readS3Object(ctx.store, loc));
      assert.equal(sha(back), sha(data), `${size} B, seed ${ctx.seed}`);
    }
  });

  test('positive: an exact multiple of the part size ends without an empty last part', async () => {
    const data = seededBytes(ctx.seed, 'exact', 10 * MiB);
    const loc = { bucket, key: 'exact/two_parts.asb' };
    const w = new S3ObjectWriter(ctx.store, loc);
    await w.write(data);
    const done = await w.complete();
    assert.match(done.etag, /-2"$/);
    assert.equal(sha(await collect(readS3Object(ctx.store, loc))), sha(data));
  });

  test('positive: at most --s3-max-async-uploads parts are in flight across all objects of a run', async () => {
    const store = await openStore(ctx, { maxAsyncUploads: 2 });
    try {
      const writers = [0, 1, 2].map((i) => new S3ObjectWriter(store, { bucket, key: `bounded/file_${i}.asb` }));
      const data = seededBytes(ctx.seed, 'bounded', 16 * MiB);
      let most = 0;
      // Three objects written side by side, 1 MiB at a time: 9 parts in all.
      for (let off = 0; off < data.length; off += MiB) {
        for (const w of writers) {
          await w.write(data.subarray(off, off + MiB));
          most = Math.max(most, store.uploads.inUse);
        }
      }
      for (const w of writers) await w.complete();
      assert.ok(most <= 2, `${most} parts in flight`);
      assert.ok(most >= 1);
      for (const w of writers) assert.equal(sha(await collect(readS3Object(store, w.location))), sha(data));
      assert.equal(store.openUploads, 0);
    } finally {
      store.close();
    }
  });

  test('positive: one object keeps at most UPLOAD_AHEAD_PARTS parts in flight, though the run allows more', async () => {
    const store = await openStore(ctx, { maxAsyncUploads: 16 });
    try {
      const data = seededBytes(ctx.seed, 'ahead', 12 * 5 * MiB);
      const loc = { bucket, key: 'ahead/test_00000.asb' };
      const w = new S3ObjectWriter(store, loc);
      let most = 0;
      // Whole parts at once: each write() returns as soon as its part is on its way.
      for (let off = 0; off < data.length; off += 5 * MiB) {
        await w.write(data.subarray(off, off + 5 * MiB));
        most = Math.max(most, store.uploads.inUse);
      }
      await w.complete();
      assert.equal(most, UPLOAD_AHEAD_PARTS, `${most} parts in flight`);
      assert.equal(sha(await collect(readS3Object(store, loc))), sha(data), `seed ${ctx.seed}`);
    } finally {
      store.close();
    }
  });

  test('positive: part buffers are filled again once their uploads succeed: memory is the parts in flight, not the parts written', async () => {
    const store = await openStore(ctx, { maxAsyncUploads: 2 });
    try {
      // The memory under each part sent, as the request carries it.
      const memory = new Set<ArrayBufferLike>();
      const send = store.client.send.bind(store.client) as (c: unknown, o?: unknown) => Promise<unknown>;
      (store.client as { send: unknown }).send = (c: unknown, o?: unknown) => {
        if (c instanceof UploadPartCommand) memory.add((c.input.Body as Buffer).buffer);
        return send(c, o);
      };
      const data = seededBytes(ctx.seed, 'reused', 60 * MiB + 3);
      const loc = { bucket, key: 'reused/test_00000.asb' };
      const w = new S3ObjectWriter(store, loc);
      await writeSeeded(ctx, w, data, 'reused');
      const done = await w.complete();
      assert.match(done.etag, /-13"$/);
      // Two in flight, one waiting for a slot, one filling.
      assert.ok(memory.size <= 4, `${memory.size} part buffers for 13 parts`);
      // A buffer filled again too early would have changed a part on its way.
      assert.equal(sha(await collect(readS3Object(store, loc))), sha(data), `seed ${ctx.seed}`);
    } finally {
      store.close();
    }
  });

  test('negative: abort() leaves no object and no unfinished upload; the writer refuses more data', async () => {
    const loc = { bucket, key: 'aborted/test_00000.asb' };
    const w = new S3ObjectWriter(ctx.store, loc);
    await w.write(seededBytes(ctx.seed, 'abort', 12 * MiB));
    await w.end(); // every part stored: an upload with parts, the worst case to clean up
    const open = () => ctx.store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'aborted/' }));
    assert.deepEqual((await open()).Uploads?.map((u) => u.UploadId), [w.uploadId]);
    await w.abort();
    await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'after abort');
    assert.deepEqual((await open()).Uploads ?? [], []);
    await rejectsWith(w.write(Buffer.from('x')), 'INTERNAL', 'write after abort');
    await rejectsWith(w.complete(), 'INTERNAL', 'complete after abort');
    await w.abort(); // twice is harmless
    assert.equal(ctx.store.openUploads, 0);
  });

  test('negative: abort() with parts still in flight cancels them and leaves nothing', async () => {
    const loc = { bucket, key: 'aborted/in_flight.asb' };
    const w = new S3ObjectWriter(ctx.store, loc);
    await w.write(seededBytes(ctx.seed, 'inflight', 21 * MiB)); // four parts sent, none awaited
    await w.abort();
    await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'after abort');
    const open = await ctx.store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'aborted/' }));
    assert.deepEqual(open.Uploads ?? [], []);
    assert.equal(ctx.store.uploads.inUse, 0, 'every upload slot freed');
  });

  test('negative: abortAll() ends every upload a run still has open', async () => {
    const store = await openStore(ctx);
    try {
      const ws = [0, 1].map((i) => new S3ObjectWriter(store, { bucket, key: `abort-all/file_${i}.asb` }));
      for (const w of ws) await w.write(seededBytes(ctx.seed, 'abortall', 6 * MiB));
      assert.equal(store.openUploads, 2);
      await store.abortAll();
      assert.equal(store.openUploads, 0);
      const open = await store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'abort-all/' }));
      assert.deepEqual(open.Uploads ?? [], []);
      for (const w of ws) await rejectsWith(statS3Object(store, w.location), 'S3_NO_KEY', w.url);
    } finally {
      store.close();
    }
  });

  test('negative: an object replaced while it is read fails with S3_CHANGED, never a mix', async () => {
    const loc = { bucket, key: 'replaced/test_00000.asb' };
    const first = seededBytes(ctx.seed, 'first', 12 * MiB);
    await putObject(ctx.store, bucket, loc.key, first);
    const got: Buffer[] = [];
    const reading = (async () => {
      for await (const b of readS3Object(ctx.store, loc, { chunkSize: MiB, window: 1 })) {
        got.push(b);
        // After the first chunk the object is replaced; the GET of chunk 3 starts after that.
        if (got.length === 1) await putObject(ctx.store, bucket, loc.key, seededBytes(ctx.seed, 'second', 12 * MiB));
      }
    })();
    await rejectsWith(reading, 'S3_CHANGED', 'read across a replacement');
    const seen = Buffer.concat(got);
    assert.ok(seen.length < first.length);
    assert.ok(first.subarray(0, seen.length).equals(seen), 'every byte handed out is from the first version');
    assert.equal(ctx.store.downloads.inUse, 0, 'no download slot leaked');
  });

  test('positive: leaving a read early cancels what is in flight and frees its slots', async () => {
    const loc = { bucket, key: 'early/test_00000.asb' };
    await putObject(ctx.store, bucket, loc.key, seededBytes(ctx.seed, 'early', 8 * MiB));
    for await (const b of readS3Object(ctx.store, loc, { chunkSize: MiB })) {
      // Handed on in pieces of a quarter MiB (the size a local file is read in).
      assert.equal(b.length, MiB / 4);
      break;
    }
    assert.equal(ctx.store.downloads.inUse, 0);
  });
}

// The seed fixes the chunking too, so ASB_TEST_SEED replays a failure exactly.
async function writeSeeded(ctx: S3TestContext, w: S3ObjectWriter, data: Buffer, stream: string): Promise<void> {
  if (data.length > 0) await writeInChunks(w, data, seededSizes(ctx.seed, stream, data.length, 300 * 1024));
}
