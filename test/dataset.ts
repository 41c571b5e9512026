// A dataset written by the official client (the independent peer): every bin type, keys of
// every kind, several sets, TTLs, a secondary index and a UDF module.
import Aerospike from 'aerospike';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';

/** Records loadDataset writes into each of the sets 'a', 'b' and no set. */
export const PER_SET = 40;

/** connectOfficial: the official client, quiet, on a local port. */
export async function connectOfficial(port: number): Promise<any> {
  return Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port }], log: { level: Aerospike.log.OFF } } as any);
}

/** loadDataset: 3 x PER_SET records plus index and UDF definitions; returns the record count. */
export async function loadDataset(port: number, ns = 'test', opts: { sindex?: boolean; udf?: boolean } = {}): Promise<number> {
  const client = await connectOfficial(port);
  try {
    const sendKey = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
    let n = 0;
    for (const set of ['a', 'b', '']) {
      for (let i = 0; i < PER_SET; i++) {
        const key = i % 3 === 0 ? i : i % 3 === 1 ? `key-${set}-${i}` : Buffer.from([i, 0, 10, 255]);
        const bins: Record<string, unknown> = {
          int: i % 2 ? -(2n ** 62n) - BigInt(i) : i,
          dbl: new Aerospike.Double(i % 4 === 0 ? 1.0 : i / 7),
          str: i % 5 === 0 ? '' : `ü string ${i}\n with newline`,
          blob: Buffer.from([0, 10, 32, i]),
          list: [1, 'two', [3.5, Buffer.from([4])], { k: i }],
          map: { x: i, y: 'z', nested: { deep: [true, false] } },
          flag: i % 2 === 0,
          geo: new Aerospike.GeoJSON({ type: 'Point', coordinates: [i / 10, 52.5] }),
          ...(set === 'b' ? { sidx: `s${i % 4}` } : {}),
        };
        const meta = { ttl: i % 3 === 0 ? -1 : 86_400 * (i + 7) };
        await client.put(new Aerospike.Key(ns, set === '' ? null : set, key), bins, meta, i % 4 === 3 ? undefined : sendKey);
        n++;
      }
    }
    if (opts.sindex !== false) {
      const job = await client.createIndex({ ns, set: 'b', bin: 'sidx', index: `${ns}_b_sidx`, datatype: Aerospike.indexDataType.STRING });
      await job.wait(10);
    }
    if (opts.udf !== false) {
      const dir = tempDir();
      const file = join(dir, 'dataset.lua');
      writeFileSync(file, 'function hello(rec)\n  return "hi"\nend\n');
      const job = await client.udfRegister(file);
      await job.wait(10);
    }
    return n;
  } finally {
    await client.close();
  }
}
