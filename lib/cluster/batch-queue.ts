// A bounded queue of record batches between scan streams (producers) and the scan's
// consumer. Producers wait when it is full, so a slow consumer stops the socket reads.
import type { RecordBatch, WireBatch } from '../records/types.js';

/** A batch of records: objects, or still in wire form. */
export type Batch = RecordBatch | WireBatch;

/** BatchQueue: `push` + `waitSpace` on the producer side, `take` on the consumer side. */
export class BatchQueue {
  private items: Batch[] = [];
  private head = 0;
  private consumer: (() => void) | undefined;
  private producers: Array<() => void> = [];
  private finished = false;
  private aborted = false;

  // Bytes of the wire-form batches queued.
  private bytes = 0;

  /** At most `max` batches, and (once one is queued) `maxBytes` of wire-form frames. */
  constructor(private readonly max: number, private readonly maxBytes = Infinity) {}

  /** True when producers should wait before reading more. */
  get full(): boolean {
    const n = this.items.length - this.head;
    return (n >= this.max || (n > 0 && this.bytes >= this.maxBytes)) && !this.aborted;
  }

  push(batch: Batch): void {
    if (this.aborted) return;
    this.bytes += sizeOf(batch);
    this.items.push(batch);
    const c = this.consumer;
    this.consumer = undefined;
    c?.();
  }

  /** waitSpace: resolves once the queue is below its limit (or aborted). */
  async waitSpace(): Promise<void> {
    while (this.full) await new Promise<void>((r) => this.producers.push(r));
  }

  /** take: the next batch, or null once finished (or aborted) and empty. */
  async take(): Promise<Batch | null> {
    for (;;) {
      if (this.head < this.items.length) {
        const b = this.items[this.head]!;
        this.items[this.head++] = undefined as unknown as Batch;
        this.bytes -= sizeOf(b);
        if (this.head > 1024) {
          this.items = this.items.slice(this.head);
          this.head = 0;
        }
        this.wakeProducers();
        return b;
      }
      if (this.finished || this.aborted) return null;
      await new Promise<void>((r) => (this.consumer = r));
    }
  }

  /** finish: no more batches will come. */
  finish(): void {
    this.finished = true;
    const c = this.consumer;
    this.consumer = undefined;
    c?.();
  }

  /** abort: drop everything, release every waiter. */
  abort(): void {
    this.aborted = true;
    this.items = [];
    this.head = 0;
    this.bytes = 0;
    this.wakeProducers();
    this.finish();
  }

  private wakeProducers(): void {
    if (this.producers.length === 0) return;
    const ps = this.producers;
    this.producers = [];
    for (const p of ps) p();
  }
}

// A wire-form batch's frame body; batches of objects count by number only.
function sizeOf(b: Batch): number {
  return Array.isArray(b) ? 0 : b.body.length;
}
