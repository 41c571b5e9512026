// S3ObjectWriter: one object written by a multipart upload, streamed with bounded memory.
//
// Why not @aws-sdk/lib-storage's Upload: it completes the object as soon as its input
// ends, so "the backup failed after the last byte" cannot keep the object from appearing;
// its queue is per upload, while our bound is per run (--s3-max-async-uploads parts over
// every file being written); and a backup's resume state needs the upload id and parts.
//
// Memory: the part being filled, plus the parts in flight: at most UPLOAD_AHEAD_PARTS of
// one object, and --s3-max-async-uploads over every object of the run (the store's upload
// limiter). write() waits for a free slot (back-pressure).
// The object appears only at complete(); abort() leaves nothing under the key.
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import {
  CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { AsError } from '../errors.js';
import { S3_MAX_OBJECT_SIZE, S3_MAX_PART_SIZE, S3_MAX_PARTS, S3_MIN_PART_SIZE, UPLOAD_AHEAD_PARTS } from './options.js';
import type { S3Target } from './s3-errors.js';
import { abortUploads } from './s3-prefix.js';
import { statS3Object } from './s3-reader.js';
import type { S3Store } from './s3-store.js';
import { s3Url, type S3Location } from './s3-url.js';

/** Options of one object upload. */
export interface WriterOptions {
  /**
   * The most bytes this object can reach (a --file-limit), if known: parts then have one
   * size, max(--s3-min-part-size or 5 MiB, expected / 10000), as in the C tool. Unknown
   * (a single -o file): parts start at that size and double every 1000 parts, so an
   * object can still reach S3's 5 TiB limit within 10000 parts.
   */
  expectedBytes?: number;
  /**
   * end() stores even an object smaller than one part (as a one-part multipart upload),
   * so a backup that ends many small files as they roll over holds none of them in memory
   * until complete(). Default: such an object waits in memory for one PutObject.
   */
  sendOnEnd?: boolean;
}

/** What complete() reports. */
export interface CompletedObject {
  url: string;
  bytes: number;
  etag: string;
}

type State = 'open' | 'ended' | 'completed' | 'aborted';

const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

/** partSizes: the size of part n (1-based) for an object, by the rule WriterOptions describes. */
export function partSizeOf(n: number, minPartSize: number | undefined, expectedBytes: number | undefined): number {
  const base = Math.max(minPartSize ?? S3_MIN_PART_SIZE, S3_MIN_PART_SIZE);
  if (expectedBytes !== undefined) return Math.min(S3_MAX_PART_SIZE, Math.max(base, Math.ceil(expectedBytes / S3_MAX_PARTS)));
  return Math.min(S3_MAX_PART_SIZE, base * 2 ** Math.floor((n - 1) / 1000));
}

export class S3ObjectWriter {
  readonly url: string;
  /** Bytes accepted by write() so far. */
  bytes = 0;
  private state: State = 'open';
  private buf: Buffer | undefined;
  private used = 0;
  private nextPart = 1;
  private id: string | undefined;
  private creating: Promise<string> | undefined;
  private readonly parts: CompletedPart[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;
  // Cancels parts in flight once the upload has failed or is being aborted.
  private readonly stop = new AbortController();

  constructor(private readonly store: S3Store, readonly location: S3Location, private readonly opts: WriterOptions = {}) {
    this.url = s3Url(location);
    // One abort listener per request in flight, which the upload limiter bounds.
    setMaxListeners(Infinity, this.stop.signal);
    if (opts.expectedBytes !== undefined && opts.expectedBytes > S3_MAX_OBJECT_SIZE) {
      throw new AsError('S3_TOO_LARGE', `${this.url}: an S3 object holds at most 5 TiB; lower --file-limit`, { value: this.url });
    }
    store.track(this);
  }

  /** uploadId: the multipart upload's id once one was started (for a resume state). */
  get uploadId(): string | undefined {
    return this.id;
  }

  private target(op: string, part?: number): S3Target {
    return { op, ...this.location, part };
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    // A bug in the caller: more data for an upload it already ended.
    if (this.state !== 'open') throw new AsError('INTERNAL', `${this.url}: write after the upload was ${this.state}`, { value: this.url });
  }

  /**
   * write: takes a copy of `chunk` (the caller may reuse its memory at once). Resolves when
   * the bytes are buffered; waits while the run already has its most parts in flight.
   */
  async write(chunk: Buffer): Promise<void> {
    this.check();
    let off = 0;
    while (off < chunk.length) {
      this.buf ??= this.store.buffer(partSizeOf(this.nextPart, this.store.settings.minPartSize, this.opts.expectedBytes));
      const n = Math.min(this.buf.length - this.used, chunk.length - off);
      chunk.copy(this.buf, this.used, off, off + n);
      this.used += n;
      off += n;
      this.bytes += n;
      if (this.used === this.buf.length) await this.sendPart();
      this.check();
    }
  }

  private ensureUpload(): Promise<string> {
    // Not cancellable: an upload created on the server must be known, so abort() can end it.
    this.creating ??= this.store.call(this.target('CreateMultipartUpload'), () =>
      this.store.client.send(new CreateMultipartUploadCommand({ Bucket: this.location.bucket, Key: this.location.key, ContentType: 'text/plain' })),
    ).then((r) => {
      if (!r.UploadId) throw new AsError('S3_REQUEST', `CreateMultipartUpload ${this.url} gave no upload id`, { value: this.url });
      return (this.id = r.UploadId);
    });
    return this.creating;
  }

  private async sendPart(): Promise<void> {
    const part = this.buf!;
    const body = part.subarray(0, this.used);
    const n = this.nextPart++;
    this.buf = undefined;
    this.used = 0;
    if (n > S3_MAX_PARTS) {
      throw (this.failure = new AsError('S3_TOO_LARGE', `${this.url}: more than ${S3_MAX_PARTS} parts; raise --s3-min-part-size or lower --file-limit`, { value: this.url }));
    }
    while (this.inFlight.size >= UPLOAD_AHEAD_PARTS) await Promise.race(this.inFlight);
    await this.store.uploads.acquire(this.stop.signal);
    const sent = (async () => {
      try {
        const uploadId = await this.ensureUpload();
        const digest = md5(body);
        const r = await this.store.call(this.target('UploadPart', n), (signal) => this.store.client.send(new UploadPartCommand({
          Bucket: this.location.bucket, Key: this.location.key, UploadId: uploadId, PartNumber: n,
          Body: body, ContentLength: body.length, ContentMD5: digest,
        }), { abortSignal: signal }), this.stop.signal);
        this.parts.push({ PartNumber: n, ETag: r.ETag });
        // A failed part's buffer is left to the GC: a cancelled request may still hold it.
        this.store.spare(part);
      } catch (e) {
        if (this.failure === undefined && this.state !== 'aborted') {
          this.failure = e;
          this.stop.abort(e); // the object is lost: stop sending the others
        }
      } finally {
        this.store.uploads.release();
      }
    })();
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /**
   * end: sends what is buffered and waits until every part is stored; the object is still
   * invisible. (A backup ends each file when it rolls over and completes all at its end.)
   * A small object that never filled a part is kept for one PutObject at complete(),
   * unless WriterOptions.sendOnEnd.
   */
  async end(): Promise<void> {
    if (this.state === 'ended') return;
    this.check();
    if ((this.nextPart > 1 || this.opts.sendOnEnd) && this.used > 0) await this.sendPart();
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure;
    this.state = 'ended';
  }

  /** complete: the object appears under its key, whole. Its ETag from HeadObject when the server gives none. */
  async complete(): Promise<CompletedObject> {
    await this.end();
    const { bucket, key } = this.location;
    let etag: string | undefined;
    if (this.nextPart === 1) {
      const body = this.buf?.subarray(0, this.used) ?? Buffer.alloc(0);
      const r = await this.store.call(this.target('PutObject'), (signal) => this.store.client.send(new PutObjectCommand({
        Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ContentMD5: md5(body), ContentType: 'text/plain',
      }), { abortSignal: signal }));
      etag = r.ETag;
    } else {
      const parts = [...this.parts].sort((a, b) => a.PartNumber! - b.PartNumber!);
      try {
        const r = await this.store.call(this.target('CompleteMultipartUpload'), (signal) => this.store.client.send(new CompleteMultipartUploadCommand({
          Bucket: bucket, Key: key, UploadId: this.id, MultipartUpload: { Parts: parts },
        }), { abortSignal: signal }));
        etag = r.ETag;
      } catch (e) {
        // A retried complete whose first try did succeed finds the upload gone: the object
        // is there if it has our size and part count.
        if (!(e instanceof AsError && e.code === 'S3_UPLOAD_GONE')) throw e;
        const head = await statS3Object(this.store, this.location).catch(() => undefined);
        if (head?.size !== this.bytes || !head.etag.endsWith(`-${parts.length}"`)) throw e;
        etag = head.etag;
      }
    }
    // Ceph Pacific answers CompleteMultipartUpload with an empty ETag.
    if (!etag || etag === '""') etag = (await statS3Object(this.store, this.location)).etag;
    this.state = 'completed';
    this.buf = undefined;
    this.store.untrack(this);
    return { url: this.url, bytes: this.bytes, etag };
  }

  /**
   * abort: ends the upload without an object: parts in flight are cancelled, the upload
   * and its stored parts are deleted. Nothing to do once completed or aborted.
   */
  async abort(): Promise<void> {
    if (this.state === 'completed' || this.state === 'aborted') return;
    this.state = 'aborted';
    this.buf = undefined;
    this.stop.abort(new AsError('INCOMPLETE', `${this.url}: upload aborted, no object written`, { value: this.url }));
    await Promise.allSettled(this.inFlight);
    const uploadId = await this.creating?.catch(() => undefined);
    try {
      if (uploadId !== undefined) await abortUploads(this.store, this.location.bucket, [{ key: this.location.key, uploadId }]);
    } finally {
      this.store.untrack(this);
    }
  }
}
