// Reading an S3 object: its size and ETag from HeadObject, then ranged GETs in parallel,
// each pinned to that ETag with If-Match, handed out in order. An object replaced while
// it is read fails with S3_CHANGED instead of mixing two versions.
import { setMaxListeners } from 'node:events';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { AsError } from '../errors.js';
import { MiB } from './options.js';
import { s3Error, type S3Target } from './s3-errors.js';
import type { S3Store } from './s3-store.js';
import { objectParams, s3Url, type S3Location } from './s3-url.js';

/** S3ObjectInfo: what HeadObject says of an object. */
export interface S3ObjectInfo {
  size: number;
  etag: string;
}

/** The C tool's download chunk: 5 MiB per ranged GET. */
export const DOWNLOAD_CHUNK = 5 * MiB;

/**
 * Chunks one object reads ahead by default. The C tool keeps --s3-max-async-downloads (32)
 * chunks of 5 MiB in flight: 160 MiB per object, which alone breaks our flat-memory bound.
 * Six keep a local or nearby endpoint busy at the rate a restore consumes.
 */
export const READ_AHEAD_CHUNKS = 6;

/** The pieces a chunk is handed on in (a local file's read size). */
const READ_PIECE = 256 * 1024;

/**
 * explain: HeadObject answers errors without a body, so a 403 or 404 does not say whether
 * the key, the bucket or the credentials are at fault. One ranged GET of the first byte
 * does; its error is the one reported.
 */
async function explain(store: S3Store, loc: S3Location, headError: unknown, op: string): Promise<never> {
  const t: S3Target = { op, ...loc };
  try {
    await store.client.send(new GetObjectCommand({ ...objectParams(loc), Range: 'bytes=0-0' }));
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 403 || status === 404) throw s3Error(e, t, store.endpoint, 1);
  }
  throw headError;
}

/** statS3Object: size and ETag; S3_NO_KEY, S3_NO_BUCKET, S3_CREDENTIALS... when it cannot. */
export async function statS3Object(store: S3Store, loc: S3Location, signal?: AbortSignal): Promise<S3ObjectInfo> {
  const t: S3Target = { op: 'HeadObject', ...loc };
  try {
    const r = await store.call(t, (s) => store.client.send(new HeadObjectCommand(objectParams(loc)), { abortSignal: s }), signal);
    return { size: r.ContentLength ?? 0, etag: r.ETag ?? '' };
  } catch (e) {
    if (e instanceof AsError && (e.code === 'S3_NO_KEY' || e.code === 'S3_ACCESS_DENIED')) await explain(store, loc, e, 'HeadObject');
    throw e;
  }
}

/** Options of readS3Object. */
export interface S3ReadOptions {
  /** Size and ETag already known (from statS3Object or a listing): no HeadObject. */
  info?: S3ObjectInfo;
  /** Bytes per ranged GET (default 5 MiB). */
  chunkSize?: number;
  /** Most chunks fetched ahead of the reader (default READ_AHEAD_CHUNKS; upper bound: the store's download limit). */
  window?: number;
  signal?: AbortSignal;
}

/**
 * readS3Object: the object's bytes as Buffers in order, in pieces of at most 256 KiB. Memory: at most
 * `window` chunks, fetched or in flight; the store's download limiter caps the GETs of
 * every object read at once. Breaking out of the loop cancels what is in flight.
 */
export async function* readS3Object(store: S3Store, loc: S3Location, o: S3ReadOptions = {}): AsyncGenerator<Buffer> {
  const stop = new AbortController();
  setMaxListeners(Infinity, stop.signal); // one listener per GET in flight, at most the window
  const onAbort = () => stop.abort(o.signal!.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const info = o.info ?? await statS3Object(store, loc, stop.signal);
  const chunk = o.chunkSize ?? DOWNLOAD_CHUNK;
  const chunks = Math.ceil(info.size / chunk);
  const window = Math.max(1, Math.min(o.window ?? READ_AHEAD_CHUNKS, store.downloads.max));
  const url = s3Url(loc);
  const changed = (why: string) => new AsError('S3_CHANGED', `${url} changed while it was being read (${why}); another writer replaced it, read it again once it is complete`, { value: url });

  const fetchChunk = async (i: number): Promise<Buffer> => {
    const start = i * chunk;
    const end = Math.min(info.size, start + chunk) - 1;
    await store.downloads.acquire(stop.signal);
    try {
      return await store.call({ op: 'GetObject', ...loc, part: i + 1 }, async (signal) => {
        const r = await store.client.send(new GetObjectCommand({ ...objectParams(loc), Range: `bytes=${start}-${end}`, IfMatch: info.etag || undefined }), { abortSignal: signal });
        // Belt and braces for a server that ignores If-Match.
        if (info.etag && r.ETag && r.ETag !== info.etag) throw changed(`ETag ${r.ETag}, expected ${info.etag}`);
        const total = /\/(\d+)$/.exec(r.ContentRange ?? '')?.[1];
        if (total !== undefined && Number(total) !== info.size) throw changed(`size ${total}, expected ${info.size}`);
        // Straight into one buffer of the range's size: no list of pieces to join. A failed
        // try's buffer is left to the GC (its answer may still be arriving into it).
        const want = end - start + 1;
        const body = store.buffer(want);
        let got = 0;
        for await (const piece of r.Body as AsyncIterable<Uint8Array>) {
          if (got + piece.length > want) throw new AsError('S3_REQUEST', `${url}: more than the ${want} bytes asked for at offset ${start}`, { value: url });
          body.set(piece, got);
          got += piece.length;
        }
        if (got !== want) {
          throw new AsError('S3_UNAVAILABLE', `${url}: the answer was cut short, ${got} of ${want} bytes at offset ${start}`, { value: url });
        }
        return body;
      }, stop.signal);
    } finally {
      store.downloads.release();
    }
  };

  const pending: Array<Promise<Buffer>> = [];
  const start = (i: number) => {
    const p = fetchChunk(i);
    p.catch(() => undefined); // awaited in order below; a later chunk's failure waits its turn
    pending[i] = p;
  };
  try {
    for (let i = 0; i < Math.min(window, chunks); i++) start(i);
    for (let i = 0; i < chunks; i++) {
      const body = await pending[i]!;
      delete pending[i];
      if (i + window < chunks) start(i + window);
      // In pieces the size a local file is read in: a decoder turns what it is given into one
      // batch of records, and a 5 MiB batch held at every stage at once costs 100s of MiB.
      // Copies, so the range's buffer is free for the next range once they are made (a view
      // kept by a later stage would hold all 5 MiB).
      for (let off = 0; off < body.length; off += READ_PIECE) yield Buffer.from(body.subarray(off, off + READ_PIECE));
      store.spare(body);
    }
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
    if (pending.some((p) => p !== undefined)) {
      stop.abort(new AsError('INCOMPLETE', `${url}: read cancelled`, { value: url }));
      await Promise.allSettled(pending.filter((p) => p !== undefined));
    }
  }
}

