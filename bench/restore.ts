// Restore throughput: one .asb file decoded, filtered and written to a cluster, as
// asrestore does it (the lead's `npm run bench` calls benchRestore). Run directly it makes
// a synthetic file and restores it into a dev server in a worker thread:
//   node dist/bench/restore.js [records=200000]
import { createWriteStream, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Cluster } from '../lib/cluster/cluster.js';
import { encodeHeader, encodeItem } from '../lib/asb/encode.js';
import { computeDigest, userKey } from '../lib/protocol/digest.js';
import { ParticleType } from '../lib/protocol/constants.js';
import type { RecordItem } from '../lib/records/types.js';
import { readBackupFiles } from '../lib/restore/source.js';
import { recordsOf } from '../lib/restore/compose.js';
import { newMetadataCounts } from '../lib/restore/metadata.js';
import { newCounts, writeRecords } from '../lib/restore/writer.js';

/** benchRestore: restores `file` into namespace `ns` of the cluster at 127.0.0.1:port. */
export async function benchRestore(port: number, ns: string, file: string): Promise<{ records: number; seconds: number; mib: number }> {
  const cluster = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port }] });
  try {
    const start = process.hrtime.bigint();
    const counts = newCounts();
    const items = (async function* () { for await (const b of readBackupFiles([file], { ops: true })) yield b.items; })();
    const records = recordsOf(items, { filter: {}, cluster, metadata: {}, counts, meta: newMetadataCounts() });
    // Generation ignored (-g) so a rerun into the same namespace writes again.
    await writeRecords(cluster, records, { namespace: ns, noGeneration: true, extraTtl: 10 * 365 * 86400, counts });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { records: counts.inserted, seconds, mib: statSync(file).size / (1024 * 1024) };
  } finally {
    cluster.close();
  }
}

/** makeBenchFile: an .asb of n typical records (key, 6 bins of common types, ~200 B each). */
export async function makeBenchFile(path: string, n: number, ns = 'test'): Promise<void> {
  const out = createWriteStream(path);
  out.write(encodeHeader(ns, true));
  for (let i = 0; i < n; i++) {
    const key = userKey(`user-${i}`);
    const int = Buffer.alloc(8);
    int.writeBigInt64BE(BigInt(i * 7919));
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleBE(i / 3);
    const r: RecordItem = {
      kind: 'record', namespace: ns, set: 'bench', digest: computeDigest('bench', key.type, key.data), key,
      generation: 1, voidTime: 0,
      bins: [
        { name: 'name', type: ParticleType.STRING, data: Buffer.from(`name of user number ${i}`) },
        { name: 'age', type: ParticleType.INTEGER, data: int },
        { name: 'score', type: ParticleType.FLOAT, data: dbl },
        { name: 'blob', type: ParticleType.BLOB, data: Buffer.alloc(32, i & 255) },
        { name: 'tags', type: ParticleType.LIST, data: Buffer.from([0x92, 0xa4, 0x03, 0x61, 0x62, 0x63, 0x07]) },
        { name: 'flag', type: ParticleType.BOOL, data: Buffer.from([i & 1]) },
      ],
    };
    if (!out.write(encodeItem(r))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 200000);
  const file = join(tmpdir(), `bench-restore-${n}.asb`);
  const { startDevServerThread } = await import('../lib/devserver/index.js');
  await makeBenchFile(file, n);
  const server = await startDevServerThread({ namespaces: ['test', 'bar'] });
  try {
    const r = await benchRestore(server.seeds[0]!.port, 'bar', file);
    process.stdout.write(`restore: ${r.records} records in ${r.seconds.toFixed(2)} s = ${Math.round(r.records / r.seconds)} rec/s, ${(r.mib / r.seconds).toFixed(1)} MiB/s\n`);
  } finally {
    await server.close();
  }
}
