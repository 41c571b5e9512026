// radosgw killed and started again in the middle of an upload: the writer retries and
// either completes the object whole or fails cleanly, leaving no half object.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { AsError } from '../../lib/errors.js';
import { MiB } from '../../lib/storage/options.js';
import { openBackupUploads } from '../../lib/storage/s3-prefix.js';
import { readS3Object, statS3Object } from '../../lib/storage/s3-reader.js';
import { S3ObjectWriter } from '../../lib/storage/s3-writer.js';
import { collect, createBucket, openStore, rejectsWith, seededBytes, sha, type S3TestContext } from './support.js';

export function restartTests(ctx: S3TestContext): void {
  const bucket = 'restart';
  before(async () => {
    await createBucket(ctx.store, bucket);
  });

  test('positive: radosgw restarting during an upload: retries, then a whole object or a clean error', async (t) => {
    // The default retry policy (5 retries from 250 ms, about 4..8 s in all) outlasts a restart.
    const store = await openStore(ctx, { retryDelayMs: 250, maxAsyncUploads: 4 });
    const logged = ctx.log.length;
    const loc = { bucket, key: 'during/test_00000.asb' };
    const data = seededBytes(ctx.seed, 'restart', 48 * MiB);
    const w = new S3ObjectWriter(store, loc);
    let restarted: Promise<void> | undefined;
    let outcome: AsError | undefined;
    try {
      for (let off = 0; off < data.length; off += MiB) {
        await w.write(data.subarray(off, off + MiB));
        // Three parts in: kill radosgw (as a crash would) and start it again 300 ms later.
        if (off === 15 * MiB) restarted = ctx.gw.restartGateway({ downMs: 300 });
      }
      await w.complete();
    } catch (e) {
      assert.ok(e instanceof AsError, String(e));
      outcome = e;
      await w.abort().catch(() => undefined);
    } finally {
      await restarted;
      store.close();
    }
    const retries = ctx.log.slice(logged).filter((l) => / retry \d/.test(l));
    t.diagnostic(`${outcome ? `stopped cleanly: ${outcome.code}` : 'completed'} after ${retries.length} retries`);
    assert.ok(retries.length > 0, 'the restart was seen and retried');
    if (outcome === undefined) {
      assert.equal(sha(await collect(readS3Object(ctx.store, loc))), sha(data), `seed ${ctx.seed}`);
    } else {
      // A clean stop: it says which object, and nothing is left under the key.
      assert.ok(['S3_ENDPOINT', 'S3_UNAVAILABLE'].includes(outcome.code), outcome.message);
      assert.equal(outcome.value, `s3://${bucket}/during/test_00000.asb`);
      await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'no half object');
      assert.deepEqual(await openBackupUploads(ctx.store, { bucket, key: 'during' }), []);
    }
  });

  test('positive: after the restart the server serves again', async () => {
    const loc = { bucket, key: 'after/test_00000.asb' };
    const w = new S3ObjectWriter(ctx.store, loc);
    await w.write(Buffer.from('after the restart\n'));
    await w.complete();
    assert.equal((await statS3Object(ctx.store, loc)).size, 18);
  });
}
