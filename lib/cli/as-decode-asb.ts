// as-decode-asb: `.asb` files (in the order given, or stdin) -> a JSON-line record stream on
// stdout. Reads strictly, as asrestore does: the first problem stops the run with file:line:col.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { writeItems } from './io.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { viewOption } from './stage-options.js';
import { decodeItems } from '../asb/decode.js';
import { checkInputFile } from '../paths.js';
import type { StreamItem } from '../records/types.js';

// Large reads: the decoder's cost per refill is constant, so fewer, bigger chunks are faster.
const READ_SIZE = 1024 * 1024;

async function* allItems(files: string[], stdin: Readable): AsyncGenerator<StreamItem> {
  if (files.length === 0) files = ['-'];
  for (const f of files) {
    const stream = f === '-' ? stdin : createReadStream(f, { highWaterMark: READ_SIZE });
    yield* decodeItems(stream as AsyncIterable<Buffer>, f === '-' ? '<stdin>' : f);
  }
}

/** program: as-decode-asb. */
export const program: Program = {
  name: 'as-decode-asb',
  summary: 'Turn .asb files (or stdin) into a record stream, strictly, as asrestore reads them.',
  synopsis: ['[file.asb ...] > records.jsonl   (stdin when no file is given, or for `-`)'],
  options: [viewOption, ...helpOptions],
  async main(argv, io) {
    io.dataOut?.('jsonl');
    const { values, positionals } = parseArgs(program.options, argv, program.name, { positionals: true });
    if (answeredHelp(program, values, io)) return EXIT_OK;
    // Every file is checked before the first item is written: a bad name is one line, and
    // no partial output.
    for (const f of positionals) if (f !== '-') checkInputFile(f, 'input file', `give the .asb files in it (${f}/*.asb)`);
    await writeItems(allItems(positionals, io.stdin), io.stdout, { view: values.view === true });
    return EXIT_OK;
  },
};
