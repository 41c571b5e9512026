// as-write: the last stage of a pipeline. Writes a JSON-line record stream (stdin) to a
// cluster with asrestore's write policy; sindex and udf items are applied in stream order.
//   as-decode-asb backup.asb | as-filter -s users | as-write -h db1 -n restored
import { writePolicyOptions } from './asrestore-options.js';
import { writeOptionsOf } from '../restore/write-policy.js';
import { EXIT_OK } from './run.js';
import { exclusive, type OptionSpec, type OptionTable } from './options.js';
import { resolveOptions } from './config.js';
import { configFileOptions, connectionOptions, generalOptions, timeoutOptions, type ConnectionValues } from './connection-options.js';
import { parseHostList, parseNamespace } from './parse-values.js';
import { makeLogger } from './log.js';
import { answeredHelp, type Program } from './program.js';
import { connectCluster } from './connect.js';
import { readItems } from './io.js';
import { untilStopped } from '../stages/stop.js';
import type { StreamItem } from '../records/types.js';
import { recordsOf } from '../restore/compose.js';
import { batched } from '../stages/filter.js';
import { newMetadataCounts } from '../restore/metadata.js';
import { newCounts, writeRecords } from '../restore/writer.js';
import { nodeLossLines } from './asrestore.js';
import { chooseBatchWrites } from '../restore/batch-writer.js';

const writeOnly: OptionSpec[] = [
  { long: 'namespace', short: 'n', type: 'string', group: 'Data selection', arg: '<ns>', describe: 'Write every item into this namespace (default: each item\'s own).', validate: (v: string, l: string) => parseNamespace(v, l) },
  ...writePolicyOptions,
  ...timeoutOptions('each write', { seeds: true }),
];

/** asWriteOptions: the option table of as-write. */
export const asWriteOptions: OptionTable = [...connectionOptions, ...writeOnly, ...configFileOptions, ...generalOptions];

interface WriteProgramOptions extends ConnectionValues {
  namespace?: string;
  unique: boolean;
  replace: boolean;
  noGeneration: boolean;
  ignoreRecordError: boolean;
  extraTtl: number;
  wait: boolean;
  parallel: number;
  disableBatchWrites?: boolean;
  batchSize?: number;
  maxAsyncBatches?: number;
}

// -n renames every item's namespace (records and indexes alike).
async function* renamed(items: AsyncIterable<StreamItem>, ns: string | undefined): AsyncGenerator<StreamItem> {
  for await (const item of items) yield ns !== undefined && item.kind !== 'udf' && item.namespace !== ns ? { ...item, namespace: ns } : item;
}

/** program: as-write. */
export const program: Program = {
  name: 'as-write',
  summary: 'Write a record stream to a cluster with asrestore\'s write policy.',
  synopsis: ['[options] < records.jsonl'],
  options: asWriteOptions,
  stopsOnSignal: true,
  async main(argv, io) {
    const o = resolveOptions(asWriteOptions, argv, 'as-write').values as unknown as WriteProgramOptions;
    if (answeredHelp(program, o, io)) return EXIT_OK;
    exclusive([
      ['unique', 'replace', o.unique, o.replace],
      ['unique', 'no-generation', o.unique, o.noGeneration],
    ]);
    parseHostList(o.host, o.port);
    const log = makeLogger(o.verbose, io.stderr);
    const cluster = await connectCluster(o, log);
    const counts = newCounts();
    const meta = newMetadataCounts();
    const started = performance.now();
    const report = (): void => {
      const s = (performance.now() - started) / 1000;
      log.info(`Wrote ${counts.inserted} of ${counts.read} record(s) in ${s.toFixed(1)} s: existed ${counts.existed}, fresher ${counts.fresher}, expired ${counts.expired}, no bins ${counts.skippedNoBins}, ignored errors ${counts.ignored}, failed ${counts.failed}; ${meta.indexes} secondary index(es), ${meta.udfs} UDF file(s)`);
      for (const line of nodeLossLines(counts)) log.info(line);
    };
    try {
      const records = recordsOf(untilStopped(batched(renamed(readItems(io.stdin), o.namespace)), io.signal), { filter: {}, cluster, metadata: { wait: o.wait, log: log.verbose }, counts, meta });
      await writeRecords(cluster, records, {
        ...writeOptionsOf(o),
        batchWrites: await chooseBatchWrites(cluster, o, log.info),
        counts,
        log: log.verbose,
        notice: log.info,
      });
      report();
      return EXIT_OK;
    } catch (e) {
      report();
      throw e;
    } finally {
      cluster.close();
    }
  },
};
