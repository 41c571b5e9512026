// Writing to a Node stream with backpressure: every sink that writes to stdout uses this.
import type { Writable } from 'node:stream';
import { AsError } from '../errors.js';

/**
 * isOutputClosed: the reader of a stream went away (EPIPE: `| head` stopped reading), or
 * the stream was closed under us: the rest of the output can never be delivered.
 */
export function isOutputClosed(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}

/** outputClosed: OUTPUT_CLOSED for a run whose reader went away after `n` things were handed on. */
export function outputClosed(n: number, what: string, tail = 'the output is incomplete'): AsError {
  return new AsError('OUTPUT_CLOSED', `output closed after ${n} ${what}(s): ${tail}`, { value: n });
}

function closedError(out: Writable): Error {
  return out.errored ?? Object.assign(new Error('the output stream is closed'), { code: 'ERR_STREAM_DESTROYED' });
}

/**
 * writeChunk: writes one chunk; resolves once the stream can take more (drain), rejects with
 * the stream's error, also when it failed or closed before this call (a later write would
 * otherwise wait for a drain that never comes).
 */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.errored || out.destroyed || out.writableEnded) throw closedError(out);
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (e?: Error): void => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (e === undefined) resolve();
      else reject(e);
    };
    const onDrain = (): void => done();
    const onError = (e: Error): void => done(e);
    const onClose = (): void => done(closedError(out));
    out.once('drain', onDrain);
    out.once('error', onError);
    out.once('close', onClose);
  });
}
