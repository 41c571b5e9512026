// Login through real programs against a dev server with security on (no TLS here):
// wrong password, unknown user, missing read permission, prompting, session renewal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { Authenticator } from '../../lib/cluster/auth.js';
import { tempDir } from '../helpers.js';
import { ADMIN, failsWith, fill, noSecret, run } from './fixture.js';

let server: DevServer;
let host: string;
const N = 60;

before(async () => {
  server = await startDevServer({
    nodes: 2,
    security: { users: [ADMIN, { user: 'writer', password: 'w-pass-5521', roles: ['write'] }], sessionTtlSeconds: 600 },
  });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  fill(server, N);
});

after(async () => {
  await server.close();
});

const lines = (b: Buffer) => b.toString().split('\n').filter((l) => l !== '');

test('login with -P<password> scans every record; the password is never shown', async () => {
  const r = await run('as-scan', ['-h', host, '-n', 'test', '-U', ADMIN.user, `-P${ADMIN.password}`, '-v']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lines(r.stdout).filter((l) => l.includes('"record"')).length, N);
  assert.match(r.stderr, /logged in as admin/);
  noSecret(r, ADMIN.password);
});

test('no login on a secured server: not authenticated, naming the host', async () => {
  const r = await run('as-scan', ['-h', host, '-n', 'test']);
  failsWith(r, 'as-scan', host, /not authenticated/);
});

test('wrong password: exit 1, one line naming host and reason', async () => {
  const r = await run('as-scan', ['-h', host, '-n', 'test', '-U', 'admin', '--password=wrong-one-3321']);
  failsWith(r, 'as-scan', host, /login failed: invalid password/);
  noSecret(r, 'wrong-one-3321');
});

test('unknown user: exit 1, one line naming host and reason', async () => {
  const r = await run('asbackup', ['-h', host, '-n', 'test', '-U', 'nobody', `-P${ADMIN.password}`, '-o', join(tempDir(), 'x.asb')]);
  failsWith(r, 'asbackup', host, /login failed: unknown user "nobody"/);
  noSecret(r, ADMIN.password);
});

test('a user without read permission: the scan is refused with a role violation', async () => {
  const r = await run('as-scan', ['-h', host, '-n', 'test', '-U', 'writer', '-Pw-pass-5521']);
  failsWith(r, 'as-scan', '127.0.0.1:', /role violation/);
  noSecret(r, 'w-pass-5521');
});

test('-U with a bare -P and no terminal: one clear line, exit 1', async () => {
  for (const args of [['-U', 'admin', '-P'], ['-U', 'admin']]) {
    const r = await run('as-scan', ['-h', host, '-n', 'test', ...args], { detached: true });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr.trim(), 'as-scan: -P: a password is needed and there is no terminal to ask on; use -P<password> or --password=... [SECRET]');
  }
});

test('password from a configuration file: not in argv, output or written files', async () => {
  const dir = tempDir();
  const conf = join(dir, 'astools.conf');
  writeFileSync(conf, `[cluster]\nuser = "admin"\npassword = "${ADMIN.password}"\n`);
  const out = join(dir, 'backup.asb');
  const r = await run('asbackup', ['-h', host, '-n', 'test', '--config-file', conf, '-o', out, '-v']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Backed up 60 record/);
  noSecret(r, ADMIN.password, [out]);
  assert.ok(r.procSeen.length > 0, 'the run was watched');
  assert.ok(!r.procSeen.includes(ADMIN.password), 'password in /proc/<pid>/cmdline');
});

test('as-write logs in too: records written by a user with write permission', async () => {
  const item = JSON.stringify({ kind: 'record', namespace: 'test', set: 'w', digest: Buffer.alloc(20, 7).toString('base64'), generation: 1, ttl: 0, bins: { v: 1 } });
  const r = await run('as-write', ['-h', host, '-U', 'writer', '-Pw-pass-5521'], { input: item + '\n' });
  // The record format may reject this hand-made item; what matters here is the login.
  assert.doesNotMatch(r.stderr, /login failed|not authenticated|role violation/, r.stderr);
  noSecret(r, 'w-pass-5521');
});

test('an expired session is renewed with a fresh login', async () => {
  const logs: string[] = [];
  const auth = new Authenticator({ ...ADMIN, log: (m) => logs.push(m) });
  const cluster = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0, connection: { onOpen: auth.onOpen } });
  try {
    const node = cluster.nodes[0]!;
    assert.equal(await node.infoValue('namespaces'), 'test;bar');
    server.clock.advance(3_600_000); // past the 600 s session
    node.close(); // so the next command needs a new connection
    const again = new (node.constructor as typeof import('../../lib/cluster/node.js').Node)(node.name, node.host, node.port, { onOpen: auth.onOpen });
    assert.equal(await again.infoValue('namespaces'), 'test;bar');
    again.close();
    assert.ok(logs.some((l) => /session refused \(expired session\)/.test(l)), logs.join('\n'));
  } finally {
    cluster.close();
  }
});
