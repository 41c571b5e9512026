// What the S3 suites share: the running server, a store on it, seeded data and a proxy
// that fails requests on purpose.
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomInt } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { AsError } from '../../lib/errors.js';
import { S3Store, type S3StoreOptions } from '../../lib/storage/s3-store.js';
import type { S3ObjectWriter } from '../../lib/storage/s3-writer.js';
import type { Radosgw } from './radosgw.js';

/** The suites' shared state, filled by the entry file's before hook. */
export interface S3TestContext {
  gw: Radosgw;
  /** A store on the server with the default limits and a short retry pause. */
  store: S3Store;
  seed: number;
  /** Lines the stores logged (retries, SDK warnings). */
  log: string[];
}

/** The seed of this run's random data: ASB_TEST_SEED, or a fresh one (printed on failure). */
export const SEED = process.env.ASB_TEST_SEED !== undefined ? Number(process.env.ASB_TEST_SEED) : randomInt(2 ** 31);

/** seededBytes: n pseudo-random bytes fixed by (seed, stream): AES-CTR over zeros. */
export function seededBytes(seed: number, stream: string, n: number): Buffer {
  const key = createHash('sha256').update(`${seed}:${stream}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(n));
}

/** seededSizes: chunk sizes in [1, max] that add up to total, fixed by the seed. */
export function seededSizes(seed: number, stream: string, total: number, max: number): number[] {
  // mulberry32, seeded from the stream's hash: small, fast and the same everywhere.
  let a = createHash('sha256').update(`${seed}:${stream}:sizes`).digest().readUInt32LE(0);
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: number[] = [];
  for (let left = total; left > 0;) {
    const n = Math.min(left, 1 + Math.floor(next() * max));
    out.push(n);
    left -= n;
  }
  return out;
}

export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** openStore: a store on the test server; `over` changes settings (endpoint, limits, retries). */
export function openStore(ctx: { gw: Radosgw; log: string[] }, over: Partial<S3StoreOptions> = {}): Promise<S3Store> {
  return S3Store.open({
    endpoint: ctx.gw.endpoint, maxAsyncUploads: 16, maxAsyncDownloads: 32, connectTimeoutMs: 1000,
    retryDelayMs: 50, log: (l) => ctx.log.push(l), ...over,
  });
}

/** createBucket: a fresh bucket (S3 names: 3..63 lower-case characters). */
export async function createBucket(store: S3Store, name: string): Promise<string> {
  await store.call({ op: 'CreateBucket', bucket: name, key: '' }, (signal) => store.client.send(new CreateBucketCommand({ Bucket: name }), { abortSignal: signal }));
  return name;
}

/** putObject: one object written directly, as another writer would. */
export async function putObject(store: S3Store, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await store.call({ op: 'PutObject', bucket, key }, (signal) => store.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }), { abortSignal: signal }));
}

/** writeInChunks: data through a writer in the seeded chunk sizes, reusing one scratch buffer (as an encoder does). */
export async function writeInChunks(w: S3ObjectWriter, data: Buffer, sizes: number[]): Promise<void> {
  let off = 0;
  const scratch = Buffer.alloc(Math.max(...sizes));
  for (const n of sizes) {
    data.copy(scratch, 0, off, off + n);
    await w.write(scratch.subarray(0, n));
    scratch.fill(0xee); // the writer must have taken its copy
    off += n;
  }
}

/** closedPort: a 127.0.0.1 port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createTcpServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** collect: every Buffer of an async iterable, concatenated. */
export async function collect(it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts);
}

/** rejectsWith: awaits p and checks that it fails with an AsError of this code; returns it. */
export async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<AsError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof AsError, `${what}: expected AsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `${what}: ${e.message}`);
    return e;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

/**
 * FailingProxy: an HTTP proxy in front of radosgw that answers the first `failures`
 * requests itself (503 SlowDown, or a dropped connection) and forwards the rest as they
 * are (the Host header passes unchanged, so SigV4 signatures still hold).
 */
export class FailingProxy {
  requests = 0;
  failed = 0;
  private constructor(private readonly server: Server, readonly endpoint: string) {}

  static async start(target: string, o: { failures: number; how: '503' | 'reset' }): Promise<FailingProxy> {
    const { hostname, port } = new URL(target);
    let proxy: FailingProxy;
    const server = createServer((req, res) => {
      proxy.requests++;
      if (proxy.failed < o.failures) {
        proxy.failed++;
        req.resume();
        if (o.how === 'reset') return void req.socket.destroy();
        res.writeHead(503, { 'content-type': 'application/xml' });
        return void res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>test proxy</Message></Error>');
      }
      const up = request({ host: hostname, port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => req.socket.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FailingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return proxy;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
