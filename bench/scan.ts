// Discard scan: every record of a namespace parsed and dropped, to measure the client's
// scan path (the lead's `npm run bench` calls it).
import { Cluster } from '../lib/cluster/cluster.js';
import { scanBatches, scanWire } from '../lib/cluster/scan.js';

/** benchScan: scans `ns` once; records, wall seconds and MiB of bin data seen. */
export async function benchScan(host: string, port: number, ns: string, wire = false): Promise<{ records: number; seconds: number; mib: number }> {
  const cluster = await Cluster.connect({ hosts: [{ host, port }] });
  try {
    const start = process.hrtime.bigint();
    let records = 0;
    let bytes = 0;
    if (wire) {
      // Records validated and tracked, left in the frame: asbackup's own path.
      for await (const batch of scanWire(cluster, { namespace: ns })) {
        records += batch.length;
        bytes += batch.body.length;
      }
    } else {
      for await (const batch of scanBatches(cluster, { namespace: ns })) {
        records += batch.length;
        for (const r of batch) for (const b of r.bins) bytes += b.data.length;
      }
    }
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { records, seconds, mib: bytes / (1024 * 1024) };
  } finally {
    cluster.close();
  }
}
