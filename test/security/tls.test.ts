// TLS through real programs against dev servers listening with node:tls: certificates are
// made by the openssl command line at test time (certs.ts). Each refusal must end the run
// with exit 1 and one line naming the host and the reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { crlFromPem, leafRevocation } from '../../lib/cluster/crl.js';
import { join } from 'node:path';
import { startDevServer, type DevServer, type DevServerOptions } from '../../lib/devserver/index.js';
import { errorCode, tempDir } from '../helpers.js';
import { makeCerts, pem, type CertFiles, type TestCerts } from './certs.js';
import { ADMIN, failsWith, fill, noSecret, run } from './fixture.js';

let certs: TestCerts;
const servers: DevServer[] = [];
/** Secured 2-node cluster, a certificate and TLS name per node. */
let main: DevServer;
const N = 40;

async function tlsServer(cert: CertFiles, extra: Partial<DevServerOptions> = {}, tls: Partial<NonNullable<DevServerOptions['tls']>> = {}): Promise<DevServer> {
  const s = await startDevServer({ nodes: 1, ...extra, tls: { key: pem(cert.key), cert: pem(cert.cert), tlsName: 'node1.test', ...tls } });
  servers.push(s);
  fill(s, N);
  return s;
}

const seed = (s: DevServer, name = 'node1.test') => `127.0.0.1:${name}:${s.seeds[0]!.port}`;
const addr = (s: DevServer) => `127.0.0.1:${s.seeds[0]!.port}`;
const count = (b: Buffer) => b.toString().split('\n').filter((l) => l.includes('"record"')).length;

before(async () => {
  certs = makeCerts();
  main = await startDevServer({
    nodes: 2,
    security: { users: [ADMIN] },
    tls: {
      key: pem(certs.node1.key), cert: pem(certs.node1.cert),
      nodes: [{ tlsName: 'node1.test' }, { key: pem(certs.node2.key), cert: pem(certs.node2.cert), tlsName: 'node2.test' }],
    },
  });
  servers.push(main);
  fill(main, N);
});

after(async () => {
  for (const s of servers) await s.close();
});

const login = ['-U', ADMIN.user, `-P${ADMIN.password}`];

test('TLS + login: both nodes (the second found through peers-tls-std with its own name)', async () => {
  const r = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, ...login, '-v']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(count(r.stdout), N);
  assert.match(r.stderr, /Connected to 2 node/);
  noSecret(r, ADMIN.password);
});

test('--tls-name names seeds given without one; --tls-capath with CRL checking accepts good certificates', async () => {
  const r = await run('as-scan', ['-h', addr(main), '--tls-name', 'node1.test', '-n', 'test', '--tls-enable', '--tls-capath', certs.capath, '--tls-crl-check', ...login]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(count(r.stdout), N);
});

test('TLS with a wrong password: login failure over TLS', async () => {
  const r = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '-U', 'admin', '-Pnot-it-000']);
  failsWith(r, 'as-scan', addr(main), /login failed: invalid password/);
});

test('wrong TLS name: refused, naming host and name', async () => {
  const r = await run('as-scan', ['-h', seed(main, 'wrong.test'), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, ...login]);
  failsWith(r, 'as-scan', addr(main), /does not match TLS name "wrong\.test"/);
});

test('blacklisted serial (with its issuer): refused', async () => {
  const list = join(tempDir(), 'blacklist');
  writeFileSync(list, `# revoked by hand\n${certs.node1.serial.toLowerCase()} ${certs.caSubject}\n`);
  const r = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-cert-blacklist', list, ...login]);
  failsWith(r, 'as-scan', addr(main), new RegExp(`serial ${certs.node1.serial} .*is blacklisted`));
  // Same serial, another issuer: not the same certificate.
  writeFileSync(list, `${certs.node1.serial} /CN=Other CA\n`);
  const ok = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-cert-blacklist', list, ...login]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('untrusted CA: refused', async () => {
  const s = await tlsServer(certs.untrusted);
  const r = await run('as-scan', ['-h', seed(s), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca]);
  failsWith(r, 'as-scan', addr(s), /not trusted/);
});

test('revoked certificate with --tls-crl-check: refused', async () => {
  const s = await tlsServer(certs.revoked);
  const r = await run('as-scan', ['-h', seed(s), '-n', 'test', '--tls-enable', '--tls-capath', certs.capath, '--tls-crl-check']);
  failsWith(r, 'as-scan', addr(s), /revoked/);
  // Without the check the same certificate passes.
  const ok = await run('as-scan', ['-h', seed(s), '-n', 'test', '--tls-enable', '--tls-capath', certs.capath]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('--tls-crl-check checks the server certificate; --tls-crl-checkall every CA of the chain too', async () => {
  // The capath holds the root and the intermediate's CRL, no CRL of the root.
  const good = await tlsServer(certs.subNode1);
  const ok = await run('as-scan', ['-h', seed(good), '-n', 'test', '--tls-enable', '--tls-capath', certs.subCapath, '--tls-crl-check']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(count(ok.stdout), N);
  const all = await run('as-scan', ['-h', seed(good), '-n', 'test', '--tls-enable', '--tls-capath', certs.subCapath, '--tls-crl-checkall']);
  failsWith(all, 'as-scan', addr(good), /no CRL for the server certificate's issuer/);
  const revoked = await tlsServer(certs.subRevoked);
  for (const check of ['--tls-crl-check', '--tls-crl-check-all']) {
    const r = await run('as-scan', ['-h', seed(revoked), '-n', 'test', '--tls-enable', '--tls-capath', certs.subCapath, check]);
    failsWith(r, 'as-scan', addr(revoked), check === '--tls-crl-check' ? /revoked/ : /revoked|no CRL/);
  }
  // A capath whose CRL is from another CA: no CRL for this server's issuer.
  const r = await run('as-scan', ['-h', seed(good), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-capath', certs.capath, '--tls-crl-check']);
  failsWith(r, 'as-scan', addr(good), /no CRL for the server certificate's issuer/);
});

test('unit: the leaf CRL check knows current, expired and future CRLs and the revoked serial', () => {
  const der = (file: string) => new X509Certificate(readFileSync(file)).raw;
  const crls = [crlFromPem(readFileSync(join(certs.subCapath, 'sub-ca.crl'), 'latin1'))];
  const sub = join(certs.dir, 'sub', 'ca.pem');
  const leaf = der(join(certs.dir, 'sub-node1.pem'));
  assert.equal(leafRevocation(leaf, der(sub), crls), undefined);
  assert.match(leafRevocation(der(join(certs.dir, 'sub-revoked.pem')), der(sub), crls) ?? '', /revoked/);
  const day = 86_400_000;
  assert.match(leafRevocation(leaf, der(sub), crls, new Date(Date.now() + 60 * day)) ?? '', /has expired/);
  assert.match(leafRevocation(leaf, der(sub), crls, new Date(Date.now() - 2 * day)) ?? '', /not yet valid/);
  // Signed by another CA: not this issuer's CRL.
  assert.match(leafRevocation(leaf, der(certs.ca), crls) ?? '', /no CRL/);
  assert.throws(() => crlFromPem('-----BEGIN X509 CRL-----\nMAMCAQA=\n-----END X509 CRL-----'), /bad CRL/);
});

test('expired certificate: refused', async () => {
  const s = await tlsServer(certs.expired);
  const r = await run('asbackup', ['-h', seed(s), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '-o', join(tempDir(), 'x.asb')]);
  failsWith(r, 'asbackup', addr(s), /certificate has expired/);
});

test('protocol too old or too new: refused both ways', async () => {
  const old = await tlsServer(certs.node1, {}, { maxVersion: 'TLSv1.2' });
  const r = await run('as-scan', ['-h', seed(old), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-protocols=-all +TLSv1.3']);
  failsWith(r, 'as-scan', addr(old), /no TLS protocol version in common/);
  const ok = await run('as-scan', ['-h', seed(old), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-protocols', 'TLSv1.2 TLSv1.3']);
  assert.equal(ok.code, 0, ok.stderr);
  const r2 = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-protocols=-all +TLSv1.2', ...login]);
  assert.equal(r2.code, 0, r2.stderr);
  const newOnly = await tlsServer(certs.node1, {}, { minVersion: 'TLSv1.3' });
  // Detached, as Aerospike's docs write it: a value with a space is never an option.
  const r3 = await run('as-scan', ['-h', seed(newOnly), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca, '--tls-protocols', '-all +TLSv1.2']);
  failsWith(r3, 'as-scan', addr(newOnly), /no TLS protocol version in common/);
});

test('unknown --tls-protocols word: usage error', async () => {
  const r = await run('as-scan', ['-h', seed(main), '-n', 'test', '--tls-enable', '--tls-protocols', '+TLSv9']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--tls-protocols: .*"\+TLSv9"/);
  assert.equal(errorCode(r.stderr), 'USAGE');
});

test('mutual TLS: an encrypted client key with --tls-keyfile-password=env:, and refusal without a client certificate', async () => {
  const s = await tlsServer(certs.node1, {}, { requestCert: true, ca: pem(certs.ca) });
  const args = ['-h', seed(s), '-n', 'test', '--tls-enable', '--tls-cafile', certs.ca];
  const ok = await run('as-scan', [...args, '--tls-certfile', certs.client.cert, '--tls-keyfile', certs.clientEncryptedKey, '--tls-keyfile-password=env:KEYPW'],
    { env: { KEYPW: certs.clientKeyPassword } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(count(ok.stdout), N);
  noSecret(ok, certs.clientKeyPassword);
  const file = join(tempDir(), 'kp');
  writeFileSync(file, `${certs.clientKeyPassword}\n`);
  const viaFile = await run('as-scan', [...args, '--tls-certfile', certs.client.cert, '--tls-keyfile', certs.clientEncryptedKey, `--tls-keyfile-password=file:${file}`]);
  assert.equal(viaFile.code, 0, viaFile.stderr);
  const wrong = await run('as-scan', [...args, '--tls-certfile', certs.client.cert, '--tls-keyfile', certs.clientEncryptedKey, '--tls-keyfile-password=nope-5512']);
  assert.equal(wrong.code, 1, wrong.stderr);
  assert.match(wrong.stderr, /--tls-keyfile/);
  assert.equal(errorCode(wrong.stderr), 'TLS');
  noSecret(wrong, 'nope-5512');
  const none = await run('as-scan', args);
  failsWith(none, 'as-scan', addr(s), /client certificate|connection (reset|closed)/);
});
