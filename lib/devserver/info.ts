// Info protocol (proto type 1) answers of a dev node, in the formats of server CE 8.1.2 (EE
// 8.1.2 when racks are configured: rack-ids and racks answer).
import { createHash } from 'node:crypto';
import type { Cluster, NodeState } from './cluster.js';
import { tlsNameOf } from './security.js';

/** Per-connection info state. */
export interface InfoConnState {
  userAgent?: string;
}

const FEATURES =
  'batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;sindex-exists;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;truncate-namespace;udf';

/** A secondary index definition. */
export interface SindexDef {
  ns: string;
  name: string;
  set: string | null;
  bin: string | null;
  /** numeric | string | blob | geo2dsphere */
  type: string;
  /** default | list | mapkeys | mapvalues | set */
  indextype: string;
  context: string | null;
  exp: string | null;
}

function edition(cluster: Cluster): string {
  return cluster.enterprise ? 'Enterprise Edition' : 'Community Edition';
}

/** parseCommand: name, positional args and k=v params of an info command. */
export function parseCommand(cmd: string): { name: string; args: string[]; params: Map<string, string> } {
  const m = /[/:;]/.exec(cmd);
  const name = m ? cmd.slice(0, m.index) : cmd;
  let rest = m ? cmd.slice(m.index) : '';
  const args: string[] = [];
  const params = new Map<string, string>();
  if (rest.startsWith('/')) {
    const colon = rest.indexOf(':');
    const path = colon >= 0 ? rest.slice(1, colon) : rest.slice(1);
    args.push(...path.split('/'));
    rest = colon >= 0 ? rest.slice(colon) : '';
  }
  if (rest.startsWith(':') || rest.startsWith(';')) {
    for (const kv of rest.slice(1).split(';')) {
      if (kv === '') continue;
      const eq = kv.indexOf('=');
      if (eq < 0) params.set(kv, '');
      else params.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
  }
  return { name, args, params };
}

/** answerInfo: the whole answer body for a request body. */
export function answerInfo(cluster: Cluster, node: NodeState, conn: InfoConnState, body: Buffer): Buffer {
  const text = body.toString('utf8');
  // The real server answers a request without a trailing newline with an empty body.
  if (!text.endsWith('\n')) return Buffer.alloc(0);
  const cmds = text.slice(0, -1).split('\n');
  let out = '';
  for (const cmd of cmds) {
    if (cmd === '') continue;
    out += cmd + '\t' + infoValue(cluster, node, conn, cmd) + '\n';
  }
  return Buffer.from(out, 'utf8');
}

function peersValue(cluster: Cluster, node: NodeState, withTlsNames = false): string {
  const peers = cluster.members().filter((n) => n !== node);
  const list = peers.map((p) => `[${p.id},${withTlsNames ? tlsNameOf(cluster.tls, p.index) : ''},[${p.host}${p.port === 3000 ? '' : ':' + p.port}]]`).join(',');
  return `${cluster.peersGeneration},3000,[${list}]`;
}

function replicasValue(cluster: Cluster, node: NodeState, withRegime: boolean, max?: number): string {
  const n = cluster.effectiveRf();
  const cols = max !== undefined ? Math.max(0, Math.min(n, max)) : n;
  const maps = cluster.replicaMaps(node);
  return cluster.namespaceNames
    .map((ns) => `${ns}:${withRegime ? '0,' : ''}${cols}${cols > 0 ? ',' : ''}${maps.slice(0, cols).join(',')}`)
    .join(';');
}

function namespaceValue(cluster: Cluster, node: NodeState, ns: string): string {
  const st = cluster.nodeNamespaceStats(node, ns);
  const mig = cluster.migrationsPending() ? 1 : 0;
  const nowVoid = Math.floor(cluster.now() / 1000) - 1262304000;
  const kv: Array<[string, string | number | boolean]> = [
    ['ns_cluster_size', cluster.members().length],
    ['effective_replication_factor', cluster.effectiveRf()],
    ['objects', st.objects],
    ['tombstones', 0],
    ['xdr_tombstones', 0],
    ['xdr_bin_cemeteries', 0],
    ['mrt_provisionals', 0],
    ['master_objects', st.master],
    ['master_tombstones', 0],
    ['prole_objects', st.prole],
    ['prole_tombstones', 0],
    ['non_replica_objects', 0],
    ['non_replica_tombstones', 0],
    ['unreplicated_records', 0],
    ['dead_partitions', 0],
    ['unavailable_partitions', 0],
    ['auto_revived_partitions', 0],
    ['clock_skew_stop_writes', false],
    ['stop_writes', false],
    ['hwm_breached', false],
    ['current_time', nowVoid],
    ['non_expirable_objects', st.nonExpirable],
    ['expired_objects', 0],
    ['evicted_objects', 0],
    ['evict_ttl', 0],
    ['evict_void_time', 0],
    ['smd_evict_void_time', 0],
    ['nsup_cycle_duration', 0],
    ['nsup_cycle_deleted_pct', '0.00'],
    ['truncate_lut', cluster.namespace(ns)!.nsTruncateLut === 0 ? 0 : cluster.namespace(ns)!.nsTruncateLut - 1262304000000],
    ['truncating', false],
    ['index_used_bytes', st.objects * 64],
    ['data_used_bytes', st.bytes],
    ['data_compression_ratio', '1.000'],
    ['migrate_tx_partitions_imbalance', 0],
    ['migrate_tx_instances', 0],
    ['migrate_rx_instances', 0],
    ['migrate_tx_partitions_active', 0],
    ['migrate_rx_partitions_active', 0],
    ['migrate_tx_partitions_initial', mig * 100],
    ['migrate_tx_partitions_remaining', mig * 100],
    ['migrate_tx_partitions_lead_remaining', mig * 100],
    ['migrate_rx_partitions_initial', mig * 100],
    ['migrate_rx_partitions_remaining', mig * 100],
    ['migrate_records_skipped', 0],
    ['migrate_records_transmitted', 0],
    ['migrate_record_retransmits', 0],
    ['migrate_record_receives', 0],
    ['migrate_signals_active', 0],
    ['migrate_signals_remaining', 0],
    ['migrate_fresh_partitions', 0],
    ['allow-ttl-without-nsup', false],
    ['default-read-touch-ttl-pct', 0],
    ['default-ttl', 0],
    ['disallow-null-setname', false],
    ['max-record-size', 1048576],
    ['nsup-period', cluster.nsupPeriod],
    ['partition-tree-sprigs', 256],
    ['rack-id', node.rack],
    ['replication-factor', cluster.rf],
    ['strong-consistency', false],
  ];
  return kv.map(([k, v]) => `${k}=${v}`).join(';');
}

// rack-ids (EE): the node's rack in each namespace, `ns:rack;...`, as the C client parses it.
function rackIdsValue(cluster: Cluster, node: NodeState): string {
  return cluster.namespaceNames.map((ns) => `${ns}:${node.rack}`).join(';');
}

// racks (EE): the nodes of each rack, `rack_<id>=<node>,<node>:rack_<id>=...` per namespace,
// racks in ascending order (thr_info.c namespace_rack_info).
function racksOf(cluster: Cluster): string {
  const byRack = new Map<number, string[]>();
  for (const n of cluster.members()) byRack.set(n.rack, [...(byRack.get(n.rack) ?? []), n.id]);
  return [...byRack].sort((a, b) => a[0] - b[0]).map(([rack, ids]) => `rack_${rack}=${ids.join(',')}`).join(':');
}

function racksValue(cluster: Cluster, ns: string | undefined): string {
  if (ns !== undefined) return cluster.namespace(ns) ? racksOf(cluster) : 'ERROR:20:namespace not found on node';
  return cluster.namespaceNames.map((n) => `ns=${n}:${racksOf(cluster)}`).join(';');
}

function setProps(objects: number, bytes: number, truncLut: number, sindexes: number): string {
  const lut = truncLut === 0 ? 0 : truncLut - 1262304000000;
  return `objects=${objects}:tombstones=0:data_used_bytes=${bytes}:truncate_lut=${lut}:sindexes=${sindexes}:index_populating=false:truncating=false:default-read-touch-ttl-pct=0:default-ttl=0:disable-eviction=false:enable-index=false:stop-writes-count=0:stop-writes-size=0`;
}

function setsValue(cluster: Cluster, node: NodeState, nsNames: string[], onlySet?: string): string {
  let out = '';
  for (const ns of nsNames) {
    const counts = cluster.nodeSetStats(node, ns);
    const space = cluster.namespace(ns)!;
    for (const set of space.sets) {
      if (onlySet !== undefined && set !== onlySet) continue;
      const c = counts.get(set) ?? { objects: 0, bytes: 0 };
      const nSindex = [...(cluster.sindexes.get(ns)?.values() ?? [])].filter((s) => s.set === set).length;
      const props = setProps(c.objects, c.bytes, space.truncateLut.get(set) ?? 0, nSindex);
      out += onlySet !== undefined ? `${props};` : `ns=${ns}:set=${set}:${props};`;
    }
  }
  return out;
}

function statisticsValue(cluster: Cluster, node: NodeState): string {
  let objects = 0;
  for (const ns of cluster.namespaceNames) objects += cluster.nodeNamespaceStats(node, ns).objects;
  const kv: Array<[string, string | number | boolean]> = [
    ['failed_best_practices', false],
    ['cluster_size', cluster.members().length],
    ['cluster_key', cluster.clusterKey],
    ['cluster_generation', cluster.clusterGeneration],
    ['cluster_principal', cluster.principal()],
    ['cluster_min_compatibility_id', 15],
    ['cluster_max_compatibility_id', 15],
    ['cluster_integrity', true],
    ['cluster_is_member', true],
    ['cluster_duplicate_nodes', 'null'],
    ['cluster_clock_skew_stop_writes_sec', 0],
    ['cluster_clock_skew_ms', 0],
    ['cluster_clock_skew_outliers', 'null'],
    ['uptime', Math.floor((Date.now() - node.startedAt) / 1000)],
    ['objects', objects],
    ['tombstones', 0],
    ['info_queue', 0],
    ['rw_in_progress', 0],
    ['proxy_in_progress', 0],
    ['tree_gc_queue', 0],
    ['client_connections', node.connections.size],
    ['client_connections_opened', node.connectionsOpened],
    ['client_connections_closed', node.connectionsOpened - node.connections.size],
    ['long_queries_active', 0],
    ['batch_index_initiate', node.batchIndex.initiate],
    ['batch_index_complete', node.batchIndex.complete],
    ['batch_index_error', node.batchIndex.error],
    ['paxos_principal', cluster.principal()],
    ['time_since_rebalance', Math.floor((Date.now() - cluster.rebalancedAt) / 1000)],
    ['migrate_allowed', true],
    ['migrate_partitions_remaining', cluster.migrationsPending() ? 100 : 0],
  ];
  return kv.map(([k, v]) => `${k}=${v}`).join(';');
}

function sindexEntry(s: SindexDef): string {
  if (s.indextype === 'set') return `ns=${s.ns}:indexname=${s.name}:set=${s.set}:indextype=set`;
  return `ns=${s.ns}:indexname=${s.name}:set=${s.set ?? 'null'}:bin=${s.bin ?? 'null'}:type=${s.type}:indextype=${s.indextype}:context=${s.context ?? 'null'}:exp=${s.exp ?? 'null'}:state=RW`;
}

const SINDEX_TYPES: Record<string, string> = { NUMERIC: 'numeric', INTEGER: 'numeric', STRING: 'string', BLOB: 'blob', GEO2DSPHERE: 'geo2dsphere' };
const SINDEX_INDEXTYPES: Record<string, string> = { DEFAULT: 'default', LIST: 'list', MAPKEYS: 'mapkeys', MAPVALUES: 'mapvalues', SET: 'set' };

function sindexCreate(cluster: Cluster, p: Map<string, string>): string {
  const ns = p.get('namespace') ?? p.get('ns');
  const name = p.get('indexname');
  if (ns === undefined || name === undefined) return 'ERROR:4:invalid command';
  if (!cluster.namespace(ns)) return 'ERROR:4:namespace not found';
  if (name.length === 0 || name.length >= 64) return 'ERROR:205:invalid index name';
  let bin = p.get('bin') ?? null;
  let type = p.get('type');
  const indexdata = p.get('indexdata');
  if (indexdata !== undefined) {
    if (type !== undefined || bin !== null) return 'ERROR:4:invalid command';
    const parts = indexdata.split(',');
    if (parts.length !== 2) return 'ERROR:4:bad indexdata';
    bin = parts[0]!;
    type = parts[1]!;
  }
  const indextype = SINDEX_INDEXTYPES[(p.get('indextype') ?? 'DEFAULT').toUpperCase()];
  if (indextype === undefined) return 'ERROR:4:bad indextype';
  let typeName = '';
  if (indextype !== 'set') {
    typeName = SINDEX_TYPES[(type ?? '').toUpperCase()] ?? '';
    if (typeName === '') return 'ERROR:4:bad type';
    if (bin === null && p.get('exp') === undefined) return 'ERROR:4:invalid command';
  }
  let map = cluster.sindexes.get(ns);
  if (!map) cluster.sindexes.set(ns, (map = new Map()));
  if (map.has(name)) return 'ERROR:200:index already exists';
  map.set(name, { ns, name, set: p.get('set') ?? null, bin, type: typeName, indextype, context: p.get('context') ?? null, exp: p.get('exp') ?? null });
  return 'ok';
}

function udfPut(cluster: Cluster, p: Map<string, string>): string {
  const filename = p.get('filename');
  const content = p.get('content');
  const len = p.get('content-len');
  if (!filename || content === undefined || len === undefined) return 'error=invalid_udf_put';
  if (filename.includes('/') || filename.length > 127) return 'error=invalid_filename';
  if (Number(len) !== content.length) return 'error=invalid_content_len';
  if ((p.get('udf-type') ?? 'LUA') !== 'LUA') return 'error=invalid_udf_type';
  const bytes = Buffer.from(content, 'base64');
  if (bytes.length > 1024 * 1024) return 'error=too_large';
  cluster.udfs.set(filename, bytes);
  return 'ok';
}

// get-config:context=service: the keys of server 8.1.2 (cfg_info.c cfg_get_service) with a
// default configuration; paths a real node would show are null.
function serviceConfig(cluster: Cluster, node: NodeState): string {
  const kv: Array<[string, string | number | boolean]> = [
    ['advertise-ipv6', false], ['auto-pin', 'none'], ['batch-index-threads', cluster.batchIndexThreads], ['batch-max-buffers-per-queue', 255],
    ['batch-max-requests', cluster.batchMaxRequests], ['batch-max-unused-buffers', 256], ['cgroup-mem-tracking', false], ['cluster-name', 'null'],
    ['debug-allocations', false], ['disable-udf-execution', false], ['enable-benchmarks-fabric', false], ['enable-health-check', false],
    ['enable-hist-info', false], ['enforce-best-practices', false], ['indent-allocations', false], ['info-max-ms', 10000], ['info-threads', 16],
    ['keep-caps-ssd-health', false], ['log-local-time', false], ['log-millis', false], ['microsecond-histograms', false], ['migrate-fill-delay', 0],
    ['migrate-max-num-incoming', 4], ['migrate-threads', 1], ['min-cluster-size', 1], ['node-id', node.id.toLowerCase()], ['node-id-interface', 'null'],
    ['os-group-perms', false], ['pidfile', 'null'], ['poison-allocations', false], ['proto-fd-idle-ms', 0], ['proto-fd-max', 15000],
    ['quarantine-allocations', 0], ['query-max-done', 100], ['query-threads-limit', 128], ['run-as-daemon', true], ['secrets-address-port', 'null'],
    ['secrets-tls-context', 'null'], ['secrets-uds-path', 'null'], ['service-threads', 2], ['sindex-builder-threads', 4], ['sindex-gc-period', 10],
    ['stay-quiesced', false], ['ticker-interval', 10], ['tls-refresh-period', 86400], ['transaction-max-ms', 1000], ['transaction-retry-ms', 1002],
    ['vault-ca', 'null'], ['vault-namespace', 'null'], ['vault-path', 'null'], ['vault-token-file', 'null'], ['vault-url', 'null'], ['work-directory', 'null'],
  ];
  return kv.map(([k, v]) => `${k}=${v}`).join(';');
}

function infoValue(cluster: Cluster, node: NodeState, conn: InfoConnState, cmd: string): string {
  const { name, args, params } = parseCommand(cmd);
  const svc = `${node.host}:${node.port}`;
  switch (name) {
    case 'node': return node.id;
    case 'build': return '8.1.2.0';
    case 'version': return `Aerospike ${edition(cluster)} build 8.1.2.0`;
    case 'edition': return `Aerospike ${edition(cluster)}`;
    case 'release': return `edition=Aerospike ${edition(cluster)};version=8.1.2.0;os=debian12;arch=x86_64;sha=devserver`;
    case 'cluster-name': return 'null';
    case 'status': return 'ok';
    case 'partition-generation': return String(cluster.partitionGeneration);
    case 'rebalance-generation': return String(cluster.rebalanceGeneration);
    case 'peers-generation': return String(cluster.peersGeneration);
    case 'peers-clear-std': case 'peers-clear-alt': return peersValue(cluster, node);
    case 'peers-tls-std': case 'peers-tls-alt': return cluster.tls ? peersValue(cluster, node, true) : 'ERROR:25:enterprise only';
    // Enterprise only in the server's info table (thr_info.c): a CE node refuses them.
    case 'rack-ids': return cluster.enterprise ? rackIdsValue(cluster, node) : 'ERROR:25:enterprise only';
    case 'racks': return cluster.enterprise ? racksValue(cluster, params.get('namespace')) : 'ERROR:25:enterprise only';
    case 'service': case 'service-clear-std': case 'service-clear-alt': return svc;
    case 'services': case 'services-alternate':
      return cluster.members().filter((n) => n !== node).map((n) => `${n.host}:${n.port}`).join(';');
    case 'replicas': {
      const max = params.get('max');
      return replicasValue(cluster, node, true, max === undefined ? undefined : Number(max));
    }
    case 'replicas-all': return replicasValue(cluster, node, false);
    case 'replicas-master': {
      const maps = cluster.replicaMaps(node);
      return cluster.namespaceNames.map((ns) => `${ns}:${maps[0]}`).join(';');
    }
    case 'partitions': return '4096';
    case 'features': return FEATURES;
    case 'namespaces': return cluster.namespaceNames.join(';');
    case 'namespace': {
      const ns = args[0] ?? '';
      return cluster.namespace(ns) ? namespaceValue(cluster, node, ns) : 'type=unknown';
    }
    case 'sets': {
      if (args.length === 0 || args[0] === '') return setsValue(cluster, node, cluster.namespaceNames);
      if (!cluster.namespace(args[0]!)) return 'ns_type=unknown';
      if (args.length >= 2) return setsValue(cluster, node, [args[0]!], args[1]!);
      return setsValue(cluster, node, [args[0]!]);
    }
    case 'statistics': return statisticsValue(cluster, node);
    case 'get-config': {
      const context = params.get('context');
      if (context === undefined) return 'ERROR:4:missing required parameter \'context\'';
      if (context === 'service') return serviceConfig(cluster, node);
      return 'ERROR:4:invalid context';
    }
    case 'cluster-stable': {
      const size = params.get('size');
      if (size !== undefined && Number(size) !== cluster.members().length) return 'ERROR:7:cluster not specified size';
      const ns = params.get('namespace');
      if (ns !== undefined && !cluster.namespace(ns)) return 'ERROR:4:unknown namespace';
      const ignore = params.get('ignore-migrations');
      if (ignore !== 'true' && cluster.migrationsPending()) return 'ERROR:7:unstable cluster';
      return cluster.clusterKey;
    }
    case 'sindex-list': {
      const ns = params.get('ns') ?? params.get('namespace');
      const list: SindexDef[] = [];
      for (const [n, m] of cluster.sindexes) if (ns === undefined || ns === n) list.push(...m.values());
      return list.map(sindexEntry).join(';');
    }
    case 'sindex-create': return sindexCreate(cluster, params);
    case 'sindex-delete': {
      const ns = params.get('namespace') ?? params.get('ns');
      const iname = params.get('indexname');
      if (ns === undefined || iname === undefined) return 'ERROR:4:invalid command';
      const m = cluster.sindexes.get(ns);
      if (!m || !m.delete(iname)) return 'ERROR:201:index does not exist';
      return 'ok';
    }
    case 'sindex': {
      if (args.length < 2) return 'ERROR:4:invalid command';
      const s = cluster.sindexes.get(args[0]!)?.get(args[1]!);
      if (!s) return 'ERROR:201:no index';
      return 'entries=0;used_bytes=0;entries_per_bval=0;entries_per_rec=0;load_pct=100;load_time=0;stat_gc_recs=0';
    }
    case 'udf-list': {
      let out = '';
      for (const [f, c] of cluster.udfs) out += `filename=${f},hash=${createHash('sha1').update(c).digest('hex')},type=LUA;`;
      return out;
    }
    case 'udf-get': {
      const f = params.get('filename');
      if (f === undefined || f === '') return 'error=invalid_filename';
      const c = cluster.udfs.get(f);
      if (!c) return 'error=not_found';
      if (c.length === 0) return 'error=empty';
      return `type=LUA;content=${c.toString('base64')};`;
    }
    case 'udf-put': return udfPut(cluster, params);
    case 'udf-remove': {
      const f = params.get('filename');
      if (f === undefined) return 'error=invalid_filename';
      return cluster.udfs.delete(f) ? 'ok' : 'error=file_not_found';
    }
    case 'user-agent-set': {
      const v = params.get('value');
      if (v === undefined) return 'ERROR:4:missing value';
      if (conn.userAgent !== undefined) return 'ERROR:4:already set';
      conn.userAgent = Buffer.from(v, 'base64').toString('utf8');
      return 'ok';
    }
    case 'truncate': case 'truncate-namespace': {
      const ns = params.get('namespace');
      if (ns === undefined || !cluster.namespace(ns)) return 'ERROR:4:namespace not found';
      const set = name === 'truncate' ? params.get('set') : undefined;
      const lut = params.get('lut');
      let beforeMs: number | undefined;
      if (lut !== undefined) {
        const v = BigInt(lut);
        beforeMs = Number(v / 1000000n);
        if (beforeMs > cluster.now()) return 'ERROR:4:would truncate in the future';
      }
      cluster.truncate(ns, set, beforeMs);
      return 'ok';
    }
    default: return 'ERROR:4:unrecognized command';
  }
}
