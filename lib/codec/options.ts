// The options of compressed and encrypted files, with the C tools' letters, names and
// astools.conf keys: -z/--compress, --compression-level (writers only), -y/--encrypt,
// --encryption-key-file, --encryption-key-env; and the C tools' refusals of bad combinations.
import { UsageError } from '../errors.js';
import { exclusive, type OptionGroup, type OptionSpec } from '../cli/options.js';
import { intRange, nonEmpty, oneOf } from '../cli/parse-values.js';
import type { AesAlgorithm, Codec } from './codec.js';
import { deriveAesKey, readKeyEnv, readKeyFile } from './key.js';
import { ZSTD_MAX_LEVEL, ZSTD_MIN_LEVEL } from './zstd.js';

/** CodecValues: the resolved codec options (camelCase of the long names). */
export interface CodecValues {
  compress?: 'zstd';
  compressionLevel?: number;
  encrypt?: AesAlgorithm;
  encryptionKeyFile?: string;
  encryptionKeyEnv?: string;
}

function keyRows(group: OptionGroup): OptionSpec[] {
  return [
    {
      long: 'encryption-key-file', type: 'string', group, arg: '<path>', validate: nonEmpty,
      describe: 'PEM private key (RSA or EC) the AES key is derived from, as the official tools do.',
    },
    {
      long: 'encryption-key-env', type: 'string', group, arg: '<VAR>', validate: nonEmpty,
      describe: 'Environment variable holding the key material, base64-encoded.',
    },
  ];
}

/** codecWriteOptions: rows for programs that write backup files (asbackup, as-split-files). */
export const codecWriteOptions: readonly OptionSpec[] = [
  { long: 'compress', short: 'z', type: 'string', group: 'Output', arg: '<zstd>', validate: oneOf('zstd'), describe: 'Compress each backup file with zstd.' },
  {
    long: 'compression-level', type: 'number', group: 'Output', arg: '<level>', validate: intRange(ZSTD_MIN_LEVEL, ZSTD_MAX_LEVEL),
    describe: 'zstd level for --compress: 1 fastest to 22 smallest, negative faster still (default 3).',
  },
  {
    long: 'encrypt', short: 'y', type: 'string', group: 'Output', arg: '<aes128|aes256>', validate: oneOf('aes128', 'aes256'),
    describe: 'Encrypt each backup file (after compression) with AES-CTR; needs --encryption-key-file or --encryption-key-env.',
  },
  ...keyRows('Output'),
];

/** codecReadOptions: rows for programs that read backup files (asrestore, as-decode-asb). */
export const codecReadOptions: readonly OptionSpec[] = [
  { long: 'compress', short: 'z', type: 'string', group: 'Input', arg: '<zstd>', validate: oneOf('zstd'), describe: 'The backup files are zstd-compressed (as they were written).' },
  {
    long: 'encrypt', short: 'y', type: 'string', group: 'Input', arg: '<aes128|aes256>', validate: oneOf('aes128', 'aes256'),
    describe: 'The backup files are encrypted with this algorithm; needs the key they were written with.',
  },
  ...keyRows('Input'),
];

/**
 * validateCodecOptions: the official tools' refusals: a level without -z; -y without
 * exactly one key; a key without -y. Throws UsageError naming the options.
 */
export function validateCodecOptions(v: CodecValues): void {
  if (v.compressionLevel !== undefined && v.compress === undefined) throw new UsageError('--compression-level needs --compress zstd (-z)');
  exclusive([['encryption-key-file', 'encryption-key-env', v.encryptionKeyFile, v.encryptionKeyEnv]]);
  const key = v.encryptionKeyFile !== undefined ? 'encryption-key-file' : v.encryptionKeyEnv !== undefined ? 'encryption-key-env' : undefined;
  if (v.encrypt !== undefined && key === undefined) throw new UsageError('--encrypt (-y) needs a key: --encryption-key-file <pem> or --encryption-key-env <VAR>');
  if (v.encrypt === undefined && key !== undefined) throw new UsageError(`--${key} needs --encrypt aes128|aes256 (-y)`);
}

/** codecOf: the Codec of validated options; reads the key file or variable (KEY_* errors). */
export function codecOf(v: CodecValues, env: NodeJS.ProcessEnv = process.env): Codec {
  const codec: Codec = {};
  if (v.compress !== undefined) codec.compress = { level: v.compressionLevel ?? 0 };
  if (v.encrypt !== undefined) {
    const material = v.encryptionKeyFile !== undefined ? readKeyFile(v.encryptionKeyFile) : readKeyEnv(v.encryptionKeyEnv!, env);
    codec.encrypt = { algorithm: v.encrypt, key: deriveAesKey(material, v.encrypt) };
  }
  return codec;
}
