// as-split-files: an .asb stream into a directory of `<namespace>_<NNNNN>.asb` files (or
// objects under an S3 prefix), with the same naming, size-limit, compression and
// encryption rules as `asbackup -d`.
import type { Readable } from 'node:stream';
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { intRange, nonEmpty, parseFilePrefix } from './parse-values.js';
import { openInput } from './io.js';
import { makeLogger } from './log.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { asbBlocks, type AsbPiece } from '../stages/asb-blocks.js';
import { batched } from '../stages/filter.js';
import { writeDirectory, type AsbChunk } from '../stages/files.js';
import { openDestination } from '../stages/destination.js';
import { untilStopped } from '../stages/stop.js';
import { UsageError } from '../errors.js';
import { codecOf, codecWriteOptions, validateCodecOptions, type CodecValues } from '../codec/options.js';
import { s3BackupOptions, s3Settings, type S3OptionValues } from '../storage/options.js';
import { isS3Url, parseS3Url } from '../storage/s3-url.js';

const MiB = 1024 * 1024;

/** program: as-split-files. */
export const program: Program = {
  name: 'as-split-files',
  summary: 'Split one .asb stream into a directory of files (or S3 objects), as asbackup -d names, sizes, compresses and encrypts them.',
  synopsis: ['-d <dir|s3://bucket/prefix> [options] [file.asb] < backup.asb'],
  options: [
    { long: 'directory', short: 'd', type: 'string', group: 'Output', arg: '<path>', describe: 'Directory for the .asb files (created if missing), or s3://bucket/prefix (mandatory).', validate: nonEmpty },
    { long: 'file-limit', short: 'F', type: 'number', default: 250, group: 'Output', arg: '<MiB>', describe: 'Start a new file before a record once a file reaches this size on disk (after compression and encryption).', validate: intRange(1) },
    { long: 'remove-files', short: 'r', type: 'boolean', group: 'Output', describe: 'Remove the .asb files already in the directory.' },
    { long: 'output-file-prefix', type: 'string', group: 'Output', arg: '<prefix>', describe: 'File-name prefix (default: the namespace); a name, no "/"; only files of this prefix are refused or removed.', validate: parseFilePrefix },
    ...codecWriteOptions,
    ...s3BackupOptions('Output'),
    { long: 'verbose', short: 'v', type: 'boolean', group: 'Other', describe: 'Name each file as it is opened.' },
    ...helpOptions,
  ],
  stopsOnSignal: true,
  async main(argv, io) {
    const { values, positionals } = parseArgs(program.options, argv, program.name, { positionals: true });
    if (answeredHelp(program, values, io)) return EXIT_OK;
    const v = values as unknown as CodecValues & S3OptionValues & { directory?: string; fileLimit: number; removeFiles: boolean; outputFilePrefix?: string; verbose: boolean };
    if (v.directory === undefined) throw new UsageError('--directory (-d) is required');
    if (isS3Url(v.directory)) parseS3Url(v.directory, 'prefix', '--directory');
    validateCodecOptions(v);
    const codec = codecOf(v);
    const log = makeLogger(Boolean(v.verbose), io.stderr);
    const dest = await openDestination({
      directory: v.directory, removeFiles: v.removeFiles, outputFilePrefix: v.outputFilePrefix, fileLimit: v.fileLimit * MiB, s3: s3Settings(v),
    }, log.info);
    try {
      // A backup already there (without -r), or for S3 a wrong endpoint or bucket: before reading.
      await dest.check();
      const input = openInput(positionals[0], io.stdin, 'as-split-files reads one .asb stream; to copy a backup directory, cat its files in order');
      const pieces = asbBlocks(untilStopped(input.stream as Readable & AsyncIterable<Buffer>, io.signal), input.name);
      const first = await pieces.next();
      if (first.done || first.value.kind !== 'header') throw new UsageError(`${input.name}: empty input`, input.name, 'INPUT');
      const header = first.value as Extract<AsbPiece, { kind: 'header' }>;
      const namespace = header.header.namespace;
      if (namespace === undefined) throw new UsageError(`${input.name}: no "# namespace" line; cannot name the files`, input.name, 'INPUT');
      await dest.prepare(log.info);
      async function* blocks(): AsyncGenerator<AsbChunk> {
        for await (const p of pieces) if (p.kind !== 'header') yield p;
      }
      const res = await writeDirectory(batched(blocks()), {
        place: dest.place,
        namespace,
        fileLimit: v.fileLimit * MiB,
        prefix: v.outputFilePrefix,
        codec,
        firstHeader: header.bytes,
        onFile: (f) => log.verbose(`Opened ${f}`),
      });
      const stored = res.stored !== undefined && res.stored !== res.bytes ? ` (${res.stored} stored)` : '';
      log.info(`Wrote ${res.records} record(s) into ${res.files.length} file(s), ${res.bytes} byte(s)${stored}`);
    } catch (e) {
      await dest.abandon();
      throw e;
    } finally {
      dest.close();
    }
    return EXIT_OK;
  },
};
