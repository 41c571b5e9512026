// Everything a backup reads besides records: secondary indexes, UDF modules, record
// counts, and the "is the cluster stable" check.
import { AsError, ProtocolError, ServerError } from '../errors.js';
import { parseKeyValues } from '../protocol/info.js';
import type { SindexItem, UdfItem } from '../records/types.js';
import type { Cluster } from './cluster.js';

const BIN_TYPES: Record<string, SindexItem['binType']> = {
  numeric: 'N', integer: 'N', string: 'S', blob: 'B', geo2dsphere: 'G', geojson: 'G',
};
const INDEX_TYPES: Record<string, SindexItem['indexType']> = {
  default: 'N', none: 'N', list: 'L', mapkeys: 'K', mapvalues: 'V',
};

/**
 * parseSindexList: the items of a `sindex-list` value in any grammar (8.1 with `exp=`,
 * 6.1-8.0, <= 6.0 upper-case). Set indexes and expression indexes are skipped: they have
 * no `.asb` form. A `null`/`NULL` set is ''; a `null` context is none.
 */
export function parseSindexList(value: string, log: (m: string) => void = () => {}): SindexItem[] {
  const out: SindexItem[] = [];
  for (const entry of value.split(';')) {
    if (entry.trim() === '') continue;
    const kv = parseKeyValues(entry, ':');
    const name = kv.indexname ?? '';
    const indexType = (kv.indextype ?? 'default').toLowerCase();
    if (indexType === 'set') continue;
    if (kv.exp !== undefined && kv.exp !== 'null' && kv.exp !== 'NULL') {
      log(`skipping expression index ${name}`);
      continue;
    }
    const bin = kv.bin;
    if (bin === undefined || bin === 'null' || bin === 'NULL') {
      log(`skipping index ${name}: no bin`);
      continue;
    }
    const binType = BIN_TYPES[(kv.type ?? '').toLowerCase()];
    const it = INDEX_TYPES[indexType];
    if (binType === undefined || it === undefined || kv.ns === undefined || name === '') {
      throw new ProtocolError(`unexpected secondary index entry ${JSON.stringify(entry)}`);
    }
    const set = kv.set === undefined || kv.set === 'null' || kv.set === 'NULL' ? '' : kv.set;
    const item: SindexItem = { kind: 'sindex', namespace: kv.ns, set, name, indexType: it, bin, binType };
    const ctx = kv.context;
    if (ctx !== undefined && ctx !== 'null' && ctx !== 'NULL' && ctx !== '') item.context = ctx;
    out.push(item);
  }
  return out;
}

/** readSindexes: the secondary indexes of a namespace (b64 contexts; older servers without b64 too). */
export async function readSindexes(cluster: Cluster, ns: string, log?: (m: string) => void): Promise<SindexItem[]> {
  let value: string;
  try {
    value = await cluster.infoOne(`sindex-list:ns=${ns};b64=true`);
  } catch (e) {
    if (!(e instanceof ServerError)) throw e;
    value = await cluster.infoOne(`sindex-list:ns=${ns}`);
  }
  return parseSindexList(value, log);
}

/**
 * unreadableUdf: a module the server lists but cannot hand out (`udf-get`: empty, …). The
 * backup fails, as the official asbackup does ("Error while fetching UDF file"): a backup
 * without a module it was asked to keep is not whole. The line names the module and the ways out.
 */
function unreadableUdf(name: string, why: string, cause?: unknown): AsError {
  return new AsError('UDF_UNREADABLE', `UDF module ${name} cannot be read from the cluster (${why}); remove it (asinfo -v "udf-remove:filename=${name}") or register it again, or back up without UDF modules (--no-udfs)`, { value: name, cause });
}

/** readUdfs: every UDF module (`udf-list`, then `udf-get` for each file). */
export async function readUdfs(cluster: Cluster): Promise<UdfItem[]> {
  const list = await cluster.infoOne('udf-list');
  const out: UdfItem[] = [];
  for (const entry of list.split(';')) {
    if (entry.trim() === '') continue;
    const kv = parseKeyValues(entry, ',');
    const name = kv.filename;
    if (name === undefined) throw new ProtocolError(`unexpected udf-list entry ${JSON.stringify(entry)}`);
    if (kv.type !== undefined && kv.type.toUpperCase() !== 'LUA') continue;
    let answer: string;
    try {
      answer = await cluster.infoOne(`udf-get:filename=${name}`);
    } catch (e) {
      if (e instanceof ServerError) throw unreadableUdf(name, e.message, e);
      throw e;
    }
    const got = parseKeyValues(answer);
    if (got.content === undefined) throw new ProtocolError(`udf-get of ${name} returned no content`);
    const content = Buffer.from(got.content, 'base64');
    if (content.length === 0) throw unreadableUdf(name, 'its content is empty');
    out.push({ kind: 'udf', name, udfType: 'L', content });
  }
  return out;
}

/**
 * namespaceRecordCount: the estimated number of records (as asbackup computes it): the
 * sum of `objects` over the nodes divided by the effective replication factor. With a
 * set, objects come from `sets/<ns>/<set>`.
 */
export async function namespaceRecordCount(cluster: Cluster, ns: string, set?: string): Promise<number> {
  let objects = 0;
  let rf = 1;
  for (const [node, value] of await cluster.infoAll(`namespace/${ns}`)) {
    const kv = parseKeyValues(value);
    if (kv.type === 'unknown') throw new ServerError(20, `namespace "${ns}" not found (node ${node.address})`, node.address, 'NAMESPACE_NOT_FOUND');
    rf = Math.max(rf, Number(kv.effective_replication_factor ?? kv['replication-factor'] ?? 1) || 1);
    if (set === undefined) objects += Number(kv.objects ?? 0) || 0;
  }
  if (set !== undefined) {
    for (const value of (await cluster.infoAll(`sets/${ns}/${set}`)).values()) {
      objects += Number(parseKeyValues(value.replace(/:/g, ';')).objects ?? 0) || 0;
    }
  }
  return Math.round(objects / rf);
}

/** Result of clusterStable. */
export interface Stability {
  stable: boolean;
  /** The cluster key every node agreed on. */
  clusterKey?: string;
  /** Partitions still migrating (sum over nodes). */
  migrationsRemaining: number;
  /** Why not stable. */
  reason?: string;
}

/**
 * clusterStable: `cluster-stable:size=N;ignore-migrations=false;namespace=<ns>` on every
 * node (same key everywhere), plus the namespace's migrations remaining.
 */
export async function clusterStable(cluster: Cluster, ns: string): Promise<Stability> {
  const nodes = cluster.nodes;
  const cmd = `cluster-stable:size=${nodes.length};ignore-migrations=false;namespace=${ns}`;
  const keys = new Set<string>();
  let reason: string | undefined;
  let migrations = 0;
  await Promise.all(nodes.map(async (node) => {
    try {
      keys.add(await node.infoValue(cmd, 'checking cluster stability'));
    } catch (e) {
      if (!(e instanceof ServerError)) throw e;
      reason ??= e.message;
    }
    const kv = parseKeyValues(await node.infoValue(`namespace/${ns}`, 'reading migration state'));
    migrations += (Number(kv.migrate_tx_partitions_remaining) || 0) + (Number(kv.migrate_rx_partitions_remaining) || 0);
  }));
  if (reason === undefined && keys.size > 1) reason = `nodes disagree on the cluster key (${[...keys].join(', ')})`;
  if (reason === undefined && migrations > 0) reason = `${migrations} partition migration(s) pending`;
  const out: Stability = { stable: reason === undefined, migrationsRemaining: migrations };
  if (keys.size === 1) out.clusterKey = [...keys][0]!;
  if (reason !== undefined) out.reason = reason;
  return out;
}
