// The programs with s3:// paths against radosgw (issue #16): asbackup -d/-o into S3 and
// asrestore, as-decode-asb and as-split-files from it give exactly the records of a local
// backup, with and without -z/-y; slices of one backup share a prefix and restore in one
// run; a restarted or failing server is retried, and a run that fails or is stopped leaves
// no object and no upload behind; bad endpoints, credentials, buckets and keys are one line
// naming them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeItems } from '../../lib/asb/decode.js';
import type { Codec } from '../../lib/codec/codec.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import { deriveAesKey, readKeyFile } from '../../lib/codec/key.js';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { stringify } from '../../lib/records/jsonl.js';
import type { StreamItem } from '../../lib/records/types.js';
import { listBackupObjects, openBackupUploads } from '../../lib/storage/s3-prefix.js';
import { readS3Object } from '../../lib/storage/s3-reader.js';
import { loadDataset } from '../dataset.js';
import { errorCode, lastLine, repoRoot, runProgram, seededRng, startPipeline, waitFor } from '../helpers.js';
import { closedPort, collect, createBucket, FailingProxy, putObject, type S3TestContext } from './support.js';

const BIG = 3000;
const PEM = join(repoRoot, 'test/fixtures/official/zstd-aes/key-shared.pem');
const CODECS: Array<{ name: string; args: string[]; codec: () => Codec }> = [
  { name: 'plain', args: [], codec: () => ({}) },
  { name: '-z zstd -y aes256', args: ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', PEM], codec: () => ({ compress: { level: 0 }, encrypt: { algorithm: 'aes256', key: deriveAesKey(readKeyFile(PEM), 'aes256') } }) },
];

const keyOf = (it: StreamItem): string => (it.kind === 'record' ? `r ${it.digest.toString('hex')}` : stringify(it));
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !/ \[(INF|VER|ERR)\] /.test(l));

export function programTests(ctx: S3TestContext): void {
  const bucket = 'programs';
  let server: DevServerThread;
  let host: string;
  let total: number;
  let reference: Map<string, string>;
  const work = mkdtempSync(join(tmpdir(), 'asb-s3-programs-'));
  const rng = seededRng(ctx.seed);
  const SEED = `seed ${ctx.seed}`;
  const s3 = (): string[] => ['--s3-endpoint-override', ctx.gw.endpoint];

  /** The items of S3 objects under a prefix, read as the official vectors are. */
  async function itemsUnder(prefix: string, codec: Codec): Promise<{ keys: string[]; items: Map<string, string> }> {
    const objects = await listBackupObjects(ctx.store, { bucket, key: prefix });
    const items = new Map<string, string>();
    for (const o of objects) {
      const bytes = await collect(readS3Object(ctx.store, { bucket, key: o.key }));
      for await (const it of decodeItems(decodeFile([bytes], o.url, codec), o.url)) items.set(keyOf(it), stringify(it));
    }
    return { keys: objects.map((o) => o.key), items };
  }

  function assertSameItems(got: Map<string, string>, what: string): void {
    assert.equal(got.size, reference.size, `${what}: ${got.size} items, expected ${reference.size} (${SEED})`);
    for (const [k, v] of reference) assert.equal(got.get(k), v, `${what}: ${k} (${SEED})`);
  }

  /** nothingLeft: no object and no unfinished upload under a prefix. */
  async function nothingLeft(prefix: string): Promise<void> {
    assert.deepEqual((await listBackupObjects(ctx.store, { bucket, key: prefix })).map((o) => o.key), [], `no object under ${prefix}`);
    assert.deepEqual((await openBackupUploads(ctx.store, { bucket, key: prefix })).map((u) => u.key), [], `no upload under ${prefix}`);
  }

  async function restoredMatches(): Promise<void> {
    assert.equal(await server.count('restored'), total);
    for (let i = 0; i < BIG; i += 101) {
      const k = particle.string(`big-${i}`);
      const d = computeDigest('big', k.type, k.data);
      assert.deepEqual((await server.get('restored', d))!.bins, (await server.get('test', d))!.bins, `big-${i} (${SEED})`);
    }
  }

  before(async () => {
    await createBucket(ctx.store, bucket);
    server = await startDevServerThread({ nodes: 2, namespaces: ['test', 'restored'] });
    host = `127.0.0.1:${server.seeds[0]!.port}`;
    total = await loadDataset(server.seeds[0]!.port);
    for (let i = 0; i < BIG; i++) {
      const k = particle.string(`big-${i}`);
      await server.put('test', 'big', computeDigest('big', k.type, k.data), [
        { name: 'noise', ...particle.blob(rng.bytes(1024)) },
        { name: 'text', ...particle.string(`record ${i} `.repeat(60)) },
      ], { key: k });
    }
    total += BIG;
    const local = join(work, 'local.asb');
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', local]);
    assert.equal(r.code, 0, r.stderr);
    reference = new Map();
    for await (const it of decodeItems([readFileSync(local)], local)) reference.set(keyOf(it), stringify(it));
  });

  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  for (const c of CODECS) {
    test(`positive: ${c.name}: asbackup -d s3:// at -F 1 writes <prefix>/test_NNNNN.asb objects holding exactly the records of a local backup; asrestore -d s3:// restores them (${SEED})`, async () => {
      const prefix = `rt-${c.args.length}/backup`;
      const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', `s3://${bucket}/${prefix}`, '-F', '1', ...s3(), ...c.args]);
      assert.equal(b.code, 0, b.stderr);
      const { keys, items } = await itemsUnder(prefix, c.codec());
      assert.ok(keys.length >= 2, `several objects: ${keys}`);
      assert.deepEqual(keys, keys.map((_, i) => `${prefix}/test_${String(i).padStart(5, '0')}.asb`));
      assertSameItems(items, c.name);
      await nothingLeft(`rt-${c.args.length}/none`);
      assert.deepEqual(await openBackupUploads(ctx.store, { bucket, key: prefix }), [], 'every upload completed');
      await server.truncate('restored');
      const r = await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', `s3://${bucket}/${prefix}`, ...s3(), ...c.args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`Found ${keys.length} backup file\\(s\\) in s3://${bucket}/${prefix}`));
      await restoredMatches();
    });

    test(`positive: ${c.name}: asbackup -o s3://bucket/key.asb; asrestore -i and as-decode-asb read it back (${SEED})`, async () => {
      const key = `one-${c.args.length}/backup.asb`;
      const url = `s3://${bucket}/${key}`;
      const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', url, ...s3(), ...c.args]);
      assert.equal(b.code, 0, b.stderr);
      assertSameItems((await itemsUnder(`one-${c.args.length}`, c.codec())).items, c.name);
      const v = await runProgram('asrestore', ['-i', url, '--validate', ...s3(), ...c.args]);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stderr, new RegExp(`${total} record\\(s\\) read`));
      const d = await runProgram('as-decode-asb', [url, ...s3(), ...c.args]);
      assert.equal(d.code, 0, d.stderr);
      assert.equal(d.stdout.toString().trim().split('\n').length, reference.size);
      // Again without -r: refused; with -r: replaced.
      const again = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', url, ...s3(), ...c.args]);
      assert.equal(again.code, 2, again.stderr);
      assert.equal(errorCode(again.stderr), 'OUTPUT_EXISTS');
      assert.ok(lastLine(again.stderr).includes(url), again.stderr);
      const replaced = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', url, '-r', '-s', 'a', ...s3(), ...c.args]);
      assert.equal(replaced.code, 0, replaced.stderr);
      const items = (await itemsUnder(`one-${c.args.length}`, c.codec())).items;
      assert.ok(items.size < reference.size && items.size > 0, `replaced by the set a backup: ${items.size}`);
    });
  }

  test(`positive: three slices (--partition-list, --output-file-prefix) into one prefix restore in one asrestore -d s3:// run (${SEED})`, async () => {
    const url = `s3://${bucket}/slices`;
    const slices = [['s0', '0-1366'], ['s1', '1366-1365'], ['s2', '2731-1365']] as const;
    for (const [name, range] of slices) {
      const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', url, '--partition-list', range, '--output-file-prefix', name, '-F', '1', '-z', 'zstd', ...s3()]);
      assert.equal(b.code, 0, `${name}: ${b.stderr}`);
    }
    const { keys, items } = await itemsUnder('slices', { compress: { level: 0 } });
    assert.deepEqual([...new Set(keys.map((k) => k.slice('slices/'.length, 'slices/'.length + 2)))], ['s0', 's1', 's2']);
    assertSameItems(items, 'three slices');
    // A slice is refused only by its own files, and -r clears only them.
    const again = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', url, '--partition-list', '0-1366', '--output-file-prefix', 's0', '-z', 'zstd', ...s3()]);
    assert.equal(errorCode(again.stderr), 'OUTPUT_EXISTS', again.stderr);
    assert.match(lastLine(again.stderr), /slices\/s0_00000\.asb/);
    const redo = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', url, '--partition-list', '0-1366', '--output-file-prefix', 's0', '-r', '-z', 'zstd', ...s3()]);
    assert.equal(redo.code, 0, redo.stderr);
    assertSameItems((await itemsUnder('slices', { compress: { level: 0 } })).items, 'slice 0 taken again');
    await server.truncate('restored');
    const r = await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', url, '-z', 'zstd', ...s3()]);
    assert.equal(r.code, 0, r.stderr);
    await restoredMatches();
    // Without -r, a prefix with files of the same names is refused.
    const plain = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', `s3://${bucket}/rt-0/backup`, ...s3()]);
    assert.equal(plain.code, 2);
    assert.equal(errorCode(plain.stderr), 'OUTPUT_EXISTS');
  });

  test(`positive: as-split-files -d s3:// writes compressed, encrypted objects from stdin; asrestore --directory-list of s3:// prefixes reads them (${SEED})`, async () => {
    const args = CODECS[1]!.args;
    const s = await runProgram('as-split-files', ['-d', `s3://${bucket}/split/a`, '-F', '1', ...s3(), ...args], { input: readFileSync(join(work, 'local.asb')) });
    assert.equal(s.code, 0, s.stderr);
    assertSameItems((await itemsUnder('split/a', CODECS[1]!.codec())).items, 'as-split-files');
    const t = await runProgram('as-split-files', ['-d', `s3://${bucket}/split/b`, '-F', '1', ...s3(), ...args], { input: readFileSync(join(work, 'local.asb')) });
    assert.equal(t.code, 0, t.stderr);
    const v = await runProgram('asrestore', ['--directory-list', 'a,b', '--parent-directory', `s3://${bucket}/split`, '--validate', ...s3(), ...args]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stderr, new RegExp(`${2 * total} record\\(s\\) read`));
  });

  test('positive: 503 answers and dropped connections during an S3 backup are retried, and the backup is whole', async () => {
    const proxy = await FailingProxy.start(ctx.gw.endpoint, { failures: 3, how: 'reset' });
    try {
      const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', `s3://${bucket}/retried`, '-F', '1', '--s3-endpoint-override', proxy.endpoint]);
      assert.equal(b.code, 0, b.stderr);
      assert.equal(proxy.failed, 3);
      assert.equal((b.stderr.match(/ retry \d of 5 /g) ?? []).length, 3, b.stderr);
    } finally {
      await proxy.close();
    }
    assertSameItems((await itemsUnder('retried', {})).items, 'retried');
  });

  test(`positive: radosgw restarted during an asbackup upload: retries, then a whole backup or a clean stop with nothing left (${SEED})`, async (t) => {
    const prefix = 'restart/backup';
    const p = startPipeline([['asbackup', ['-h', host, '-n', 'test', '-d', `s3://${bucket}/${prefix}`, '-F', '1', '--records-per-second', '600', ...s3()]]]);
    // Once the first file is closed (its upload started), the gateway goes down for a moment.
    await waitFor(async () => (await openBackupUploads(ctx.store, { bucket, key: prefix })).length > 0, 'the first upload');
    await ctx.gw.restartGateway({ downMs: 1500 });
    const [b] = await p.done;
    const retries = (b!.stderr.match(/ retry \d of 5 /g) ?? []).length;
    t.diagnostic(`${b!.code === 0 ? 'completed' : `stopped: ${errorCode(b!.stderr)}`} after ${retries} retries`);
    if (b!.code === 0) {
      assertSameItems((await itemsUnder(prefix, {})).items, 'after the restart');
      assert.deepEqual(await openBackupUploads(ctx.store, { bucket, key: prefix }), []);
    } else {
      assert.equal(b!.code, 1, b!.stderr);
      assert.ok(['S3_ENDPOINT', 'S3_UNAVAILABLE'].includes(errorCode(b!.stderr)!), b!.stderr);
      assert.match(lastLine(b!.stderr), new RegExp(`s3://${bucket}/${prefix}/`));
      await nothingLeft(prefix);
    }
  });

  test('negative: SIGINT during an S3 backup: INTERRUPTED, its uploads aborted, no object', async () => {
    const prefix = 'interrupted/backup';
    const p = startPipeline([['asbackup', ['-h', host, '-n', 'test', '-d', `s3://${bucket}/${prefix}`, '-F', '1', '--records-per-second', '500', '-z', 'zstd', ...s3()]]]);
    await waitFor(async () => (await openBackupUploads(ctx.store, { bucket, key: prefix })).length > 0, 'the first upload');
    p.procs[0]!.kill('SIGINT');
    const [b] = await p.done;
    assert.equal(b!.code, 1, b!.stderr);
    assert.equal(errorCode(b!.stderr), 'INTERRUPTED', b!.stderr);
    assert.match(b!.stderr, /upload\(s\) of \d+ object\(s\) to s3:\/\/programs\/interrupted\/backup were aborted: no object was written/);
    await nothingLeft(prefix);
  });

  test('negative: a wrong endpoint, bad credentials, a missing bucket, a missing key: one line naming the bucket/key, exit 1, before the cluster is asked', async () => {
    const nowhere = '127.0.0.1:1'; // no cluster there: the S3 check comes first
    const port = await closedPort();
    const cases: Array<[string, string[], string, string, Record<string, string>?]> = [
      ['wrong endpoint', ['asbackup', '-h', nowhere, '-n', 'test', '-d', `s3://${bucket}/p`, '--s3-endpoint-override', `http://127.0.0.1:${port}`], 'S3_ENDPOINT', `s3://${bucket}/p`],
      ['bad credentials', ['asbackup', '-h', nowhere, '-n', 'test', '-d', `s3://${bucket}/p`, ...s3()], 'S3_CREDENTIALS', `s3://${bucket}/p`, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }],
      ['missing bucket (backup)', ['asbackup', '-h', nowhere, '-n', 'test', '-d', 's3://no-such-bucket/p', ...s3()], 'S3_NO_BUCKET', 's3://no-such-bucket/p'],
      ['missing bucket (-o)', ['asbackup', '-h', nowhere, '-n', 'test', '-o', 's3://no-such-bucket/k.asb', ...s3()], 'S3_NO_BUCKET', 's3://no-such-bucket/k.asb'],
      ['missing bucket (restore)', ['asrestore', '-h', nowhere, '-d', 's3://no-such-bucket/p', ...s3()], 'S3_NO_BUCKET', 's3://no-such-bucket/p'],
      ['missing key', ['asrestore', '-h', nowhere, '-i', `s3://${bucket}/no/such.asb`, ...s3()], 'S3_NO_KEY', `s3://${bucket}/no/such.asb`],
      ['missing key (as-decode-asb)', ['as-decode-asb', `s3://${bucket}/no/such.asb`, ...s3()], 'S3_NO_KEY', `s3://${bucket}/no/such.asb`],
      ['empty prefix', ['asrestore', '-h', nowhere, '-d', `s3://${bucket}/nothing/here`, ...s3()], 'NO_BACKUP_FILES', `s3://${bucket}/nothing/here`],
    ];
    for (const [what, [prog, ...args], code, named, env] of cases) {
      const r = await runProgram(prog!, args, { env });
      assert.notEqual(r.code, 0, `${what}: ${r.stderr}`);
      assert.equal(r.code, code === 'NO_BACKUP_FILES' ? 2 : 1, `${what}: ${r.stderr}`);
      assert.equal(errorCode(r.stderr), code, `${what}: ${r.stderr}`);
      assert.deepEqual(errorLines(r.stderr), [lastLine(r.stderr)], `${what}: one line: ${r.stderr}`);
      assert.ok(lastLine(r.stderr).includes(named), `${what}: ${lastLine(r.stderr)}`);
    }
  });

  test('negative: an object that is not what -z/-y say fails before anything is restored', async () => {
    await putObject(ctx.store, bucket, 'mixed/a_00000.asb', readFileSync(join(work, 'local.asb')));
    await putObject(ctx.store, bucket, 'mixed/b_00000.asb', 'Version 3.1\n# namespace test\n');
    await server.truncate('restored');
    const r = await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', `s3://${bucket}/mixed`, '-z', 'zstd', ...s3()]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorCode(r.stderr), 'CODEC_NOT_COMPRESSED', r.stderr);
    assert.ok(lastLine(r.stderr).includes(`s3://${bucket}/mixed/a_00000.asb`), r.stderr);
    assert.equal(await server.count('restored'), 0);
  });

  test('positive: --remove-artifacts removes the objects and unfinished uploads of an s3:// prefix', async () => {
    const url = `s3://${bucket}/artifacts`;
    const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', url, '-F', '1', ...s3()]);
    assert.equal(b.code, 0, b.stderr);
    const n = (await listBackupObjects(ctx.store, { bucket, key: 'artifacts' })).length;
    const r = await runProgram('asbackup', ['--remove-artifacts', '-d', url, ...s3()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`Deleted ${n} file\\(s\\)`));
    await nothingLeft('artifacts');
  });
}
