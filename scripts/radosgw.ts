// A radosgw to try s3:// paths by hand: starts the tests' one-host Ceph cluster on a free
// 127.0.0.1 port with an empty bucket `asbackup`, prints its endpoint and the environment
// that gives the AWS chain its keys, and on Ctrl-C stops every daemon and removes its temp dir.
//   node dist/scripts/radosgw.js
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { s3Settings } from '../lib/storage/options.js';
import { S3Store } from '../lib/storage/s3-store.js';
import { startRadosgw } from '../test/s3/radosgw.js';

const t0 = performance.now();
const gw = await startRadosgw();
Object.assign(process.env, gw.env);
const store = await S3Store.open(s3Settings({ s3EndpointOverride: gw.endpoint }));
await store.client.send(new CreateBucketCommand({ Bucket: 'asbackup' }));
store.close();
process.stdout.write(`radosgw up in ${((performance.now() - t0) / 1000).toFixed(1)} s with bucket asbackup; Ctrl-C stops it and removes ${gw.dir}\n`);
process.stdout.write(`  --s3-endpoint-override ${gw.endpoint}\n`);
for (const [k, v] of Object.entries(gw.env)) process.stdout.write(`  export ${k}=${v}\n`);
await new Promise(() => undefined); // until a signal: startRadosgw's exit hook stops everything
