// Racks: which rack each node is on (the `rack-ids` info value of server EE), and the node a
// rack-preferring command goes to, as the C client's PREFER_RACK replica policy picks it.
import { ProtocolError } from '../errors.js';
import type { Node } from './node.js';

/** parseRackIds: `ns:rack;ns:rack...` into rack by namespace; a malformed value throws. */
export function parseRackIds(value: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of value.split(';')) {
    if (part === '') continue;
    const colon = part.lastIndexOf(':');
    const rack = Number(part.slice(colon + 1));
    if (colon <= 0 || !/^\d+$/.test(part.slice(colon + 1)) || !Number.isSafeInteger(rack)) throw new ProtocolError(`bad rack-ids entry ${JSON.stringify(part.slice(0, 40))}`);
    out.set(part.slice(0, colon), rack);
  }
  return out;
}

/**
 * preferredNode: for each rack in the order given, the first live replica (master first) on
 * that rack; else the first live replica, which is the master while it lives. `avoid` is
 * the node the last attempt failed on: taken only when no other node holds the partition.
 */
export function preferredNode(replicas: Array<Node | undefined>, ns: string, racks: readonly number[], avoid?: Node): Node | undefined {
  let other: Node | undefined;
  let avoided: Node | undefined;
  for (const rack of racks) {
    for (const node of replicas) {
      if (node === undefined || !node.active) continue;
      if (node === avoid) avoided ??= node;
      else if (node.racks?.get(ns) === rack) return node;
      else other ??= node;
    }
  }
  return other ?? avoided;
}
