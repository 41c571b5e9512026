// as-split-files: an .asb stream into a directory of `<namespace>_<NNNNN>.asb` files, with
// the same naming and size-limit rules as `asbackup -d`.
import type { Readable } from 'node:stream';
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { intRange, nonEmpty, parseFilePrefix } from './parse-values.js';
import { openInput } from './io.js';
import { makeLogger } from './log.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { asbBlocks, type AsbPiece } from '../stages/asb-blocks.js';
import { batched } from '../stages/filter.js';
import { prepareDirectory, writeDirectory, type AsbChunk } from '../stages/files.js';
import { UsageError } from '../errors.js';

/** program: as-split-files. */
export const program: Program = {
  name: 'as-split-files',
  summary: 'Split one .asb stream into a directory of files, as asbackup -d names and sizes them.',
  synopsis: ['-d <dir> [options] [file.asb] < backup.asb'],
  options: [
    { long: 'directory', short: 'd', type: 'string', group: 'Output', arg: '<path>', describe: 'Directory for the .asb files; created if missing (mandatory).', validate: nonEmpty },
    { long: 'file-limit', short: 'F', type: 'number', default: 250, group: 'Output', arg: '<MiB>', describe: 'Start a new file before a record once a file reaches this size.', validate: intRange(1) },
    { long: 'remove-files', short: 'r', type: 'boolean', group: 'Output', describe: 'Remove the .asb files already in the directory.' },
    { long: 'output-file-prefix', type: 'string', group: 'Output', arg: '<prefix>', describe: 'File-name prefix (default: the namespace); a name, no "/".', validate: parseFilePrefix },
    { long: 'verbose', short: 'v', type: 'boolean', group: 'Other', describe: 'Name each file as it is opened.' },
    ...helpOptions,
  ],
  async main(argv, io) {
    const { values: v, positionals } = parseArgs(program.options, argv, program.name, { positionals: true });
    if (answeredHelp(program, v, io)) return EXIT_OK;
    if (v.directory === undefined) throw new UsageError('--directory (-d) is required');
    const log = makeLogger(Boolean(v.verbose), io.stderr);
    const input = openInput(positionals[0], io.stdin, 'as-split-files reads one .asb stream; to copy a backup directory, cat its files in order');
    const pieces = asbBlocks(input.stream as Readable & AsyncIterable<Buffer>, input.name);
    const first = await pieces.next();
    if (first.done || first.value.kind !== 'header') throw new UsageError(`${input.name}: empty input`, input.name, 'INPUT');
    const header = first.value as Extract<AsbPiece, { kind: 'header' }>;
    const namespace = header.header.namespace;
    if (namespace === undefined) throw new UsageError(`${input.name}: no "# namespace" line; cannot name the files`, input.name, 'INPUT');
    prepareDirectory(v.directory as string, Boolean(v.removeFiles), log.info);
    async function* blocks(): AsyncGenerator<AsbChunk> {
      for await (const p of pieces) if (p.kind !== 'header') yield p;
    }
    const res = await writeDirectory(batched(blocks()), {
      dir: v.directory as string,
      namespace,
      fileLimit: (v.fileLimit as number) * 1024 * 1024,
      prefix: v.outputFilePrefix as string | undefined,
      firstHeader: header.bytes,
      onFile: (f) => log.verbose(`Opened ${f}`),
    });
    log.info(`Wrote ${res.records} record(s) into ${res.files.length} file(s), ${res.bytes} byte(s)`);
    return EXIT_OK;
  },
};
