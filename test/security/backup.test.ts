// asbackup and asrestore over TLS with login write and read the same bytes as without:
// the same records on a plain cluster and on a secured TLS cluster back up identically,
// and a restore into an empty secured cluster backs up identically again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer, type DevServerOptions } from '../../lib/devserver/index.js';
import { tempDir } from '../helpers.js';
import { makeCerts, pem, type TestCerts } from './certs.js';
import { ADMIN, fill, noSecret, run } from './fixture.js';

let certs: TestCerts;
let plain: DevServer;
let secure: DevServer;
let target: DevServer;
const N = 200;

function secured(c: TestCerts): DevServerOptions {
  return {
    nodes: 2,
    security: { users: [ADMIN] },
    tls: { key: pem(c.node1.key), cert: pem(c.node1.cert), nodes: [{ tlsName: 'node1.test' }, { key: pem(c.node2.key), cert: pem(c.node2.cert), tlsName: 'node2.test' }] },
  };
}

before(async () => {
  certs = makeCerts();
  plain = await startDevServer({ nodes: 2 });
  secure = await startDevServer(secured(certs));
  target = await startDevServer(secured(certs));
  fill(plain, N);
  fill(secure, N);
});

after(async () => {
  for (const s of [plain, secure, target]) await s?.close();
});

const tlsArgs = (s: DevServer) => ['-h', `127.0.0.1:node1.test:${s.seeds[0]!.port}`, '--tls-enable', '--tls-cafile', certs.ca, '-U', ADMIN.user, `--password=${ADMIN.password}`];

// One node at a time (-w 1), one partition stream per node (-f 1): a fixed record order,
// so two backups of the same records can be compared byte for byte.
async function backupFile(args: string[]): Promise<Buffer> {
  const out = join(tempDir(), 'one.asb');
  const r = await run('asbackup', [...args, '-n', 'test', '-w', '1', '-f', '1', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  noSecret(r, ADMIN.password, [out]);
  return readFileSync(out);
}

test('asbackup -o over TLS with login writes the same bytes as without', async () => {
  const a = await backupFile(['-h', `127.0.0.1:${plain.seeds[0]!.port}`]);
  const b = await backupFile(tlsArgs(secure));
  assert.ok(a.length > 0);
  assert.ok(a.equals(b), 'backup files differ');
});

test('asbackup -d over TLS with login writes the same files as without', async () => {
  const d1 = join(tempDir(), 'd');
  const d2 = join(tempDir(), 'd');
  const r1 = await run('asbackup', ['-h', `127.0.0.1:${plain.seeds[0]!.port}`, '-n', 'test', '-d', d1]);
  const r2 = await run('asbackup', [...tlsArgs(secure), '-n', 'test', '-d', d2]);
  assert.equal(r1.code, 0, r1.stderr);
  assert.equal(r2.code, 0, r2.stderr);
  // The .asb files (each run's manifest has its own times and paths).
  const files = readdirSync(d1).filter((f) => f.endsWith('.asb')).sort();
  assert.deepEqual(readdirSync(d2).filter((f) => f.endsWith('.asb')).sort(), files);
  // Files may split records differently per run; compare the sorted record lines.
  const lines = (d: string) => files.flatMap((f) => readFileSync(join(d, f), 'latin1').split('\n')).sort().join('\n');
  assert.equal(lines(d2), lines(d1));
  noSecret(r2, ADMIN.password, [...files, 'test.asb.manifest'].map((f) => join(d2, f)));
});

test('asrestore over TLS with login, then a backup of the result equals the original', async () => {
  const original = await backupFile(['-h', `127.0.0.1:${plain.seeds[0]!.port}`]);
  const file = join(tempDir(), 'in.asb');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, original);
  const r = await run('asrestore', [...tlsArgs(target), '-i', file]);
  assert.equal(r.code, 0, r.stderr);
  noSecret(r, ADMIN.password);
  assert.equal(target.count('test'), N);
  const again = await backupFile(tlsArgs(target));
  assert.ok(again.equals(original), 'restored cluster backs up differently');
});
