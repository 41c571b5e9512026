// S3 transfer rates: a backup file uploaded to and downloaded from a local radosgw with
// lib/storage, beside the same file copied and read on the local disk. Each transfer
// runs in its own process, so its peak RSS is its own. (The lead's `npm run bench`
// calls benchS3; once asbackup/asrestore take s3:// paths they replace these rows.)
//   node dist/bench/s3.js <file>        a radosgw of its own, four transfers, a table
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../lib/cli/run.js';
import { s3Settings } from '../lib/storage/options.js';
import { readS3Object } from '../lib/storage/s3-reader.js';
import { S3Store } from '../lib/storage/s3-store.js';
import { S3ObjectWriter } from '../lib/storage/s3-writer.js';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { INSTALL_LINE, missingPrograms, startRadosgw } from '../test/s3/radosgw.js';

const self = fileURLToPath(import.meta.url);

/** One transfer: wall seconds of the copy itself and the process's peak RSS. */
export interface Transfer {
  what: string;
  bytes: number;
  seconds: number;
  rssMiB: number;
}

// The child: one transfer, timed around the data path only; run() reports its peak RSS.
async function child([mode, src, dst]: string[]): Promise<number> {
  const store = mode!.startsWith('s3') ? await S3Store.open(s3Settings({ s3EndpointOverride: process.env.BENCH_S3_ENDPOINT })) : undefined;
  const t0 = performance.now();
  let bytes = 0;
  if (mode === 's3-upload') {
    const [bucket, key] = dst!.split('/', 2) as [string, string];
    const w = new S3ObjectWriter(store!, { bucket, key }, { expectedBytes: statSync(src!).size });
    for await (const chunk of createReadStream(src!, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) await w.write(chunk);
    bytes = (await w.complete()).bytes;
  } else if (mode === 's3-download') {
    const [bucket, key] = src!.split('/', 2) as [string, string];
    for await (const chunk of readS3Object(store!, { bucket, key })) bytes += chunk.length;
  } else if (mode === 'local-write') {
    const out = createWriteStream(dst!);
    for await (const chunk of createReadStream(src!, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } else {
    for await (const chunk of createReadStream(src!, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) bytes += chunk.length;
  }
  process.stdout.write(`${bytes} ${((performance.now() - t0) / 1000).toFixed(4)}\n`);
  store?.close();
  return 0;
}

function transfer(what: string, args: string[], env: NodeJS.ProcessEnv): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [self, '--child', ...args], { env: { ...process.env, ...env, AS_REPORT_RSS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${what}: exit ${code}: ${err}`));
      const [bytes, seconds] = out.trim().split(' ').map(Number);
      const rss = /peak-rss-kib (\d+)/.exec(err);
      resolve({ what, bytes: bytes!, seconds: seconds!, rssMiB: rss ? Number(rss[1]) / 1024 : NaN });
    });
  });
}

/**
 * benchS3: uploads `file` to a fresh radosgw and downloads it, and copies and reads it
 * locally; `work` is a scratch dir. Skipped (with the reason) when radosgw is missing.
 */
export async function benchS3(file: string, work: string): Promise<{ transfers: Transfer[]; skipped?: string }> {
  if (missingPrograms().length > 0) return { transfers: [], skipped: `radosgw is not installed: ${INSTALL_LINE}` };
  const gw = await startRadosgw();
  try {
    const env = { ...gw.env, BENCH_S3_ENDPOINT: gw.endpoint };
    Object.assign(process.env, gw.env);
    const store = await S3Store.open(s3Settings({ s3EndpointOverride: gw.endpoint }));
    await store.client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    store.close();
    const copy = join(work, 'copy.asb');
    return {
      transfers: [
        await transfer('local file write (copy)', ['local-write', file, copy], env),
        await transfer('local file read', ['local-read', copy], env),
        await transfer('S3 upload to radosgw', ['s3-upload', file, 'bench/backup/test_00000.asb'], env),
        await transfer('S3 download from radosgw', ['s3-download', 'bench/backup/test_00000.asb'], env),
      ],
    };
  } finally {
    await gw.stop();
  }
}

if (process.argv[2] === '--child') {
  run({ name: 'bench-s3', summary: 'one S3 or local transfer of npm run bench', synopsis: [], options: [], main: () => child(process.argv.slice(3)) }, []);
} else if (self === process.argv[1]) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node dist/bench/s3.js <file>');
  const r = await benchS3(file, dirname(file));
  if (r.skipped) process.stdout.write(`S3: skipped (${r.skipped})\n`);
  for (const t of r.transfers) {
    process.stdout.write(`${t.what.padEnd(30)} ${(t.bytes / 1048576).toFixed(1).padStart(7)} MiB ${t.seconds.toFixed(2).padStart(6)} s ${(t.bytes / 1048576 / t.seconds).toFixed(1).padStart(7)} MiB/s ${t.rssMiB.toFixed(0).padStart(5)} MiB peak RSS\n`);
  }
}
