// In-memory Aerospike dev cluster speaking the real wire protocol (server CE 8.1.2
// behaviour), for tests and demos. See docs/devserver.md.
import { Cluster, MAX_RACK_ID, type BatchFault, type NodeState } from './cluster.js';
export type { BatchFault } from './cluster.js';
import { CITRUSLEAF_EPOCH } from '../protocol/constants.js';
import type { DevSecurityOptions, DevTlsOptions } from './security.js';

export type { DevSecurityOptions, DevTlsOptions, DevUser } from './security.js';

export interface DevServerOptions {
  /** Number of nodes (default 1). */
  nodes?: number;
  /** Namespaces (default ['test', 'bar']). */
  namespaces?: string[];
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** First node's port; the others follow. 0 (default) = ephemeral ports for every node. */
  port?: number;
  /** Replication factor (default 2, capped at the number of live nodes). */
  replicationFactor?: number;
  /** Log sink (default: nothing). */
  log?: (line: string) => void;
  /** Enable security: users (bcrypt credentials), sessions, roles. */
  security?: DevSecurityOptions;
  /** Listen with TLS (a certificate per node possible); peers-tls-std lists TLS names. */
  tls?: DevTlsOptions;
  /**
   * Rack id of each node (node i: racks[i], 0 when missing). Racks are an Enterprise
   * feature: with them the cluster answers as server EE 8.1.2 does (`rack-ids`, `racks`,
   * the edition) and places the replicas of a partition on different racks where it can.
   */
  racks?: number[];
  /**
   * How long (ms) the other nodes keep a stopped node in the cluster before they take over
   * its partitions, as a real cluster keeps a node until its heartbeat times out (interval
   * x timeout: 150 ms x 10 = 1.5 s by default). Meanwhile their partition maps and peers
   * lists still name it, and a command for one of its partitions that reaches another node
   * is proxied to it and times out. Default 0: at once.
   */
  nodeTimeoutMs?: number;
  /** How long (ms) migrations stay pending after a node leaves or joins a running cluster (default 0). */
  migrationMs?: number;
  /**
   * The service's batch-index-threads (get-config:context=service); 0 disables batch
   * commands (answered with result 150, as a server with batch-index-threads 0). Default:
   * the number of CPUs, as the server's.
   */
  batchIndexThreads?: number;
  /**
   * Every namespace's nsup-period (s, default 120). With 0 (and allow-ttl-without-nsup
   * false, as here), the server refuses to write a record with a TTL: FORBIDDEN (22), as a
   * real 8.1 server does (rw_utils.h is_ttl_disallowed).
   */
  nsupPeriod?: number;
}

export interface DevBin {
  name: string;
  type: number;
  data: Buffer;
}

export interface DevRecord {
  set: string;
  key?: { type: number; data: Buffer };
  generation: number;
  /** Seconds since 2010-01-01; 0 = never expires. */
  voidTime: number;
  /** ms since the Unix epoch. */
  lastUpdate: number;
  bins: DevBin[];
}

export interface DevNode {
  readonly id: string;
  readonly port: number;
  /** Closes the listener and every connection (like a crash); the cluster rebalances (after nodeTimeoutMs). */
  stop(): Promise<void>;
  /** Listens again on the same port; the cluster rebalances back. */
  start(): Promise<void>;
}

export interface DevFaults {
  /** Namespace/statistics migration counters > 0, cluster-stable with ignore-migrations=false fails. */
  migrationsPending(on: boolean): void;
  /** Scans answer partition-done 11 for this partition and skip it; its records' reads and writes answer 11. */
  partitionUnavailable(pid: number | null): void;
  /** The next scan stream destroys its socket after sending n records. */
  dropConnectionAfterRecords(n: number | null): void;
  /** Delay every reply by ms. */
  slowReplies(ms: number): void;
  /** New cluster key and partition generation. */
  clusterChange(): void;
  /** The next batch commands meet these faults, one each, in order (see BatchFault). */
  batchFaults(faults: BatchFault[]): void;
}

/** ScannedPartitions: which node served which partitions to scans (ascending; a partition served twice is listed twice). */
export type ScannedPartitions = Record<string, number[]>;

export interface DevServer {
  readonly seeds: Array<{ host: string; port: number }>;
  readonly nodes: DevNode[];
  /** The server's clock (Unix ms): it runs on from wherever it is set or advanced to. */
  readonly clock: { now(): number; advance(ms: number): void; set(unixMs: number): void };
  readonly faults: DevFaults;
  put(ns: string, set: string, digest: Buffer, bins: DevBin[], opts?: { key?: { type: number; data: Buffer }; ttl?: number; generation?: number }): void;
  get(ns: string, digest: Buffer): DevRecord | undefined;
  count(ns: string): number;
  truncate(ns: string, set?: string): void;
  /** scanned: the partitions each node (by id) served to scans since the last call. */
  scanned(): ScannedPartitions;
  close(): Promise<void>;
}

class Node implements DevNode {
  constructor(private readonly state: NodeState) {}
  get id(): string { return this.state.id; }
  get port(): number { return this.state.port; }
  stop(): Promise<void> { return this.state.stop(); }
  start(): Promise<void> { return this.state.start(); }
}

/** startDevServer: starts every node and returns once all of them listen. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const nNodes = opts.nodes ?? 1;
  if (!Number.isInteger(nNodes) || nNodes < 1 || nNodes > 64) throw new Error(`bad node count ${nNodes}`);
  if (opts.racks?.some((r) => !Number.isInteger(r) || r < 0 || r > MAX_RACK_ID) || (opts.racks?.length ?? 0) > nNodes) {
    throw new Error(`bad rack ids ${opts.racks!.join(',')}: one per node at most, each 0..${MAX_RACK_ID}`);
  }
  const cluster = new Cluster({
    nodes: nNodes,
    namespaces: opts.namespaces ?? ['test', 'bar'],
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    replicationFactor: opts.replicationFactor ?? 2,
    log: opts.log ?? (() => {}),
    security: opts.security,
    tls: opts.tls,
    racks: opts.racks,
    nodeTimeoutMs: opts.nodeTimeoutMs,
    migrationMs: opts.migrationMs,
    batchIndexThreads: opts.batchIndexThreads,
    nsupPeriod: opts.nsupPeriod,
  });
  try {
    for (const n of cluster.nodes) await n.start();
    cluster.started = true;
  } catch (e) {
    for (const n of cluster.nodes) await n.stop();
    throw e;
  }
  const nodes = cluster.nodes.map((s) => new Node(s));
  return {
    get seeds() { return cluster.nodes.map((n) => ({ host: n.host, port: n.port })); },
    nodes,
    clock: {
      now: () => cluster.now(),
      advance: (ms: number) => { cluster.clockOffset += ms; },
      set: (unixMs: number) => { cluster.clockOffset = unixMs - Date.now(); },
    },
    faults: {
      migrationsPending: (on) => { cluster.faultState.migrations = on; },
      partitionUnavailable: (pid) => { cluster.faultState.unavailablePid = pid; },
      dropConnectionAfterRecords: (n) => { cluster.faultState.dropAfterRecords = n; },
      slowReplies: (ms) => { cluster.faultState.slowMs = Math.max(0, ms); },
      clusterChange: () => cluster.bumpCluster(),
      batchFaults: (f) => { cluster.faultState.batch.push(...f); },
    },
    put: (ns, set, digest, bins, o) => cluster.helperPut(ns, set, digest, bins, o),
    get: (ns, digest) => {
      const space = cluster.namespace(ns);
      if (!space) return undefined;
      const r = cluster.getLive(space, digest);
      if (!r) return undefined;
      return {
        set: r.set,
        key: r.key ? { type: r.key[0]!, data: Buffer.from(r.key.subarray(1)) } : undefined,
        generation: r.generation,
        voidTime: r.voidTime,
        lastUpdate: r.lastUpdate,
        bins: r.bins.map((b) => ({ name: b.name, type: b.type, data: Buffer.from(b.data) })),
      };
    },
    count: (ns) => cluster.count(ns),
    truncate: (ns, set) => {
      if (!cluster.namespace(ns)) throw new Error(`no namespace ${ns}`);
      cluster.truncate(ns, set);
    },
    scanned: () => {
      const out: ScannedPartitions = {};
      for (const n of cluster.nodes) {
        const pids: number[] = [];
        n.scanned.forEach((times, pid) => { for (let i = 0; i < times; i++) pids.push(pid); });
        out[n.id] = pids;
        n.scanned.fill(0);
      }
      return out;
    },
    close: async () => {
      for (const n of cluster.nodes) await n.stop();
    },
  };
}

/** voidTimeToDate: a void time as a Date (undefined for 0 = never). */
export function voidTimeToDate(voidTime: number): Date | undefined {
  return voidTime === 0 ? undefined : new Date((voidTime + CITRUSLEAF_EPOCH) * 1000);
}
export { startDevServerThread, type DevServerThread } from './worker.js';
