// as-split-files: an .asb stream into a directory of `<namespace>_<NNNNN>.asb` files, with
// the same naming and size-limit rules as `asbackup -d`.
import { run } from './run.js';
import { parseArgs, usage, type OptionTable } from './options.js';
import { intRange, nonEmpty } from './parse-values.js';
import { openInput } from './io.js';
import { asbBlocks, type AsbPiece } from '../stages/asb-blocks.js';
import { batched } from '../stages/filter.js';
import { prepareDirectory, writeDirectory, type AsbChunk } from '../stages/files.js';
import { UsageError } from '../errors.js';
import { makeLogger } from './log.js';
import type { Readable } from 'node:stream';

const table: OptionTable = [
  { long: 'directory', short: 'd', type: 'string', group: 'Output', arg: '<path>', describe: 'Directory for the .asb files; created if missing (mandatory).', validate: nonEmpty },
  { long: 'file-limit', short: 'F', type: 'number', default: 250, group: 'Output', arg: '<MiB>', describe: 'Start a new file before a record once a file reaches this size.', validate: intRange(1) },
  { long: 'remove-files', short: 'r', type: 'boolean', group: 'Output', describe: 'Remove the .asb files already in the directory.' },
  { long: 'output-file-prefix', type: 'string', group: 'Output', arg: '<prefix>', describe: 'File-name prefix (default: the namespace).', validate: nonEmpty },
  { long: 'verbose', short: 'v', type: 'boolean', group: 'Other', describe: 'Name each file as it is opened.' },
  { long: 'help', short: 'Z', aliases: ['usage'], type: 'boolean', group: 'Other', describe: 'Print this help and exit.' },
];

run('as-split-files', async (argv) => {
  const { values: v, positionals } = parseArgs(table, argv, 'as-split-files', { positionals: true });
  if (v.help) {
    process.stdout.write(usage(table, 'as-split-files', '-d <dir> [options] [file.asb] < backup.asb'));
    return 0;
  }
  if (v.directory === undefined) throw new UsageError('--directory (-d) is required');
  const log = makeLogger(Boolean(v.verbose));
  const input = openInput(positionals[0]);
  const pieces = asbBlocks(input.stream as Readable & AsyncIterable<Buffer>, input.name);
  const first = await pieces.next();
  if (first.done || first.value.kind !== 'header') throw new UsageError(`${input.name}: empty input`);
  const header = first.value as Extract<AsbPiece, { kind: 'header' }>;
  const namespace = header.header.namespace;
  if (namespace === undefined) throw new UsageError(`${input.name}: no "# namespace" line; cannot name the files`);
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
  return 0;
});
