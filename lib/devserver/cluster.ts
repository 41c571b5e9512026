// The dev cluster: nodes (one TCP listener each), partition ownership, shared store,
// clock and fault switches.
import type { Server, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { PARTITIONS } from '../protocol/constants.js';
import { Namespace, clepochSeconds, isExpired, makeRec, type Rec, type StoredBin } from './store.js';
import type { SindexDef } from './info.js';
import { Connection } from './connection.js';
import { createNodeServer, DevSecurity, type DevSecurityOptions, type DevTlsOptions } from './security.js';

/** One node of the dev cluster. */
export class NodeState {
  server: Server | null = null;
  readonly connections = new Set<Connection>();
  connectionsOpened = 0;
  /** Batch-index commands received, answered OK, and ended with an error (statistics batch_index_*). */
  readonly batchIndex = { initiate: 0, complete: 0, error: 0 };
  /** Times each partition was served to a scan since the test last asked (DevServer.scanned). */
  scanned = new Uint32Array(PARTITIONS);
  alive = false;
  startedAt = Date.now();
  constructor(readonly cluster: Cluster, readonly index: number, readonly id: string, readonly host: string, public port: number, readonly rack = 0) {}

  async start(): Promise<void> {
    if (this.alive) return;
    const server = createNodeServer(this.cluster.tls, this.index, (socket: Socket) => this.accept(socket), this.cluster.log);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.cluster.log(`node ${this.id}: listener error: ${e.message}`));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    this.alive = true;
    this.startedAt = Date.now();
    this.cluster.nodeJoined();
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    this.alive = false;
    const server = this.server!;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    await closed;
    this.cluster.nodeLeft();
  }

  private accept(socket: Socket): void {
    if (!this.alive) {
      socket.destroy();
      return;
    }
    this.connectionsOpened++;
    const conn = new Connection(this.cluster, this, socket);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
  }
}

export interface ClusterOptions {
  nodes: number;
  namespaces: string[];
  host: string;
  port: number;
  replicationFactor: number;
  log: (line: string) => void;
  /** Users and sessions (off when absent: every command allowed, LOGIN answers 52). */
  security?: DevSecurityOptions;
  /** TLS listeners. */
  tls?: DevTlsOptions;
  /** Rack id per node: an Enterprise cluster (see DevServerOptions.racks). */
  racks?: number[];
  /** How long the others keep a stopped node (DevServerOptions.nodeTimeoutMs). */
  nodeTimeoutMs?: number;
  /** How long migrations stay pending after the cluster changed (DevServerOptions.migrationMs). */
  migrationMs?: number;
  /** service batch-index-threads (DevServerOptions.batchIndexThreads). */
  batchIndexThreads?: number;
  /** Every namespace's nsup-period (DevServerOptions.nsupPeriod). */
  nsupPeriod?: number;
}

/** The largest rack id a server accepts. */
export const MAX_RACK_ID = 1000000;

/** Fault switches state. */
export interface FaultState {
  migrations: boolean;
  unavailablePid: number | null;
  dropAfterRecords: number | null;
  slowMs: number;
  /** Batch faults still to happen, in order (DevFaults.batchFaults). */
  batch: BatchFault[];
}

/**
 * BatchFault: what happens to one batch command. `refuse`: answered with the batch-level
 * result `code` before any row runs (as a server whose batch queues are full, 152).
 * `cut`: every row runs, then the connection closes after the answers of the first
 * `afterRows` rows (0: no answer at all), as when a node or the network fails mid-answer.
 */
export type BatchFault = { kind: 'refuse'; code: number } | { kind: 'cut'; afterRows: number };

/** The shared state of every node. */
export class Cluster {
  readonly nodes: NodeState[] = [];
  readonly namespaceNames: string[];
  private readonly store = new Map<string, Namespace>();
  readonly rf: number;
  readonly udfs = new Map<string, Buffer>();
  readonly sindexes = new Map<string, Map<string, SindexDef>>();
  readonly faultState: FaultState = { migrations: false, unavailablePid: null, dropAfterRecords: null, slowMs: 0, batch: [] };
  partitionGeneration = -1;
  rebalanceGeneration = 0;
  peersGeneration = -1;
  clusterGeneration = 0;
  clusterKey = '';
  rebalancedAt = Date.now();
  clockOffset = 0;
  /** owners[pid] = node indexes in replica order (0 = master). */
  private owners: number[][] = [];
  /** The nodes the cluster counts as members: the live nodes at the last rebalance. */
  private succession: NodeState[] = [];
  /** A stopped node the others have not noticed yet: the rebalance that drops it, pending. */
  private takeover: NodeJS.Timeout | undefined;
  /** Migrations are pending until then (Date.now() ms). */
  private migratingUntil = 0;
  readonly nodeTimeoutMs: number;
  readonly migrationMs: number;
  /** service batch-index-threads: 0 refuses batch commands (result 150). */
  batchIndexThreads: number;
  /** Every namespace's nsup-period (s): 0 refuses writes of records that expire (FORBIDDEN). */
  readonly nsupPeriod: number;
  /** service batch-max-requests: rows one batch may hold. */
  readonly batchMaxRequests = 5000;
  /** Every node has started once (startDevServer): later changes are a running cluster's. */
  started = false;
  private maps = new Map<number, string[]>();
  private lastAlive = '';
  readonly log: (line: string) => void;
  readonly security: DevSecurity | undefined;
  readonly tls: DevTlsOptions | undefined;
  /** Racks are configured: the cluster answers as an Enterprise one. */
  readonly enterprise: boolean;

  constructor(opts: ClusterOptions) {
    this.security = opts.security ? new DevSecurity(opts.security, () => this.now()) : undefined;
    this.tls = opts.tls;
    this.enterprise = opts.racks !== undefined;
    this.namespaceNames = [...opts.namespaces];
    for (const ns of this.namespaceNames) {
      if (ns.length === 0 || ns.length >= 32) throw new Error(`bad namespace name '${ns}'`);
      this.store.set(ns, new Namespace(ns));
    }
    this.rf = Math.max(1, opts.replicationFactor);
    this.nodeTimeoutMs = Math.max(0, opts.nodeTimeoutMs ?? 0);
    this.migrationMs = Math.max(0, opts.migrationMs ?? 0);
    this.batchIndexThreads = opts.batchIndexThreads ?? availableParallelism();
    this.nsupPeriod = Math.max(0, opts.nsupPeriod ?? 120);
    this.log = opts.log;
    for (let i = 0; i < opts.nodes; i++) {
      const id = 'BB9' + (i + 1).toString(16).toUpperCase().padStart(12, '0');
      this.nodes.push(new NodeState(this, i, id, opts.host, opts.port === 0 ? 0 : opts.port + i, opts.racks?.[i] ?? 0));
    }
  }

  now(): number {
    return Date.now() + this.clockOffset;
  }

  namespace(ns: string): Namespace | undefined {
    return this.store.get(ns);
  }

  aliveNodes(): NodeState[] {
    return this.nodes.filter((n) => n.alive);
  }

  /**
   * members: the nodes the cluster counts as its own: the live ones, and a stopped one until
   * the others notice (nodeTimeoutMs), as a real cluster keeps a node until its heartbeat
   * times out. Peers lists, cluster size and partition maps follow the members.
   */
  members(): NodeState[] {
    return this.succession;
  }

  effectiveRf(): number {
    return Math.max(1, Math.min(this.rf, this.succession.length));
  }

  principal(): string {
    const members = this.succession;
    return members.length > 0 ? members[members.length - 1]!.id : '0';
  }

  /** nodeLeft: a node stopped; the others take over its partitions now, or after nodeTimeoutMs. */
  nodeLeft(): void {
    if (this.nodeTimeoutMs === 0) return this.reform();
    this.takeover ??= setTimeout(() => {
      this.takeover = undefined;
      this.reform();
    }, this.nodeTimeoutMs);
    this.takeover.unref();
  }

  /** nodeJoined: a node started; the cluster re-forms with it (and notices any node that left). */
  nodeJoined(): void {
    if (this.started) this.reform();
    else this.rebalance();
  }

  // A change of a running cluster: the new map, then migrations for migrationMs.
  private reform(): void {
    this.rebalance();
    if (this.started && this.migrationMs > 0) this.migratingUntil = Date.now() + this.migrationMs;
  }

  /** masterGone: the partition's master stopped and the others have not noticed yet. */
  masterGone(pid: number): boolean {
    const m = this.owners[pid]?.[0];
    return m !== undefined && !this.nodes[m]!.alive;
  }

  /** migrationsPending: the fault switch, or a cluster change less than migrationMs ago. */
  migrationsPending(): boolean {
    return this.faultState.migrations || Date.now() < this.migratingUntil;
  }

  /** rebalance: recomputes ownership after a membership change; bumps the generations. */
  rebalance(): void {
    if (this.takeover !== undefined) clearTimeout(this.takeover);
    this.takeover = undefined;
    const alive = this.aliveNodes();
    this.succession = alive;
    const sig = alive.map((n) => n.index).join(',');
    const n = this.effectiveRf();
    this.owners = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const list: number[] = [];
      if (alive.length > 0) {
        // Succession from the master on; with racks (EE rack-aware), nodes on racks the
        // partition has no copy on yet come first, so its replicas spread over the racks.
        const order = Array.from({ length: alive.length }, (_, i) => alive[(p + i) % alive.length]!);
        const picked: NodeState[] = [order[0]!];
        if (this.enterprise) for (const node of order) if (picked.length < n && !picked.some((q) => q.rack === node.rack)) picked.push(node);
        for (const node of order) if (picked.length < n && !picked.includes(node)) picked.push(node);
        for (const node of picked) list.push(node.index);
      }
      this.owners.push(list);
    }
    this.maps.clear();
    if (sig !== this.lastAlive) {
      this.peersGeneration++;
      this.lastAlive = sig;
    }
    this.bumpCluster();
  }

  /** bumpCluster: a new cluster key and partition generation (as after a rebalance). */
  bumpCluster(): void {
    this.partitionGeneration++;
    this.rebalanceGeneration++;
    this.clusterGeneration++;
    this.clusterKey = randomBytes(6).toString('hex').toUpperCase().replace(/^0+/, '') || '1';
    this.rebalancedAt = Date.now();
    this.maps.clear();
  }

  /** replicaIndex: the node's replica position for a partition, -1 when it holds none. */
  replicaIndex(node: NodeState, pid: number): number {
    return this.owners[pid]?.indexOf(node.index) ?? -1;
  }

  /** replicaMaps: base64 bitmaps, one per replica column, of the partitions a node holds. */
  replicaMaps(node: NodeState): string[] {
    let m = this.maps.get(node.index);
    if (!m) {
      const n = this.effectiveRf();
      m = [];
      for (let col = 0; col < n; col++) {
        const bits = Buffer.alloc(PARTITIONS / 8);
        for (let p = 0; p < PARTITIONS; p++) if (this.owners[p]?.[col] === node.index) bits[p >> 3]! |= 0x80 >> (p & 7);
        m.push(bits.toString('base64'));
      }
      this.maps.set(node.index, m);
    }
    return m;
  }

  /** Per-node namespace counts (records of the partitions it holds). */
  nodeNamespaceStats(node: NodeState, ns: string): { objects: number; master: number; prole: number; nonExpirable: number; bytes: number } {
    const space = this.store.get(ns)!;
    const now = this.now();
    let master = 0, prole = 0, nonExpirable = 0, bytes = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const ri = this.replicaIndex(node, p);
      if (ri < 0) continue;
      for (const r of space.partitions[p]!.records.values()) {
        if (isExpired(r, now)) continue;
        if (ri === 0) master++;
        else prole++;
        if (r.voidTime === 0) nonExpirable++;
        bytes += r.wire.length;
      }
    }
    return { objects: master + prole, master, prole, nonExpirable, bytes };
  }

  nodeSetStats(node: NodeState, ns: string): Map<string, { objects: number; bytes: number }> {
    const space = this.store.get(ns)!;
    const now = this.now();
    const out = new Map<string, { objects: number; bytes: number }>();
    for (let p = 0; p < PARTITIONS; p++) {
      if (this.replicaIndex(node, p) < 0) continue;
      for (const r of space.partitions[p]!.records.values()) {
        if (r.set === '' || isExpired(r, now)) continue;
        const c = out.get(r.set) ?? { objects: 0, bytes: 0 };
        c.objects++;
        c.bytes += r.wire.length;
        out.set(r.set, c);
      }
    }
    return out;
  }

  /** getLive: a record that exists and has not expired (expired ones are dropped). */
  getLive(ns: Namespace, digest: Buffer): Rec | undefined {
    const part = ns.partitionOf(digest);
    const id = digest.toString('latin1');
    const r = part.records.get(id);
    if (r === undefined) return undefined;
    if (isExpired(r, this.now())) {
      part.delete(id);
      return undefined;
    }
    return r;
  }

  /** store: writes a whole record. */
  storeRecord(space: Namespace, r: Omit<Rec, 'wire' | 'opsAt' | 'id'>): Rec {
    const rec = makeRec(space.name, r);
    space.partitionOf(rec.digest).set(rec);
    if (rec.set !== '') space.sets.add(rec.set);
    return rec;
  }

  truncate(ns: string, set?: string, beforeMs?: number): void {
    const space = this.store.get(ns)!;
    const lut = beforeMs ?? this.now();
    if (set !== undefined && set !== '') space.truncateLut.set(set, lut);
    else space.nsTruncateLut = lut;
    for (const part of space.partitions) {
      for (const r of [...part.records.values()]) {
        if (set !== undefined && set !== '' && r.set !== set) continue;
        if (r.lastUpdate <= lut) part.delete(r.id);
      }
    }
  }

  /** helperPut: the test helper's direct write. */
  helperPut(ns: string, set: string, digest: Buffer, bins: StoredBin[], opts: { key?: { type: number; data: Buffer }; ttl?: number; generation?: number } = {}): void {
    const space = this.store.get(ns);
    if (!space) throw new Error(`no namespace ${ns}`);
    if (digest.length !== 20) throw new Error('digest must be 20 bytes');
    const old = this.getLive(space, digest);
    const ttl = opts.ttl ?? 0;
    const now = this.now();
    this.storeRecord(space, {
      digest: Buffer.from(digest),
      set,
      key: opts.key ? Buffer.concat([Buffer.from([opts.key.type]), opts.key.data]) : undefined,
      generation: opts.generation ?? (old ? (old.generation % 0xffff) + 1 : 1),
      voidTime: ttl === 0 || ttl === -1 ? 0 : clepochSeconds(now) + ttl,
      lastUpdate: now,
      bins: bins.map((b) => ({ name: b.name, type: b.type, data: Buffer.from(b.data) })),
    });
  }

  count(ns: string): number {
    const space = this.store.get(ns);
    if (!space) return 0;
    const now = this.now();
    let n = 0;
    for (const part of space.partitions) for (const r of part.records.values()) if (!isExpired(r, now)) n++;
    return n;
  }
}
