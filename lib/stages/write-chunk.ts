// Writing to a Node stream with backpressure: every sink that writes to stdout uses this.
import type { Writable } from 'node:stream';

/** writeChunk: writes one chunk; resolves once the stream can take more (drain) or rejects on its error. */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => { out.off('error', onError); resolve(); };
      const onError = (e: Error) => { out.off('drain', onDrain); reject(e); };
      out.once('drain', onDrain);
      out.once('error', onError);
    });
  }
}
