// backup() and restore() run in-process, without a program around them: settings as plain
// values, a connect function, and the progress they report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { backup, estimate } from '../../lib/backup/backup.js';
import type { BackupSettings } from '../../lib/backup/settings.js';
import { restore } from '../../lib/restore/restore.js';
import type { RestoreSettings } from '../../lib/restore/settings.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { AsError } from '../../lib/errors.js';
import type { ProgressSink } from '../../lib/log.js';
import { tempDir } from '../helpers.js';

let server: DevServer;
const N = 500;

before(async () => {
  server = await startDevServer({ nodes: 2, namespaces: ['test', 'bar'] });
  for (let i = 0; i < N; i++) {
    const k = particle.string(`k${i}`);
    server.put('test', i % 2 ? 'odd' : 'even', computeDigest(i % 2 ? 'odd' : 'even', k.type, k.data), [{ name: 'i', ...particle.integer(i) }, { name: 's', ...particle.string('x'.repeat(i % 50)) }], { key: k });
  }
});
after(async () => {
  await server.close();
});

const connect = () => Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });

function settings(over: Partial<BackupSettings>): BackupSettings {
  return {
    namespace: 'test', noBins: false, noRecords: false, noIndexes: false, noUdfs: false, percent: 100, noTtlOnly: false, maxRecords: 0,
    recordsPerSecond: 0, parallel: 10, priority: 0, noClusterChange: false, socketTimeout: 10000, totalTimeout: 0, maxRetries: 5,
    fileLimit: 250, removeFiles: false, compact: false, encoderThreads: 0, estimateSamples: 100, ...over,
  };
}

function counter(): ProgressSink & { records: number; bytes: number; expected: number } {
  const c = { records: 0, bytes: 0, expected: -1, expect(r: number) { c.expected = r; }, add(r: number, b: number) { c.records += r; c.bytes += b; } };
  return c;
}

test('positive: backup() writes a directory in-process and reports progress; restore() brings it back', async () => {
  const dir = join(tempDir(), 'bk');
  const progress = counter();
  const s = await backup(settings({ directory: dir, fileLimit: 1 }), { connect, progress });
  assert.equal(s.records, N);
  assert.equal(progress.expected, N);
  assert.equal(progress.records, N);
  const files = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort();
  assert.ok(readdirSync(dir).includes('test.asb.manifest'), 'a finished backup has its manifest');
  assert.deepEqual(s.files.map((f) => f.split('/').pop()).sort(), files);
  let decoded = 0;
  for (const f of files) for await (const it of decodeItems([readFileSync(join(dir, f))], f)) if (it.kind === 'record') decoded++;
  assert.equal(decoded, N);
  assert.equal(s.bytes, files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0));

  const r: RestoreSettings = {
    directory: dir, validate: false, namespace: { source: 'test', target: 'bar' }, noRecords: false, noIndexes: false, noUdfs: false,
    indexesLast: false, wait: false, timeout: 10000, unique: false, replace: false, noGeneration: false, extraTtl: 0,
    ignoreRecordError: false, maxRetries: 5, socketTimeout: 10000, totalTimeout: 0, parallel: 20,
  };
  const rp = counter();
  const summary = await restore(r, { connect, progress: rp });
  assert.equal(summary.counts.inserted, N);
  assert.equal(server.count('bar'), N);
  assert.equal(rp.records, N);
});

test('positive: estimate() samples the namespace', async () => {
  const e = await estimate(settings({ estimateSamples: 50 }), { connect });
  assert.equal(e.samples, 50);
  assert.equal(e.expectedRecords, N);
  assert.ok(e.recordSize > 40 && e.recordSize < 200, `record size ${e.recordSize}`);
});

test('negative: an unknown namespace is NAMESPACE_NOT_FOUND, before any file is written', async () => {
  const dir = join(tempDir(), 'none');
  await assert.rejects(backup(settings({ namespace: 'nope', directory: dir }), { connect }), (e: unknown) => e instanceof AsError && e.code === 'NAMESPACE_NOT_FOUND');
  assert.throws(() => readdirSync(dir), /ENOENT/);
});
