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
    // The run is a view of the reused scratch slab: hand back a copy the parent can own.
    const bytes = new Uint8Array(run.bytes.length);
    bytes.set(run.bytes);
    reply = { id: job.id, bytes, ends: run.ends };
    port.postMessage(reply, [bytes.buffer, run.ends.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error & { code?: string; value?: unknown };
    reply = { id: job.id, error: { code: err.code ?? 'ASB_ENCODE', message: err.message, value: err.value } };
    port.postMessage(reply);
  }
});
