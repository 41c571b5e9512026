// A small HyperLogLog for HLL_MODIFY / HLL_READ ops. The particle layout is the server's
// (flags 0, n_index_bits, n_minhash_bits, u64 cache, packed registers of 6 + minhash
// bits), but element hashing and register contents are NOT byte-identical to a real
// server: counts are estimates of the same kind, not the same numbers.
import { createHash } from 'node:crypto';
import { ParticleType, ResultCode } from '../protocol/constants.js';
import { unpack, type Unpacked } from '../protocol/msgpack.js';
import type { Op } from '../protocol/message.js';
import type { StoredBin } from './store.js';

const HDR = 11;
const FLAG_CREATE_ONLY = 1, FLAG_UPDATE_ONLY = 2, FLAG_NO_FAIL = 4;

function regBits(mh: number): number { return 6 + mh; }
function regSize(ib: number, mh: number): number { return Math.ceil(((1 << ib) * regBits(mh)) / 8); }

function newHll(ib: number, mh: number): Buffer {
  const b = Buffer.alloc(HDR + regSize(ib, mh));
  b[1] = ib;
  b[2] = mh;
  return b;
}

function getReg(h: Buffer, r: number): number {
  const bits = regBits(h[2]!);
  const start = r * bits;
  let v = 0;
  for (let i = 0; i < bits; i++) {
    const bit = start + i;
    v = v * 2 + ((h[HDR + (bit >> 3)]! >> (7 - (bit & 7))) & 1);
  }
  return Math.floor(v / 2 ** h[2]!); // the 6-bit hll value
}

function setReg(h: Buffer, r: number, hllVal: number): void {
  const bits = regBits(h[2]!);
  const v = hllVal * 2 ** h[2]!;
  const start = r * bits;
  for (let i = 0; i < bits; i++) {
    const bit = start + i;
    const one = Math.floor(v / 2 ** (bits - 1 - i)) & 1;
    const idx = HDR + (bit >> 3);
    if (one) h[idx]! |= 0x80 >> (bit & 7);
    else h[idx]! &= ~(0x80 >> (bit & 7)) & 0xff;
  }
}

function estimate(h: Buffer): number {
  const m = 1 << h[1]!;
  let sum = 0, zeros = 0;
  for (let r = 0; r < m; r++) {
    const v = getReg(h, r);
    sum += 2 ** -v;
    if (v === 0) zeros++;
  }
  const alpha = m === 16 ? 0.673 : m === 32 ? 0.697 : m === 64 ? 0.709 : 0.7213 / (1 + 1.079 / m);
  let e = (alpha * m * m) / sum;
  if (e <= 2.5 * m && zeros > 0) e = m * Math.log(m / zeros);
  return Math.round(e);
}

function intParticle(v: number | bigint): { type: number; data: Buffer } {
  const data = Buffer.allocUnsafe(8);
  data.writeBigInt64BE(BigInt(v));
  return { type: ParticleType.INTEGER, data };
}

function parseArgs(op: Op): Unpacked[] | null {
  try {
    const { value } = unpack(op.data, 0);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

const num = (v: Unpacked | undefined, dflt: number): number => (typeof v === 'bigint' ? Number(v) : v === undefined || v === null ? dflt : NaN);

function valid(ib: number, mh: number): boolean {
  return ib >= 4 && ib <= 16 && (mh === 0 || (mh >= 4 && mh <= 51 && ib + mh <= 64));
}

/** hllModify: the new bin value and the op result, or a result code. */
export function hllModify(old: StoredBin | undefined, op: Op): { bin: Buffer; result: { type: number; data: Buffer } } | number {
  const a = parseArgs(op);
  if (!a || typeof a[0] !== 'bigint') return ResultCode.PARAMETER;
  if (old && old.type !== ParticleType.HLL) return ResultCode.INCOMPATIBLE_TYPE;
  const code = Number(a[0]);
  const nil = { type: ParticleType.NULL, data: Buffer.alloc(0) };
  if (code === 0) { // init
    const ib = num(a[1], -1), mh = Math.max(0, num(a[2], 0)), flags = num(a[3], 0);
    if (!valid(ib, mh)) return ResultCode.PARAMETER;
    if (old && flags & FLAG_CREATE_ONLY) return flags & FLAG_NO_FAIL ? { bin: old.data, result: nil } : ResultCode.BIN_EXISTS;
    if (!old && flags & FLAG_UPDATE_ONLY) return flags & FLAG_NO_FAIL ? ResultCode.OK : ResultCode.BIN_NOT_FOUND;
    return { bin: newHll(ib, mh), result: nil };
  }
  if (code === 1) { // add
    const list = a[1];
    if (!Array.isArray(list)) return ResultCode.PARAMETER;
    const ib = num(a[2], -1), mh = Math.max(0, num(a[3], 0));
    let h: Buffer;
    if (old) h = Buffer.from(old.data);
    else {
      if (!valid(ib, mh)) return ResultCode.BIN_NOT_FOUND;
      h = newHll(ib, mh);
    }
    const n = h[1]!;
    let updated = 0;
    for (const el of list) {
      const bytes = Buffer.from(JSON.stringify(el, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
      const d = createHash('sha1').update(bytes).digest();
      const hv = d.readBigUInt64BE(0);
      const r = Number(hv >> BigInt(64 - n));
      const rest = (hv << BigInt(n)) & 0xffffffffffffffffn;
      let rank = 1;
      for (let bit = 63n; bit >= 0n && ((rest >> bit) & 1n) === 0n && rank < 63; bit--) rank++;
      if (rank > getReg(h, r)) {
        setReg(h, r, Math.min(rank, 63));
        updated++;
      }
    }
    h.writeBigUInt64BE(0n, 3);
    return { bin: h, result: intParticle(updated) };
  }
  if (code === 3) { // set count: refresh cache
    if (!old) return ResultCode.BIN_NOT_FOUND;
    const e = estimate(old.data);
    const h = Buffer.from(old.data);
    h.writeBigUInt64BE(BigInt(e), 3);
    return { bin: h, result: intParticle(e) };
  }
  return ResultCode.UNSUPPORTED_FEATURE;
}

/** hllRead: count (50) and describe (55). */
export function hllRead(bin: StoredBin | undefined, op: Op): { type: number; data: Buffer } | number {
  const a = parseArgs(op);
  if (!a || typeof a[0] !== 'bigint') return ResultCode.PARAMETER;
  if (!bin) return { type: ParticleType.NULL, data: Buffer.alloc(0) };
  if (bin.type !== ParticleType.HLL) return ResultCode.INCOMPATIBLE_TYPE;
  const code = Number(a[0]);
  if (code === 50) return intParticle(estimate(bin.data));
  if (code === 55) return { type: ParticleType.LIST, data: Buffer.from([0x92, bin.data[1]!, bin.data[2]!]) };
  return ResultCode.UNSUPPORTED_FEATURE;
}
