// as-decode-asb: `.asb` files (in the order given, stdin, or S3 objects), compressed and
// encrypted or not, -> a JSON-line record stream on stdout. Reads strictly, as asrestore
// does: the first problem stops the run with file:line:col; every file's head is checked
// against -z/-y before the first line is written.
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { writeItems } from './io.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { viewOption } from './stage-options.js';
import { decodeItems } from '../asb/decode.js';
import type { Codec } from '../codec/codec.js';
import { codecOf, codecReadOptions, validateCodecOptions, type CodecValues } from '../codec/options.js';
import type { StreamItem } from '../records/types.js';
import { checkHeaders, openBackupSource } from '../restore/source.js';
import { readAsb, type BackupInput } from '../stages/input.js';
import { checkInputFile } from '../paths.js';
import { s3RestoreOptions, s3Settings, type S3OptionValues } from '../storage/options.js';
import { isS3Url, parseS3Url } from '../storage/s3-url.js';
import { makeLogger } from './log.js';

async function* allItems(inputs: BackupInput[], codec: Codec): AsyncGenerator<StreamItem> {
  for (const input of inputs) yield* readAsb(input, codec, (bytes) => decodeItems(bytes, input.name));
}

/** program: as-decode-asb. */
export const program: Program = {
  name: 'as-decode-asb',
  summary: 'Turn .asb files (or stdin, or S3 objects) into a record stream, strictly, as asrestore reads them.',
  synopsis: ['[file.asb | s3://bucket/key.asb ...] > records.jsonl   (stdin when no file is given, or for `-`)'],
  options: [viewOption, ...codecReadOptions, ...s3RestoreOptions('Input'), ...helpOptions],
  async main(argv, io) {
    io.dataOut?.('jsonl');
    const { values, positionals } = parseArgs(program.options, argv, program.name, { positionals: true });
    if (answeredHelp(program, values, io)) return EXIT_OK;
    const v = values as CodecValues & S3OptionValues;
    validateCodecOptions(v);
    for (const f of positionals) if (isS3Url(f)) parseS3Url(f, 'object', 'input file');
    const codec = codecOf(v);
    const log = makeLogger(false, io.stderr);
    // Every file is checked before the first item is written (there, its head against
    // -z/-y): a bad name or a wrong key is one line, and no partial output.
    const source = await openBackupSource({ files: positionals.length === 0 ? ['-'] : positionals }, {
      s3: s3Settings(v), log: log.info, stdin: io.stdin, fileLabel: 'input file',
      checkFile: (f) => checkInputFile(f, 'input file', `give the .asb files in it (${f}/*.asb)`),
    });
    try {
      await checkHeaders(source.inputs, codec);
      await writeItems(allItems(source.inputs, codec), io.stdout, { view: values.view === true });
    } finally {
      source.close();
    }
    return EXIT_OK;
  },
};
