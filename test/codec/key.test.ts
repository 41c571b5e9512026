// The AES key is derived as the official C tool derives it: SHA-256 of OpenSSL's
// i2d_PrivateKey DER for a PEM file (expected digests computed with OpenSSL itself, see
// test/fixtures/keys/README.md), SHA-256 of the base64-decoded bytes of a variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveAesKey, keyMaterialFromPem, readKeyEnv, readKeyFile } from '../../lib/codec/key.js';
import { KEYS, OFFICIAL, errorOf } from './helpers.js';

const expected = JSON.parse(readFileSync(join(KEYS, 'expected-sha256.json'), 'utf8')) as Record<string, string>;

for (const [file, sha] of Object.entries(expected)) {
  test(`--encryption-key-file ${file}: SHA-256 of OpenSSL's i2d_PrivateKey DER`, () => {
    const material = readKeyFile(join(KEYS, file));
    assert.equal(deriveAesKey(material, 'aes256').toString('hex'), sha);
    assert.equal(deriveAesKey(material, 'aes128').toString('hex'), sha.slice(0, 32));
  });
}

test('--encryption-key-env: SHA-256 of the decoded bytes; surrounding white space is ignored', () => {
  const text = readFileSync(join(OFFICIAL, 'env-key-shared.b64'), 'utf8');
  const raw = Buffer.from(text.trim(), 'base64');
  assert.equal(raw.length, 32);
  const want = createHash('sha256').update(raw).digest();
  for (const v of [text, text.trim(), `  ${text.trim()}\n`]) {
    assert.deepEqual(deriveAesKey(readKeyEnv('K', { K: v }), 'aes256'), want);
  }
  assert.deepEqual(deriveAesKey(readKeyEnv('K', { K: text }), 'aes128'), want.subarray(0, 16));
});

test('key errors carry stable codes and name the option', async () => {
  const e1 = await errorOf(() => readKeyFile(join(KEYS, 'missing.pem')));
  assert.equal(e1.code, 'KEY_FILE_UNREADABLE');
  assert.match(e1.message, /^--encryption-key-file .*missing\.pem: cannot read the key: no such file/);
  assert.equal((await errorOf(() => readKeyFile(KEYS))).code, 'KEY_FILE_UNREADABLE'); // a directory
  assert.equal((await errorOf(() => readKeyFile(join(KEYS, 'certificate.pem')))).code, 'KEY_BAD_PEM');
  assert.equal((await errorOf(() => readKeyFile(join(KEYS, 'README.md')))).code, 'KEY_BAD_PEM');
  assert.equal((await errorOf(() => keyMaterialFromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'x'))).code, 'KEY_BAD_PEM');
  const pass = await errorOf(() => readKeyFile(join(KEYS, 'rsa-passphrase.pem')));
  assert.equal(pass.code, 'KEY_BAD_PEM');
  assert.match(pass.message, /passphrase/);
  assert.equal((await errorOf(() => readKeyFile(join(KEYS, 'dsa.pem')))).code, 'KEY_UNSUPPORTED');
  assert.equal((await errorOf(() => readKeyEnv('K', {}))).code, 'KEY_ENV_UNSET');
  assert.equal((await errorOf(() => readKeyEnv('K', { K: '' }))).code, 'KEY_ENV_EMPTY');
  assert.equal((await errorOf(() => readKeyEnv('K', { K: ' \n' }))).code, 'KEY_ENV_EMPTY');
  for (const bad of ['not base64!', 'abcde', 'ab=c', '-----BEGIN PRIVATE KEY-----']) {
    assert.equal((await errorOf(() => readKeyEnv('K', { K: bad }))).code, 'KEY_ENV_BASE64', bad);
  }
});
