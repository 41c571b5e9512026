// Filter expressions (field 43) built from named ops: the ones a backup needs. Each
// expression is a msgpack array [op, args...] (C client as_exp.h op codes).
import { pack, type PackValue } from './msgpack.js';

/** Expression op codes. */
export const ExpOp = {
  EQ: 1, NE: 2, GT: 3, GE: 4, LT: 5, LE: 6,
  AND: 16, OR: 17, NOT: 18,
  DIGEST_MODULO: 64, DEVICE_SIZE: 65, LAST_UPDATE: 66, SINCE_UPDATE: 67, VOID_TIME: 68, TTL: 69,
  SET_NAME: 70, KEY_EXISTS: 71, IS_TOMBSTONE: 72, MEMORY_SIZE: 73, RECORD_SIZE: 74,
} as const;

/** An expression tree; literals are PackValues. */
export type Exp = PackValue;

export const exp = {
  lastUpdate: (): Exp => [ExpOp.LAST_UPDATE],
  voidTime: (): Exp => [ExpOp.VOID_TIME],
  ttl: (): Exp => [ExpOp.TTL],
  setName: (): Exp => [ExpOp.SET_NAME],
  keyExists: (): Exp => [ExpOp.KEY_EXISTS],
  digestModulo: (mod: number): Exp => [ExpOp.DIGEST_MODULO, mod],
  int: (v: number | bigint): Exp => BigInt(v),
  str: (s: string): Exp => s,
  eq: (a: Exp, b: Exp): Exp => [ExpOp.EQ, a, b],
  ne: (a: Exp, b: Exp): Exp => [ExpOp.NE, a, b],
  gt: (a: Exp, b: Exp): Exp => [ExpOp.GT, a, b],
  ge: (a: Exp, b: Exp): Exp => [ExpOp.GE, a, b],
  lt: (a: Exp, b: Exp): Exp => [ExpOp.LT, a, b],
  le: (a: Exp, b: Exp): Exp => [ExpOp.LE, a, b],
  and: (...e: Exp[]): Exp => (e.length === 1 ? e[0]! : [ExpOp.AND, ...e]),
  or: (...e: Exp[]): Exp => (e.length === 1 ? e[0]! : [ExpOp.OR, ...e]),
  not: (e: Exp): Exp => [ExpOp.NOT, e],
};

/** compile: the FILTER field bytes of an expression. */
export function compile(e: Exp): Buffer {
  return pack(e);
}

/**
 * andCompiled: the AND of expressions already compiled (a user's --filter-exp and one of
 * ours), without unpacking them: [AND, e1, e2, ...] with each ei's bytes as they are.
 */
export function andCompiled(...parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0]!;
  // The array header for n + 1 elements: pack the array with nils, then cut the nils off.
  const placeholder = pack(new Array<PackValue>(parts.length + 1).fill(null));
  const header = placeholder.subarray(0, placeholder.length - (parts.length + 1));
  return Buffer.concat([header, pack(ExpOp.AND), ...parts]);
}

/** Backup selection that becomes a server-side filter. */
export interface Selection {
  /** Records last updated at or after this time (ms since the Unix epoch). */
  modifiedAfter?: number;
  /** Records last updated before this time (ms since the Unix epoch). */
  modifiedBefore?: number;
  /** Keep this percentage (0 < p <= 100) of records, chosen by digest. */
  percent?: number;
  /** Only records in one of these sets (several sets; one set uses the SET field). */
  sets?: string[];
  /** No records of these sets (records without a set have the set name ""). */
  excludeSets?: string[];
  /** Only records that never expire. */
  noTtlOnly?: boolean;
}

/** Modulus of the sampling expression: percent is kept to two decimals. */
export const SAMPLE_MODULUS = 10000;

/**
 * selectionFilter: the expression for a selection, or undefined when nothing filters.
 * Sampling keeps records whose digest_modulo(10000) < percent x 100, so the same
 * records are chosen on every run and every node.
 */
export function selectionFilter(sel: Selection): Exp | undefined {
  const parts: Exp[] = [];
  if (sel.modifiedAfter !== undefined) parts.push(exp.ge(exp.lastUpdate(), BigInt(sel.modifiedAfter) * 1000000n));
  if (sel.modifiedBefore !== undefined) parts.push(exp.lt(exp.lastUpdate(), BigInt(sel.modifiedBefore) * 1000000n));
  if (sel.sets && sel.sets.length > 1) parts.push(exp.or(...sel.sets.map((s) => exp.eq(exp.setName(), exp.str(s)))));
  if (sel.excludeSets && sel.excludeSets.length > 0) parts.push(exp.and(...sel.excludeSets.map((s) => exp.ne(exp.setName(), exp.str(s)))));
  if (sel.noTtlOnly) parts.push(exp.eq(exp.ttl(), exp.int(-1)));
  if (sel.percent !== undefined && sel.percent < 100) {
    parts.push(exp.lt(exp.digestModulo(SAMPLE_MODULUS), exp.int(Math.round(sel.percent * (SAMPLE_MODULUS / 100)))));
  }
  return parts.length === 0 ? undefined : exp.and(...parts);
}
