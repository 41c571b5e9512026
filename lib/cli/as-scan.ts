// as-scan: the first stage of a backup. Reads what asbackup reads (index definitions, UDF
// modules, then the records of a partition scan, selection applied on the server) and
// writes it as JSON lines on stdout (docs/record-stream.md). It shares asbackup's option
// rows and its source code, so `as-scan | as-encode-asb` equals an asbackup with the same
// selection.
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { asbackupOptions, validateSelection, type BackupOptions } from './asbackup-options.js';
import { writeItems } from './io.js';
import { makeLogger } from './log.js';
import { connectCluster } from './connect.js';
import { answeredHelp, type Program } from './program.js';
import { viewOption } from './stage-options.js';
import { backupSource } from '../backup/source.js';
import type { StreamItem, WireBatch } from '../records/types.js';
import { codecWriteOptions } from '../codec/options.js';
import { s3BackupOptions } from '../storage/options.js';

/** Options of asbackup that are about writing files, which as-scan leaves to later stages. */
const OUTPUT = new Set(['directory', 'output-file', 'estimate', 'estimate-samples', 'file-limit', 'output-file-prefix', 'remove-files', 'compact', 'nice', 'encoder-threads', 'machine', 'remove-artifacts',
  'continue', 'state-file-dst', 'checkpoint-interval',
  'instance', 'config-file', 'no-config-file', 'only-config-file',
  ...codecWriteOptions.map((o) => o.long), ...s3BackupOptions().map((o) => o.long)]);

async function* flatten(batches: AsyncIterable<StreamItem[] | WireBatch>): AsyncGenerator<StreamItem> {
  for await (const b of batches) if (Array.isArray(b)) yield* b;
}

/** program: as-scan. */
export const program: Program = {
  name: 'as-scan',
  summary: 'Read index definitions, UDF modules and records from a cluster as a record stream.',
  synopsis: ['-n <namespace> [options] > records.jsonl'],
  options: [...asbackupOptions.filter((o) => !OUTPUT.has(o.long)), viewOption],
  async main(argv, io) {
    io.dataOut?.('jsonl');
    const { values } = parseArgs(program.options, argv, program.name);
    const o = values as unknown as BackupOptions;
    if (answeredHelp(program, o, io)) return EXIT_OK;
    validateSelection(o);
    const log = makeLogger(o.verbose, io.stderr);
    const cluster = await connectCluster(o, log, { rackAware: o.preferRacks !== undefined });
    try {
      const source = await backupSource(cluster, o, log, { action: 'Reading' });
      try {
        const n = await writeItems(flatten(source.items), io.stdout, { view: values.view === true });
        log.verbose(`Wrote ${n} item(s)`);
      } finally {
        source.close();
      }
    } finally {
      cluster.close();
    }
    return EXIT_OK;
  },
};
