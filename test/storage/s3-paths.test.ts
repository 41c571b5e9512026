// s3:// paths and the --s3-* option rows: what needs no server.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../lib/errors.js';
import { defaultValues, parseArgs } from '../../lib/cli/options.js';
import { MiB, s3BackupOptions, s3RestoreOptions, s3Settings } from '../../lib/storage/options.js';
import { isBackupKey, isS3Url, keyIn, listPrefix, parseS3Url, s3Url } from '../../lib/storage/s3-url.js';

test('positive: s3://bucket/key parses into bucket and key; the scheme in any case', () => {
  assert.deepEqual(parseS3Url('s3://backups/daily/test.asb'), { bucket: 'backups', key: 'daily/test.asb' });
  assert.deepEqual(parseS3Url('S3://backups/x.asb'), { bucket: 'backups', key: 'x.asb' });
  assert.equal(isS3Url('S3://b/k'), true);
  assert.equal(isS3Url('/tmp/s3://b'), false);
  assert.equal(isS3Url('backup.asb'), false);
  assert.equal(s3Url({ bucket: 'b', key: 'p/x.asb' }), 's3://b/p/x.asb');
});

test('positive: a prefix may be the whole bucket and loses trailing slashes', () => {
  assert.deepEqual(parseS3Url('s3://backups', 'prefix'), { bucket: 'backups', key: '' });
  assert.deepEqual(parseS3Url('s3://backups/', 'prefix'), { bucket: 'backups', key: '' });
  assert.deepEqual(parseS3Url('s3://backups/daily//', 'prefix'), { bucket: 'backups', key: 'daily' });
  assert.equal(keyIn('daily', 'test_00000.asb'), 'daily/test_00000.asb');
  assert.equal(keyIn('', 'test_00000.asb'), 'test_00000.asb');
  assert.equal(listPrefix('daily'), 'daily/');
  assert.equal(listPrefix(''), '');
});

test('negative: a bad s3:// path is a usage error naming the path and where it came from', () => {
  const bad: Array<[string, 'object' | 'prefix', string]> = [
    ['s3://', 'object', 'no bucket name'],
    ['s3:///key.asb', 'object', 'no bucket name'],
    ['s3://bucket', 'object', 'no object key'],
    ['s3://bucket/', 'object', 'no object key'],
    ['s3://bucket/dir/', 'object', 'cannot end in /'],
    ['s3://my bucket/k', 'prefix', 'blank'],
    ['/local/dir', 'prefix', 'not an s3:// path'],
  ];
  for (const [path, what, why] of bad) {
    assert.throws(() => parseS3Url(path, what, '--directory'), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${path}: ${String(e)}`);
      assert.equal(e.value, path);
      assert.ok(e.message.startsWith(`--directory ${JSON.stringify(path)}: `), e.message);
      assert.ok(e.message.includes(why), `${path}: ${e.message}`);
      return true;
    });
  }
});

test('positive: .asb keys by the C tool\'s rule', () => {
  assert.equal(isBackupKey('p/test_00000.asb'), true);
  assert.equal(isBackupKey('x.asb'), true);
  assert.equal(isBackupKey('.asb'), false);
  assert.equal(isBackupKey('p/test.asb.part'), false);
  assert.equal(isBackupKey('p/test.ASB'), false);
});

test('positive: the seven --s3-* rows parse with the official names, units and defaults', () => {
  const rows = s3BackupOptions();
  assert.deepEqual(rows.map((o) => o.long), [
    's3-endpoint-override', 's3-region', 's3-profile', 's3-min-part-size', 's3-max-async-uploads', 's3-max-async-downloads', 's3-connect-timeout',
  ]);
  assert.deepEqual(s3RestoreOptions().map((o) => o.long), ['s3-endpoint-override', 's3-region', 's3-profile', 's3-max-async-downloads', 's3-connect-timeout']);
  assert.deepEqual(defaultValues(rows), { s3MaxAsyncUploads: 16, s3MaxAsyncDownloads: 32, s3ConnectTimeout: 1000 });
  const { values } = parseArgs(rows, ['--s3-endpoint-override', '127.0.0.1:7480', '--s3-region=eu-west-1', '--s3-profile', 'backup',
    '--s3-min-part-size', '8', '--s3-max-async-uploads', '4', '--s3-max-async-downloads', '64', '--s3-connect-timeout', '0'], 'asbackup');
  assert.deepEqual(s3Settings(values), {
    endpoint: 'http://127.0.0.1:7480', region: 'eu-west-1', profile: 'backup', minPartSize: 8 * MiB,
    maxAsyncUploads: 4, maxAsyncDownloads: 64, connectTimeoutMs: 0,
  });
  assert.equal(parseArgs(rows, ['--s3-endpoint-override=https://s3.example.com/'], 'asbackup').values.s3EndpointOverride, 'https://s3.example.com');
  assert.deepEqual(s3Settings({}), { endpoint: undefined, region: undefined, profile: undefined, minPartSize: undefined, maxAsyncUploads: 16, maxAsyncDownloads: 32, connectTimeoutMs: 1000 });
});

test('negative: bad --s3-* values are usage errors naming the option', () => {
  const rows = s3BackupOptions();
  const cases: Array<[string[], string]> = [
    [['--s3-min-part-size', '4'], '--s3-min-part-size'],
    [['--s3-min-part-size', '5121'], '--s3-min-part-size'],
    [['--s3-max-async-uploads', '0'], '--s3-max-async-uploads'],
    [['--s3-max-async-downloads', 'x'], '--s3-max-async-downloads'],
    [['--s3-connect-timeout', '-1'], '--s3-connect-timeout'],
    [['--s3-endpoint-override', 'ftp://host'], '--s3-endpoint-override'],
    [['--s3-endpoint-override', 'http://host:7480/bucket'], '--s3-endpoint-override'],
    [['--s3-endpoint-override', 'http://[nope'], '--s3-endpoint-override'],
    [['--s3-region='], '--s3-region'],
  ];
  for (const [argv, option] of cases) {
    assert.throws(() => parseArgs(rows, argv, 'asbackup'), (e: unknown) => e instanceof UsageError && e.message.includes(option), argv.join(' '));
  }
  // A secret never has an option: the credentials come from the AWS chain only.
  assert.throws(() => parseArgs(rows, ['--s3-secret-access-key', 'x'], 'asbackup'), UsageError);
  // Readers take no upload options.
  assert.throws(() => parseArgs(s3RestoreOptions(), ['--s3-min-part-size', '5'], 'asrestore'), UsageError);
});
