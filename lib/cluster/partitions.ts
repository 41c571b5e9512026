// Partition maps: which node holds which partition of each namespace, from the `replicas`
// info value (`ns:regime,n,b64map0,...,b64mapn-1;...`, maps are 4096-bit MSB-first bitmaps).
import { PARTITIONS } from '../protocol/constants.js';
import { ProtocolError } from '../errors.js';
import type { Node } from './node.js';

/** One namespace of a `replicas` value. */
export interface ReplicaEntry {
  namespace: string;
  /** Rebalance regime: 0 for AP namespaces. */
  regime: number;
  /** maps[i]: the 512-byte bitmap of partitions this node holds as replica i (0 = master). */
  maps: Buffer[];
}

/** Length of one base64 bitmap (512 bytes). */
const MAP_B64_LEN = 684;

/** parseReplicas: every namespace of a `replicas` value; a malformed value throws. */
export function parseReplicas(value: string): ReplicaEntry[] {
  const out: ReplicaEntry[] = [];
  if (value === '') return out;
  for (const part of value.split(';')) {
    if (part === '') continue;
    const colon = part.lastIndexOf(':');
    if (colon <= 0) throw new ProtocolError(`bad replicas entry ${JSON.stringify(part.slice(0, 40))}`);
    const namespace = part.slice(0, colon);
    const items = part.slice(colon + 1).split(',');
    const regime = Number(items[0]);
    const n = Number(items[1]);
    if (!Number.isInteger(regime) || !Number.isInteger(n) || n < 0 || items.length !== n + 2) {
      throw new ProtocolError(`bad replicas entry for namespace ${namespace}`);
    }
    const maps: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const b64 = items[i + 2]!;
      if (b64.length !== MAP_B64_LEN) throw new ProtocolError(`bad partition map length ${b64.length} for namespace ${namespace}`);
      maps.push(Buffer.from(b64, 'base64'));
    }
    out.push({ namespace, regime, maps });
  }
  return out;
}

/** hasPartition: bit p of a bitmap (byte p >> 3, bit 0x80 >> (p & 7)). */
export function hasPartition(map: Buffer, pid: number): boolean {
  return (map[pid >> 3]! & (0x80 >> (pid & 7))) !== 0;
}

/**
 * PartitionTable: per namespace, the owner of every partition for each replica index.
 * Each node's latest answer is kept; the table is rebuilt from all of them, applying
 * the most recent answer last, so a node's newer claim wins over an older one.
 */
export class PartitionTable {
  private byNode = new Map<Node, { seq: number; entries: ReplicaEntry[] }>();
  private seq = 0;
  private table = new Map<string, Array<Array<Node | undefined>>>();
  private seen = new Set<string>();
  // Per namespace: the dropped node that was each partition's master last.
  private former = new Map<string, Array<Node | undefined>>();

  /** update: a node's `replicas` answer. */
  update(node: Node, entries: ReplicaEntry[]): void {
    this.byNode.set(node, { seq: ++this.seq, entries });
    for (const e of entries) this.seen.add(e.namespace);
    this.rebuild();
  }

  /** remove: forgets a dropped node (noting the partitions it was master of). */
  remove(node: Node): void {
    if (!this.byNode.delete(node)) return;
    for (const [ns, owners] of this.table) {
      const masters = owners[0];
      if (masters === undefined) continue;
      let former = this.former.get(ns);
      for (let p = 0; p < PARTITIONS; p++) {
        if (masters[p] !== node) continue;
        if (former === undefined) this.former.set(ns, (former = new Array<Node | undefined>(PARTITIONS).fill(undefined)));
        former[p] = node;
      }
    }
    this.rebuild();
  }

  /** formerMaster: the dropped node that was the partition's master last, if one was (names the node lost). */
  formerMaster(ns: string, pid: number): Node | undefined {
    return this.former.get(ns)?.[pid];
  }

  private rebuild(): void {
    const t = new Map<string, Array<Array<Node | undefined>>>();
    const nodes = [...this.byNode.entries()].sort((a, b) => a[1].seq - b[1].seq);
    for (const [node, { entries }] of nodes) {
      for (const e of entries) {
        let owners = t.get(e.namespace);
        if (owners === undefined) t.set(e.namespace, (owners = []));
        e.maps.forEach((map, r) => {
          const row = (owners![r] ??= new Array<Node | undefined>(PARTITIONS).fill(undefined));
          for (let p = 0; p < PARTITIONS; p++) if (hasPartition(map, p)) row[p] = node;
        });
      }
    }
    this.table = t;
  }

  /** namespaces: every namespace some node reported. */
  namespaces(): string[] {
    return [...this.table.keys()];
  }

  /** has: true when the namespace is known. */
  has(ns: string): boolean {
    return this.table.has(ns);
  }

  /** hadEver: true when some node reported the namespace, even one that is gone now. */
  hadEver(ns: string): boolean {
    return this.seen.has(ns);
  }

  /** replicas: the number of replica columns known for a namespace (0 when unknown). */
  replicas(ns: string): number {
    return this.table.get(ns)?.length ?? 0;
  }

  /** owner: the node holding a partition as replica `replica` (0 = master), if any. */
  owner(ns: string, pid: number, replica = 0): Node | undefined {
    return this.table.get(ns)?.[replica]?.[pid];
  }
}
