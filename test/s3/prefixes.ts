// A prefix as a backup directory: listing with pagination, the "already holds a backup"
// check, and -r (delete the .asb objects, abort their unfinished uploads).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { CreateMultipartUploadCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { UsageError } from '../../lib/errors.js';
import { findBackup, listBackupObjects, openBackupUploads, prepareS3Directory, prepareS3Object, removeBackup } from '../../lib/storage/s3-prefix.js';
import { statS3Object } from '../../lib/storage/s3-reader.js';
import { createBucket, putObject, rejectsWith, type S3TestContext } from './support.js';

export function prefixTests(ctx: S3TestContext): void {
  const bucket = 'prefixes';
  before(async () => {
    await createBucket(ctx.store, bucket);
  });

  const allKeys = async (prefix: string): Promise<string[]> => {
    const r = await ctx.store.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((c) => c.Key!).sort();
  };
  const startUpload = async (key: string) => {
    await ctx.store.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  };

  test('positive: every .asb key under the prefix, over many pages, sorted; nothing beside or outside it', async () => {
    const expected: string[] = [];
    // 3 slices of a backup as --partition-list with --output-file-prefix writes them, written out of order.
    for (const slice of ['c', 'a', 'b']) {
      for (let n = 0; n < 8; n++) {
        const key = `list/${slice}_${String(n).padStart(5, '0')}.asb`;
        await putObject(ctx.store, bucket, key, `${slice}${n}`);
        expected.push(key);
      }
    }
    await putObject(ctx.store, bucket, 'list/nested/test_00000.asb', 'nested'); // the C tool lists without a delimiter
    expected.push('list/nested/test_00000.asb');
    for (const other of ['list/notes.txt', 'list/test_00000.asb.part', 'list-old/test_00000.asb', 'list.asb', 'lis/test_00000.asb']) {
      await putObject(ctx.store, bucket, other, 'not part of the backup');
    }
    expected.sort();
    const listed = await listBackupObjects(ctx.store, { bucket, key: 'list' }, { pageSize: 5 });
    assert.deepEqual(listed.map((o) => o.key), expected);
    assert.equal(listed[0]!.url, `s3://${bucket}/${expected[0]}`);
    assert.equal(listed.find((o) => o.key === 'list/b_00003.asb')!.size, 2);
    assert.match(listed[0]!.etag, /^"[0-9a-f]{32}"$/);
    // One page or many: the same list.
    assert.deepEqual((await listBackupObjects(ctx.store, { bucket, key: 'list' })).map((o) => o.key), expected);
    // The bucket root is a prefix too.
    const root = await listBackupObjects(ctx.store, { bucket, key: '' }, { pageSize: 7 });
    assert.ok(root.some((o) => o.key === 'list.asb') && root.some((o) => o.key === 'list-old/test_00000.asb'));
    assert.equal(root.length, expected.length + 3);
  });

  test('positive: an empty prefix lists nothing; a fresh prefix holds no backup', async () => {
    assert.deepEqual(await listBackupObjects(ctx.store, { bucket, key: 'nothing/here' }), []);
    assert.deepEqual(await findBackup(ctx.store, { bucket, key: 'nothing/here' }), {});
    await prepareS3Directory(ctx.store, { bucket, key: 'nothing/here' }, false);
  });

  test('negative: a prefix with .asb objects, or only an unfinished .asb upload, is refused without -r', async () => {
    await putObject(ctx.store, bucket, 'held/test_00000.asb', 'x');
    assert.deepEqual(await findBackup(ctx.store, { bucket, key: 'held' }), { object: `s3://${bucket}/held/test_00000.asb` });
    await assert.rejects(prepareS3Directory(ctx.store, { bucket, key: 'held' }, false), (e: unknown) => {
      assert.ok(e instanceof UsageError);
      assert.equal(e.code, 'OUTPUT_EXISTS', 'as for a local directory');
      assert.equal(e.value, `s3://${bucket}/held`);
      assert.match(e.message, /held\/test_00000\.asb.*-r/);
      return true;
    });
    await startUpload('interrupted/test_00000.asb');
    assert.deepEqual(await findBackup(ctx.store, { bucket, key: 'interrupted' }), { upload: `s3://${bucket}/interrupted/test_00000.asb` });
    await assert.rejects(prepareS3Directory(ctx.store, { bucket, key: 'interrupted' }, false), (e: unknown) => e instanceof UsageError && e.code === 'OUTPUT_EXISTS' && e.message.includes('interrupted/test_00000.asb'));
    // Other files and uploads do not count.
    await putObject(ctx.store, bucket, 'unrelated/readme.txt', 'x');
    await startUpload('unrelated/big.bin');
    await prepareS3Directory(ctx.store, { bucket, key: 'unrelated' }, false);
  });

  test('positive: -r deletes every .asb object under the prefix and aborts its unfinished .asb uploads, nothing else', async () => {
    const keys: string[] = [];
    for (let n = 0; n < 1003; n++) keys.push(`clear/test_${String(n).padStart(5, '0')}.asb`); // more than one DeleteObjects batch
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => putObject(ctx.store, bucket, k, 'r')));
    await startUpload('clear/test_99999.asb');
    await startUpload('clear/other.bin');
    await putObject(ctx.store, bucket, 'clear/keep.txt', 'k');
    await putObject(ctx.store, bucket, 'clear-old/test_00000.asb', 'k');
    const removed = await removeBackup(ctx.store, { bucket, key: 'clear' });
    assert.deepEqual(removed, { deleted: 1003, aborted: 1 });
    assert.deepEqual(await allKeys('clear'), ['clear-old/test_00000.asb', 'clear/keep.txt']);
    assert.deepEqual(await openBackupUploads(ctx.store, { bucket, key: 'clear' }), []);
    // prepareS3Directory with -r does the same and then the prefix is usable.
    await putObject(ctx.store, bucket, 'clear/test_00000.asb', 'again');
    const lines: string[] = [];
    await prepareS3Directory(ctx.store, { bucket, key: 'clear' }, true, (l) => lines.push(l));
    assert.deepEqual(lines, [`Removed 1 .asb object(s) and 0 unfinished upload(s) from s3://${bucket}/clear`]);
    assert.deepEqual(await findBackup(ctx.store, { bucket, key: 'clear' }), {});
  });

  test('positive: -o s3://... refuses an existing object without -r, replaces it with -r', async () => {
    const loc = { bucket, key: 'single/backup.asb' };
    await prepareS3Object(ctx.store, loc, false); // nothing there yet
    await putObject(ctx.store, bucket, loc.key, 'old');
    await assert.rejects(prepareS3Object(ctx.store, loc, false), (e: unknown) => e instanceof UsageError && e.code === 'OUTPUT_EXISTS' && /already exists.*-r/.test(e.message));
    await startUpload(loc.key);
    await prepareS3Object(ctx.store, loc, true);
    await rejectsWith(statS3Object(ctx.store, loc), 'S3_NO_KEY', 'after -r');
    assert.deepEqual(await openBackupUploads(ctx.store, { bucket, key: 'single' }), []);
  });
}
