// The cluster as a backup client sees it: nodes found from seeds and peers, per-namespace
// partition owners, and a tender that keeps both current every second.
import { ConnectError, ServerError } from '../errors.js';
import type { ConnectionOptions } from './connection.js';
import { formatAddress } from './connection.js';
import { Node } from './node.js';
import { parseReplicas, PartitionTable } from './partitions.js';
import { parsePeers } from './peers.js';
import { parseRackIds, preferredNode } from './racks.js';
import { infoError } from '../protocol/info.js';

/** One seed host or node address (parsed from `-h` / `-l` by lib/cli/parse-values.ts). */
export interface HostAddress {
  host: string;
  port: number;
  tlsName?: string;
}

/** Options of Cluster.connect. */
export interface ClusterOptions {
  hosts: HostAddress[];
  /** Port for hosts written without one (default 3000). */
  port?: number;
  /** Use `peers-clear-alt` (alternate access addresses). */
  useServicesAlternate?: boolean;
  /**
   * Time a seed or node has to accept a connection, and then to answer each info command
   * (ms; default 5000 to connect, 30000 to answer).
   */
  timeoutMs?: number;
  /** The option that sets timeoutMs (`-T`), named where the wait is reported. */
  timeoutOption?: string;
  /** Says once what is being waited on when no seed has answered for a while. */
  notice?: (msg: string) => void;
  /** Interval of the tender (ms, default 1000; 0 = no background tending). */
  tendIntervalMs?: number;
  /** Progress and diagnostics (stderr in the programs). */
  log?: (msg: string) => void;
  /** Socket factory, login hook and the like (TLS and auth seam). */
  connection?: ConnectionOptions;
  /** Connections are TLS: peers come from `peers-tls-std` / `peers-tls-alt` with TLS names. */
  tls?: boolean;
  /** Learn each node's rack (`rack-ids`, refetched when `rebalance-generation` moves). */
  rackAware?: boolean;
  /**
   * One line each time a node joins or leaves once connected (`Add node ...`, `Remove node
   * ...`, as the official tools log them); the programs show it as an info line.
   */
  onNodeChange?: (msg: string) => void;
}

/** Failed tends in a row after which a node is dropped. */
const MAX_FAILURES = 2;
/** How long the seeds may be silent before the wait is named. */
const SEED_NOTICE_MS = 2000;

/** Cluster: connect with `Cluster.connect`, always `close()` at the end. */
export class Cluster {
  private byName = new Map<string, Node>();
  readonly partitions = new PartitionTable();
  private timer: NodeJS.Timeout | undefined;
  private tending: Promise<void> | undefined;
  private readonly log: (msg: string) => void;
  private readonly connOpts: ConnectionOptions;
  private readonly peersCommand: string;
  // Why each dropped node was dropped, by address (a node that comes back is removed).
  private readonly dropped = new Map<string, string>();
  // Set once the first tend is done: nodes that come and go after it are reported.
  private connected = false;

  private constructor(private readonly opts: ClusterOptions) {
    this.log = opts.log ?? (() => {});
    this.connOpts = { connectTimeoutMs: opts.timeoutMs ?? 5000, idleTimeoutMs: opts.timeoutMs ?? 30000, ...opts.connection };
    this.peersCommand = `peers-${opts.tls ? 'tls' : 'clear'}-${opts.useServicesAlternate ? 'alt' : 'std'}`;
  }

  /**
   * connect: seeds from the host list (see seed), discovers the peers and fetches the
   * partition maps. Fails with a ConnectError naming every host tried when none answers.
   */
  static async connect(opts: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(opts);
    await c.seed('connecting to seed');
    await c.tend();
    c.connected = true;
    const every = opts.tendIntervalMs ?? 1000;
    if (every > 0) {
      c.timer = setInterval(() => void c.refresh().catch((e) => c.log(`tend failed: ${(e as Error).message}`)), every);
      c.timer.unref();
    }
    return c;
  }

  /** nodes: the active nodes. */
  get nodes(): Node[] {
    return [...this.byName.values()];
  }

  /**
   * seed: asks every seed host at once, each within the time-out; the first that answers
   * as a node is added (the others are found as its peers, and the waits for them end).
   * After SEED_NOTICE_MS of silence, says what it is waiting for. Fails naming every host
   * and why when none answers.
   */
  private async seed(what: string): Promise<void> {
    const hosts = this.opts.hosts;
    const tried = hosts.map((h) => formatAddress(h.host, h.port));
    const probes = hosts.map((h) => this.probe(h.host, h.port, h.tlsName));
    const errors: unknown[] = new Array(hosts.length);
    let settled = false;
    const notice = setTimeout(() => {
      const limit = this.opts.timeoutMs !== undefined ? ` (at most ${this.opts.timeoutMs} ms each${this.opts.timeoutOption ? `, ${this.opts.timeoutOption}` : ''})` : '';
      this.opts.notice?.(`Waiting for seed host(s) ${tried.join(', ')} to answer${limit}`);
    }, SEED_NOTICE_MS);
    notice.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        let failed = 0;
        probes.forEach((probe, i) => {
          const h = hosts[i]!;
          this.identify(probe, what).then((id) => {
            if (settled) return;
            settled = true;
            this.adopt(id, h.host, h.port, h.tlsName);
            resolve();
          }, (e: unknown) => {
            if (settled) return;
            errors[i] = e;
            this.log(`seed ${tried[i]} failed: ${(e as Error).message}`);
            if (++failed === probes.length) {
              settled = true;
              reject();
            }
          });
        });
      });
    } catch {
      // Every seed answered and refused (login failed, not authenticated): that answer is
      // the whole story, and it already names the host.
      if (errors.every((e) => e instanceof ServerError)) throw errors[0];
      const list = tried.join(', ');
      throw new ConnectError(list, `cannot connect to any seed host (${list}): ${errors.map((e) => (e as Error).message).join('; ')}`);
    } finally {
      clearTimeout(notice);
      for (const p of probes) p.close(); // the waits still running
    }
  }

  // A throwaway node for asking a host who it is.
  private probe(host: string, port: number, tlsName?: string): Node {
    return new Node('?', host, port, tlsName === undefined ? this.connOpts : { ...this.connOpts, tlsName });
  }

  // Asks a host its node name (the probe is closed after); `expectName` for peers.
  private async identify(probe: Node, what: string, expectName?: string): Promise<{ name: string; build: string }> {
    try {
      const info = await probe.info(['node', 'partition-generation', 'build'], { what });
      const name = info.get('node') ?? '';
      if (name === '') throw new ConnectError(probe.address, `${probe.address}: no node name while ${what}`);
      if (expectName !== undefined && name !== expectName) throw new ConnectError(probe.address, `${probe.address}: node is ${name}, expected ${expectName}`);
      return { name, build: info.get('build') ?? '?' };
    } finally {
      probe.close();
    }
  }

  // Adds an identified host as a node (or returns the node already known by that name).
  private adopt(id: { name: string; build: string }, host: string, port: number, tlsName?: string): Node {
    const known = this.byName.get(id.name);
    if (known) return known;
    const node = new Node(id.name, host, port, tlsName === undefined ? this.connOpts : { ...this.connOpts, tlsName });
    this.byName.set(id.name, node);
    this.dropped.delete(node.address);
    this.log(`add node ${id.name} ${node.address} (build ${id.build})`);
    if (this.connected) this.opts.onNodeChange?.(`Add node ${node}`);
    return node;
  }

  // Validates a host as a node (by asking its name) and adds it; returns the node.
  private async addNode(host: string, port: number, what: string, expectName?: string, tlsName?: string): Promise<Node> {
    return this.adopt(await this.identify(this.probe(host, port, tlsName), what, expectName), host, port, tlsName);
  }

  /** refresh: one tend now (waits for a tend already running). */
  refresh(): Promise<void> {
    this.tending ??= this.tend().finally(() => (this.tending = undefined));
    return this.tending;
  }

  // Asks every node for its generations; refetches peers / partitions when they moved;
  // drops nodes that keep failing. With no node left, asks the seeds again (a restarted
  // node is found again while a run is still retrying).
  private async tend(): Promise<void> {
    if (this.byName.size === 0) {
      try {
        await this.seed('connecting to seed again');
      } catch (e) {
        this.log(`no node left, and no seed answers: ${(e as Error).message}`);
        return;
      }
    }
    const peersToAdd = new Map<string, { hosts: Array<{ host: string; port: number }>; tlsName: string }>();
    await Promise.all(this.nodes.map(async (node) => {
      try {
        const info = await node.info(['node', 'peers-generation', 'partition-generation', ...(this.opts.rackAware ? ['rebalance-generation'] : [])], { what: 'tending' });
        if (info.get('node') !== node.name) throw new ConnectError(node.address, `${node.address}: node name changed to ${info.get('node')}`);
        node.failures = 0;
        const pg = Number(info.get('peers-generation'));
        if (pg !== node.peersGeneration) {
          const peers = parsePeers((await node.info([this.peersCommand], { what: 'fetching peers' })).get(this.peersCommand) ?? '');
          for (const p of peers.peers) if (!this.byName.has(p.name)) peersToAdd.set(p.name, p);
          node.peersGeneration = pg;
        }
        const partGen = Number(info.get('partition-generation'));
        if (partGen !== node.partitionGeneration) {
          const r = await node.info(['partition-generation', 'replicas'], { what: 'fetching partition map' });
          this.partitions.update(node, parseReplicas(r.get('replicas') ?? ''));
          node.partitionGeneration = Number(r.get('partition-generation'));
        }
        if (this.opts.rackAware && Number(info.get('rebalance-generation')) !== node.rebalanceGeneration) await this.fetchRacks(node);
      } catch (e) {
        node.failures++;
        this.log(`node ${node} tend failed (${node.failures}): ${(e as Error).message}`);
        if (node.failures >= MAX_FAILURES || isRefused(e)) this.dropNode(node, (e as Error).message);
      }
    }));
    for (const [name, peer] of peersToAdd) {
      for (const h of peer.hosts) {
        try {
          const node = await this.addNode(h.host, h.port, 'connecting to peer', name, peer.tlsName === '' ? undefined : peer.tlsName);
          const r = await node.info(['partition-generation', 'replicas'], { what: 'fetching partition map' });
          this.partitions.update(node, parseReplicas(r.get('replicas') ?? ''));
          node.partitionGeneration = Number(r.get('partition-generation'));
          if (this.opts.rackAware) await this.fetchRacks(node);
          break;
        } catch (e) {
          this.log(`peer ${name} at ${formatAddress(h.host, h.port)} failed: ${(e as Error).message}`);
        }
      }
    }
  }

  // rack-ids is Enterprise only: a Community node refuses it in-band, and then its racks
  // stay unknown (commands that prefer racks go to masters), as with the C client.
  private async fetchRacks(node: Node): Promise<void> {
    const r = await node.info(['rebalance-generation', 'rack-ids'], { what: 'fetching rack ids', check: false });
    const value = r.get('rack-ids') ?? '';
    const refused = infoError(value);
    if (refused) {
      if (node.rebalanceGeneration === -1) this.log(`node ${node} has no rack ids (rack-ids: ${value})`);
      node.racks = undefined;
    } else node.racks = parseRackIds(value);
    node.rebalanceGeneration = Number(r.get('rebalance-generation'));
  }

  private dropNode(node: Node, why: string): void {
    if (this.byName.get(node.name) !== node) return;
    this.log(`drop node ${node}`);
    if (this.connected) this.opts.onNodeChange?.(`Remove node ${node} (${why.startsWith(node.address) ? why.slice(node.address.length).replace(/^:\s*/, '') : why})`);
    this.dropped.set(node.address, why.startsWith(node.address) ? why : `${node.address}: ${why}`);
    this.byName.delete(node.name);
    this.partitions.remove(node);
    node.close();
  }

  /** masterOf: the node currently master of a partition, if known. */
  masterOf(ns: string, pid: number): Node | undefined {
    const n = this.partitions.owner(ns, pid, 0);
    return n !== undefined && n.active ? n : undefined;
  }

  /**
   * scanNodeOf: where a command on a partition goes: the master, or with racks to prefer,
   * a live replica on the first of them that has one (the C client's PREFER_RACK).
   * `avoid`: the node the last attempt failed on.
   */
  scanNodeOf(ns: string, pid: number, preferRacks?: readonly number[], avoid?: Node): Node | undefined {
    if (preferRacks === undefined || preferRacks.length === 0) return this.masterOf(ns, pid);
    const replicas = Array.from({ length: this.partitions.replicas(ns) }, (_, r) => this.partitions.owner(ns, pid, r));
    return preferredNode(replicas, ns, preferRacks, avoid);
  }

  /**
   * formerMaster: the node that was the partition's master when it was dropped, while no
   * other node has taken the partition over (a writer waiting names the node lost).
   */
  formerMaster(ns: string, pid: number): Node | undefined {
    return this.masterOf(ns, pid) === undefined ? this.partitions.formerMaster(ns, pid) : undefined;
  }

  /** why: why a dropped node was dropped ("127.0.0.1:3000: connection refused"), if it was. */
  whyDropped(node: Node): string | undefined {
    return this.dropped.get(node.address);
  }

  /** hasNamespace: true when some node reported the namespace in its partition map. */
  hasNamespace(ns: string): boolean {
    return this.partitions.has(ns);
  }

  /** hadNamespace: true when some node ever reported the namespace, gone or not. */
  hadNamespace(ns: string): boolean {
    return this.partitions.hadEver(ns);
  }

  /** lost: why the nodes that were dropped are gone, each naming its host (none: empty). */
  get lost(): string[] {
    return [...this.dropped.values()];
  }

  /** partitionsOfNodes: partitions whose master is one of the given addresses (`--node-list`). */
  partitionsOfNodes(ns: string, addresses: HostAddress[]): number[] {
    const want = new Set(addresses.map((a) => formatAddress(a.host, a.port)));
    const out: number[] = [];
    for (let p = 0; p < 4096; p++) {
      const n = this.masterOf(ns, p);
      if (n !== undefined && want.has(n.address)) out.push(p);
    }
    return out;
  }

  /** infoAll: one info command on every node; values by node (in-band errors throw). */
  async infoAll(cmd: string): Promise<Map<Node, string>> {
    const nodes = this.nodes;
    const values = await Promise.all(nodes.map((n) => n.infoValue(cmd)));
    return new Map(nodes.map((n, i) => [n, values[i]!]));
  }

  /** infoOne: one info command on one node (the first that answers). */
  async infoOne(cmd: string): Promise<string> {
    let last: unknown = new ConnectError('', 'no node in the cluster');
    for (const n of this.nodes) {
      try {
        return await n.infoValue(cmd);
      } catch (e) {
        if (!(e instanceof ConnectError)) throw e;
        last = e;
      }
    }
    throw last;
  }

  /** close: stops tending and closes every connection. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const n of this.nodes) n.close();
    this.byName.clear();
  }
}

function isRefused(e: unknown): boolean {
  return e instanceof ConnectError && /connection refused/.test(e.message);
}
