// Doubles as the C tool writes and reads them: printf("%.17g") and a strict strtod.
// JavaScript has neither, so both are built here from toExponential() and Number().

const scratch = Buffer.alloc(8);
const text = Buffer.alloc(32); // formatDouble's output, longest is 24 bytes

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
  const x = data.readDoubleBE(at);
  const negBit = (data[at]! & 0x80) !== 0;
  if (x !== x) return put(out, pos, negBit ? '-nan' : 'nan');
  if (x === Infinity) return put(out, pos, 'inf');
  if (x === -Infinity) return put(out, pos, '-inf');
  if (x === 0) return put(out, pos, negBit ? '-0' : '0');
  if (negBit) out[pos++] = 0x2d;
  const a = negBit ? -x : x;
  // toExponential(16) is correctly rounded to 17 significant digits, but it breaks exact
  // ties upwards where glibc rounds them to even; exactTie() handles that case.
  let s = a.toExponential(16); // d.dddddddddddddddde[+-]X
  let e = expOf(s, 18);
  const tie = exactTie(a, e);
  if (tie !== undefined) {
    s = tie;
    e = expOf(s, 18);
  }
  return layout(s, e, out, pos);
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
  if (!Number.isInteger(a * SCALE[e + 7]!)) return undefined; // exact: a power-of-two scale
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

/**
 * layout: the %g form of 17 significant digits (s in toExponential(16) shape) with decimal
 * exponent e: exponent form when e < -4 or e >= 17; trailing zeros and a trailing dot cut;
 * the exponent signed, at least two digits.
 */
function layout(s: string, e: number, out: Buffer, pos: number): number {
  // Digit i (0..16) of s is s[0] then s[2..17]; find how many remain without trailing zeros.
  let nd = 17;
  while (nd > 1 && s.charCodeAt(nd) === 48) nd--; // digit nd-1 sits at index nd (nd >= 2)
  const digit = (i: number): number => s.charCodeAt(i === 0 ? 0 : i + 1);
  if (e < -4 || e >= 17) {
    out[pos++] = digit(0);
    if (nd > 1) {
      out[pos++] = 0x2e;
      for (let i = 1; i < nd; i++) out[pos++] = digit(i);
    }
    out[pos++] = 0x65; // e
    out[pos++] = e < 0 ? 0x2d : 0x2b;
    const ae = e < 0 ? -e : e;
    if (ae >= 100) out[pos++] = 48 + ((ae / 100) | 0);
    out[pos++] = 48 + (((ae / 10) | 0) % 10);
    out[pos++] = 48 + (ae % 10);
    return pos;
  }
  if (e < 0) {
    out[pos++] = 0x30;
    out[pos++] = 0x2e;
    for (let i = -1; i > e; i--) out[pos++] = 0x30;
    for (let i = 0; i < nd; i++) out[pos++] = digit(i);
    return pos;
  }
  for (let i = 0; i <= e; i++) out[pos++] = i < nd ? digit(i) : 0x30;
  if (nd > e + 1) {
    out[pos++] = 0x2e;
    for (let i = e + 1; i < nd; i++) out[pos++] = digit(i);
  }
  return pos;
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
