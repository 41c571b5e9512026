// A write whose partition has no known master waits for the cluster to re-form (issue #19).
// When a node dies, our client drops it at once (its port refuses), but the surviving nodes
// keep it as the partition's master until their heartbeat times out (1.5 s by default) and
// only then take its partitions over. Waiting for that is not a failed write: it uses up no
// retry, and it is bounded by its own budget (--partition-wait).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../cluster/cluster.js';
import type { Node } from '../cluster/node.js';
import { AsError, ConnectError } from '../errors.js';

/** Default of --partition-wait, ms: several times a real cluster's heartbeat timeout (150 ms x 10) plus a tend. */
export const DEFAULT_PARTITION_WAIT_MS = 10_000;

/** How often the partition map is asked for again while writes wait for a master. */
const POLL_MS = 200;

/** Options of PartitionWait. */
export interface PartitionWaitOptions {
  /** How long one write may wait for its partition's master (ms). */
  budgetMs: number;
  sleep?: (ms: number) => Promise<unknown>;
  /** Monotonic ms clock (tests; default performance.now). */
  now?: () => number;
  /** Info lines: when a wait starts and when the map healed. */
  log?: (msg: string) => void;
  /** The progress line's note while writes wait (undefined: no longer). */
  note?: (text: string | undefined) => void;
}

/** NoMaster: no node took a partition over within the budget (finalError adds the records written). */
export class NoMaster extends AsError {
  constructor(readonly namespace: string, readonly pid: number, readonly waitedMs: number, readonly lostNode: string, readonly why: string) {
    super('PARTITION_UNAVAILABLE', `no node took over partition ${pid} of namespace ${namespace} within ${waitedMs} ms (--partition-wait) after node ${lostNode} left${why === '' ? '' : ` (${why})`}`, { value: pid });
  }
}

/**
 * PartitionWait: writes whose partition has no master wait here, asking for the map again
 * every POLL_MS, each up to the budget. It holds the state of an outage (since when, which
 * partitions, which node) to say what happened, hence a class.
 */
export class PartitionWait {
  private waiting = 0;
  private since = 0;
  private readonly outage = new Set<string>();
  private lostNodes = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly cluster: Cluster, private readonly o: PartitionWaitOptions) {
    this.now = o.now ?? (() => performance.now());
  }

  /**
   * master: the partition's master, at once when the map has one, else once the cluster has
   * handed the partition to a node. Throws NoMaster when none came within the budget, a
   * ConnectError when no node of the cluster is left, NAMESPACE_NOT_FOUND for a namespace
   * no node ever had.
   */
  async master(ns: string, pid: number): Promise<Node> {
    const now = this.cluster.masterOf(ns, pid);
    if (now !== undefined) return now;
    if (!this.cluster.hasNamespace(ns) && !this.cluster.hadNamespace(ns)) {
      throw new AsError('NAMESPACE_NOT_FOUND', `namespace ${ns} not found in the cluster`, { value: ns });
    }
    // --partition-wait 0: no wait at all.
    if (this.o.budgetMs <= 0) throw this.noMaster(ns, pid);
    const start = this.now();
    this.begin(ns, pid);
    try {
      for (;;) {
        await (this.o.sleep ?? sleep)(POLL_MS);
        await this.cluster.refresh().catch(() => undefined);
        const node = this.cluster.masterOf(ns, pid);
        if (node !== undefined) return node;
        if (this.now() - start >= this.o.budgetMs) throw this.noMaster(ns, pid);
      }
    } finally {
      this.end();
    }
  }

  private begin(ns: string, pid: number): void {
    this.outage.add(`${ns}:${pid}`);
    const former = this.cluster.formerMaster(ns, pid);
    if (former !== undefined) this.lostNodes.add(`${former}`);
    if (this.waiting++ > 0) return;
    this.since = this.now();
    const left = former === undefined ? 'its node left' : `node ${former} left`;
    this.o.log?.(`Partition ${pid} of namespace ${ns} has no master (${left}): writes wait up to ${this.o.budgetMs / 1000} s (--partition-wait) for the cluster to re-form`);
    this.o.note?.('waiting for the cluster to re-form');
  }

  private end(): void {
    if (--this.waiting > 0) return;
    const s = ((this.now() - this.since) / 1000).toFixed(1);
    const from = this.lostNodes.size === 0 ? '' : ` of node ${[...this.lostNodes].join(', ')}`;
    this.o.log?.(`The cluster re-formed after ${s} s: writes to ${this.outage.size} partition(s)${from} waited and went on to the nodes that took them over`);
    this.o.note?.(undefined);
    this.outage.clear();
    this.lostNodes = new Set();
  }

  private noMaster(ns: string, pid: number): Error {
    if (this.cluster.nodes.length === 0) {
      const lost = this.cluster.lost;
      const why = 'no node of the cluster answers';
      return new ConnectError(lost[0]?.split(': ')[0] ?? '', lost.length > 0 ? `${lost.join('; ')} (${why})` : why);
    }
    const former = this.cluster.formerMaster(ns, pid);
    const dropped = former === undefined ? '' : (this.cluster.whyDropped(former) ?? '');
    const why = former !== undefined && dropped.startsWith(former.address) ? dropped.slice(former.address.length).replace(/^:\s*/, '') : dropped;
    return new NoMaster(ns, pid, this.o.budgetMs, former === undefined ? '(unknown)' : `${former}`, why);
  }
}
