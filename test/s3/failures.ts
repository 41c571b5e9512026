// Each way an S3 run fails gives one AsError with a stable code that names the bucket/key;
// transient failures (503, dropped connections) are retried first.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AsError } from '../../lib/errors.js';
import { MiB } from '../../lib/storage/options.js';
import { listBackupObjects, prepareS3Directory, prepareS3Object } from '../../lib/storage/s3-prefix.js';
import { readS3Object, statS3Object } from '../../lib/storage/s3-reader.js';
import { S3Store } from '../../lib/storage/s3-store.js';
import { S3ObjectWriter } from '../../lib/storage/s3-writer.js';
import { closedPort, collect, createBucket, FailingProxy, openStore, putObject, rejectsWith, seededBytes, sha, type S3TestContext } from './support.js';

/** withEnv: runs fn with some environment variables set (undefined = unset), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) delete process.env[k];
      else process.env[k] = x;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

export function failureTests(ctx: S3TestContext): void {
  const bucket = 'failures';
  const dir = mkdtempSync(join(tmpdir(), 'asb-s3-creds-'));
  const credentials = join(dir, 'credentials');
  before(async () => {
    await createBucket(ctx.store, bucket);
    await putObject(ctx.store, bucket, 'there/test_00000.asb', 'x');
    writeFileSync(credentials, [
      '[backup]', `aws_access_key_id = ${ctx.gw.accessKeyId}`, `aws_secret_access_key = ${ctx.gw.secretAccessKey}`,
      '[unknown-key]', 'aws_access_key_id = NOSUCHKEY0000000000', `aws_secret_access_key = ${ctx.gw.secretAccessKey}`,
      '[wrong-secret]', `aws_access_key_id = ${ctx.gw.accessKeyId}`, 'aws_secret_access_key = not-the-secret',
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'config'), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const files = () => ({ AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: join(dir, 'config') });

  const messageNames = (e: AsError, url: string, ...hints: string[]) => {
    assert.equal(e.value, url);
    assert.ok(e.message.includes(url), e.message);
    for (const h of hints) assert.ok(e.message.includes(h), `${JSON.stringify(e.message)} lacks ${JSON.stringify(h)}`);
  };

  test('negative: a wrong endpoint gives S3_ENDPOINT naming the endpoint and the bucket/key', async () => {
    const port = await closedPort();
    const store = await openStore(ctx, { endpoint: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 10 });
    try {
      const e = await rejectsWith(listBackupObjects(store, { bucket, key: 'there' }), 'S3_ENDPOINT', 'refused');
      messageNames(e, `s3://${bucket}/there`, `http://127.0.0.1:${port}`, 'ECONNREFUSED', 'after 3 tries', '--s3-endpoint-override');
      const w = new S3ObjectWriter(store, { bucket, key: 'there/new.asb' });
      await w.write(Buffer.from('x'));
      await rejectsWith(w.complete(), 'S3_ENDPOINT', 'write');
    } finally {
      store.close();
    }
    // Some other server at the endpoint (here one that does not speak HTTP).
    const other = createServer((c) => c.on('data', () => c.end('SSH-2.0-OpenSSH_9.2\r\n')));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const notS3 = await openStore(ctx, { endpoint: `http://127.0.0.1:${(other.address() as { port: number }).port}`, retries: 2, retryDelayMs: 10 });
    try {
      const e = await rejectsWith(listBackupObjects(notS3, { bucket, key: 'there' }), 'S3_ENDPOINT', 'not HTTP');
      assert.match(e.message, /HPE_/);
    } finally {
      notS3.close();
      other.close();
    }
    const before = ctx.log.length;
    const nowhere = await openStore(ctx, { endpoint: 'http://no-such-host.invalid:7480', retries: 2, retryDelayMs: 10 });
    try {
      const e = await rejectsWith(statS3Object(nowhere, { bucket, key: 'k.asb' }), 'S3_ENDPOINT', 'unknown host');
      assert.match(e.message, /ENOTFOUND|EAI_AGAIN/);
      if (/ENOTFOUND/.test(e.message)) assert.equal(ctx.log.length, before, 'an unknown host is not retried');
    } finally {
      nowhere.close();
    }
  });

  test('negative: bad credentials give S3_CREDENTIALS for a listing, a read and a write; --s3-profile picks them', async () => {
    await withEnv(files(), async () => {
      for (const profile of ['unknown-key', 'wrong-secret']) {
        const store = await openStore(ctx, { profile });
        try {
          const e = await rejectsWith(listBackupObjects(store, { bucket, key: 'there' }), 'S3_CREDENTIALS', `${profile}: list`);
          messageNames(e, `s3://${bucket}/there`, '--s3-profile');
          // HeadObject's 403 has no body: the reader still says which.
          await rejectsWith(statS3Object(store, { bucket, key: 'there/test_00000.asb' }), 'S3_CREDENTIALS', `${profile}: head`);
          await rejectsWith(collect(readS3Object(store, { bucket, key: 'there/test_00000.asb' })), 'S3_CREDENTIALS', `${profile}: read`);
          const w = new S3ObjectWriter(store, { bucket, key: 'there/new.asb' });
          await w.write(seededBytes(ctx.seed, 'creds', 6 * MiB));
          await rejectsWith(w.end(), 'S3_CREDENTIALS', `${profile}: write`);
          await w.abort().catch(() => undefined);
        } finally {
          store.close();
        }
      }
      // The right profile works, whatever the environment holds.
      await withEnv({ AWS_ACCESS_KEY_ID: 'NOSUCHKEY0000000000' }, async () => {
        const store = await openStore(ctx, { profile: 'backup' });
        try {
          assert.equal((await listBackupObjects(store, { bucket, key: 'there' })).length, 1);
        } finally {
          store.close();
        }
      });
    });
  });

  test('negative: a profile that does not exist gives S3_CREDENTIALS', async () => {
    await withEnv({ ...files(), AWS_EC2_METADATA_DISABLED: 'true' }, async () => {
      const store = await openStore(ctx, { profile: 'no-such-profile' });
      try {
        await rejectsWith(listBackupObjects(store, { bucket, key: 'there' }), 'S3_CREDENTIALS', 'missing profile');
      } finally {
        store.close();
      }
    });
  });

  test('negative: a missing bucket gives S3_NO_BUCKET for every operation', async () => {
    const nb = { bucket: 'no-such-bucket', key: 'p/test_00000.asb' };
    const e = await rejectsWith(statS3Object(ctx.store, nb), 'S3_NO_BUCKET', 'head');
    messageNames(e, 's3://no-such-bucket/p/test_00000.asb', 'bucket no-such-bucket does not exist');
    await rejectsWith(collect(readS3Object(ctx.store, nb)), 'S3_NO_BUCKET', 'read');
    await rejectsWith(listBackupObjects(ctx.store, { bucket: nb.bucket, key: 'p' }), 'S3_NO_BUCKET', 'list');
    await rejectsWith(prepareS3Directory(ctx.store, { bucket: nb.bucket, key: 'p' }, false), 'S3_NO_BUCKET', '-d');
    await rejectsWith(prepareS3Directory(ctx.store, { bucket: nb.bucket, key: 'p' }, true), 'S3_NO_BUCKET', '-d -r');
    await rejectsWith(prepareS3Object(ctx.store, nb, false), 'S3_NO_BUCKET', '-o');
    const small = new S3ObjectWriter(ctx.store, nb);
    await small.write(Buffer.from('x'));
    await rejectsWith(small.complete(), 'S3_NO_BUCKET', 'small write');
    await small.abort();
    const big = new S3ObjectWriter(ctx.store, nb);
    await big.write(seededBytes(ctx.seed, 'nobucket', 5 * MiB));
    await rejectsWith(big.end(), 'S3_NO_BUCKET', 'multipart write');
    await big.abort();
  });

  test('negative: a missing key gives S3_NO_KEY', async () => {
    const loc = { bucket, key: 'there/test_00001.asb' };
    const e = await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'head');
    messageNames(e, `s3://${bucket}/there/test_00001.asb`, 'no object');
    await rejectsWith(collect(readS3Object(ctx.store, loc)), 'S3_NO_KEY', 'read');
  });

  test('negative: no region anywhere and no endpoint gives S3_REGION; an endpoint alone is enough', async () => {
    await withEnv({ ...files(), AWS_REGION: undefined, AWS_DEFAULT_REGION: undefined, AWS_PROFILE: undefined }, async () => {
      await rejectsWith(S3Store.open({ maxAsyncUploads: 1, maxAsyncDownloads: 1, connectTimeoutMs: 1000 }), 'S3_REGION', 'no region');
      const store = await openStore(ctx);
      assert.equal(store.region, 'us-east-1');
      store.close();
    });
  });

  test('positive: a host clock years off the server\'s is corrected once, said once, and the requests go through', async () => {
    const store = await openStore(ctx);
    const logged = ctx.log.length;
    try {
      store.client.config.systemClockOffset = -3 * 365 * 86400_000; // signs as if three years ago
      assert.equal((await listBackupObjects(store, { bucket, key: 'there' })).length, 1);
      assert.equal((await statS3Object(store, { bucket, key: 'there/test_00000.asb' })).size, 1);
      const lines = ctx.log.slice(logged);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /clock is \d+ s off the server's/);
    } finally {
      store.close();
    }
  });

  for (const how of ['503', 'reset'] as const) {
    test(`positive: ${how === '503' ? '503 SlowDown answers' : 'dropped connections'} are retried and the round trip succeeds`, async () => {
      const proxy = await FailingProxy.start(ctx.gw.endpoint, { failures: 3, how });
      const store = await openStore(ctx, { endpoint: proxy.endpoint });
      const logged = ctx.log.length;
      try {
        const loc = { bucket, key: `retried/${how}.asb` };
        const data = seededBytes(ctx.seed, `retry${how}`, 12 * MiB);
        const w = new S3ObjectWriter(store, loc);
        await w.write(data);
        await w.complete();
        assert.equal(proxy.failed, 3);
        const retries = ctx.log.slice(logged).filter((l) => / retry \d/.test(l));
        assert.equal(retries.length, 3, retries.join('\n'));
        assert.match(retries[0]!, /retry 1 of 5/);
        assert.equal(sha(await collect(readS3Object(ctx.store, loc))), sha(data), `seed ${ctx.seed}`);
      } finally {
        store.close();
        await proxy.close();
      }
    });
  }

  test('negative: a server that keeps failing gives S3_UNAVAILABLE after the retries, and no object', async () => {
    const proxy = await FailingProxy.start(ctx.gw.endpoint, { failures: Infinity, how: '503' });
    const store = await openStore(ctx, { endpoint: proxy.endpoint, retries: 2, retryDelayMs: 10 });
    const loc = { bucket, key: 'unavailable/test_00000.asb' };
    try {
      const w = new S3ObjectWriter(store, loc);
      await w.write(seededBytes(ctx.seed, 'unavailable', 6 * MiB));
      const e = await rejectsWith(w.end(), 'S3_UNAVAILABLE', 'upload');
      messageNames(e, `s3://${bucket}/unavailable/test_00000.asb`, 'after 3 tries', '503');
      assert.equal(proxy.requests, 3);
    } finally {
      store.close();
      await proxy.close();
    }
    await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'nothing appeared');
  });
}
