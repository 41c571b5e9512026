// The benchmark's data: records of ~380 bytes in the .asb file, the size the official
// tools' figures are quoted for.
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { encodeHeader, encodeItem } from '../lib/asb/encode.js';
import { computeDigest, userKey } from '../lib/protocol/digest.js';
import { particle } from '../lib/protocol/particle.js';
import { pack, type PackValue } from '../lib/protocol/msgpack.js';
import type { RecordItem } from '../lib/records/types.js';

/** A record of ~380 bytes in the .asb file: key, 7 bins of the common types. */
export function benchRecord(i: number, ns: string): RecordItem {
  const key = userKey(`user-${i}`);
  return {
    kind: 'record', namespace: ns, set: 'bench', digest: computeDigest('bench', key.type, key.data), key, generation: 1, voidTime: 0,
    bins: [
      { name: 'name', ...particle.string(`name of user number ${i} `.padEnd(60, '.')) },
      { name: 'email', ...particle.string(`user${i}@example.com`) },
      { name: 'age', ...particle.integer(i % 100) },
      { name: 'score', ...particle.double(i / 3) },
      { name: 'avatar', ...particle.blob(Buffer.alloc(64, i & 255)) },
      { name: 'tags', ...particle.list(Buffer.from('93a403726564a5036772656ea40374616e', 'hex')) },
      { name: 'active', ...particle.bool((i & 1) === 1) },
    ],
  };
}

// The ext header of a key-ordered map (flags 1), as the server sends it.
const K_ORDERED = { ext: 1, data: Buffer.alloc(0) };

/**
 * cdtRecord: a record whose data lives in lists and maps, as most applications keep it: a
 * key-ordered profile map with a nested address and a tag list, and a list of order maps.
 * ~450 bytes in the .asb file.
 */
export function cdtRecord(i: number, ns: string): RecordItem {
  const key = userKey(`cdt-${i}`);
  const profile = new Map<PackValue, PackValue>([
    [K_ORDERED, null], ['age', 18 + (i % 70)], ['country', ['DE', 'FR', 'US', 'JP'][i % 4]!],
    ['address', new Map<PackValue, PackValue>([['city', 'Berlin'], ['street', `Street ${i}`], ['zip', `${10000 + (i % 90000)}`]])],
    ['tags', i % 10 === 0 ? ['vip', 'new'] : ['new']],
  ]);
  const orders: PackValue[] = [];
  for (let j = 0; j < 3; j++) {
    orders.push(new Map<PackValue, PackValue>([['id', i * 10 + j], ['price', { float: 9.5 + ((i + j) % 50) }], ['qty', 1 + j], ['sku', `SKU-${(i + j) % 1000}`]]));
  }
  return {
    kind: 'record', namespace: ns, set: 'cdt', digest: computeDigest('cdt', key.type, key.data), key, generation: 1, voidTime: 0,
    bins: [
      { name: 'name', ...particle.string(`name of user number ${i}`) },
      { name: 'profile', ...particle.map(pack(profile)) },
      { name: 'orders', ...particle.list(pack(orders)) },
    ],
  };
}

/** makeFile: an .asb file of n records made by `make` (bench records by default); returns its size. */
export async function makeFile(path: string, n: number, ns: string, make: (i: number, ns: string) => RecordItem = benchRecord): Promise<number> {
  const out = createWriteStream(path);
  out.write(encodeHeader(ns, true));
  for (let i = 0; i < n; i++) if (!out.write(encodeItem(make(i, ns)))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

