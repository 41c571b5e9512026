// The throttle stage: holds items back so that no more than a given number of bytes or
// items per second pass. Waiting here stops pulling from upstream, so the scan slows too
// (backpressure), as the seed's --nice promises.
import { setTimeout as sleep } from 'node:timers/promises';

/** Limits; 0 or undefined means no limit. */
export interface ThrottleOptions<T = unknown> {
  bytesPerSecond?: number;
  itemsPerSecond?: number;
  /** How many items one stream element holds (a batch); 1 by default. */
  countOf?: (item: T) => number;
  /** Clock in ms (tests). */
  now?: () => number;
  /** Waits ms (tests; default a timer). */
  sleep?: (ms: number) => Promise<unknown>;
}

/**
 * throttle: passes items through at the given rates. The budget is counted from the
 * start, so short bursts even out and the long-run rate is exact.
 */
export async function* throttle<T>(items: AsyncIterable<T>, sizeOf: (item: T) => number, opts: ThrottleOptions<T>): AsyncGenerator<T> {
  const bps = opts.bytesPerSecond ?? 0;
  const ips = opts.itemsPerSecond ?? 0;
  if (bps <= 0 && ips <= 0) {
    yield* items;
    return;
  }
  const now = opts.now ?? (() => performance.now());
  const wait = opts.sleep ?? sleep;
  const start = now();
  let bytes = 0;
  let count = 0;
  for await (const item of items) {
    // Wait until the budget so far covers what has already passed, then let this one go.
    const dueMs = Math.max(bps > 0 ? (bytes / bps) * 1000 : 0, ips > 0 ? (count / ips) * 1000 : 0);
    const ms = start + dueMs - now();
    if (ms > 1) await wait(ms);
    bytes += sizeOf(item);
    count += opts.countOf ? opts.countOf(item) : 1;
    yield item;
  }
}
