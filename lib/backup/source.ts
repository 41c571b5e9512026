// What a backup reads from the cluster: index definitions, UDF modules, then the records of
// a partition scan with the selection applied on the server. Shared by asbackup and as-scan.
import { Cluster } from '../cluster/cluster.js';
import { scanBatches, scanPartitions, scanWire, type ScanOptions } from '../cluster/scan.js';
import { readSindexes, readUdfs, namespaceRecordCount, clusterStable } from '../cluster/metadata.js';
import { andCompiled, compile, selectionFilter } from '../protocol/expression.js';
import { filterItems, narrowSelection, type Narrowed } from '../stages/filter.js';
import { PARTITIONS } from '../protocol/constants.js';
import { partitionId } from '../protocol/digest.js';
import { IncompleteError, ServerError, UsageError } from '../errors.js';
import { encodeItem } from '../asb/encode.js';
import type { Logger } from '../log.js';
import type { StreamItem, WireBatch } from '../records/types.js';
import type { BackupSettings, PartitionFilter, SourceSettings } from './settings.js';

/** A prepared backup source. */
export interface BackupSource {
  items: AsyncGenerator<StreamItem[] | WireBatch>;
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

/** scanOptions: the scan the options ask for. */
export function scanOptionsOf(cluster: Cluster, o: SourceSettings, log: Logger): ScanOptions {
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
    socketTimeoutMs: o.socketTimeout,
    totalTimeoutMs: o.totalTimeout,
    maxRetries: o.maxRetries,
    sleepBetweenRetriesMs: o.sleepBetweenRetries,
    log: log.verbose,
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
    scan.partitions = cluster.partitionsOfNodes(ns, o.nodeList);
    if (scan.partitions.length === 0) throw new UsageError(`--node-list: none of ${o.nodeList.map((h) => `${h.host}:${h.port}`).join(', ')} is the master of any partition of ${ns}`);
    log.info(`Backing up ${scan.partitions.length} of ${PARTITIONS} partitions (masters in --node-list)`);
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

/**
 * backupSource: prepares what a backup reads, in the order it is written. With `wire`,
 * records come as WireBatches (the selection is applied on the server, so no client-side
 * stage needs them as objects).
 */
export async function backupSource(cluster: Cluster, o: SourceSettings, log: Logger, opts: { wire?: boolean } = {}): Promise<BackupSource> {
  const ns = o.namespace;
  if (!cluster.hasNamespace(ns)) throw new ServerError(20, `namespace "${ns}" not found on the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
  const narrowed = narrowedOf(o);
  const sets = narrowed.sets;
  let expected = 0;
  if (!o.noRecords) {
    expected = sets.length === 0 ? await namespaceRecordCount(cluster, ns) - await setsRecordCount(cluster, ns, narrowed.excludeSets) : await setsRecordCount(cluster, ns, sets);
    if (o.percent < 100) expected = Math.round((expected * o.percent) / 100);
    if (o.maxRecords > 0) expected = Math.min(expected, o.maxRecords);
    const without = narrowed.excludeSets.length > 0 ? ` without set(s) ${narrowed.excludeSets.join(',')}` : '';
    log.info(`${sets.length === 0 ? `Namespace ${ns}${without} contains` : `Set(s) ${sets.join(',')} contain`} ${expected} record(s)`);
  }
  const scan = o.noRecords ? undefined : scanOptionsOf(cluster, o, log);
  const watch = o.noClusterChange ? await watchCluster(cluster, ns, log) : undefined;
  // Excluded bins that the server cannot leave out: the records come as objects, and we
  // drop the bins (wire batches are written as they come).
  const dropBins = narrowed.dropBins === undefined ? undefined : filterItems({ excludeBins: narrowed.dropBins });
  const wire = opts.wire === true && dropBins === undefined;
  const excluded = new Set(o.excludeSets ?? []);
  // Batches (one per server frame) keep the per-record cost of the stages synchronous.
  async function* items(): AsyncGenerator<StreamItem[] | WireBatch> {
    if (!o.noIndexes) {
      const all = await readSindexes(cluster, ns, log.verbose);
      const idx = all.filter((i) => !excluded.has(i.set));
      if (idx.length < all.length) log.info(`Skipped ${all.length - idx.length} index(es) of excluded set(s)`);
      log.info(idx.length === 0 ? 'No secondary indexes' : `Backing up ${idx.length} secondary index(es)`);
      if (idx.length > 0) yield idx;
    }
    if (!o.noUdfs) {
      const udfs = await readUdfs(cluster);
      log.info(`Backing up ${udfs.length} UDF file(s)`);
      if (udfs.length > 0) yield udfs;
    }
    if (scan) {
      for await (const batch of wire ? scanWire(cluster, scan) : scanBatches(cluster, scan)) {
        watch?.check();
        yield dropBins !== undefined && Array.isArray(batch) ? batch.map((r) => dropBins(r)!) : batch;
      }
      watch?.check();
    }
  }
  return { items: items(), expectedRecords: expected, close: () => watch?.stop() };
}

/** setsRecordCount: the records of these sets together (0 for none). */
async function setsRecordCount(cluster: Cluster, ns: string, sets: string[]): Promise<number> {
  return (await Promise.all(sets.map((s) => namespaceRecordCount(cluster, ns, s)))).reduce((a, b) => a + b, 0);
}

/** estimateRecordSize: encodes a sample of records and reports the size of the backup. */
export async function estimateRecordSize(cluster: Cluster, o: BackupSettings, log: Logger): Promise<{ recordSize: number; totalSize: number; samples: number; sampleBytes: number; expectedRecords: number }> {
  const ns = o.namespace;
  if (!cluster.hasNamespace(ns)) throw new ServerError(20, `namespace "${ns}" not found on the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
  // What would really be written: without the records of excluded sets, nor excluded bins.
  const narrowed = narrowedOf(o);
  const expected = await namespaceRecordCount(cluster, ns) - await setsRecordCount(cluster, ns, narrowed.excludeSets);
  const dropBins = narrowed.dropBins === undefined ? undefined : filterItems({ excludeBins: narrowed.dropBins });
  const scan = scanOptionsOf(cluster, { ...o, maxRecords: 0, percent: 100, modifiedAfter: undefined, modifiedBefore: undefined, noTtlOnly: false, filterExp: undefined, nodeList: undefined, partitionList: undefined, afterDigest: undefined }, log);
  scan.maxRecords = o.estimateSamples;
  let n = 0;
  let sum = 0;
  for await (const rec of scanPartitions(cluster, scan)) {
    sum += encodeItem(dropBins === undefined ? rec : dropBins(rec)!, o.compact).length;
    n++;
  }
  const recordSize = n === 0 ? 0 : Math.ceil(sum / n);
  const totalSize = Math.ceil(expected * recordSize * 1.1);
  return { recordSize, totalSize, samples: n, sampleBytes: sum, expectedRecords: expected };
}
