// Compression and encryption of backup files (lib/codec) on ~100 MiB of .asb text, in
// memory: encode (FileEncoder, runs of 256 KiB as the backup hands them on) and decode
// (decodeFile, 64 KiB reads as from a file) for plain, -z zstd (level 3), -y aes256 and
// both. Prints MiB of .asb text per second of wall time and per CPU second (zstd and AES
// run on the calling thread; on a shared machine the CPU figure is the steadier one).
// The lead's `npm run bench` calls benchCodec; run alone: node dist/bench/codec.js
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { encodeHeader, encodeItem } from '../lib/asb/encode.js';
import type { Codec } from '../lib/codec/codec.js';
import { decodeFile } from '../lib/codec/decoder.js';
import { FileEncoder } from '../lib/codec/encoder.js';
import { makeRecords } from './asb.js';

const MiB = 1024 * 1024;

/** CodecRow: one codec's figures. */
export interface CodecRow { name: string; encodeMiBs: number; encodeCpuS: number; decodeMiBs: number; decodeCpuS: number; ratio: number }

// ~25 MiB of distinct records repeated 4 times: the repeats are far beyond zstd's window
// (2 MiB at level 3), so they compress no better than new records would.
function asbText(): { runs: Buffer[]; bytes: number; textCpuS: number } {
  const recs = makeRecords(65_000);
  const { value: one, cpu: textCpuS } = timed(() => Buffer.concat([encodeHeader('test', true), ...recs.map((r) => encodeItem(r, false))]));
  const runs: Buffer[] = [];
  for (let k = 0; k < 4; k++) for (let i = 0; i < one.length; i += 256 * 1024) runs.push(one.subarray(i, i + 256 * 1024));
  return { runs, bytes: one.length * 4, textCpuS: textCpuS * 4 };
}

function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { value, wall, cpu: (c.user + c.system) / 1e6 };
}

/** benchCodec: per codec, the pass of least CPU of 3 each way, after a warm-up pass. */
export async function benchCodec(): Promise<{ rows: CodecRow[]; mib: number; textCpuS: number }> {
  const { runs, bytes, textCpuS } = asbText();
  const key = randomBytes(32);
  const codecs: Array<[string, Codec]> = [
    ['plain', {}],
    ['-z zstd (level 3)', { compress: { level: 3 } }],
    ['-y aes256', { encrypt: { algorithm: 'aes256', key } }],
    ['-z zstd -y aes256', { compress: { level: 3 }, encrypt: { algorithm: 'aes256', key } }],
  ];
  const rows: CodecRow[] = [];
  for (const [name, codec] of codecs) {
    let enc = { wall: 0, cpu: Infinity };
    let file: Buffer[] = [];
    for (let pass = 0; pass < 4; pass++) {
      const r = timed(() => {
        const e = new FileEncoder(codec);
        const out: Buffer[] = [];
        for (const run of runs) out.push(e.push(run));
        out.push(e.finish());
        return out;
      });
      file = r.value;
      if (pass > 0 && r.cpu < enc.cpu) enc = r;
    }
    const size = file.reduce((s, b) => s + b.length, 0);
    const whole = Buffer.concat(file);
    file = [];
    const reads: Buffer[] = [];
    for (let i = 0; i < whole.length; i += 65536) reads.push(whole.subarray(i, i + 65536));
    let dec = { wall: 0, cpu: Infinity };
    for (let pass = 0; pass < 4; pass++) {
      const r = await timedAsync(async () => {
        let n = 0;
        for await (const b of decodeFile(reads, 'bench.asb', codec)) n += b.length;
        return n;
      });
      if (r.value !== bytes) throw new Error(`${name}: decoded ${r.value} of ${bytes} bytes`);
      if (pass > 0 && r.cpu < dec.cpu) dec = r;
    }
    rows.push({
      name, encodeMiBs: bytes / MiB / enc.wall, encodeCpuS: enc.cpu, decodeMiBs: bytes / MiB / dec.wall, decodeCpuS: dec.cpu,
      ratio: bytes / size,
    });
  }
  return { rows, mib: bytes / MiB, textCpuS };
}

/** formatCodec: the table benchCodec's figures print as. */
export function formatCodec(r: Awaited<ReturnType<typeof benchCodec>>): string {
  // Plain is a pass-through: too fast to time, shown as such.
  const rate = (mibs: number, cpu: number): string => (cpu < 0.005 ? ['-', '-'] : [mibs.toFixed(0), (r.mib / cpu).toFixed(0)]).map((v) => v.padStart(11)).join('');
  const lines = [
    `codec: ${r.mib.toFixed(0)} MiB of .asb text in memory; writing that text from records took ${r.textCpuS.toFixed(2)} CPU-s (${(r.mib / r.textCpuS).toFixed(0)} MiB/CPU-s)`,
    `${'codec'.padEnd(18)}${'enc MiB/s'.padStart(11)}${'MiB/CPU-s'.padStart(11)}${'CPU-s'.padStart(7)}${'dec MiB/s'.padStart(11)}${'MiB/CPU-s'.padStart(11)}${'CPU-s'.padStart(7)}${'ratio'.padStart(7)}`,
  ];
  for (const x of r.rows) {
    lines.push(`${x.name.padEnd(18)}${rate(x.encodeMiBs, x.encodeCpuS)}${x.encodeCpuS.toFixed(2).padStart(7)}${rate(x.decodeMiBs, x.decodeCpuS)}${x.decodeCpuS.toFixed(2).padStart(7)}${x.ratio.toFixed(2).padStart(7)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(formatCodec(await benchCodec()) + '\n');
