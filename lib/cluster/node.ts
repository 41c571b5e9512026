// One server node: its name and address, a pool of idle connections, and the
// generations the tender compares to know when peers or partitions changed.
import { Connection, formatAddress, type ConnectionOptions } from './connection.js';
import { ConnectError } from '../errors.js';

/** How many idle connections a node keeps for reuse. */
const MAX_IDLE = 16;

/**
 * Node: a cluster member. Connections are borrowed with `acquire` and given back with
 * `release` (healthy ones are kept idle for the next command); `info` does both.
 */
export class Node {
  readonly address: string;
  /** Last peers-generation seen (-1 = peers never fetched). */
  peersGeneration = -1;
  /** Last partition-generation seen (-1 = partition map never fetched). */
  partitionGeneration = -1;
  /** Last rebalance-generation seen (-1 = racks never fetched). */
  rebalanceGeneration = -1;
  /** The node's rack in each namespace (rack-ids, server EE); undefined when unknown. */
  racks: Map<string, number> | undefined;
  /** Consecutive failed tends. */
  failures = 0;
  /** False once the node was dropped from the cluster. */
  active = true;
  private idle: Connection[] = [];
  private open = new Set<Connection>();

  constructor(readonly name: string, readonly host: string, readonly port: number, private readonly connOpts: ConnectionOptions = {}) {
    this.address = formatAddress(host, port);
  }

  /** acquire: an idle connection, or a new one. */
  async acquire(what = 'connecting'): Promise<Connection> {
    for (;;) {
      const c = this.idle.pop();
      if (c === undefined) break;
      if (c.healthy) return c;
      this.drop(c);
    }
    const c = await Connection.open(this.host, this.port, this.connOpts, what);
    // Closed while connecting (a seed that lost the race, a dropped node): not ours to keep.
    if (!this.active) {
      c.close();
      throw new ConnectError(this.address, `${this.address}: connection no longer wanted while ${what}`);
    }
    this.open.add(c);
    return c;
  }

  /** release: gives a connection back; a broken (or surplus) one is closed. */
  release(c: Connection, reusable = true): void {
    if (reusable && this.active && c.healthy && this.idle.length < MAX_IDLE) this.idle.push(c);
    else this.drop(c);
  }

  private drop(c: Connection): void {
    c.close();
    this.open.delete(c);
  }

  /** info: info commands on a pooled connection; see Connection.info. */
  async info(commands: string[], opts: { what?: string; check?: boolean } = {}): Promise<Map<string, string>> {
    const c = await this.acquire(opts.what ?? `asking ${commands.join(', ')}`);
    let ok = false;
    try {
      const out = await c.info(commands, opts);
      ok = true;
      return out;
    } finally {
      this.release(c, ok);
    }
  }

  /** infoValue: the value of one info command (in-band errors throw). */
  async infoValue(command: string, what?: string): Promise<string> {
    const m = await this.info([command], what === undefined ? {} : { what });
    return m.get(command) ?? '';
  }

  /** close: closes every connection, borrowed ones included. */
  close(): void {
    this.active = false;
    for (const c of this.open) c.close();
    this.open.clear();
    this.idle = [];
  }

  toString(): string {
    return `${this.name} ${this.address}`;
  }
}
