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
    // The run is written straight into memory the parent will own: an earlier run's, or new
    // memory with room for text a quarter longer than the records' wire bytes (in 64 KiB
    // steps, so later runs fit it); the encoder moves to a bigger buffer if not.
    const into = Buffer.from(job.spare ?? new ArrayBuffer(Math.ceil((body.length * 1.25 + 1) / 65536) * 65536));
    const run = encodeWireRun({ namespace: job.namespace, body, offsets: job.offsets }, compact, into);
    reply = { id: job.id, bytes: run.bytes, ends: run.ends };
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
