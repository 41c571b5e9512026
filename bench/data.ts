// The benchmark's data: records of ~380 bytes in the .asb file, the size the official
// tools' figures are quoted for.
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { encodeHeader, encodeItem } from '../lib/asb/encode.js';
import { computeDigest, userKey } from '../lib/protocol/digest.js';
import { particle } from '../lib/protocol/particle.js';
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

/** makeFile: an .asb file of n bench records; returns its size. */
export async function makeFile(path: string, n: number, ns: string): Promise<number> {
  const out = createWriteStream(path);
  out.write(encodeHeader(ns, true));
  for (let i = 0; i < n; i++) if (!out.write(encodeItem(benchRecord(i, ns)))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  return statSync(path).size;
}

