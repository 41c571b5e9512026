// The AES key, derived as the official C tool derives it (utils.c read_private_key_file and
// parse_encryption_key_env, io_proxy.c): SHA-256 of the key material, first 16 bytes for
// aes128, all 32 for aes256. The material of a PEM file is OpenSSL's i2d_PrivateKey output:
// the type's traditional DER (PKCS#1 for RSA even when the PEM is PKCS#8, SEC1 for EC), or
// PKCS#8 for types without one (Ed25519, X25519, RSA-PSS under OpenSSL 3). The material of an
// environment variable is its base64-decoded bytes.
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AsError } from '../errors.js';
import { aesKeySize } from './aes.js';
import type { AesAlgorithm } from './codec.js';

// What i2d_PrivateKey writes for each key type; DSA and DH have traditional forms that
// node:crypto cannot write, so they are refused rather than hashed differently.
const DER_TYPE: Readonly<Record<string, 'pkcs1' | 'sec1' | 'pkcs8'>> = {
  rsa: 'pkcs1', ec: 'sec1', 'rsa-pss': 'pkcs8', ed25519: 'pkcs8', ed448: 'pkcs8', x25519: 'pkcs8', x448: 'pkcs8',
};

/** keyMaterialFromPem: the DER bytes the C tool hashes for a PEM private key; `source` names it. */
export function keyMaterialFromPem(pem: Buffer | string, source: string): Buffer {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    const why = /INTERRUPTED|PASSPHRASE/.test(code) ? 'the key is passphrase-protected; write it without one (openssl pkey -in KEY -out PLAIN)' : 'no PEM private key found';
    throw new AsError('KEY_PEM', `${source}: ${why}`, { value: source, cause: e });
  }
  const type = key.asymmetricKeyType ?? 'unknown';
  const der = DER_TYPE[type];
  if (der === undefined) throw new AsError('KEY_PEM', `${source}: ${type.toUpperCase()} keys are not supported; use an RSA or EC key`, { value: type });
  return key.export({ type: der, format: 'der' });
}

/** readKeyFile: the key material of `--encryption-key-file <path>`. */
export function readKeyFile(path: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new AsError('KEY_FILE', `--encryption-key-file ${path}: cannot read the key: ${why}`, { value: path, cause: e });
  }
  return keyMaterialFromPem(pem, `--encryption-key-file ${path}`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2,3})?$/;

/** readKeyEnv: the key material of `--encryption-key-env <name>`: base64 of raw bytes. */
export function readKeyEnv(name: string, env: NodeJS.ProcessEnv = process.env): Buffer {
  const label = `--encryption-key-env ${name}`;
  const raw = env[name];
  if (raw === undefined) throw new AsError('KEY_ENV', `${label}: the environment variable ${name} is not set`, { value: name });
  const text = raw.trim(); // a trailing newline from `$(cat key.b64)`-style settings is harmless
  // The C tool would hash the empty string: a key anyone can derive. Refuse it.
  if (text === '') throw new AsError('KEY_ENV', `${label}: the environment variable ${name} is empty`, { value: name });
  if (!BASE64.test(text)) throw new AsError('KEY_ENV', `${label}: the value of ${name} is not base64`, { value: name });
  return Buffer.from(text, 'base64');
}

/** deriveAesKey: SHA-256 of the key material, cut to the algorithm's key size. */
export function deriveAesKey(material: Buffer, algorithm: AesAlgorithm): Buffer {
  return createHash('sha256').update(material).digest().subarray(0, aesKeySize(algorithm));
}
