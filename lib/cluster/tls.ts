// TLS for node connections: a socket factory built once from the --tls-* settings. The
// secure context (CAs, CRLs, client key and certificate, protocols, ciphers) is made up
// front so a bad key, passphrase or cipher list fails before any connection is tried.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import tls, { type PeerCertificate, type SecureVersion } from 'node:tls';
import { AsError, UsageError } from '../errors.js';
import { fsReason } from '../paths.js';
import type { ConnectionOptions, SocketFactory } from './connection.js';
import { crlFromPem, leafRevocation, type Crl } from './crl.js';

/** TlsSettings: the --tls-* options, with the key passphrase already resolved. */
export interface TlsSettings {
  /** TLS name for nodes whose host spec and peers entry carry none (--tls-name). */
  tlsName?: string;
  cafile?: string;
  capath?: string;
  /** Apache SSLProtocol syntax (`-all +TLSv1.2`, `TLSv1.2 TLSv1.3`). */
  protocols?: string;
  /** OpenSSL cipher list. */
  cipherSuite?: string;
  keyfile?: string;
  keyPassphrase?: string;
  certfile?: string;
  /** File of `SERIAL [issuer]` lines. */
  certBlacklist?: string;
  crlCheck?: boolean;
  crlCheckAll?: boolean;
}

/** A blacklisted certificate: hex serial (upper case, no leading zeros) and maybe issuer. */
export interface BlacklistEntry {
  serial: string;
  issuer?: string;
}

const VERSIONS: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/**
 * parseProtocols: Apache SSLProtocol words as the Aerospike C client reads them (a word
 * without sign adds, `-` removes, `all` is every version) turned into a version range.
 * Default: TLSv1.2 and later.
 */
export function parseProtocols(text: string | undefined): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  if (text === undefined || text.trim() === '') return { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' };
  const on = new Set<SecureVersion>();
  for (const word of text.split(/[\s,]+/).filter((w) => w !== '')) {
    const sign = word[0] === '+' || word[0] === '-' ? word[0] : '';
    const name = word.slice(sign.length).toLowerCase();
    let which: SecureVersion[];
    if (name === 'all') which = [...VERSIONS];
    else if (name === 'sslv2' || name === 'sslv3') {
      if (sign === '-') continue;
      throw new UsageError(`--tls-protocols: ${word.slice(sign.length)} is not supported`);
    } else {
      const v = VERSIONS.find((x) => x.toLowerCase() === name);
      if (v === undefined) throw new UsageError(`--tls-protocols: unknown protocol "${word}" (expected all, TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3, each with an optional + or -)`);
      which = [v];
    }
    for (const v of which) if (sign === '-') on.delete(v); else on.add(v);
  }
  const idx = VERSIONS.map((v, i) => (on.has(v) ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) throw new UsageError(`--tls-protocols: "${text}" leaves no protocol enabled`);
  // node:tls only takes a min and a max, so the set must have no hole.
  if (idx[idx.length - 1]! - idx[0]! + 1 !== idx.length) throw new UsageError(`--tls-protocols: "${text}" is not a contiguous range of versions`);
  return { minVersion: VERSIONS[idx[0]!]!, maxVersion: VERSIONS[idx[idx.length - 1]!]! };
}

/** parseBlacklist: `SERIAL [issuer]` lines; blank lines and `#` comments are skipped. */
export function parseBlacklist(text: string, file = '--tls-cert-blacklist'): BlacklistEntry[] {
  const out: BlacklistEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([0-9A-Fa-f:]+)(?:\s+(.+))?$/.exec(line);
    if (!m) throw new UsageError(`${file}:${i + 1}: expected a hex serial number and an optional issuer`);
    const entry: BlacklistEntry = { serial: normSerial(m[1]!) };
    if (m[2] !== undefined) entry.issuer = m[2].trim();
    out.push(entry);
  });
  return out;
}

function normSerial(s: string): string {
  return s.replace(/:/g, '').toUpperCase().replace(/^0+(?=.)/, '');
}

// OpenSSL's one-line form of a name (`/C=US/O=Acme/CN=CA`), as blacklist files write it.
function onelineIssuer(cert: PeerCertificate): string {
  try {
    return '/' + new X509Certificate(cert.raw).issuer.split('\n').join('/');
  } catch {
    return '';
  }
}

function readText(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new AsError('TLS', `${option}: cannot read ${path}: ${fsReason(e)}`, { value: path });
  }
}

const PEM = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

// Every certificate and CRL of the given files.
function loadPems(files: Array<{ path: string; option: string }>): { certs: string[]; crls: string[] } {
  const certs: string[] = [];
  const crls: string[] = [];
  for (const f of files) {
    for (const m of readText(f.path, f.option).matchAll(PEM)) {
      if (m[1] === 'CERTIFICATE' || m[1] === 'TRUSTED CERTIFICATE') certs.push(m[0]);
      else if (m[1] === 'X509 CRL') crls.push(m[0]);
    }
  }
  return { certs, crls };
}

// The regular files of --tls-capath (OpenSSL hash links included: they point at files).
function dirFiles(dir: string): Array<{ path: string; option: string }> {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new AsError('TLS', `--tls-capath: cannot read directory ${dir}: ${fsReason(e)}`, { value: dir });
  }
  return names.map((n) => join(dir, n)).filter((p) => statSync(p, { throwIfNoEntry: false })?.isFile()).map((path) => ({ path, option: '--tls-capath' }));
}

/**
 * tlsConnection: the connection options (socket factory, ready event) for TLS. Each node
 * is checked against the CAs and its TLS name (host spec, then peers, then --tls-name,
 * then the host itself); blacklisted serials anywhere in the chain are refused.
 */
export function tlsConnection(s: TlsSettings): Pick<ConnectionOptions, 'socketFactory' | 'readyEvent'> {
  const { minVersion, maxVersion } = parseProtocols(s.protocols);
  const pathFiles = s.capath !== undefined ? dirFiles(s.capath) : [];
  const caFiles = [...(s.cafile !== undefined ? [{ path: s.cafile, option: '--tls-cafile' }] : []), ...pathFiles];
  const { certs } = loadPems(caFiles);
  if (caFiles.length > 0 && certs.length === 0) {
    throw new AsError('TLS', `no CA certificate found in ${[s.cafile, s.capath].filter((x) => x !== undefined).join(' or ')}`);
  }
  // Like the C client: CRLs come from --tls-capath, and a check without any is an error.
  // --tls-crl-checkall lets OpenSSL check the whole chain; --tls-crl-check checks the
  // server's own certificate after the handshake (crl.ts says why).
  let crl: string[] | undefined;
  let leafCrls: Crl[] | undefined;
  if (s.crlCheck === true || s.crlCheckAll === true) {
    const fromPath = loadPems(pathFiles).crls;
    if (fromPath.length === 0) throw new AsError('TLS', `--tls-crl-check: no CRL file found in ${s.capath ?? '--tls-capath (not given)'}`);
    if (s.crlCheckAll === true) crl = fromPath;
    else {
      try {
        leafCrls = fromPath.map(crlFromPem);
      } catch (e) {
        throw new AsError('TLS', `--tls-capath ${s.capath}: ${(e as Error).message}`);
      }
    }
  }
  if ((s.keyfile === undefined) !== (s.certfile === undefined)) {
    throw new UsageError('--tls-keyfile and --tls-certfile go together (mutual TLS needs both)');
  }
  const key = s.keyfile !== undefined ? readText(s.keyfile, '--tls-keyfile') : undefined;
  const cert = s.certfile !== undefined ? readText(s.certfile, '--tls-certfile') : undefined;
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({
      ca: certs.length > 0 ? certs : undefined,
      crl,
      minVersion,
      maxVersion,
      ciphers: s.cipherSuite,
      key,
      cert,
      passphrase: s.keyPassphrase,
    });
  } catch (e) {
    throw new AsError('TLS', `cannot set up TLS: ${contextError(e, s)}`);
  }
  const blacklist = s.certBlacklist !== undefined ? parseBlacklist(readText(s.certBlacklist, '--tls-cert-blacklist'), s.certBlacklist) : [];

  const verify = (name: string, leaf: PeerCertificate): Error | undefined => {
    // Every certificate of the chain the server sent, leaf first (a root refers to itself).
    const seen = new Set<PeerCertificate>();
    for (let c: PeerCertificate | undefined = leaf; c !== undefined && !seen.has(c); c = (c as tls.DetailedPeerCertificate).issuerCertificate) {
      seen.add(c);
      const serial = normSerial(c.serialNumber ?? '');
      const issuer = onelineIssuer(c);
      const hit = blacklist.find((b) => b.serial === serial && (b.issuer === undefined || b.issuer === issuer));
      if (hit) return new AsError('TLS', `server certificate serial ${serial} (issuer ${issuer}) is blacklisted`);
    }
    if (tls.checkServerIdentity(name, leaf) !== undefined) {
      return new AsError('TLS', `server certificate does not match TLS name "${name}" (it is for ${leaf.subjectaltname ?? `CN=${leaf.subject?.CN ?? '?'}`})`);
    }
    if (leafCrls !== undefined) {
      const issuer = (leaf as tls.DetailedPeerCertificate).issuerCertificate ?? leaf;
      const why = leafRevocation(leaf.raw, issuer.raw, leafCrls);
      if (why !== undefined) return new AsError('TLS', why);
    }
    return undefined;
  };

  const socketFactory: SocketFactory = (host, port, nodeTlsName) => {
    const name = nodeTlsName ?? s.tlsName ?? host;
    return tls.connect({
      host,
      port,
      secureContext: context,
      // SNI carries names only, never addresses.
      servername: isIP(name) === 0 ? name : undefined,
      rejectUnauthorized: true,
      checkServerIdentity: (_host, c) => verify(name, c),
    });
  };
  return { socketFactory, readyEvent: 'secureConnect' };
}

// Why the secure context could not be made, without echoing any secret.
function contextError(e: unknown, s: TlsSettings): string {
  const msg = (e as Error).message ?? String(e);
  if (/bad decrypt|bad password|maybe wrong password|interrupted or cancelled/i.test(msg)) return `cannot decrypt --tls-keyfile ${s.keyfile} (wrong or missing --tls-keyfile-password?)`;
  if (/key values mismatch/i.test(msg)) return `--tls-keyfile ${s.keyfile} does not belong to --tls-certfile ${s.certfile}`;
  if (/cipher/i.test(msg)) return `--tls-cipher-suite "${s.cipherSuite}": no usable cipher`;
  if (/no start line|unsupported|PEM|DECODER/i.test(msg) && s.keyfile !== undefined) return `cannot read the key or certificate (${s.keyfile}, ${s.certfile})`;
  return msg;
}
