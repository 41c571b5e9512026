// What a backup reads from the cluster: index definitions, UDF modules, then the records of
// a partition scan with the selection applied on the server. Shared by asbackup and as-scan.
import { lookup } from 'node:dns/promises';
import { Cluster, type HostAddress } from '../cluster/cluster.js';
import { formatAddress } from '../cluster/connection.js';
import { scanBatches, scanPartitions, scanWire, type ScanOptions } from '../cluster/scan.js';
import { readSindexes, readUdfs, namespaceRecordCount, clusterStable } from '../cluster/metadata.js';
import { andCompiled, compile, selectionFilter } from '../protocol/expression.js';
import { filterItems, narrowSelection, type Narrowed } from '../stages/filter.js';
import { PARTITIONS } from '../protocol/constants.js';
import { partitionId } from '../protocol/digest.js';
import { AsError, IncompleteError, ServerError, UsageError } from '../errors.js';
import { encodeItem } from '../asb/encode.js';
import type { Logger } from '../log.js';
import type { StreamItem, WireBatch } from '../records/types.js';
import type { BackupSettings, PartitionFilter, SourceSettings } from './settings.js';

/** A prepared backup source. */
export interface BackupSource {
  items: AsyncGenerator<StreamItem[] | WireBatch>;
  /** The partition scan it reads (none with --no-records). */
  scan?: ScanOptions;
  /** Records the namespace (or set) holds, for percent and ETA; 0 when unknown. */
  expectedRecords: number;
  /** Stops the cluster watcher. */
  close(): void;
}

/** partitionsOf: the partitions a --partition-list names. */
function partitionsOf(list: PartitionFilter[]): number[] {
  const out: number[] = [];
  for (const f of list) {
    // A digest item would need its own resume point inside one partition; --after-digest
    // does that for the common case, so say so rather than scan the whole partition.
    if ('digest' in f) throw new UsageError(`--partition-list: digest items are not supported (partition ${partitionId(f.digest)}); use --after-digest`);
    for (let p = f.begin; p < f.begin + f.count; p++) out.push(p);
  }
  return out;
}

/** narrowedOf: the backup's selection after its exclusion lists (see narrowSelection). */
export function narrowedOf(o: Pick<SourceSettings, 'set' | 'binList' | 'noBins' | 'excludeSets' | 'excludeBins'>): Narrowed {
  return narrowSelection({ sets: o.set, bins: o.binList, noBins: o.noBins, excludeSets: o.excludeSets, excludeBins: o.excludeBins });
}

/**
 * nodesOfList: the cluster's nodes that -l names. Both sides are resolved to addresses, so
 * `localhost:3000` matches a node reached at 127.0.0.1:3000. An address that is no node of
 * the cluster is an error listing the nodes there are.
 */
async function nodesOfList(cluster: Cluster, list: HostAddress[]): Promise<HostAddress[]> {
  const addressesOf = async (host: string): Promise<Set<string>> => {
    try {
      return new Set((await lookup(host, { all: true })).map((a) => a.address));
    } catch {
      return new Set([host]);
    }
  };
  const nodes = await Promise.all(cluster.nodes.map(async (n) => ({ node: n, addresses: await addressesOf(n.host) })));
  const out: HostAddress[] = [];
  for (const want of list) {
    const wanted = await addressesOf(want.host);
    const hit = nodes.find((n) => n.node.port === want.port && [...wanted].some((a) => n.addresses.has(a)));
    if (hit === undefined) {
      const given = formatAddress(want.host, want.port);
      throw new AsError('NODE_NOT_FOUND', `--node-list: ${given} is not a node of the cluster; its nodes are ${cluster.nodes.map((n) => n.address).join(', ')}`, { value: given });
    }
    out.push({ host: hit.node.host, port: hit.node.port });
  }
  return out;
}

/** scanOptionsOf: the scan the options ask for. `action` says what the run does with it ("Backing up"). */
export async function scanOptionsOf(cluster: Cluster, o: SourceSettings, log: Logger, action = 'Backing up'): Promise<ScanOptions> {
  const ns = o.namespace;
  const narrowed = narrowedOf(o);
  const sets = narrowed.sets;
  // A user's expression and the set exclusion are both applied: AND-ed on the server.
  const exclusion = narrowed.excludeSets.length > 0 ? selectionFilter({ excludeSets: narrowed.excludeSets }) : undefined;
  const filter = o.filterExp !== undefined
    ? andCompiled(Buffer.from(o.filterExp, 'base64'), ...(exclusion === undefined ? [] : [compile(exclusion)]))
    : (() => {
        const e = selectionFilter({
          modifiedAfter: o.modifiedAfter?.getTime(),
          modifiedBefore: o.modifiedBefore?.getTime(),
          percent: o.percent,
          sets: sets.length > 1 ? sets : undefined,
          excludeSets: narrowed.excludeSets,
          noTtlOnly: o.noTtlOnly,
        });
        return e === undefined ? undefined : compile(e);
      })();
  const scan: ScanOptions = {
    namespace: ns,
    parallel: o.parallel,
    priority: o.priority,
    scansPerNode: o.scansPerNode,
    socketTimeoutMs: o.socketTimeout,
    totalTimeoutMs: o.totalTimeout,
    maxRetries: o.maxRetries,
    sleepBetweenRetriesMs: o.sleepBetweenRetries,
    log: log.verbose,
    notice: log.info,
  };
  if (sets.length === 1) scan.set = sets[0];
  if (narrowed.bins) scan.bins = narrowed.bins;
  if (o.noBins) scan.noBins = true;
  if (filter) scan.filter = filter;
  if (o.maxRecords > 0) scan.maxRecords = o.maxRecords;
  if (o.recordsPerSecond > 0) scan.recordsPerSecond = o.recordsPerSecond;
  if (o.afterDigest) scan.afterDigest = o.afterDigest;
  if (o.partitionList) scan.partitions = partitionsOf(o.partitionList);
  if (o.nodeList) {
    const nodes = await nodesOfList(cluster, o.nodeList);
    scan.partitions = cluster.partitionsOfNodes(ns, nodes);
    if (scan.partitions.length === 0) throw new AsError('NODE_NOT_FOUND', `--node-list: none of ${nodes.map((h) => formatAddress(h.host, h.port)).join(', ')} is the master of any partition of ${ns}`, { value: o.nodeList });
    log.info(`${action} ${scan.partitions.length} of ${PARTITIONS} partitions (masters in --node-list)`);
  }
  if (o.preferRacks) {
    scan.preferRacks = o.preferRacks;
    logRacks(cluster, ns, o.preferRacks, scan.partitions, log);
  }
  return scan;
}

// Says how many partitions go to the preferred racks, or why none does.
function logRacks(cluster: Cluster, ns: string, racks: number[], partitions: number[] | undefined, log: Logger): void {
  if (cluster.nodes.every((n) => n.racks === undefined)) {
    log.info('--prefer-racks: the cluster reports no rack ids (rack-ids needs server Enterprise Edition); every partition is scanned on its master');
    return;
  }
  const pids = partitions ?? Array.from({ length: PARTITIONS }, (_, p) => p);
  const preferred = pids.filter((p) => {
    const rack = cluster.scanNodeOf(ns, p, racks)?.racks?.get(ns);
    return rack !== undefined && racks.includes(rack);
  }).length;
  log.info(`--prefer-racks: ${preferred} of ${pids.length} partition(s) on nodes in rack(s) ${racks.join(',')}, the others on their masters`);
}

/** SelectionSize: what the server's counts say of a selection before it is read. */
export interface SelectionSize {
  /** Records the namespace, or the sets of -s, hold. */
  contains: number;
  /** Records the selection is expected to give (progress, estimate). */
  expected: number;
  /** How `expected` follows from `contains`: 'exact', 'about' (sampled, some partitions) or 'at most'. */
  accuracy: 'exact' | 'about' | 'at most';
  /** The options that narrow the selection, as the log names them. */
  narrowedBy: string[];
  /** Those of them that select a share no count tells in advance (time window, ...). */
  unknownShare: string[];
}

/**
 * selectionSize: the records a selection holds by the server's counts: the namespace or
 * the sets, a share of the partitions, the sampled percentage, at most --max-records.
 * Time windows, --no-ttl-only, --filter-exp and --after-digest select a share no count
 * tells in advance: the size is then an upper bound.
 */
export async function selectionSize(cluster: Cluster, o: SourceSettings, partitions?: number): Promise<SelectionSize> {
  const ns = o.namespace;
  const narrowed = narrowedOf(o);
  const sets = narrowed.sets;
  const contains = sets.length === 0 ? await namespaceRecordCount(cluster, ns) - await setsRecordCount(cluster, ns, narrowed.excludeSets) : await setsRecordCount(cluster, ns, sets);
  let expected = contains;
  let accuracy: SelectionSize['accuracy'] = 'exact';
  const narrowedBy: string[] = [];
  if (partitions !== undefined && partitions < PARTITIONS) {
    expected = Math.round((expected * partitions) / PARTITIONS);
    accuracy = 'about';
    narrowedBy.push(o.nodeList ? '--node-list' : '--partition-list');
  }
  if (o.percent < 100) {
    expected = Math.round((expected * o.percent) / 100);
    accuracy = 'about';
    narrowedBy.push(`--percent ${o.percent}`);
  }
  const unknown = ([['--modified-after', o.modifiedAfter], ['--modified-before', o.modifiedBefore], ['--no-ttl-only', o.noTtlOnly || undefined], ['--filter-exp', o.filterExp], ['--after-digest', o.afterDigest]] as const)
    .filter(([, v]) => v !== undefined).map(([name]) => name);
  if (unknown.length > 0) {
    accuracy = 'at most';
    narrowedBy.push(...unknown);
  }
  if (o.maxRecords > 0 && o.maxRecords < expected) {
    expected = o.maxRecords;
    if (accuracy === 'about') accuracy = 'at most';
    narrowedBy.push(`--max-records ${o.maxRecords}`);
  }
  return { contains, expected, accuracy, narrowedBy, unknownShare: unknown };
}

/** logSelection: what the namespace or sets hold, then how many of them the run takes. */
function logSelection(o: SourceSettings, size: SelectionSize, log: Logger, action: string): void {
  const narrowed = narrowedOf(o);
  const sets = narrowed.sets;
  const without = narrowed.excludeSets.length > 0 ? ` without set(s) ${narrowed.excludeSets.join(',')}` : '';
  log.info(`${sets.length === 0 ? `Namespace ${o.namespace}${without} contains` : `Set(s) ${sets.join(',')} contain`} ${size.contains} record(s)`);
  if (size.narrowedBy.length > 0) {
    const qualifier = size.accuracy === 'exact' ? '' : `${size.accuracy} `;
    log.info(`${action} ${qualifier}${size.expected} of them (${size.narrowedBy.join(', ')})`);
  }
}

/**
 * watchCluster: with --no-cluster-change, checks before the first record and then every
 * second that the cluster is stable and keeps its key; the returned check throws an
 * IncompleteError once it is not.
 */
async function watchCluster(cluster: Cluster, ns: string, log: Logger): Promise<{ check(): void; stop(): void }> {
  const first = await clusterStable(cluster, ns);
  if (!first.stable) throw new IncompleteError(`--no-cluster-change: the cluster is not stable (${first.reason}); no backup taken`);
  let problem: string | undefined;
  const timer = setInterval(() => {
    clusterStable(cluster, ns).then((s) => {
      if (!s.stable) problem ??= s.reason;
      else if (s.clusterKey !== first.clusterKey) problem ??= `the cluster changed (key ${first.clusterKey} -> ${s.clusterKey})`;
    }, (e: Error) => { problem ??= e.message; });
  }, 1000);
  timer.unref();
  log.verbose(`Cluster stable, key ${first.clusterKey}`);
  return {
    check() {
      if (problem !== undefined) throw new IncompleteError(`--no-cluster-change: ${problem}; the backup is incomplete`);
    },
    stop() { clearInterval(timer); },
  };
}

/** Options of backupSource. */
export interface SourceOptions {
  /** Records as WireBatches (the selection is applied on the server, so no client-side stage needs them as objects). */
  wire?: boolean;
  /** What the run does with what it reads, for the log: "Backing up" (asbackup), "Reading" (as-scan). */
  action?: string;
  /**
   * A resumed backup: only these partitions, each begun one from after its digest, at most
   * `maxRecords` more; no index definitions or UDFs when the interrupted run wrote them.
   */
  resume?: { partitions: number[]; resume: Map<number, Buffer>; maxRecords: number; metadataWritten: boolean };
}

/**
 * backupSource: prepares what a backup reads, in the order it is written: index
 * definitions (of the sets of -s only), UDF modules, then the records. asbackup and
 * as-scan read the same items, so `as-scan | as-encode-asb` writes what asbackup writes.
 */
export async function backupSource(cluster: Cluster, o: SourceSettings, log: Logger, opts: SourceOptions = {}): Promise<BackupSource> {
  const ns = o.namespace;
  const action = opts.action ?? 'Backing up';
  if (!cluster.hasNamespace(ns)) throw new ServerError(20, `namespace "${ns}" not found on the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
  const narrowed = narrowedOf(o);
  const resumed = opts.resume;
  // A resumed backup's partitions are in its state: -l, --partition-list and --after-digest
  // chose them in the first run (a node of -l may be gone by now).
  const chosen = resumed === undefined ? o : { ...o, nodeList: undefined, partitionList: undefined, afterDigest: undefined };
  const scan = o.noRecords ? undefined : await scanOptionsOf(cluster, chosen, log, action);
  if (scan !== undefined && resumed !== undefined) {
    // By partition id, on whichever node serves it now: the first run's selection of
    // partitions (-l, --partition-list, --after-digest) is in the list already.
    scan.partitions = resumed.partitions;
    scan.resume = resumed.resume;
    delete scan.afterDigest;
    if (o.maxRecords > 0) scan.maxRecords = resumed.maxRecords;
    log.info(`Resuming: ${resumed.partitions.length} partition(s) left, ${resumed.resume.size} of them begun`);
  }
  let expected = 0;
  if (scan) {
    const size = await selectionSize(cluster, o, scan.partitions?.length);
    logSelection(o, size, log, action);
    expected = size.expected;
  }
  const watch = o.noClusterChange ? await watchCluster(cluster, ns, log) : undefined;
  // Excluded bins that the server cannot leave out: the records come as objects, and we
  // drop the bins (wire batches are written as they come).
  const dropBins = narrowed.dropBins === undefined ? undefined : filterItems({ excludeBins: narrowed.dropBins });
  const wire = opts.wire === true && dropBins === undefined;
  const excluded = new Set(o.excludeSets ?? []);
  // An index belongs to its set: with -s, those of other sets (and of no set) are left out,
  // as are those of excluded sets.
  const keepIndex = filterItems({ sets: narrowed.sets.length > 0 ? narrowed.sets : undefined, excludeSets: narrowed.excludeSets });
  // Batches (one per server frame) keep the per-record cost of the stages synchronous.
  async function* items(): AsyncGenerator<StreamItem[] | WireBatch> {
    if (!o.noIndexes && resumed?.metadataWritten !== true) {
      const all = await readSindexes(cluster, ns, log.verbose);
      const idx = all.filter((i) => keepIndex(i) !== undefined);
      const ofExcluded = all.filter((i) => excluded.has(i.set)).length;
      if (ofExcluded > 0) log.info(`Skipped ${ofExcluded} index(es) of excluded set(s)`);
      log.info(idx.length === 0 ? 'No secondary indexes' : `${action} ${idx.length} secondary index(es)`);
      if (idx.length > 0) yield idx;
    }
    if (!o.noUdfs && resumed?.metadataWritten !== true) {
      const udfs = await readUdfs(cluster);
      log.info(`${action} ${udfs.length} UDF file(s)`);
      if (udfs.length > 0) yield udfs;
    }
    if (scan && (resumed === undefined || (scan.partitions!.length > 0 && (o.maxRecords === 0 || resumed.maxRecords > 0)))) {
      for await (const batch of wire ? scanWire(cluster, scan) : scanBatches(cluster, scan)) {
        watch?.check();
        yield dropBins !== undefined && Array.isArray(batch) ? Object.assign(batch.map((r) => dropBins(r)!), { done: batch.done }) : batch;
      }
      watch?.check();
    }
  }
  return { items: items(), scan, expectedRecords: expected, close: () => watch?.stop() };
}

/** setsRecordCount: the records of these sets together (0 for none). */
async function setsRecordCount(cluster: Cluster, ns: string, sets: string[]): Promise<number> {
  return (await Promise.all(sets.map((s) => namespaceRecordCount(cluster, ns, s)))).reduce((a, b) => a + b, 0);
}

/** EstimateResult: the size of the backup the settings ask for, from a sample. */
export interface EstimateResult {
  /** Average bytes of one record in the .asb text. */
  recordSize: number;
  totalSize: number;
  samples: number;
  /** The .asb bytes of the sampled records. */
  sampleBytes: number;
  expectedRecords: number;
  /** How the record count (and so the total) follows from the server's counts. */
  accuracy: SelectionSize['accuracy'];
  unknownShare: string[];
}

/**
 * estimateRecordSize: samples the records the backup would hold (the whole selection:
 * sets, excluded sets and bins, sampling, time window, partitions) and estimates the size
 * of the backup.
 */
export async function estimateRecordSize(cluster: Cluster, o: BackupSettings, log: Logger): Promise<EstimateResult> {
  const ns = o.namespace;
  if (!cluster.hasNamespace(ns)) throw new ServerError(20, `namespace "${ns}" not found on the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
  // What would really be written: without the records of excluded sets, nor excluded bins.
  const narrowed = narrowedOf(o);
  const dropBins = narrowed.dropBins === undefined ? undefined : filterItems({ excludeBins: narrowed.dropBins });
  const scan = await scanOptionsOf(cluster, o, log, 'Estimating');
  scan.maxRecords = o.maxRecords > 0 ? Math.min(o.maxRecords, o.estimateSamples) : o.estimateSamples;
  const size = await selectionSize(cluster, o, scan.partitions?.length);
  logSelection(o, size, log, 'Estimating');
  let n = 0;
  let sum = 0;
  for await (const rec of scanPartitions(cluster, scan)) {
    sum += encodeItem(dropBins === undefined ? rec : dropBins(rec)!, o.compact).length;
    n++;
  }
  const recordSize = n === 0 ? 0 : Math.ceil(sum / n);
  const totalSize = Math.ceil(size.expected * recordSize * 1.1);
  return { recordSize, totalSize, samples: n, sampleBytes: sum, expectedRecords: size.expected, accuracy: size.accuracy, unknownShare: size.unknownShare };
}
