// Throughput of the `.asb` codec on synthetic records held in memory (no I/O): encode
// (StreamItem -> bytes) and decode (bytes -> StreamItem), in MiB/s of `.asb` text.
import { ParticleType as P } from '../lib/protocol/constants.js';
import type { RecordItem } from '../lib/records/types.js';
import { encodeHeader, encodeItem } from '../lib/asb/encode.js';
import { decodeAsb } from '../lib/asb/decode.js';

const MiB = 1024 * 1024;

/** makeRecords: ~380-byte records: key, set, an int, a double, a string, a blob, a list. */
export function makeRecords(n: number): RecordItem[] {
  const recs: RecordItem[] = [];
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < n; i++) {
    const int = Buffer.alloc(8);
    int.writeBigInt64BE(BigInt(Math.floor(rnd() * 1e12)));
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleBE(rnd() * 1000);
    const blob = Buffer.alloc(48);
    for (let j = 0; j < blob.length; j++) blob[j] = (rnd() * 256) | 0;
    const digest = Buffer.alloc(20);
    for (let j = 0; j < 20; j++) digest[j] = (rnd() * 256) | 0;
    recs.push({
      kind: 'record', namespace: 'test', set: 'users', digest, generation: 1 + (i % 7), voidTime: i % 4 === 0 ? 0 : 480000000 + i,
      key: { type: P.STRING, data: Buffer.from(`user-${i.toString().padStart(8, '0')}`) },
      bins: [
        { name: 'id', type: P.INTEGER, data: int },
        { name: 'score', type: P.FLOAT, data: dbl },
        { name: 'name', type: P.STRING, data: Buffer.from(`Some Person Name ${i} with a longer text field to pad it out a bit`) },
        { name: 'bio', type: P.STRING, data: Buffer.from('x'.repeat(60 + (i % 40))) },
        { name: 'avatar', type: P.BLOB, data: blob },
        { name: 'tags', type: P.LIST, data: Buffer.from([0x93, 0xa4, 0x03, 0x61, 0x62, 0x63, 0x01, 0x02]) },
        { name: 'active', type: P.BOOL, data: Buffer.from([i & 1]) },
      ],
    });
  }
  return recs;
}

/**
 * benchAsb: encode and decode throughput over ~100k records (~40 MiB of `.asb`), best of 3
 * passes each after a warm-up (so JIT and first-touch costs stay out); prints nothing.
 */
export async function benchAsb(): Promise<{ encodeMiBs: number; decodeMiBs: number }> {
  let recs: RecordItem[] | undefined = makeRecords(100_000);
  let file = Buffer.alloc(0);
  let encodeS = Infinity;
  let size = 0;
  for (let pass = 0; pass < 4; pass++) {
    // Like a backup stream: each block is handed on and dropped, not kept.
    const t = process.hrtime.bigint();
    size = 0;
    for (const r of recs) size += encodeItem(r, false).length;
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (pass > 0) encodeS = Math.min(encodeS, s); // pass 0 warms up
  }
  file = Buffer.concat([encodeHeader('test', true), ...recs.map((r) => Buffer.from(encodeItem(r, false)))]);
  const count = recs.length;
  recs = undefined; // the decode passes should not pay for scanning the bench's own records
  const chunks: Buffer[] = [];
  for (let i = 0; i < file.length; i += MiB) chunks.push(file.subarray(i, i + MiB));
  let decodeS = Infinity;
  for (let pass = 0; pass < 4; pass++) {
    const t = process.hrtime.bigint();
    let n = 0;
    for await (const ev of decodeAsb(chunks, 'bench')) if (ev.kind === 'item') n++;
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (n !== count) throw new Error(`decoded ${n} of ${count} records`);
    if (pass > 0) decodeS = Math.min(decodeS, s);
  }
  return { encodeMiBs: size / MiB / encodeS, decodeMiBs: file.length / MiB / decodeS };
}
