// as-encode-asb: a JSON-line record stream on stdin -> one `.asb` file on stdout, byte for
// byte as the official asbackup writes it.
import { run } from './run.js';
import { parseArgs, usage, type OptionTable } from './options.js';
import { readItems, writeChunk } from './io.js';
import { encodeStream } from '../asb/encode.js';

const table: OptionTable = [
  { long: 'compact', short: 'C', type: 'boolean', group: 'Output', describe: 'Write blobs, lists, maps and HLLs raw (`- B! ...`) instead of base64, as `asbackup -C` does.' },
  { long: 'namespace', short: 'n', type: 'string', group: 'Output', arg: '<ns>', describe: 'Namespace for the `# namespace` header line when the stream names none (no records or sindexes).' },
  { long: 'no-first-file', type: 'boolean', group: 'Output', describe: 'Leave out the `# first-file` header line (for files other than the one with indexes and UDFs).' },
  { long: 'help', short: 'Z', aliases: ['usage'], type: 'boolean', group: 'Other', describe: 'Print this help and exit.' },
];

// Output is gathered into writes of about this size: one write per block would cost more
// in stream overhead than the encoding itself.
const WRITE_SIZE = 256 * 1024;

run('as-encode-asb', async (argv) => {
  const { values } = parseArgs(table, argv, 'as-encode-asb');
  if (values.help) {
    process.stdout.write(usage(table, 'as-encode-asb', '[-C] [-n <ns>] [--no-first-file] < records.jsonl > backup.asb'));
    return 0;
  }
  const items = readItems(process.stdin);
  const opts = { compact: Boolean(values.compact), namespace: values.namespace as string | undefined, firstFile: !values.noFirstFile };
  let parts: Buffer[] = [];
  let size = 0;
  for await (const { bytes } of encodeStream(items, opts)) {
    parts.push(bytes);
    size += bytes.length;
    if (size >= WRITE_SIZE) {
      await writeChunk(process.stdout, Buffer.concat(parts, size));
      parts = [];
      size = 0;
    }
  }
  if (size > 0) await writeChunk(process.stdout, Buffer.concat(parts, size));
  return 0;
});
