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
  test(`positive: --encryption-key-file ${file}: SHA-256 of OpenSSL's i2d_PrivateKey DER`, () => {
    const material = readKeyFile(join(KEYS, file));
    assert.equal(deriveAesKey(material, 'aes256').toString('hex'), sha);
    assert.equal(deriveAesKey(material, 'aes128').toString('hex'), sha.slice(0, 32));
  });
}

test('positive: --encryption-key-env: SHA-256 of the decoded bytes; surrounding white space is ignored', () => {
  const text = readFileSync(join(OFFICIAL, 'env-key-shared.b64'), 'utf8');
  const raw = Buffer.from(text.trim(), 'base64');
  assert.equal(raw.length, 32);
  const want = createHash('sha256').update(raw).digest();
  for (const v of [text, text.trim(), `  ${text.trim()}\n`]) {
    assert.deepEqual(deriveAesKey(readKeyEnv('K', { K: v }), 'aes256'), want);
  }
  assert.deepEqual(deriveAesKey(readKeyEnv('K', { K: text }), 'aes128'), want.subarray(0, 16));
});

test('negative: key errors carry stable codes and name the option', async () => {
  const e1 = await errorOf(() => readKeyFile(join(KEYS, 'missing.pem')));
  assert.equal(e1.code, 'KEY_FILE');
  assert.match(e1.message, /^--encryption-key-file .*missing\.pem: cannot read the key: no such file/);
  assert.equal((await errorOf(() => readKeyFile(KEYS))).code, 'KEY_FILE'); // a directory
  assert.equal((await errorOf(() => readKeyFile(join(KEYS, 'certificate.pem')))).code, 'KEY_PEM');
  assert.equal((await errorOf(() => readKeyFile(join(KEYS, 'README.md')))).code, 'KEY_PEM');
  assert.equal((await errorOf(() => keyMaterialFromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'x'))).code, 'KEY_PEM');
  const pass = await errorOf(() => readKeyFile(join(KEYS, 'rsa-passphrase.pem')));
  assert.equal(pass.code, 'KEY_PEM');
  assert.match(pass.message, /passphrase/);
  const dsa = await errorOf(() => readKeyFile(join(KEYS, 'dsa.pem')));
  assert.equal(dsa.code, 'KEY_PEM');
  assert.match(dsa.message, /DSA keys are not supported/);
  const env: Array<[NodeJS.ProcessEnv, RegExp]> = [
    [{}, /K is not set/], [{ K: '' }, /K is empty/], [{ K: ' \n' }, /K is empty/],
    ...['not base64!', 'abcde', 'ab=c', '-----BEGIN PRIVATE KEY-----'].map((v): [NodeJS.ProcessEnv, RegExp] => [{ K: v }, /K is not base64/]),
  ];
  for (const [vars, msg] of env) {
    const e = await errorOf(() => readKeyEnv('K', vars));
    assert.equal(e.code, 'KEY_ENV', JSON.stringify(vars));
    assert.match(e.message, /^--encryption-key-env K: /);
    assert.match(e.message, msg);
  }
});
