// The codec option rows parse as the C tools' options do, refuse the combinations the C
// tools refuse, work from astools.conf, and give the Codec the files are written with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOptions } from '../../lib/cli/config.js';
import { configFileOptions } from '../../lib/cli/connection-options.js';
import { parseArgs } from '../../lib/cli/options.js';
import { codecOf, codecReadOptions, codecWriteOptions, validateCodecOptions, type CodecValues } from '../../lib/codec/options.js';
import { OFFICIAL, errorOf, pemKey } from './helpers.js';

const PEM = join(OFFICIAL, 'key-shared.pem');
const write = (argv: string[]): CodecValues => parseArgs(codecWriteOptions, argv, 'asbackup').values as CodecValues;
const read = (argv: string[]): CodecValues => parseArgs(codecReadOptions, argv, 'asrestore').values as CodecValues;

test('positive: letters and names of the C tools: -z zstd, -y aes128|aes256, key options, level', () => {
  const v = write(['-z', 'zstd', '--compression-level', '9', '-y', 'aes128', '--encryption-key-file', PEM]);
  assert.deepEqual(v, { compress: 'zstd', compressionLevel: 9, encrypt: 'aes128', encryptionKeyFile: PEM });
  assert.deepEqual(write(['--compress=zstd', '--encrypt', 'aes256', '--encryption-key-env', 'K']), { compress: 'zstd', encrypt: 'aes256', encryptionKeyEnv: 'K' });
  assert.deepEqual(write(['-z', 'zstd', '--compression-level', '-5']).compressionLevel, -5);
  assert.equal(read(['-y', 'aes256', '--encryption-key-env', 'K']).encrypt, 'aes256');
  assert.equal(codecReadOptions.find((o) => o.long === 'compression-level'), undefined, 'a reader has no level');
});

test('negative: bad values are usage errors naming the option', async () => {
  for (const argv of [['-z', 'gzip'], ['-y', 'aes192'], ['--compression-level', '23'], ['--compression-level', 'x'], ['--encryption-key-file='], ['-y']]) {
    const e = await errorOf(() => write(argv));
    assert.equal(e.code, 'USAGE', argv.join(' '));
  }
});

test('negative: the official refusals: level without -z, -y without exactly one key, a key without -y', async () => {
  const refused: Array<[string[], RegExp]> = [
    [['--compression-level', '3'], /--compression-level needs --compress/],
    [['-y', 'aes128'], /--encrypt \(-y\) needs a key/],
    [['-y', 'aes128', '--encryption-key-file', PEM, '--encryption-key-env', 'K'], /mutually exclusive/],
    [['--encryption-key-file', PEM], /--encryption-key-file needs --encrypt/],
    [['--encryption-key-env', 'K'], /--encryption-key-env needs --encrypt/],
  ];
  for (const [argv, msg] of refused) {
    const e = await errorOf(() => validateCodecOptions(write(argv)));
    assert.equal(e.code, 'USAGE', argv.join(' '));
    assert.match(e.message, msg);
  }
  for (const argv of [[], ['-z', 'zstd'], ['-z', 'zstd', '--compression-level', '0'], ['-y', 'aes256', '--encryption-key-env', 'K']]) validateCodecOptions(write(argv));
});

test('positive: codecOf: the Codec the files are written and read with; the key read once', () => {
  assert.deepEqual(codecOf(write([])), {});
  assert.deepEqual(codecOf(write(['-z', 'zstd'])), { compress: { level: 0 } });
  const c = codecOf(write(['-z', 'zstd', '--compression-level', '7', '-y', 'aes256', '--encryption-key-file', PEM]));
  assert.deepEqual(c, { compress: { level: 7 }, encrypt: { algorithm: 'aes256', key: pemKey('aes256') } });
  const env = { K: readFileSync(join(OFFICIAL, 'env-key-shared.b64'), 'utf8') };
  assert.equal(codecOf(read(['-y', 'aes128', '--encryption-key-env', 'K']), env).encrypt?.key.length, 16);
});

test('positive: astools.conf keys: compress, compression-level, encrypt, encryption-key-file in [asbackup]', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codec-conf-'));
  const conf = join(dir, 'astools.conf');
  writeFileSync(conf, `[asbackup]\ncompress = "zstd"\ncompression-level = 5\nencrypt = "aes256"\nencryption-key-file = "${PEM}"\n`);
  const v = resolveOptions([...codecWriteOptions, ...configFileOptions], ['--only-config-file', conf], 'asbackup', { config: { etcDir: dir, home: dir, env: {} } }).values;
  assert.deepEqual([v.compress, v.compressionLevel, v.encrypt, v.encryptionKeyFile], ['zstd', 5, 'aes256', PEM]);
  validateCodecOptions(v as CodecValues);
});
