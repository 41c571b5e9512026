// as-decode-asb: `.asb` files (in the order given, or stdin) -> a JSON-line record stream on
// stdout. Reads strictly, as asrestore does: the first problem stops the run with file:line:col.
import { createReadStream } from 'node:fs';
import { run } from './run.js';
import { parseArgs, usage, type OptionTable } from './options.js';
import { writeItems } from './io.js';
import { decodeItems } from '../asb/decode.js';
import type { StreamItem } from '../records/types.js';

const table: OptionTable = [
  { long: 'help', short: 'Z', aliases: ['usage'], type: 'boolean', group: 'Other', describe: 'Print this help and exit.' },
];

// Large reads: the decoder's cost per refill is constant, so fewer, bigger chunks are faster.
const READ_SIZE = 1024 * 1024;

async function* allItems(files: string[]): AsyncGenerator<StreamItem> {
  if (files.length === 0) files = ['-'];
  for (const f of files) {
    const stream = f === '-' ? process.stdin : createReadStream(f, { highWaterMark: READ_SIZE });
    yield* decodeItems(stream as AsyncIterable<Buffer>, f === '-' ? '<stdin>' : f);
  }
}

run('as-decode-asb', async (argv) => {
  const { values, positionals } = parseArgs(table, argv, 'as-decode-asb', { positionals: true });
  if (values.help) {
    process.stdout.write(usage(table, 'as-decode-asb', '[file.asb ...] > records.jsonl   (stdin when no file is given, or for `-`)'));
    return 0;
  }
  await writeItems(allItems(positionals));
  return 0;
});
