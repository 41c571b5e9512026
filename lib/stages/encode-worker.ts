// Worker-thread side of EncodePool (encode-pool.ts): encodes wire-form records to .asb runs.
import { parentPort, workerData } from 'node:worker_threads';
import { encodeWireRun } from '../asb/encode-wire.js';
import type { EncodeJob, EncodeReply } from './encode-pool.js';

const port = parentPort!;
const { compact } = workerData as { compact: boolean };

port.on('message', (job: EncodeJob) => {
  let reply: EncodeReply;
  try {
    const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const run = encodeWireRun({ namespace: job.namespace, body, offsets: job.offsets }, compact);
    // The run is a view of the reused scratch slab: hand back a copy the parent can own, in
    // the memory of an earlier run when it fits (new memory in 64 KiB steps, so it will).
    const n = run.bytes.length;
    const bytes = job.spare !== undefined && job.spare.byteLength >= n ? new Uint8Array(job.spare, 0, n) : new Uint8Array(new ArrayBuffer(Math.ceil((n + 1) / 65536) * 65536), 0, n);
    bytes.set(run.bytes);
    reply = { id: job.id, bytes, ends: run.ends };
  } catch (e) {
    const err = e as Error & { code?: string; value?: unknown };
    reply = { id: job.id, error: { code: err.code ?? 'ASB_ENCODE', message: err.message, value: err.value } };
  }
  // Pooled frame memory goes back to the reading thread's pool.
  const moved: ArrayBuffer[] = 'bytes' in reply && reply.bytes !== undefined ? [reply.bytes.buffer as ArrayBuffer, reply.ends.buffer as ArrayBuffer] : [];
  if (job.pooled) {
    reply.memory = job.body.buffer as ArrayBuffer;
    moved.push(reply.memory);
  }
  port.postMessage(reply, moved);
});
