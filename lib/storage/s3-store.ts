// S3Store: one S3 client for a run, with its limits on requests in flight, its retry
// policy and the uploads still open (a class because that state is shared by every
// object a run writes or reads).
//
// The client: path-style addressing (S3-compatible servers rarely have wildcard DNS),
// credentials only from the standard AWS chain (environment, shared files, --s3-profile),
// and checksums only where an operation requires one: the SDK's default CRC32 trailers on
// streamed uploads break many S3-compatible servers. Parts carry Content-MD5 instead, as
// the C tool sends. Retries are ours alone (the SDK's are off), so one place decides what
// is transient, how long to wait and what the user is told afterwards.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { AsError } from '../errors.js';
import { errorName, isTransient, s3Error, type S3Target } from './s3-errors.js';
import { s3Url } from './s3-url.js';
import type { S3Settings } from './options.js';

/** S3StoreOptions: the settings of the --s3-* options plus the retry policy and a log. */
export interface S3StoreOptions extends S3Settings {
  /** Further tries of a request that failed transiently (default 5: six tries in all). */
  retries?: number;
  /** First pause before a retry in ms, doubled for each further one (default 250, at most 8 s). */
  retryDelayMs?: number;
  /** Where retries and SDK warnings are reported (one line each). */
  log?: (line: string) => void;
}

/** Abortable: what S3Store tracks so abortAll can end a run's open uploads. */
export interface Abortable {
  abort(): Promise<void>;
}

/**
 * Limiter: at most `max` holders at once; the others wait in order. Bounds memory (parts
 * in flight) and the connections to the endpoint across every object of a run.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(readonly max: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active--;
  }
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const onAbort = () => {
    clearTimeout(timer);
    reject(signal!.reason);
  };
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort);
    resolve();
  }, ms);
  signal?.addEventListener('abort', onAbort, { once: true });
});

export class S3Store {
  readonly uploads: Limiter;
  readonly downloads: Limiter;
  private readonly open = new Set<Abortable>();
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private skewLogged = false;
  // Buffers of parts uploaded and of ranges read, to fill again: a run otherwise allocated a
  // new 5 MiB buffer for each, and V8 frees a dead one only at its next full GC, which a
  // small JS heap runs rarely: 100 MiB and more of dead buffers were held at the peak.
  private readonly spares: Buffer[] = [];

  private constructor(
    readonly client: S3Client,
    /** The endpoint, for messages. */
    readonly endpoint: string,
    readonly region: string,
    readonly settings: S3StoreOptions,
  ) {
    this.uploads = new Limiter(settings.maxAsyncUploads);
    this.downloads = new Limiter(settings.maxAsyncDownloads);
    this.retries = settings.retries ?? 5;
    this.retryDelayMs = settings.retryDelayMs ?? 250;
  }

  /**
   * open: a store for these settings. The region is --s3-region, else the AWS chain's
   * (AWS_REGION, the profile), else us-east-1 when an endpoint is given (S3-compatible
   * servers rarely care); with neither, S3_REGION.
   */
  static async open(o: S3StoreOptions): Promise<S3Store> {
    // The SDK warns on stderr that future versions will need Node 22; our package-lock
    // pins a version that supports Node 20, and stderr is for our own log.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const log = o.log ?? (() => undefined);
    // The SDK reports each failed request to logger.error; we report failures ourselves.
    const logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (...m: unknown[]) => {
        const text = m.filter((x) => typeof x === 'string').join(' ').trim();
        if (text) log(`S3: ${text.replace(/\s+/g, ' ')}`);
      },
      error: () => undefined,
    };
    let region = o.region;
    if (region === undefined) {
      const probe = new S3Client({ profile: o.profile, logger });
      try {
        region = await probe.config.region();
      } catch {
        if (o.endpoint === undefined) {
          throw new AsError('S3_REGION', 'no AWS region for the s3:// path: give --s3-region, set AWS_REGION, or set a region in the profile (--s3-profile)', { value: o.profile ?? 'default' });
        }
        region = 'us-east-1';
      } finally {
        probe.destroy();
      }
    }
    // Enough sockets that a request never queues for one (its connect timeout would run).
    const sockets = o.maxAsyncUploads + o.maxAsyncDownloads + 4;
    const client = new S3Client({
      region,
      endpoint: o.endpoint,
      forcePathStyle: true,
      profile: o.profile,
      logger,
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        connectionTimeout: o.connectTimeoutMs,
        // A request whose socket stays silent this long is dropped and retried.
        socketTimeout: 60_000,
        httpAgent: new HttpAgent({ keepAlive: true, maxSockets: sockets }),
        httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: sockets }),
      },
    });
    return new S3Store(client, o.endpoint ?? `https://s3.${region}.amazonaws.com`, region, o);
  }

  /**
   * call: runs a request (`fn` gets the signal to pass to client.send), retrying transient
   * failures with exponential back-off; any other failure, or the last one, becomes an
   * AsError naming the bucket/key. An abort by `signal` is passed through as it is.
   */
  async call<T>(t: S3Target, fn: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    let skewRetried = false;
    for (let attempt = 1; ; attempt++) {
      const offset = this.client.config.systemClockOffset ?? 0;
      try {
        return await fn(signal);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        // A host clock minutes off the server's: the SDK has just taken the server's time
        // from the answer, so the same request signed again goes through.
        const err = e as { name?: string; $metadata?: { clockSkewCorrected?: boolean } };
        if ((err.name === 'RequestTimeTooSkewed' || err.$metadata?.clockSkewCorrected) && !skewRetried) {
          skewRetried = true;
          attempt--;
          if (!this.skewLogged) {
            this.skewLogged = true;
            const off = Math.round(Math.abs((this.client.config.systemClockOffset ?? 0) - offset) / 1000);
            this.settings.log?.(`S3: this host's clock is ${off} s off the server's at ${this.endpoint}; requests are signed with the server's time`);
          }
          continue;
        }
        if (attempt > this.retries || !isTransient(e)) throw s3Error(e, t, this.endpoint, attempt);
        const base = Math.min(8000, this.retryDelayMs * 2 ** (attempt - 1));
        const wait = Math.round(base / 2 + Math.random() * base / 2);
        this.settings.log?.(`${t.op} ${s3Url(t)}${t.part === undefined ? '' : ` part ${t.part}`}: ${errorName(e)}; retry ${attempt} of ${this.retries} in ${wait} ms`);
        await sleep(wait, signal);
      }
    }
  }

  /** buffer: a buffer of `size` bytes for a part or a range, a spare one when there is one. */
  buffer(size: number): Buffer {
    const i = this.spares.findIndex((b) => b.length === size);
    if (i < 0) return Buffer.allocUnsafeSlow(size);
    const b = this.spares[i]!;
    this.spares.splice(i, 1);
    return b;
  }

  /**
   * spare: a buffer from buffer() that nothing reads any more (a part whose upload
   * succeeded, a range handed on), kept for the next one: the latest as many as can be in
   * use at once (an odd size, such as an object's last range, gives way to later ones).
   */
  spare(b: Buffer): void {
    this.spares.push(b);
    if (this.spares.length > this.uploads.max + this.downloads.max) this.spares.shift();
  }

  /** track/untrack: uploads that abortAll must end if the run stops. */
  track(u: Abortable): void {
    this.open.add(u);
  }

  untrack(u: Abortable): void {
    this.open.delete(u);
  }

  /** openUploads: how many tracked uploads are neither completed nor aborted. */
  get openUploads(): number {
    return this.open.size;
  }

  /** abortAll: aborts every upload still open (a failed or interrupted run); never throws. */
  async abortAll(): Promise<void> {
    await Promise.all([...this.open].map((u) => u.abort().catch(() => undefined)));
  }

  /** close: releases the client's sockets. */
  close(): void {
    this.client.destroy();
  }
}
