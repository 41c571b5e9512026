// startDevServerThread: the dev cluster in a worker thread. Needed whenever the official
// `aerospike` client runs in the same process: its connect() and info calls block the
// event loop while they wait for the server, so a server on that loop could never answer.
import { Worker } from 'node:worker_threads';
import type { BatchFault, DevBin, DevRecord, DevServerOptions, ScannedPartitions } from './index.js';

export interface DevServerThread {
  readonly seeds: Array<{ host: string; port: number }>;
  readonly nodes: Array<{ id: string; port: number; stop(): Promise<void>; start(): Promise<void> }>;
  readonly clock: { now(): Promise<number>; advance(ms: number): Promise<void>; set(unixMs: number): Promise<void> };
  readonly faults: {
    migrationsPending(on: boolean): Promise<void>;
    partitionUnavailable(pid: number | null): Promise<void>;
    dropConnectionAfterRecords(n: number | null): Promise<void>;
    slowReplies(ms: number): Promise<void>;
    clusterChange(): Promise<void>;
    batchFaults(faults: BatchFault[]): Promise<void>;
  };
  put(ns: string, set: string, digest: Buffer, bins: DevBin[], opts?: { key?: { type: number; data: Buffer }; ttl?: number; generation?: number }): Promise<void>;
  get(ns: string, digest: Buffer): Promise<DevRecord | undefined>;
  count(ns: string): Promise<number>;
  truncate(ns: string, set?: string): Promise<void>;
  scanned(): Promise<ScannedPartitions>;
  close(): Promise<void>;
}

const toBuf = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** startDevServerThread: like startDevServer, with the server running in a worker thread. */
export async function startDevServerThread(opts: DevServerOptions = {}): Promise<DevServerThread> {
  const { log, ...rest } = opts;
  // A larger young generation: a server allocates per request, and scavenges of a big
  // semi-space are cheaper than promoting short-lived request objects.
  const worker = new Worker(new URL('./thread.js', import.meta.url), { workerData: { ...rest, withLog: log !== undefined }, resourceLimits: { maxYoungGenerationSizeMb: 96 } });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let closed = false;
  const ready = new Promise<{ seeds: Array<{ host: string; port: number }>; nodes: Array<{ id: string; port: number }> }>((resolve, reject) => {
    worker.on('message', (m: { ready?: boolean; error?: string; log?: string; id?: number; result?: unknown; seeds?: never; nodes?: never }) => {
      if (m.log !== undefined) { log?.(m.log); return; }
      if (m.ready !== undefined) {
        if (m.ready) resolve({ seeds: m.seeds!, nodes: m.nodes! });
        else reject(new Error(m.error));
        return;
      }
      const p = pending.get(m.id!);
      if (!p) return;
      pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    worker.on('error', (e) => {
      reject(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
    });
    worker.on('exit', () => {
      for (const p of pending.values()) p.reject(new Error('dev server thread exited'));
      pending.clear();
    });
  });
  const info = await ready;
  const call = <T>(method: string, ...args: unknown[]): Promise<T> => {
    if (closed) return Promise.reject(new Error('dev server thread is closed'));
    return new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });
  };
  return {
    seeds: info.seeds,
    nodes: info.nodes.map((n, i) => ({ id: n.id, port: n.port, stop: () => call<void>('stopNode', i), start: () => call<void>('startNode', i) })),
    clock: { now: () => call<number>('now'), advance: (ms) => call<void>('advance', ms), set: (ms) => call<void>('setClock', ms) },
    faults: {
      migrationsPending: (on) => call('fault', 'migrationsPending', on),
      partitionUnavailable: (pid) => call('fault', 'partitionUnavailable', pid),
      dropConnectionAfterRecords: (n) => call('fault', 'dropConnectionAfterRecords', n),
      slowReplies: (ms) => call('fault', 'slowReplies', ms),
      clusterChange: () => call('fault', 'clusterChange'),
      batchFaults: (f) => call('fault', 'batchFaults', f),
    },
    put: (ns, set, digest, bins, o) => call('put', ns, set, digest, bins, o),
    get: async (ns, digest) => {
      const r = await call<DevRecord | undefined>('get', ns, digest);
      if (!r) return r;
      return { ...r, key: r.key ? { type: r.key.type, data: toBuf(r.key.data) } : undefined, bins: r.bins.map((b) => ({ ...b, data: toBuf(b.data) })) };
    },
    count: (ns) => call<number>('count', ns),
    truncate: (ns, set) => call<void>('truncate', ns, set),
    scanned: () => call<ScannedPartitions>('scanned'),
    close: async () => {
      if (closed) return;
      await call<void>('close');
      closed = true;
      await worker.terminate();
    },
  };
}
