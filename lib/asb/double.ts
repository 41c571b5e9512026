// Doubles as the C tool writes and reads them: printf("%.17g") and a strict strtod.
// JavaScript has neither, so both are built here from toExponential() and Number().
import { putUint } from './digits.js';
import { readU32 } from '../protocol/layout.js';

const scratch = Buffer.alloc(8);
const text = Buffer.alloc(32); // formatDouble's output, longest is 24 bytes
const TWO_53 = 9007199254740992;

/**
 * formatDouble: the exact bytes glibc printf("%.17g") gives for a double, with `-0`, `inf`,
 * `-inf`, `nan` and `-nan` (a NaN's sign bit decides, so pass the 8 raw big-endian bytes
 * when the sign of a NaN matters; a JS number NaN formats as `nan`).
 */
export function formatDouble(v: Buffer | number): string {
  if (typeof v === 'number') {
    scratch.writeDoubleBE(v);
    v = scratch;
  }
  return text.toString('latin1', 0, writeDouble(v, text, 0));
}

/**
 * writeDouble: formatDouble() written as bytes into out[pos..] (at most 24 bytes); returns
 * the end position. The encoder's hot path: no intermediate strings but toExponential's.
 */
export function writeDouble(data: Buffer, out: Buffer, pos: number, at = 0): number {
  // Two 4-byte reads into a DataView: cheaper than readDoubleBE's bounds checks and copies.
  STEP.setUint32(0, readU32(data, at));
  STEP.setUint32(4, readU32(data, at + 4));
  const x = STEP.getFloat64(0);
  const negBit = (data[at]! & 0x80) !== 0;
  if (x !== x) return put(out, pos, negBit ? '-nan' : 'nan');
  if (x === Infinity) return put(out, pos, 'inf');
  if (x === -Infinity) return put(out, pos, '-inf');
  if (x === 0) return put(out, pos, negBit ? '-0' : '0');
  if (negBit) out[pos++] = 0x2d;
  const a = negBit ? -x : x;
  // A whole number below 2^53 (counts, cents, timestamps, 1.0) is its digits under %.17g,
  // written as an integer: a fraction of the cost of the 17-digit path below.
  if (a < TWO_53 && Number.isInteger(a)) return putUint(out, pos, a);
  const e = a >= 1e-6 && a < 1e17 ? exactDigits(a) : NaN;
  if (e === e) return layout(e, out, pos);
  // toExponential(16) is correctly rounded to 17 significant digits, but it breaks exact
  // ties upwards where glibc rounds them to even; exactTie() handles that case.
  let s = a.toExponential(16); // d.dddddddddddddddde[+-]X
  const tie = exactTie(a, expOf(s, 18));
  if (tie !== undefined) s = tie;
  let high = 0;
  let low = 0;
  for (let i = 0; i < 9; i++) if (i !== 1) high = high * 10 + s.charCodeAt(i) - 48;
  for (let i = 9; i < 18; i++) low = low * 10 + s.charCodeAt(i) - 48;
  HIGH = high;
  LOW = low;
  return layout(expOf(s, 18), out, pos);
}
/** 10^0..10^22: the powers of ten that are exact doubles (the WebAssembly writer's table too). */
export const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter

// A double's bits (its binary exponent; one ulp up or down), and the decimal exponent from
// the binary one.
const STEP = new DataView(new ArrayBuffer(8));
const LOG10_2 = 0.3010299956639812;
const TENS = Array.from({ length: 25 }, (_, i) => 10 ** (i - 7)); // 10^-7 .. 10^17

/**
 * exactDigits: for 1e-6 <= a < 1e17, the 17 significant digits of a, rounded half to even
 * as glibc does, into HIGH and LOW; returns the decimal exponent, or NaN to leave it to the
 * slow path. Several times faster than toExponential.
 */
function exactDigits(a: number): number {
  // The decimal exponent from the binary one, without a log10 call: one off at most, and
  // only near a power of ten (scaled17 corrects it).
  STEP.setFloat64(0, a);
  let e = Math.floor(((STEP.getUint32(0) >>> 20) - 1023) * LOG10_2);
  if (e >= -7 && e <= 16 && a >= TENS[e + 8]!) e++;
  return scaled17(a, e);
}

// scaled17's result: the 17 significant digits as HIGH (the first 8) and LOW (the last 9).
let HIGH = 0;
let LOW = 0;

/**
 * scaled17: a's 17 significant digits, rounded half to even as glibc does, into HIGH and
 * LOW, given its decimal exponent e or one off; returns the exponent, or NaN outside
 * 1e-6 <= a < 1e17. a * 10^(16-e) is computed exactly as p + err (Dekker's product;
 * 10^(16-e) is an exact double for these e), p is an even integer (>= 2^53), so rounding
 * the exact product to an integer is p plus err rounded half to even.
 */
function scaled17(a: number, e: number): number {
  let p = 0;
  let err = 0;
  for (let tries = 0; ; tries++) {
    if (e < -6 || e > 16 || tries === 3) return NaN;
    const f = POW10[16 - e]!;
    p = a * f;
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * f;
    const fh = t - (t - f);
    const fl = f - fh;
    err = ah * fh - p + ah * fl + al * fh + al * fl;
    if (p < 1e16 || (p === 1e16 && err < 0)) e--; // the exact product is below 10^16
    else if (p > 1e17 || (p === 1e17 && err >= 0)) e++; // at or above 10^17
    else break;
  }
  let r = Math.floor(err);
  const frac = err - r;
  if (frac > 0.5 || (frac === 0.5 && (r & 1) !== 0)) r++;
  // N = p + r, up to 10^17, does not fit a double: split it as high * 10^9 + low.
  const hi32 = Math.floor(p / 4294967296); // p = hi32 * 2^32 + lo32, both exact
  const t = hi32 * 294967296 + (p - hi32 * 4294967296) + r; // 2^32 = 4 * 10^9 + 294967296
  let t1 = Math.floor(t / 1e9);
  let low = t - t1 * 1e9;
  if (low < 0) { t1--; low += 1e9; } else if (low >= 1e9) { t1++; low -= 1e9; }
  let high = 4 * hi32 + t1;
  if (high >= 1e8) { // rounded up to 10^17: one more digit before the point
    high = 1e7;
    low = 0;
    e++;
  }
  HIGH = high;
  LOW = low;
  return e;
}

function put(out: Buffer, pos: number, s: string): number {
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
  return pos;
}

/** expOf: the decimal exponent after the 'e' at index `at` of a toExponential() string. */
function expOf(s: string, at: number): number {
  let v = 0;
  for (let i = at + 2; i < s.length; i++) v = v * 10 + s.charCodeAt(i) - 48;
  return s.charCodeAt(at + 1) === 0x2d ? -v : v;
}

const SCALE = Array.from({ length: 24 }, (_, i) => 2 ** (24 - i)); // 2^(17-e) for e = -7..16

/**
 * exactTie: for a double whose exact decimal value has 18 significant digits ending in 5,
 * the 17-digit rounding is a tie, which glibc rounds half to even. Such doubles are exactly
 * k / 2^(17-e) with -6 <= e <= 15 (no others have that short an expansion), so all others
 * skip the check. Returns the corrected toExponential(16)-shaped string, or undefined.
 */
function exactTie(a: number, e: number): string | undefined {
  if (e < -7 || e > 16) return undefined;
  // a = k / 2^m (k odd) has e + m + 1 significant digits: 18 only when m = 17 - e, that is
  // when a * 2^(17-e) is an integer and a * 2^(16-e) is not (both products are exact).
  const scaled = a * SCALE[e + 7]!;
  if (!Number.isInteger(scaled) || Number.isInteger(scaled / 2)) return undefined;
  const s = a.toExponential(17); // 18 significant digits: exact for these doubles
  if (s[18] !== '5') return undefined;
  const exp = expOf(s, 19);
  const digits = s[0]! + s.slice(2, 18); // truncated to 17 digits
  // A tie: round up only when the 17th digit is odd.
  if ((digits.charCodeAt(16) - 48) % 2 === 0) return `${digits[0]}.${digits.slice(1)}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`;
  const n = (BigInt(digits) + 1n).toString();
  const e2 = n.length > 17 ? exp + 1 : exp;
  return `${n[0]}.${n.slice(1, 17)}e${e2 < 0 ? '-' : '+'}${Math.abs(e2)}`;
}

// Two-digit groups as their ASCII tens and ones: half the divisions of a digit at a time.
const TENS_CHAR = Uint8Array.from({ length: 100 }, (_, i) => 48 + ((i / 10) | 0));
const ONES_CHAR = Uint8Array.from({ length: 100 }, (_, i) => 48 + (i % 10));

/** putDigits17: the 17 digits of HIGH (8) and LOW (9) at out[at..at+17). */
function putDigits17(out: Buffer, at: number): void {
  // Both halves fit an int32: integer division is a multiply, a double `%` a call.
  let h = HIGH | 0;
  let l = LOW | 0;
  for (let i = at + 6; i >= at; i -= 2) {
    const q = (h / 100) | 0;
    const r = h - q * 100;
    out[i] = TENS_CHAR[r]!;
    out[i + 1] = ONES_CHAR[r]!;
    h = q;
  }
  for (let i = at + 15; i > at + 8; i -= 2) {
    const q = (l / 100) | 0;
    const r = l - q * 100;
    out[i] = TENS_CHAR[r]!;
    out[i + 1] = ONES_CHAR[r]!;
    l = q;
  }
  out[at + 8] = 48 + l;
}

/**
 * layout: the %g form of the 17 significant digits in HIGH and LOW with decimal exponent
 * e, written at out[pos..]: exponent form when e < -4 or e >= 17; trailing zeros and a
 * trailing dot cut; the exponent signed, at least two digits. The digits go straight to
 * where they end up, one byte on when a point follows the first of them, which then moves
 * back over it: no copy of the digits.
 */
function layout(e: number, out: Buffer, pos: number): number {
  const exponent = e < -4 || e >= 17;
  if (!exponent && e < 0) { // 0.000ddd
    out[pos++] = 0x30;
    out[pos++] = 0x2e;
    for (let i = -1; i > e; i--) out[pos++] = 0x30;
    putDigits17(out, pos);
    let end = pos + 17;
    while (out[end - 1] === 0x30) end--; // the first digit is not 0
    return end;
  }
  // The digits before the point: all of the integer part, or the first one.
  const lead = exponent ? 1 : e + 1;
  const at = pos + 1;
  putDigits17(out, at);
  let end = at + 17;
  while (end > at + lead && out[end - 1] === 0x30) end--;
  for (let i = at; i < at + lead; i++) out[i - 1] = out[i]!;
  if (end > at + lead) out[at + lead - 1] = 0x2e;
  else end = at + lead - 1;
  if (!exponent) return end;
  out[end++] = 0x65; // e
  out[end++] = e < 0 ? 0x2d : 0x2b;
  const ae = e < 0 ? -e : e;
  if (ae >= 100) out[end++] = 48 + ((ae / 100) | 0);
  out[end++] = 48 + (((ae / 10) | 0) % 10);
  out[end++] = 48 + (ae % 10);
  return end;
}

/** nextAfter: the double `ulps` units in the last place above a finite positive a (below when negative). */
function nextAfter(a: number, ulps: number): number {
  STEP.setFloat64(0, a);
  let hi = STEP.getUint32(0);
  let lo = STEP.getUint32(4) + ulps;
  if (lo > 0xffffffff) { lo -= 4294967296; hi++; } else if (lo < 0) { lo += 4294967296; hi--; }
  STEP.setUint32(0, hi);
  STEP.setUint32(4, lo);
  return STEP.getFloat64(0);
}

/**
 * decimalAt: the double nearest a decimal token b[from, to) of the shape
 * `-?digits[.digits][e[+-]digits]`, or NaN to leave it to Number(). The restore's hot
 * path: doubles written by %.17g decode without a string. Two exact cases: up to 2^53 as
 * an integer times a power of ten up to 10^22 is one correctly rounded operation
 * (Clinger's fast path); otherwise a candidate within an ulp or two is right exactly when
 * its own 17 digits (scaled17) are the token's, because 17-digit decimals lie closer
 * together than doubles, so at most one double rounds to them and it is the nearest.
 */
export function decimalAt(b: Buffer, from: number, to: number): number {
  let p = from;
  const neg = b[p] === 0x2d;
  if (neg) p++;
  let n = 0; // significant digits seen
  let high = 0; // the first 8 of them as an integer, then the next 9 in low
  let low = 0;
  let fraction = 0; // digits after the point
  let point = false;
  for (; p < to; p++) {
    const c = b[p]!;
    if (c === 0x2e) { point = true; continue; }
    if (c < 48 || c > 57) break;
    if (point) fraction++;
    if (n === 0 && c === 48) continue; // a leading zero
    if (n < 17) {
      if (n < 8) high = high * 10 + c - 48;
      else low = low * 10 + c - 48;
    } else if (c !== 48) {
      return NaN; // more than 17 significant digits
    }
    n++;
  }
  if (n === 0) return neg ? -0 : 0;
  let x = 0;
  if (p < to) { // e[+-]digits
    const minus = b[++p] === 0x2d;
    if (minus || b[p] === 0x2b) p++;
    for (; p < to; p++) {
      x = x * 10 + b[p]! - 48;
      if (x > 400) return NaN;
    }
    if (minus) x = -x;
  }
  const kept = n < 17 ? n : 17;
  // value = digits * 10^k, where digits is the integer of the kept significant digits
  const k = x - fraction + (n - kept);
  if (k < -22 || k > 22) return NaN;
  const digits = kept <= 8 ? high : high * POW10[kept - 8]! + low; // one rounding at most
  const scale = POW10[k < 0 ? -k : k]!;
  const v = k < 0 ? digits / scale : digits * scale;
  if (digits < TWO_53) return neg ? -v : v; // below 2^53 the integer is exact
  // Not exact: check v and its neighbours against the token's 17 digits and exponent.
  const e = n - 1 + k;
  if (e < -6 || e > 16) return NaN;
  const tokenHigh = kept <= 8 ? high * POW10[8 - kept]! : high;
  const tokenLow = kept <= 8 ? 0 : low * POW10[17 - kept]!;
  for (let d = 0; d < 5; d++) {
    const c = d === 0 ? v : nextAfter(v, d & 1 ? (d + 1) >> 1 : -(d >> 1));
    if (scaled17(c, e) === e && HIGH === tokenHigh && LOW === tokenLow) return neg ? -c : c;
  }
  return NaN;
}

/**
 * isDoublePrefix: the C reader's check, applied after every byte of a double token: true when
 * `s` may still become a number (sign, then a prefix of nan/inf/infinity in any case, or
 * digits with at most one `.` before at most one lowercase `e`, a sign only right after `e`).
 */
export function isDoublePrefix(s: string): boolean {
  let i = 0;
  const len = s.length;
  if (s[0] === '+' || s[0] === '-') i++;
  if (i === len) return true;
  const rest = s.slice(i).toLowerCase();
  if ('nan'.startsWith(rest) || 'infinity'.startsWith(rest)) return true;
  let dot = false;
  let ex = false;
  let prev = '';
  for (; i < len; i++) {
    const ch = s[i]!;
    if (ch >= '0' && ch <= '9') { prev = ch; continue; }
    if ((ch === '+' || ch === '-') && prev === 'e') { prev = ch; continue; }
    if (ch === '.' && !dot && !ex) { dot = true; prev = ch; continue; }
    if (ch === 'e' && !ex) { ex = true; prev = ch; continue; }
    return false;
  }
  return true;
}

// A whole token strtod consumes entirely (given that isDoublePrefix holds for it).
const COMPLETE = /^[+-]?(?:nan|inf|infinity|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

/**
 * parseDouble: the 8 big-endian bytes of a double token as the C reader accepts it, or
 * undefined when it rejects it. An empty token is 0 (strtod consumes nothing and stops at
 * the terminator); `-nan` keeps its sign bit. Writes into `out` when given.
 */
export function parseDouble(token: string, out: Buffer = Buffer.allocUnsafe(8), offset = 0): Buffer | undefined {
  if (token.length === 0) {
    out.writeDoubleBE(0, offset);
    return out;
  }
  if (!isDoublePrefix(token) || !COMPLETE.test(token)) return undefined;
  const c = token.charCodeAt(token.length - 1) | 0x20;
  if (c === 0x6e /* n */ && /nan$/i.test(token)) {
    // strtod's NaN is the default quiet NaN with the sign copied from the token.
    scratch.writeUInt32BE(token[0] === '-' ? 0xfff80000 : 0x7ff80000, 0);
    scratch.writeUInt32BE(0, 4);
    scratch.copy(out, offset);
    return out;
  }
  let v: number;
  if (c === 0x66 /* f */ || c === 0x79 /* y */) v = token[0] === '-' ? -Infinity : Infinity;
  else v = Number(token);
  out.writeDoubleBE(v, offset);
  return out;
}
