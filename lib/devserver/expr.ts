// Filter-expression evaluation (field 43) for the dev server: metadata ops, comparisons,
// and/or/not, and plain bin reads. Anything else evaluates to "unknown" (record skipped).
import { unpack, type Unpacked } from '../protocol/msgpack.js';
import { ExpOp } from '../protocol/expression.js';
import { ParticleType } from '../protocol/constants.js';
import { CITRUSLEAF_EPOCH } from '../protocol/constants.js';
import { clepochSeconds, type Rec } from './store.js';

const EXP_BIN = 81;
const EXP_BIN_TYPE = 82;
const EXP_QUOTED = 126;

type Val = bigint | number | string | boolean | Buffer | null | undefined; // undefined = unknown

/** parseFilter: the decoded expression tree, or throws on bad msgpack. */
export function parseFilter(buf: Buffer): Unpacked {
  const { value, end } = unpack(buf, 0);
  if (end !== buf.length) throw new Error('trailing bytes after filter expression');
  return value;
}

function literal(v: Unpacked): Val {
  if (v === null || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number') return v;
  if (Array.isArray(v)) return undefined;
  if ('str' in v) return v.str === ParticleType.STRING ? v.data.toString('utf8') : v.data;
  return undefined;
}

function binValue(rec: Rec, name: string): Val {
  const b = rec.bins.find((x) => x.name === name);
  if (!b) return undefined;
  switch (b.type) {
    case ParticleType.INTEGER: return b.data.length === 8 ? b.data.readBigInt64BE(0) : 0n;
    case ParticleType.FLOAT: return b.data.readDoubleBE(0);
    case ParticleType.STRING: return b.data.toString('utf8');
    case ParticleType.BOOL: return b.data[0] !== 0;
    default: return b.data;
  }
}

function cmp(a: Val, b: Val): number | undefined {
  if (a === undefined || b === undefined || a === null || b === null) return undefined;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  return undefined;
}

/** evalExp: the value of an expression for a record at server time nowMs. */
export function evalExp(e: Unpacked, rec: Rec, nowMs: number): Val {
  if (!Array.isArray(e)) return literal(e);
  if (e.length === 0) return undefined;
  const op = e[0];
  if (typeof op !== 'bigint') return undefined;
  const arg = (i: number) => evalExp(e[i]!, rec, nowMs);
  switch (Number(op)) {
    case ExpOp.EQ: case ExpOp.NE: case ExpOp.GT: case ExpOp.GE: case ExpOp.LT: case ExpOp.LE: {
      const c = cmp(arg(1), arg(2));
      if (c === undefined) return undefined;
      switch (Number(op)) {
        case ExpOp.EQ: return c === 0;
        case ExpOp.NE: return c !== 0;
        case ExpOp.GT: return c > 0;
        case ExpOp.GE: return c >= 0;
        case ExpOp.LT: return c < 0;
        default: return c <= 0;
      }
    }
    case ExpOp.AND: {
      let unknown = false;
      for (let i = 1; i < e.length; i++) {
        const v = arg(i);
        if (v === false) return false;
        if (v !== true) unknown = true;
      }
      return unknown ? undefined : true;
    }
    case ExpOp.OR: {
      let unknown = false;
      for (let i = 1; i < e.length; i++) {
        const v = arg(i);
        if (v === true) return true;
        if (v !== false) unknown = true;
      }
      return unknown ? undefined : false;
    }
    case ExpOp.NOT: {
      const v = arg(1);
      return typeof v === 'boolean' ? !v : undefined;
    }
    case ExpOp.DIGEST_MODULO: {
      const mod = e[1];
      if (typeof mod !== 'bigint' || mod <= 0n) return undefined;
      // The server reads digest bytes 16..19 as a native (little-endian) u32.
      return BigInt(rec.digest.readUInt32LE(16)) % mod;
    }
    case ExpOp.LAST_UPDATE: return BigInt(rec.lastUpdate) * 1000000n;
    case ExpOp.SINCE_UPDATE: return BigInt(Math.max(0, nowMs - rec.lastUpdate));
    case ExpOp.VOID_TIME: return rec.voidTime === 0 ? -1n : BigInt(rec.voidTime + CITRUSLEAF_EPOCH) * 1000000000n;
    case ExpOp.TTL: return rec.voidTime === 0 ? -1n : BigInt(Math.max(0, rec.voidTime - clepochSeconds(nowMs)));
    case ExpOp.SET_NAME: return rec.set;
    case ExpOp.KEY_EXISTS: return rec.key !== undefined;
    case ExpOp.IS_TOMBSTONE: return false;
    case ExpOp.DEVICE_SIZE: case ExpOp.MEMORY_SIZE: case ExpOp.RECORD_SIZE: return BigInt(rec.wire.length);
    case EXP_BIN: {
      const name = e[2];
      if (name === undefined || Array.isArray(name) || name === null || typeof name !== 'object' || !('str' in name)) return undefined;
      return binValue(rec, name.data.toString('utf8'));
    }
    case EXP_BIN_TYPE: {
      const name = e[1];
      if (name === undefined || Array.isArray(name) || name === null || typeof name !== 'object' || !('str' in name)) return undefined;
      const b = rec.bins.find((x) => x.name === name.data.toString('utf8'));
      return BigInt(b ? b.type : 0);
    }
    case EXP_QUOTED: return undefined;
    default: return undefined;
  }
}

/** matches: whether a record passes a filter (unknown counts as false). */
export function matches(e: Unpacked | undefined, rec: Rec, nowMs: number): boolean {
  if (e === undefined) return true;
  return evalExp(e, rec, nowMs) === true;
}
