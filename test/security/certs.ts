// Certificates for the security tests, made at test time with the `openssl` command line
// in a temporary directory (no private key is ever committed): a CA run with `openssl ca`
// (so certificates can be revoked and back-dated), node and client certificates, a
// revoked one with its CRL, an expired one, and one from a CA nobody trusts.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

/** A key and certificate pair on disk (PEM files) with the certificate's serial (hex). */
export interface CertFiles {
  key: string;
  cert: string;
  serial: string;
}

/** Everything makeCerts produced. */
export interface TestCerts {
  dir: string;
  /** The trusted CA certificate (PEM file). */
  ca: string;
  /** Subject of the CA in OpenSSL one-line form. */
  caSubject: string;
  /** Directory with the CA certificate and its CRL (for --tls-capath / --tls-crl-check). */
  capath: string;
  node1: CertFiles;
  node2: CertFiles;
  client: CertFiles;
  /** The client key encrypted with `clientKeyPassword`. */
  clientEncryptedKey: string;
  clientKeyPassword: string;
  revoked: CertFiles;
  expired: CertFiles;
  /** Another certificate for node1.test, to be put on the blacklist. */
  blacklisted: CertFiles;
  /** A certificate for node1.test from a CA the client does not trust. */
  untrusted: CertFiles;
  /** The root CA and the CRL of an intermediate CA only (no CRL of the root). */
  subCapath: string;
  /** node1.test from the intermediate CA; `cert` holds the chain (leaf, intermediate). */
  subNode1: CertFiles;
  /** The same, revoked by the intermediate's CRL. */
  subRevoked: CertFiles;
}

function openssl(args: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    // SAN is read by the CA config for every command, so it always has a value.
    return execFileSync('openssl', args, { env: { ...process.env, SAN: 'DNS:unused', ...env }, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  }
}

const CA_CONFIG = (dir: string): string => `
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
certificate = ${dir}/ca.pem
private_key = ${dir}/ca.key
serial = ${dir}/serial
crlnumber = ${dir}/crlnumber
default_md = sha256
default_days = 30
default_crl_days = 30
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
[ sub_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[ leaf ]
basicConstraints = CA:FALSE
subjectAltName = $ENV::SAN
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
`;

function serialOf(cert: string): string {
  return openssl(['x509', '-noout', '-serial', '-in', cert]).trim().replace(/^serial=/, '');
}

/** caFiles: the files `openssl ca` keeps in a CA's directory; returns its config file. */
function caFiles(caDir: string, firstSerial: string): string {
  mkdirSync(join(caDir, 'newcerts'), { recursive: true });
  writeFileSync(join(caDir, 'index.txt'), '');
  writeFileSync(join(caDir, 'serial'), `${firstSerial}\n`);
  writeFileSync(join(caDir, 'crlnumber'), '01\n');
  const conf = join(caDir, 'ca.cnf');
  writeFileSync(conf, CA_CONFIG(caDir));
  return conf;
}

/** makeCerts: a fresh set of test certificates. */
export function makeCerts(): TestCerts {
  const dir = tempDir('asb-certs-');
  const caDir = join(dir, 'ca');
  const conf = caFiles(caDir, '1000');
  const ca = join(caDir, 'ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(caDir, 'ca.key'), '-out', ca, '-days', '30',
    '-subj', '/O=Test/CN=Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);

  const leaf = (name: string, cn: string, dates?: [string, string], caConf = conf): CertFiles => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
    openssl(['ca', '-batch', '-config', caConf, '-extensions', 'leaf', '-in', csr, '-out', cert, '-notext',
      ...(dates ? ['-startdate', dates[0], '-enddate', dates[1]] : [])], { SAN: `DNS:${cn}` });
    return { key, cert, serial: serialOf(cert) };
  };
  const node1 = leaf('node1', 'node1.test');
  const node2 = leaf('node2', 'node2.test');
  const client = leaf('client', 'backup-client');
  const revoked = leaf('revoked', 'node1.test');
  const expired = leaf('expired', 'node1.test', ['20200101000000Z', '20200201000000Z']);
  const blacklisted = leaf('blacklisted', 'node1.test');

  openssl(['ca', '-config', conf, '-revoke', revoked.cert]);
  const capath = join(dir, 'capath');
  mkdirSync(capath);
  copyFileSync(ca, join(capath, 'ca.pem'));
  openssl(['ca', '-config', conf, '-gencrl', '-out', join(capath, 'ca.crl')]);

  // An intermediate CA under the root, whose CRL is the only one beside the root certificate.
  const subDir = join(dir, 'sub');
  const subConf = caFiles(subDir, '2000');
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(subDir, 'ca.key'), '-out', join(subDir, 'ca.csr'), '-subj', '/O=Test/CN=Test Sub CA']);
  openssl(['ca', '-batch', '-config', conf, '-extensions', 'sub_ca', '-in', join(subDir, 'ca.csr'), '-out', join(subDir, 'ca.pem'), '-notext']);
  const chained = (f: CertFiles): CertFiles => {
    const cert = f.cert.replace(/\.pem$/, '-chain.pem');
    writeFileSync(cert, Buffer.concat([readFileSync(f.cert), readFileSync(join(subDir, 'ca.pem'))]));
    return { ...f, cert };
  };
  const subNode1 = chained(leaf('sub-node1', 'node1.test', undefined, subConf));
  const subRevoked = chained(leaf('sub-revoked', 'node1.test', undefined, subConf));
  openssl(['ca', '-config', subConf, '-revoke', join(dir, 'sub-revoked.pem')]);
  const subCapath = join(dir, 'sub-capath');
  mkdirSync(subCapath);
  copyFileSync(ca, join(subCapath, 'ca.pem'));
  openssl(['ca', '-config', subConf, '-gencrl', '-out', join(subCapath, 'sub-ca.crl')]);

  const clientKeyPassword = 'key-pass-7361';
  const clientEncryptedKey = join(dir, 'client-enc.key');
  openssl(['pkey', '-in', client.key, '-aes256', '-passout', `pass:${clientKeyPassword}`, '-out', clientEncryptedKey]);

  // A second, untrusted CA signing a certificate with the right name.
  const otherKey = join(dir, 'other-ca.key');
  const otherCa = join(dir, 'other-ca.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', otherKey, '-out', otherCa, '-days', '30',
    '-subj', '/CN=Other CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const ext = join(dir, 'untrusted.ext');
  writeFileSync(ext, 'subjectAltName=DNS:node1.test\nbasicConstraints=CA:FALSE\n');
  const untrusted: CertFiles = { key: join(dir, 'untrusted.key'), cert: join(dir, 'untrusted.pem'), serial: '' };
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', untrusted.key, '-out', join(dir, 'untrusted.csr'), '-subj', '/CN=node1.test']);
  openssl(['x509', '-req', '-in', join(dir, 'untrusted.csr'), '-CA', otherCa, '-CAkey', otherKey, '-CAcreateserial', '-days', '30', '-extfile', ext, '-out', untrusted.cert]);
  untrusted.serial = serialOf(untrusted.cert);

  return { dir, ca, caSubject: '/O=Test/CN=Test CA', capath, node1, node2, client, clientEncryptedKey, clientKeyPassword, revoked, expired, blacklisted, untrusted, subCapath, subNode1, subRevoked };
}

/** pem: a PEM file's content. */
export function pem(path: string): Buffer {
  return readFileSync(path);
}
