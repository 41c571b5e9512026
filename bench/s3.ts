// A local radosgw for `npm run bench`: the programs' s3:// rows (asbackup -d s3://...,
// asrestore -d s3://...) run against it beside the same runs on the local disk.
// Skipped, with the reason, where radosgw is not installed.
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Settings } from '../lib/storage/options.js';
import { S3Store } from '../lib/storage/s3-store.js';
import { INSTALL_LINE, missingPrograms, startRadosgw } from '../test/s3/radosgw.js';

/** BenchS3: a running radosgw with bucket `bench`, and how the programs reach it. */
export interface BenchS3 {
  /** The --s3-* options of the programs. */
  args: string[];
  /** Credentials and region, as the AWS chain takes them. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** startBenchS3: a fresh radosgw with an empty bucket `bench`, or why there is none. */
export async function startBenchS3(): Promise<BenchS3 | { skipped: string }> {
  if (missingPrograms().length > 0) return { skipped: `radosgw is not installed: ${INSTALL_LINE}` };
  const gw = await startRadosgw();
  try {
    Object.assign(process.env, gw.env);
    const store = await S3Store.open(s3Settings({ s3EndpointOverride: gw.endpoint }));
    try {
      await store.client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    } finally {
      store.close();
    }
  } catch (e) {
    await gw.stop();
    throw e;
  }
  return { args: ['--s3-endpoint-override', gw.endpoint], env: gw.env, stop: () => gw.stop() };
}
