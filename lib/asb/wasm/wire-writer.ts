// AssemblyScript, compiled to WebAssembly by `npm run build` (asc; not part of tsc's build).
//
// The backup's hot loop: records of a scan frame, still in wire form, written as .asb blocks,
// byte for byte what encode-wire.ts's writeWireRecord writes. Measured on the bench's
// records: ~250 ns a record against ~550-600 for the JS writer, copies in and out of this
// memory included; JS pays a bounds check per byte stored and V8 compiles it again after
// each deoptimization, code here is compiled once.
//
// It writes the usual forms and leaves the rest to the JS writer, a record at a time: a
// GeoJSON bin, a double %.17g cannot be had for by the exact fast path below (outside
// 1e-6..1e17 and not a whole number), a key of another type, an integer or double not of 8
// bytes, a generation over 65535 or a particle type .asb has no letter for (the JS writer
// then raises the error). The record layout read here is protocol/layout.ts's; the double
// formatting is asb/double.ts's fast path (its comments say why it is exact). A test
// compares the two writers over every particle type, key type and many doubles.
//
// Memory: the tables below are filled by the loader (wire-wasm.ts) from the JS writer's
// own tables; the frame, its offsets, the ends and the text go above FREE.

/** The base64 alphabet, 64 bytes. */
export const T_B64: usize = 1024;
/** Two base64 characters for each 12-bit value, the first in the low byte (4096 u16). */
export const T_PAIR: usize = 2048;
/** Per particle type, `- X ` as a little-endian u32 (0: no letter): 256 u32. */
export const T_PREFIX: usize = 12288;
/** The same with -C: `- X!` for the bytes family (a space follows). */
export const T_PREFIX_BANG: usize = 13312;
/** "00".."99", 100 u16. */
export const T_DIGITS: usize = 14336;
/** 10^0..10^22, 23 f64 (all exact). */
export const T_POW10: usize = 14592;
/** `+ n <ns>\n+ d `, the same for every record of a namespace (setHead's length). */
export const T_HEAD: usize = 16384;
/** Where the frame, offsets, ends and text go. */
export const FREE: usize = 65536;

let headLen: usize = 0;
/** Where run()'s text ended. */
export let textEnd: usize = 0;
/** Why run() stopped: 0 all written, 1 out of room, 2 a record left to the JS writer. */
export let stopped: i32 = 0;

export function setHead(len: usize): void {
  headLen = len;
}

@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

function putUint32(p: usize, v: u32): usize {
  if (v < 10) {
    store<u8>(p, 48 + v);
    return p + 1;
  }
  let n: usize = 2;
  for (let t = v / 100; t != 0; t /= 10) n++;
  let q = p + n;
  while (v >= 100) {
    const d = v / 100;
    q -= 2;
    store<u16>(q, load<u16>(T_DIGITS + ((v - d * 100) << 1)));
    v = d;
  }
  if (v >= 10) store<u16>(q - 2, load<u16>(T_DIGITS + (v << 1)));
  else store<u8>(q - 1, 48 + v);
  return p + n;
}

function putUint64(p: usize, v: u64): usize {
  if (v <= 0xffffffff) return putUint32(p, <u32>v);
  let n: usize = 10;
  for (let t = v / 10000000000; t != 0; t /= 10) n++;
  let q = p + n;
  while (v >= 100) {
    const d = v / 100;
    q -= 2;
    store<u16>(q, load<u16>(T_DIGITS + (<usize>(v - d * 100) << 1)));
    v = d;
  }
  if (v >= 10) store<u16>(q - 2, load<u16>(T_DIGITS + (<usize>v << 1)));
  else store<u8>(q - 1, 48 + <u32>v);
  return p + n;
}

/** Bytes [from, to) as they are: 8 at a time, a native copy when long. */
@inline function putBytes(p: usize, from: usize, to: usize): usize {
  const n = to - from;
  if (n > 64) {
    memory.copy(p, from, n);
    return p + n;
  }
  let i = from;
  for (; i + 8 <= to; i += 8, p += 8) store<u64>(p, load<u64>(i));
  for (; i < to; i++, p++) store<u8>(p, load<u8>(i));
  return p;
}

/** `<len> SP <bytes>`. */
@inline function putSized(p: usize, from: usize, to: usize): usize {
  p = putUint32(p, <u32>(to - from));
  store<u8>(p, 0x20);
  return putBytes(p + 1, from, to);
}

/** The 4 base64 characters of a 24-bit value as one little-endian u32. */
@inline function group(v: u32): u32 {
  return <u32>load<u16>(T_PAIR + ((v >> 12) << 1)) | (<u32>load<u16>(T_PAIR + ((v & 4095) << 1)) << 16);
}

function putBase64(p: usize, from: usize, to: usize): usize {
  let i = from;
  // A 4-byte load for 3 bytes: its fourth byte is past `to` at the end, still in memory
  // (the offsets follow the frame).
  for (; i + 3 <= to; i += 3, p += 4) store<u32>(p, group(be32(i) >> 8));
  if (i < to) {
    const two = i + 1 < to;
    const v: u32 = (<u32>load<u8>(i) << 16) | (two ? <u32>load<u8>(i + 1) << 8 : 0);
    store<u8>(p, load<u8>(T_B64 + (v >> 18)));
    store<u8>(p + 1, load<u8>(T_B64 + ((v >> 12) & 63)));
    store<u8>(p + 2, two ? load<u8>(T_B64 + ((v >> 6) & 63)) : 0x3d);
    store<u8>(p + 3, 0x3d);
    p += 4;
  }
  return p;
}

/** `<b64len> SP <base64>`: the length counts base64 characters. */
@inline function putSizedBase64(p: usize, from: usize, to: usize): usize {
  p = putUint32(p, <u32>((to - from + 2) / 3 * 4));
  store<u8>(p, 0x20);
  return putBase64(p + 1, from, to);
}

/** The 20-byte digest at `at` in base64: 28 characters, the last `=`. */
function putDigest(p: usize, at: usize): usize {
  store<u32>(p, group(be32(at) >> 8));
  store<u32>(p + 4, group(be32(at + 3) >> 8));
  store<u32>(p + 8, group(be32(at + 6) >> 8));
  store<u32>(p + 12, group(be32(at + 9) >> 8));
  store<u32>(p + 16, group(be32(at + 12) >> 8));
  store<u32>(p + 20, group(be32(at + 15) >> 8));
  const v: u32 = (<u32>load<u8>(at + 18) << 16) | (<u32>load<u8>(at + 19) << 8);
  store<u16>(p + 24, load<u16>(T_PAIR + ((v >> 12) << 1)));
  store<u8>(p + 26, load<u8>(T_B64 + ((v >> 6) & 63)));
  store<u8>(p + 27, 0x3d);
  return p + 28;
}

/** A bin or set name, a backslash before `\`, SP and LF. */
function putName(p: usize, from: usize, to: usize): usize {
  for (let i = from; i < to; i++) {
    const c = load<u8>(i);
    if (c == 0x5c || c == 0x20 || c == 0x0a) {
      store<u8>(p, 0x5c);
      p++;
    }
    store<u8>(p, c);
    p++;
  }
  return p;
}

/** The decimal text of the 8 big-endian bytes at `at` (an int64). */
function putInt64(p: usize, at: usize): usize {
  const v = <i64>bswap<u64>(load<u64>(at));
  if (v >= 0) return putUint64(p, <u64>v);
  store<u8>(p, 0x2d);
  return putUint64(p + 1, <u64>(-v)); // -(-2^63) wraps to itself: as u64, its magnitude
}

// ---- doubles as printf("%.17g"), the cases of asb/double.ts's fast path

/** The 17 significant digits: the first 8 in high, the last 9 in low. */
let high: u32 = 0;
let low: u32 = 0;
const LOG10_2: f64 = 0.3010299956639812;
const SPLIT: f64 = 134217729; // 2^27 + 1, Veltkamp's splitter
const NOT_HERE: i32 = i32.MIN_VALUE;

@inline function pow10(k: i32): f64 {
  return load<f64>(T_POW10 + (<usize>k << 3));
}

/**
 * scaled17: double.ts's scaled17: the 17 digits of a (1e-6 <= a < 1e17) rounded half to
 * even, given its decimal exponent or one off; a * 10^(16-e) exactly as p + err (Dekker).
 * Returns the exponent, or NOT_HERE.
 */
function scaled17(a: f64, e: i32): i32 {
  let p: f64 = 0;
  let err: f64 = 0;
  for (let tries = 0; ; tries++) {
    if (e < -6 || e > 16 || tries == 3) return NOT_HERE;
    const f = pow10(16 - e);
    p = a * f;
    let t = SPLIT * a;
    const ah = t - (t - a);
    const al = a - ah;
    t = SPLIT * f;
    const fh = t - (t - f);
    const fl = f - fh;
    err = ah * fh - p + ah * fl + al * fh + al * fl;
    if (p < 1e16 || (p == 1e16 && err < 0)) e--;
    else if (p > 1e17 || (p == 1e17 && err >= 0)) e++;
    else break;
  }
  let r = Math.floor(err);
  const frac = err - r;
  if (frac > 0.5 || (frac == 0.5 && (<i64>r & 1) != 0)) r++;
  // p is a whole number below 2^57: exact in an i64, and so is the sum.
  const n = <i64>p + <i64>r;
  let h = n / 1000000000;
  let l = n % 1000000000;
  if (h >= 100000000) { // rounded up to 10^17: one more digit before the point
    h = 10000000;
    l = 0;
    e++;
  }
  high = <u32>h;
  low = <u32>l;
  return e;
}

/** The 17 digits of high and low at [at, at + 17). */
function putDigits17(at: usize): void {
  let h = high;
  let l = low;
  for (let i: usize = 6; ; i -= 2) {
    const q = h / 100;
    store<u16>(at + i, load<u16>(T_DIGITS + ((h - q * 100) << 1)));
    h = q;
    if (i == 0) break;
  }
  for (let i: usize = 15; i > 8; i -= 2) {
    const q = l / 100;
    store<u16>(at + i, load<u16>(T_DIGITS + ((l - q * 100) << 1)));
    l = q;
  }
  store<u8>(at + 8, 48 + l);
}

/** double.ts's layout: the %g form of the digits with decimal exponent e. */
function layout(e: i32, pos: usize): usize {
  const exponent = e < -4 || e >= 17;
  if (!exponent && e < 0) { // 0.000ddd
    store<u8>(pos, 0x30);
    store<u8>(pos + 1, 0x2e);
    pos += 2;
    for (let i = -1; i > e; i--) store<u8>(pos++, 0x30);
    putDigits17(pos);
    let end = pos + 17;
    while (load<u8>(end - 1) == 0x30) end--;
    return end;
  }
  const lead: usize = exponent ? 1 : <usize>(e + 1);
  const at = pos + 1;
  putDigits17(at);
  let end = at + 17;
  while (end > at + lead && load<u8>(end - 1) == 0x30) end--;
  for (let i = at; i < at + lead; i++) store<u8>(i - 1, load<u8>(i));
  if (end > at + lead) store<u8>(at + lead - 1, 0x2e);
  else end = at + lead - 1;
  if (!exponent) return end;
  store<u8>(end++, 0x65);
  store<u8>(end++, e < 0 ? 0x2d : 0x2b);
  const ae = e < 0 ? -e : e;
  if (ae >= 100) store<u8>(end++, <u8>(48 + ae / 100));
  store<u8>(end++, <u8>(48 + (ae / 10) % 10));
  store<u8>(end++, <u8>(48 + ae % 10));
  return end;
}

/** The double (8 big-endian bytes at `at`) as printf("%.17g"); 0 when left to JS. */
function putDouble(p: usize, at: usize): usize {
  const bits = bswap<u64>(load<u64>(at));
  const x = reinterpret<f64>(bits);
  const neg = (bits >> 63) != 0;
  if (x != x) { // nan, -nan: the sign bit decides
    if (neg) {
      store<u32>(p, 0x6e616e2d);
      return p + 4;
    }
    store<u16>(p, 0x616e);
    store<u8>(p + 2, 0x6e);
    return p + 3;
  }
  if (x == Infinity || x == -Infinity) {
    if (neg) {
      store<u32>(p, 0x666e692d);
      return p + 4;
    }
    store<u16>(p, 0x6e69);
    store<u8>(p + 2, 0x66);
    return p + 3;
  }
  if (x == 0) {
    if (neg) {
      store<u16>(p, 0x302d);
      return p + 2;
    }
    store<u8>(p, 0x30);
    return p + 1;
  }
  if (neg) store<u8>(p++, 0x2d);
  const a = neg ? -x : x;
  if (a < 9007199254740992 && Math.floor(a) == a) return putUint64(p, <u64>a); // whole: its digits
  if (!(a >= 1e-6 && a < 1e17)) return 0;
  // The decimal exponent from the binary one: one off at most (scaled17 corrects it).
  let e = <i32>Math.floor(<f64>(<i32>((bits >> 52) & 0x7ff) - 1023) * LOG10_2);
  if (e >= -7 && e <= 16 && a >= (e >= -1 ? pow10(e + 1) : 1 / pow10(-(e + 1)))) e++;
  e = scaled17(a, e);
  if (e == NOT_HERE) return 0;
  return layout(e, p);
}

// ---- records: the AS_MSG layout of protocol/layout.ts

const N_FIELDS: usize = 18;
const N_OPS: usize = 20;
const GENERATION: usize = 6;
const RECORD_TTL: usize = 10;
const MSG_HEADER_SIZE: usize = 22;
const FIELD_SET: u32 = 1;
const FIELD_KEY: u32 = 2;
const FIELD_DIGEST: u32 = 4;
const P_NULL: u32 = 0;
const P_INTEGER: u32 = 1;
const P_FLOAT: u32 = 2;
const P_STRING: u32 = 3;
const P_BLOB: u32 = 4;
const P_BOOL: u32 = 17;
const P_GEOJSON: u32 = 23;
const MAX_GENERATION: u32 = 65535;
const KEY_LABEL: u32 = 0x206b202b; // `+ k `
const LF_PLUS: u32 = 0x20202b0a; // `\n+  `, its last byte then overwritten by the label

/** One record (its AS_MSG at `at`) as an .asb block at p; returns its end, or 0 to leave it to JS. */
function record(p: usize, at: usize, compact: bool): usize {
  const nFields = be16(at + N_FIELDS);
  const nOps = be16(at + N_OPS);
  let q = at + MSG_HEADER_SIZE;
  let digestAt: usize = 0;
  let setFrom: usize = 0;
  let setTo: usize = 0;
  for (let i: u32 = 0; i < nFields; i++) {
    const type = <u32>load<u8>(q + 4);
    const end = q + 4 + be32(q);
    if (type == FIELD_DIGEST) digestAt = q + 5;
    else if (type == FIELD_SET) {
      setFrom = q + 5;
      setTo = end;
    } else if (type == FIELD_KEY) {
      const kt = <u32>load<u8>(q + 5);
      const from = q + 6;
      store<u32>(p, KEY_LABEL);
      if (kt == P_INTEGER) {
        if (end - from != 8) return 0;
        store<u16>(p + 4, 0x2049); // `I `
        p = putInt64(p + 6, from);
      } else if (kt == P_STRING) {
        store<u16>(p + 4, 0x2053); // `S `
        p = putSized(p + 6, from, end);
      } else if (kt == P_BLOB && compact) {
        store<u16>(p + 4, 0x2142); // `B! `
        store<u8>(p + 6, 0x20);
        p = putSized(p + 7, from, end);
      } else if (kt == P_BLOB) {
        store<u16>(p + 4, 0x2042); // `B `
        p = putSizedBase64(p + 6, from, end);
      } else if (kt == P_FLOAT) {
        if (end - from != 8) return 0;
        store<u16>(p + 4, 0x2044); // `D `
        p = putDouble(p + 6, from);
        if (p == 0) return 0;
      } else {
        return 0;
      }
      store<u8>(p++, 0x0a);
    }
    q = end;
  }
  if (digestAt == 0) return 0;
  memory.copy(p, T_HEAD, headLen);
  p = putDigest(p + headLen, digestAt);
  if (setTo > setFrom) {
    store<u32>(p, LF_PLUS);
    store<u16>(p + 3, 0x2073); // `s `
    p = putName(p + 5, setFrom, setTo);
  }
  const generation = be32(at + GENERATION);
  if (generation > MAX_GENERATION) return 0;
  store<u32>(p, LF_PLUS);
  store<u16>(p + 3, 0x2067); // `g `
  p = putUint32(p + 5, generation);
  store<u32>(p, LF_PLUS);
  store<u16>(p + 3, 0x2074); // `t `: the void time
  p = putUint32(p + 5, be32(at + RECORD_TTL));
  store<u32>(p, LF_PLUS);
  store<u16>(p + 3, 0x2062); // `b `
  p = putUint32(p + 5, nOps);
  store<u8>(p++, 0x0a);
  const prefixes = compact ? T_PREFIX_BANG : T_PREFIX;
  for (let i: u32 = 0; i < nOps; i++) {
    const t = <u32>load<u8>(q + 5);
    const nameFrom = q + 8;
    const nameTo = nameFrom + <usize>load<u8>(q + 7);
    const from = nameTo + ((load<u8>(q + 6) & 1) != 0 ? 8 : 0); // after the LUT, when the op carries one
    const to = q + 4 + be32(q);
    q = to;
    const prefix = load<u32>(prefixes + (<usize>t << 2));
    if (prefix == 0 || t == P_GEOJSON) return 0;
    store<u32>(p, prefix);
    if ((prefix >>> 24) == 0x21) { // `- X!`, then a space
      store<u8>(p + 4, 0x20);
      p += 5;
    } else {
      p += 4;
    }
    p = putName(p, nameFrom, nameTo);
    if (t == P_STRING) {
      store<u8>(p, 0x20);
      p = putSized(p + 1, from, to);
    } else if (t == P_INTEGER) {
      if (to - from != 8) return 0;
      store<u8>(p, 0x20);
      p = putInt64(p + 1, from);
    } else if (t == P_FLOAT) {
      if (to - from != 8) return 0;
      store<u8>(p, 0x20);
      p = putDouble(p + 1, from);
      if (p == 0) return 0;
    } else if (t == P_BOOL) {
      store<u8>(p, 0x20);
      store<u8>(p + 1, load<u8>(from) != 0 ? 0x54 : 0x46);
      p += 2;
    } else if (t != P_NULL) {
      store<u8>(p, 0x20);
      p = compact ? putSized(p + 1, from, to) : putSizedBase64(p + 1, from, to);
    }
    store<u8>(p++, 0x0a);
  }
  return p;
}

/**
 * run: records i0.. of the frame at `body` (their offsets, u32, at `offsets`) as .asb text
 * from `from` on; record i's end (counted from `text`) goes to ends[i]. Stops at a record left to
 * the JS writer (stopped 2), or when the next record's bound (encode-wire.ts's: 3 bytes of
 * text per wire byte, the head and 64) would pass `limit` (stopped 1). Returns the index
 * of the first record not written; textEnd is where the text ends.
 */
export function run(body: usize, bodyLen: usize, offsets: usize, n: u32, i0: u32, ends: usize, text: usize, from: usize, limit: usize, compact: bool): u32 {
  let p = from;
  stopped = 0;
  for (let i = i0; i < n; i++) {
    const at = <usize>load<u32>(offsets + (<usize>i << 2));
    const next = i + 1 < n ? <usize>load<u32>(offsets + (<usize>(i + 1) << 2)) : bodyLen;
    const size = (next > at ? next : bodyLen) - at;
    if (p + 3 * size + headLen + 64 > limit) {
      stopped = 1;
      textEnd = p;
      return i;
    }
    const end = record(p, body + at, compact);
    if (end == 0) {
      stopped = 2;
      textEnd = p;
      return i;
    }
    p = end;
    store<u32>(ends + (<usize>i << 2), <u32>(p - text));
  }
  textEnd = p;
  return n;
}
