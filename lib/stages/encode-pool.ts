// Formatting .asb text is most of a backup's CPU time. On a machine with a core to spare
// it runs in worker threads while the main thread reads sockets and writes files. Records
// cross as their wire bytes (a scan frame and its record offsets), so nothing is
// re-serialised; each job comes back as one run of .asb blocks.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { AsError, type ErrorCode } from '../errors.js';
import type { AsbRun } from '../asb/encode.js';
import type { WireBatch } from '../records/types.js';
import { moveFrameMemory, returnFrameMemory } from '../protocol/frame.js';

/** A job for a worker: one scan frame's records. */
export interface EncodeJob {
  id: number;
  namespace: string;
  body: Uint8Array;
  offsets: Uint32Array;
  /** The body is pooled frame memory: the worker sends it back (`memory` of the reply). */
  pooled: boolean;
  /** Memory of an earlier run, done with: the worker writes this job's run into it if it fits. */
  spare?: ArrayBuffer;
}

/** A worker's answer: the run, or the error that stopped it; and the pooled memory of the job, back. */
export type EncodeReply =
  | { id: number; bytes: Uint8Array; ends: Uint32Array; error?: undefined; memory?: ArrayBuffer }
  | { id: number; error: { code: string; message: string; value?: unknown }; memory?: ArrayBuffer };

/**
 * defaultEncoderThreads: none on fewer than 4 cores, where the threads only compete for the
 * same cores (measured: slower on 2 cores beside the server); else one per core beyond two,
 * at most 2: each thread costs 10-15 MiB of RSS (an isolate and its share of the runs in
 * flight), and with 3 a backup of 1 M records peaked at 154-165 MiB, over the 150 MiB a
 * backup should stay under; more are there to ask for.
 */
export function defaultEncoderThreads(cores = availableParallelism()): number {
  return cores < 4 ? 0 : Math.min(2, cores - 2);
}

interface Pending {
  resolve(run: AsbRun): void;
  reject(e: Error): void;
}

/** EncodePool: worker threads that encode wire batches (a resource: threads and their jobs). */
export class EncodePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextWorker = 0;
  private failure: Error | undefined;
  // Memory of the runs the threads made (only these are reused), and of runs done with.
  private readonly made = new WeakSet<ArrayBuffer>();
  private spares: ArrayBuffer[] = [];

  constructor(size: number, compact: boolean) {
    for (let i = 0; i < size; i++) {
      // A thread makes little garbage on its JS heap (its runs live in transferred memory): a
      // small young generation keeps each thread's share of the RSS down.
      const w = new Worker(new URL('./encode-worker.js', import.meta.url), { workerData: { compact }, resourceLimits: { maxYoungGenerationSizeMb: 2 } });
      w.on('message', (m: EncodeReply) => this.answer(m));
      w.on('error', (e) => this.broken(new AsError('ENCODER', `encoder thread failed: ${e.message}`, { cause: e })));
      w.on('exit', (code) => { if (code !== 0) this.broken(new AsError('ENCODER', `encoder thread exited with code ${code}`, { value: code })); });
      this.workers.push(w);
    }
  }

  /** Threads in the pool. */
  get size(): number {
    return this.workers.length;
  }

  /** encode: the batch's records as one .asb run, encoded on the next thread in turn. */
  encode(batch: WireBatch): Promise<AsbRun> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const { body } = batch;
    // Pooled frame memory moves to the thread and comes back for the next frames; a body that
    // is a whole buffer of its own moves too; any other is copied.
    const memory = moveFrameMemory(body);
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength && body.buffer instanceof ArrayBuffer;
    const bytes = memory !== undefined ? new Uint8Array(memory, 0, body.length) : own ? body : Uint8Array.prototype.slice.call(body);
    const job: EncodeJob = { id, namespace: batch.namespace, body: bytes, offsets: batch.offsets.slice(), pooled: memory !== undefined };
    const moved = [bytes.buffer as ArrayBuffer, job.offsets.buffer as ArrayBuffer];
    const spare = this.spares.pop();
    if (spare !== undefined) moved.push((job.spare = spare));
    const promise = new Promise<AsbRun>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    promise.catch(() => undefined); // a job nobody waits for any more (after a failure) is no crash
    const w = this.workers[this.nextWorker]!;
    this.nextWorker = (this.nextWorker + 1) % this.workers.length;
    w.postMessage(job, moved);
    return promise;
  }

  /**
   * reuse: a run of this pool that its consumer is done with (it copied the bytes): its
   * memory goes to a later job, so runs do not allocate (and leave to the collector) a
   * buffer each.
   */
  reuse(run: AsbRun): void {
    const ab = run.bytes.buffer;
    // One spare per thread, and one more, covers the jobs in flight (2 per thread, and their runs come back in turn).
    if (ab instanceof ArrayBuffer && this.made.delete(ab) && this.spares.length < this.workers.length + 1) this.spares.push(ab);
  }

  private answer(m: EncodeReply): void {
    if (m.memory !== undefined) returnFrameMemory(m.memory);
    if (m.error === undefined) this.made.add(m.bytes.buffer as ArrayBuffer);
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    if (m.error !== undefined) p.reject(new AsError(m.error.code as ErrorCode, m.error.message, { value: m.error.value }));
    else p.resolve({ kind: 'run', bytes: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), ends: m.ends });
  }

  private broken(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /** close: stops the threads; jobs still pending fail. */
  async close(): Promise<void> {
    this.failure ??= new AsError('ENCODER', 'encoder closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
