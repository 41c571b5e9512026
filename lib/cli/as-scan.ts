// as-scan: the first stage of a backup. Scans a namespace and writes JSON lines on
// stdout: secondary indexes, then UDF modules, then records (docs/as-scan.md).
import minimist from 'minimist';
import { run } from './run.js';
import { writeItems } from './io.js';
import { ServerError, UsageError } from '../errors.js';
import { Cluster } from '../cluster/cluster.js';
import { parseHosts } from '../cluster/hosts.js';
import { readSindexes, readUdfs } from '../cluster/metadata.js';
import { scanPartitions, type ScanOptions } from '../cluster/scan.js';
import { compile, selectionFilter, type Selection } from '../protocol/expression.js';
import type { StreamItem } from '../records/types.js';

const USAGE = `Usage: as-scan -n <namespace> [options] > records.jsonl

  -h, --host <host[:tlsname][:port],...>  seed hosts (default 127.0.0.1)
  -p, --port <port>                       default port (default 3000)
  -S, --services-alternate                use alternate access addresses (alias --service-alternate)
  -l, --node-list <addr:port,...>         only partitions whose master is one of these nodes
  -w, --parallel <n>                      nodes scanned at once (default 10)
  -f, --priority <0-3>                    scan streams per node: 0 auto(2) 1 low(1) 2 medium(2) 3 high(4)
  -n, --namespace <ns>                    namespace to scan (required)
  -s, --set <set>                         only this set
  -B, --bin-list <b1,b2,...>              only these bins
  -x, --no-bins                           metadata only
  -R, --no-records                        no records (indexes and UDFs only)
  -I, --no-indexes                        no secondary index definitions
  -u, --no-udfs                           no UDF modules
  -%, --percent <p>                       sample p percent of the records (by digest)
  -a, --modified-after <YYYY-MM-DD_HH:MM:SS>   last update at or after (local time)
  -b, --modified-before <YYYY-MM-DD_HH:MM:SS>  last update before (local time)
      --max-records <n>                   stop after n records
      --records-per-second <n>            server-side rate limit
      --partition-list <begin[-count],...> only these partitions
      --after-digest <base64>             resume after this digest
  -v, --verbose                           progress on stderr
      --help                              this text
`;

const STRINGS = ['h', 'p', 'l', 'w', 'f', 'n', 's', 'B', '%', 'a', 'b', 'max-records', 'records-per-second', 'partition-list', 'after-digest'];
const BOOLEANS = ['x', 'R', 'I', 'u', 'S', 'v', 'help', 'service-alternate', 'services-alternate'];
const ALIASES: Record<string, string> = {
  h: 'host', p: 'port', l: 'node-list', w: 'parallel', f: 'priority', n: 'namespace', s: 'set', B: 'bin-list',
  '%': 'percent', a: 'modified-after', b: 'modified-before', v: 'verbose',
};
// minimist turns --no-X into X=false, so the --no-* options are read as bins/records/... = false.
const KNOWN = new Set([...STRINGS, ...BOOLEANS, ...Object.values(ALIASES), 'bins', 'records', 'indexes', 'udfs', '_']);

function int(v: unknown, label: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const s = String(v);
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`${label}: expected an integer ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max}, got ${JSON.stringify(v)}`);
  return n;
}

/** parseDate: `YYYY-MM-DD_HH:MM:SS` in local time, strictly (no rollover); ms since the epoch. */
export function parseDate(v: unknown, label: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})$/.exec(String(v));
  const bad = () => new UsageError(`${label}: expected YYYY-MM-DD_HH:MM:SS, got ${JSON.stringify(v)}`);
  if (!m) throw bad();
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(y, mo - 1, d, h, mi, s);
  if (t.getFullYear() !== y || t.getMonth() !== mo - 1 || t.getDate() !== d || t.getHours() !== h || t.getMinutes() !== mi || t.getSeconds() !== s) throw bad();
  return t.getTime();
}

/** parsePartitionList: `begin[-count]` items (count, not end, as asbackup). */
export function parsePartitionList(v: string): number[] {
  const out = new Set<number>();
  for (const item of v.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (!m) throw new UsageError(`--partition-list: expected begin[-count], got ${JSON.stringify(item)}`);
    const begin = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (begin > 4095 || count < 1 || begin + count > 4096) throw new UsageError(`--partition-list: ${item} is outside 0..4095`);
    for (let p = begin; p < begin + count; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

async function main(argv: string[]): Promise<number> {
  const a = minimist(argv, { string: STRINGS, boolean: BOOLEANS, alias: ALIASES });
  if (a.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  for (const k of Object.keys(a)) if (!KNOWN.has(k)) throw new UsageError(`unknown option ${k.length === 1 ? '-' : '--'}${k}`);
  if (a._.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(String(a._[0]))}`);
  const ns = a.namespace as string | undefined;
  if (!ns) throw new UsageError('--namespace is required');
  const port = a.port !== undefined ? int(a.port, '--port', 1, 65535) : 3000;
  const hosts = parseHosts(a.host ?? '127.0.0.1', port);
  const verbose = Boolean(a.verbose);
  const log = verbose ? (m: string) => process.stderr.write(`as-scan: ${m}\n`) : () => {};
  const noBins = Boolean(a.x) || a.bins === false;
  const noRecords = Boolean(a.R) || a.records === false;
  const noIndexes = Boolean(a.I) || a.indexes === false;
  const noUdfs = Boolean(a.u) || a.udfs === false;
  const sel: Selection = {};
  if (a.percent !== undefined) {
    const p = Number(a.percent);
    if (!/^\d+(\.\d+)?$/.test(String(a.percent)) || !(p > 0 && p <= 100)) throw new UsageError(`--percent: expected a number in (0, 100], got ${JSON.stringify(a.percent)}`);
    sel.percent = p;
  }
  if (a['modified-after'] !== undefined) sel.modifiedAfter = parseDate(a['modified-after'], '--modified-after');
  if (a['modified-before'] !== undefined) sel.modifiedBefore = parseDate(a['modified-before'], '--modified-before');
  if (sel.modifiedAfter !== undefined && sel.modifiedBefore !== undefined && sel.modifiedAfter >= sel.modifiedBefore) {
    throw new UsageError('--modified-after must be earlier than --modified-before');
  }
  const filterExp = selectionFilter(sel);
  const opts: ScanOptions = { namespace: ns, log };
  if (a.set) opts.set = a.set;
  if (a['bin-list']) opts.bins = String(a['bin-list']).split(',').filter((b) => b !== '');
  if (noBins) opts.noBins = true;
  if (filterExp !== undefined) opts.filter = compile(filterExp);
  if (a.parallel !== undefined) opts.parallel = int(a.parallel, '--parallel', 1, 100);
  if (a.priority !== undefined) opts.priority = int(a.priority, '--priority', 0, 3);
  if (a['max-records'] !== undefined) opts.maxRecords = int(a['max-records'], '--max-records', 0);
  if (a['records-per-second'] !== undefined) opts.recordsPerSecond = int(a['records-per-second'], '--records-per-second', 0);
  if (a['partition-list'] !== undefined) opts.partitions = parsePartitionList(a['partition-list']);
  if (a['after-digest'] !== undefined) {
    const d = Buffer.from(String(a['after-digest']), 'base64');
    if (d.length !== 20) throw new UsageError(`--after-digest: expected a base64 20-byte digest, got ${JSON.stringify(a['after-digest'])}`);
    opts.afterDigest = d;
  }
  const nodeList = a['node-list'] !== undefined ? parseHosts(a['node-list'], port, '--node-list') : undefined;

  const cluster = await Cluster.connect({ hosts, port, useServicesAlternate: Boolean(a.S || a['service-alternate'] || a['services-alternate']), log });
  try {
    if (!cluster.hasNamespace(ns)) throw new ServerError(20, `namespace "${ns}" not found in the cluster`);
    if (nodeList) {
      const mine = new Set(cluster.partitionsOfNodes(ns, nodeList));
      opts.partitions = (opts.partitions ?? [...mine]).filter((p) => mine.has(p));
      log(`--node-list: ${opts.partitions.length} partition(s)`);
      if (opts.partitions.length === 0) throw new UsageError(`--node-list: none of ${a['node-list']} is master of any partition of "${ns}"`);
    }
    if (verbose) {
      let last = 0;
      opts.onProgress = (p) => {
        const now = Date.now();
        if (now - last < 1000) return;
        last = now;
        log(`${p.records} records, ${p.partitionsDone}/${p.partitionsTotal} partitions done`);
      };
    }
    const items = async function* (): AsyncGenerator<StreamItem> {
      if (!noIndexes) yield* await readSindexes(cluster, ns, log);
      if (!noUdfs) yield* await readUdfs(cluster);
      if (!noRecords) yield* scanPartitions(cluster, opts);
    };
    const n = await writeItems(items());
    log(`wrote ${n} item(s)`);
  } finally {
    cluster.close();
  }
  return 0;
}

run('as-scan', main);
