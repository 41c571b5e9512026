// as-encode-asb: a JSON-line record stream on stdin -> one `.asb` file on stdout, byte for
// byte as the official asbackup writes it.
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { readItems, writeChunk } from './io.js';
import { isOutputClosed, outputClosed } from '../stages/write-chunk.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { encodeStream } from '../asb/encode.js';

// Output is gathered into writes of about this size: one write per block would cost more
// in stream overhead than the encoding itself.
const WRITE_SIZE = 256 * 1024;

/** program: as-encode-asb. */
export const program: Program = {
  name: 'as-encode-asb',
  summary: 'Turn a record stream into one .asb file, byte for byte as the official asbackup writes it.',
  synopsis: ['[-C] [-n <ns>] [--no-first-file] < records.jsonl > backup.asb'],
  options: [
    { long: 'compact', short: 'C', type: 'boolean', group: 'Output', describe: 'Write blobs, lists, maps and HLLs raw (`- B! ...`) instead of base64, as `asbackup -C` does.' },
    { long: 'namespace', short: 'n', type: 'string', group: 'Output', arg: '<ns>', describe: 'Namespace for the `# namespace` header line when the stream names none (no records or sindexes).' },
    { long: 'no-first-file', type: 'boolean', group: 'Output', describe: 'Leave out the `# first-file` header line (for files other than the one with indexes and UDFs).' },
    ...helpOptions,
  ],
  async main(argv, io) {
    io.dataOut?.('asb');
    const { values } = parseArgs(program.options, argv, program.name);
    if (answeredHelp(program, values, io)) return EXIT_OK;
    const items = readItems(io.stdin);
    const opts = { compact: Boolean(values.compact), namespace: values.namespace as string | undefined, firstFile: !values.noFirstFile };
    let parts: Buffer[] = [];
    let size = 0;
    let blocks = 0;
    let written = 0;
    const write = async (): Promise<void> => {
      try {
        await writeChunk(io.stdout, Buffer.concat(parts, size));
      } catch (e) {
        if (isOutputClosed(e)) throw outputClosed(written, 'block');
        throw e;
      }
      written = blocks;
      parts = [];
      size = 0;
    };
    for await (const { item, bytes } of encodeStream(items, opts)) {
      parts.push(bytes);
      size += bytes.length;
      if (item !== undefined) blocks++;
      if (size >= WRITE_SIZE) await write();
    }
    if (size > 0) await write();
    return EXIT_OK;
  },
};
