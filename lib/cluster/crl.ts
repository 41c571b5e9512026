// --tls-crl-check: the revocation check of the server's own (leaf) certificate only, as
// OpenSSL's X509_V_FLAG_CRL_CHECK does for the C client. node:tls can only check every
// certificate of the chain (CRL_CHECK_ALL, our --tls-crl-checkall), which fails on a chain
// whose intermediate CA has no CRL in the capath. So the leaf is checked here, after the
// handshake verified the chain: its issuer must have a CRL in --tls-capath (found by the
// issuer's signature on it), the CRL must be current, and must not list the leaf's serial.
import { X509Certificate, verify, type KeyObject } from 'node:crypto';
import { AsError } from '../errors.js';

/** A parsed CRL: the signed part, its signature, validity and revoked serials. */
export interface Crl {
  tbs: Buffer;
  hash: string | null | undefined; // undefined: an algorithm we cannot verify
  signature: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  /** Revoked serials, hex upper case without leading zeros. */
  revoked: Set<string>;
}

interface Der { tag: number; start: number; end: number; next: number }

// One DER element at pos: its tag, content range and where the next element starts.
function der(b: Buffer, pos: number, limit: number, what: string): Der {
  if (pos + 2 > limit) throw new AsError('TLS', `bad CRL: truncated ${what}`);
  const tag = b[pos]!;
  let len = b[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) throw new AsError('TLS', `bad CRL: bad length of ${what}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > limit) throw new AsError('TLS', `bad CRL: ${what} runs past its end`);
  return { tag, start, end: start + len, next: start + len };
}

function oid(b: Buffer, e: Der): string {
  const parts: number[] = [];
  let v = 0;
  for (let i = e.start; i < e.end; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if (!(b[i]! & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function time(b: Buffer, e: Der): Date {
  const s = b.toString('latin1', e.start, e.end);
  const m = (e.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/).exec(s);
  if (!m) throw new AsError('TLS', `bad CRL: time "${s}"`);
  let year = Number(m[1]);
  if (e.tag === 0x17) year += year >= 50 ? 1900 : 2000;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

// Signature algorithms by OID: the hash to verify with (null: the key decides, Ed25519/448).
const HASHES: Record<string, string | null> = {
  '1.2.840.113549.1.1.5': 'sha1', '1.2.840.113549.1.1.14': 'sha224', '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1', '1.2.840.10045.4.3.1': 'sha224', '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384', '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, '1.3.101.113': null,
};

const hexSerial = (b: Buffer, e: Der): string => b.toString('hex', e.start, e.end).toUpperCase().replace(/^0+(?=.)/, '');

/** parseCrl: a DER CertificateList (RFC 5280 5.1). */
export function parseCrl(b: Buffer): Crl {
  const list = der(b, 0, b.length, 'CRL');
  const tbsEl = der(b, list.start, list.end, 'TBSCertList');
  const algEl = der(b, tbsEl.next, list.end, 'signature algorithm');
  const sigEl = der(b, algEl.next, list.end, 'signature');
  if (list.tag !== 0x30 || tbsEl.tag !== 0x30 || algEl.tag !== 0x30 || sigEl.tag !== 0x03) throw new AsError('TLS', 'bad CRL: not a CertificateList');
  const algOid = oid(b, der(b, algEl.start, algEl.end, 'algorithm'));
  let p = tbsEl.start;
  let e = der(b, p, tbsEl.end, 'version');
  if (e.tag === 0x02) e = der(b, (p = e.next), tbsEl.end, 'signature'); // optional version
  e = der(b, (p = e.next), tbsEl.end, 'issuer'); // signature -> issuer
  e = der(b, (p = e.next), tbsEl.end, 'thisUpdate');
  const thisUpdate = time(b, e);
  p = e.next;
  let nextUpdate: Date | undefined;
  const revoked = new Set<string>();
  if (p < tbsEl.end) {
    e = der(b, p, tbsEl.end, 'nextUpdate');
    if (e.tag === 0x17 || e.tag === 0x18) {
      nextUpdate = time(b, e);
      p = e.next;
    }
  }
  if (p < tbsEl.end) {
    e = der(b, p, tbsEl.end, 'revokedCertificates');
    if (e.tag === 0x30) {
      for (let q = e.start; q < e.end;) {
        const entry = der(b, q, e.end, 'revoked entry');
        revoked.add(hexSerial(b, der(b, entry.start, entry.end, 'serial')));
        q = entry.next;
      }
    }
  }
  if (b[sigEl.start] !== 0) throw new AsError('TLS', 'bad CRL: signature with unused bits');
  return {
    tbs: b.subarray(list.start, tbsEl.end),
    hash: algOid in HASHES ? HASHES[algOid] : undefined,
    signature: b.subarray(sigEl.start + 1, sigEl.end),
    thisUpdate,
    nextUpdate,
    revoked,
  };
}

/** crlFromPem: a parsed CRL of a PEM `X509 CRL` block. */
export function crlFromPem(pem: string): Crl {
  const body = pem.replace(/-----(BEGIN|END) X509 CRL-----/g, '').replace(/\s+/g, '');
  return parseCrl(Buffer.from(body, 'base64'));
}

function signedBy(crl: Crl, key: KeyObject): boolean {
  if (crl.hash === undefined) return false;
  try {
    return verify(crl.hash, crl.tbs, key, crl.signature);
  } catch {
    return false;
  }
}

/**
 * leafRevocation: why the leaf certificate (DER) issued by `issuer` (DER) fails the check,
 * or undefined when it passes. The texts are OpenSSL's reasons, as --tls-crl-checkall gives them.
 */
export function leafRevocation(leaf: Buffer, issuer: Buffer, crls: Crl[], now = new Date()): string | undefined {
  const cert = new X509Certificate(leaf);
  const key = new X509Certificate(issuer).publicKey;
  const own = crls.filter((c) => signedBy(c, key));
  if (own.length === 0) return 'no CRL for the server certificate\'s issuer in --tls-capath';
  // The newest current CRL decides, as OpenSSL picks the best one.
  const current = own.filter((c) => c.thisUpdate <= now && (c.nextUpdate === undefined || c.nextUpdate > now))
    .sort((a, b) => b.thisUpdate.getTime() - a.thisUpdate.getTime());
  if (current.length === 0) {
    return own.some((c) => c.thisUpdate > now) ? 'the CRL of the server certificate\'s issuer is not yet valid' : 'the CRL of the server certificate\'s issuer has expired';
  }
  const serial = cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, '');
  if (current[0]!.revoked.has(serial)) return 'server certificate is revoked (CRL)';
  return undefined;
}
