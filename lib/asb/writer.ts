// The .asb byte writer: blocks are written byte by byte into a shared slab and handed out
// as views of it, so there is no per-bin string concatenation and no copy. Used by the item
// encoder (encode.ts) and the wire-form encoder (encode-wire.ts).
import { AsError } from '../errors.js';
import { BIN_LETTER, BYTES_TYPES } from './constants.js';
import { writeDouble } from './double.js';
import { escape } from './escape.js';
import { putUint } from './digits.js';
import { viewOf } from '../protocol/layout.js';

// Node's Buffer has latin1Write/utf8Write (the bodies behind buf.write(s, o, enc)); calling
// them directly skips write()'s argument juggling. They are used for long strings only:
// for the many short ones (labels, names, numbers) a JS byte loop beats any native call.
type FastBuffer = Buffer & { latin1Write(s: string, o: number): number; utf8Write(s: string, o: number): number };
if (typeof (Buffer.prototype as Partial<FastBuffer>).latin1Write !== 'function') {
  throw new AsError('INTERNAL', 'this Node.js lacks Buffer.prototype.latin1Write (Node >= 20 has it)');
}

// Writer state. Blocks are written straight into a slab and handed out as views of it
// (like Node's own Buffer pool), so no per-block copy; a block that outgrows the slab moves
// to a new, bigger one. `start` is where the current block begins.
const SLAB_SIZE = 1024 * 1024;
const SHORT = 48; // ASCII strings up to this length are written by a JS loop
let buf = Buffer.allocUnsafeSlow(SLAB_SIZE) as FastBuffer;
let view = viewOf(buf);
let start = 0;
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const used = pos - start;
  const next = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, (used + n) * 2)) as FastBuffer;
  buf.copy(next, 0, start, pos);
  buf = next;
  view = viewOf(buf);
  start = 0;
  pos = used;
}

/** Writes an ASCII string (labels, numbers, base64). */
export function ascii(s: string): void {
  const n = s.length;
  ensure(n);
  if (n > SHORT) {
    pos += buf.latin1Write(s, pos);
    return;
  }
  for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
}

/** Writes a name, escaped (backslash before `\`, SP, LF), as UTF-8. */
export function name(s: string): void {
  const n = s.length;
  ensure(n * 3); // UTF-8 needs at most 3 bytes per UTF-16 unit; escapes at most 2
  const at = pos;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) { // not ASCII: let the native UTF-8 writer do the whole name
      pos = at + buf.utf8Write(escape(s), at);
      return;
    }
    if (c === 0x5c || c === 0x20 || c === 0x0a) buf[pos++] = 0x5c;
    buf[pos++] = c;
  }
}

/** Writes a non-negative safe integer in decimal. */
export function uint(v: number): void {
  ensure(16); // 2^53 has 16 digits
  pos = putUint(buf, pos, v);
}

export function byte(c: number): void {
  ensure(1);
  buf[pos++] = c;
}

export function raw(b: Buffer, from = 0, to = b.length): void {
  ensure(to - from);
  pos = putBytes(buf, view, pos, b, viewOf(b), from, to);
}

/** `<len> SP <bytes>`: length-prefixed raw data. */
export function sized(b: Buffer, from = 0, to = b.length): void {
  ensure(17 + to - from);
  pos = putSized(buf, view, pos, b, viewOf(b), from, to);
}

/** Writes base64 of b (standard alphabet, `=` padding). */
export function base64(b: Buffer, from = 0, to = b.length): void {
  ensure(Math.ceil((to - from) / 3) * 4);
  pos = putBase64(buf, view, pos, b, viewOf(b), from, to);
}

/** `<b64len> SP <base64>`: the length counts base64 characters. */
export function sizedBase64(b: Buffer, from = 0, to = b.length): void {
  ensure(17 + Math.ceil((to - from) / 3) * 4);
  pos = putSizedBase64(buf, view, pos, b, viewOf(b), from, to);
}

export function lf(): void {
  byte(0x0a);
}

/** Writes the decimal text of 8 big-endian bytes (an int64). */
export function int64(data: Buffer, at = 0, size = data.length): void {
  ensure(20); // -9223372036854775808
  pos = putInt64(buf, pos, data, at, size);
}

/** Writes a double (8 big-endian bytes) as printf("%.17g"). */
export function double(data: Buffer, at = 0, size = data.length): void {
  ensure(24); // longest: -2.2250738585072014e-308
  pos = putDouble(buf, pos, data, at, size);
}

// ---------------------------------------------------------------------------------------
// The pieces of the format as pure writers: each writes at out[p..] and returns where it
// ended; the caller made room. The slab functions above and the wire encoder
// (encode-wire.ts) both write through these, so each piece has one owner; the wire encoder
// keeps its position in a local variable, which V8 holds in a register. Bytes are moved 4
// at a time through DataViews of the same memory (`ov` of out, `bv` of b): V8 compiles
// their unaligned 32-bit loads and stores to single instructions, 3 to 5 times faster than
// a byte loop or a native copy for the short values records are made of.

const LONG = 192; // above this, a native copy beats 4-byte moves

/** putBytes: b[from, to) as they are. */
export function putBytes(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, from: number, to: number): number {
  if (to - from > LONG) {
    b.copy(out, p, from, to);
    return p + to - from;
  }
  let i = from;
  for (; i + 4 <= to; i += 4, p += 4) ov.setUint32(p, bv.getUint32(i));
  for (; i < to; i++) out[p++] = b[i]!;
  return p;
}

/** putSized: `<len> SP <bytes>`. */
export function putSized(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, from: number, to: number): number {
  p = putUint(out, p, to - from);
  out[p] = 0x20;
  return putBytes(out, ov, p + 1, b, bv, from, to);
}

/** The base64 alphabet (standard, as bytes); the WebAssembly writer's table is filled from it. */
export const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
// Two base64 characters per 12 bits: half the lookups of a 6-bit table.
const B64_PAIR = Uint16Array.from({ length: 4096 }, (_, v) => (B64[v >> 6]! << 8) | B64[v & 63]!);

/** putBase64: base64 of b[from, to) (standard alphabet, `=` padding); short values in JS, long natively. */
export function putBase64(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, from: number, to: number): number {
  if (to - from > 4 * LONG) return p + (out as FastBuffer).latin1Write(b.toString('base64', from, to), p);
  let i = from;
  // Three bytes in by one 4-byte load (while a fourth byte exists), four characters out by one store.
  const loads = Math.min(to, b.length - 1);
  for (; i + 3 <= loads; i += 3, p += 4) {
    putGroup(ov, p, bv.getUint32(i) >>> 8);
  }
  for (; i + 3 <= to; i += 3, p += 4) {
    putGroup(ov, p, (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!);
  }
  if (i < to) {
    const two = i + 1 < to;
    const v = (b[i]! << 16) | (two ? b[i + 1]! << 8 : 0);
    out[p] = B64[v >> 18]!;
    out[p + 1] = B64[(v >> 12) & 63]!;
    out[p + 2] = two ? B64[(v >> 6) & 63]! : 0x3d;
    out[p + 3] = 0x3d;
    p += 4;
  }
  return p;
}

/**
 * putDigestBase64: base64 of the 20 bytes at b[at..] (a digest, on every record): six
 * 3-byte groups by 4-byte loads that stay inside the 20 bytes, then the last two bytes and
 * `=`; unrolled, without a loop or length checks.
 */
export function putDigestBase64(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, at: number): number {
  putGroup(ov, p, bv.getUint32(at) >>> 8);
  putGroup(ov, p + 4, bv.getUint32(at + 3) >>> 8);
  putGroup(ov, p + 8, bv.getUint32(at + 6) >>> 8);
  putGroup(ov, p + 12, bv.getUint32(at + 9) >>> 8);
  putGroup(ov, p + 16, bv.getUint32(at + 12) >>> 8);
  putGroup(ov, p + 20, bv.getUint32(at + 15) >>> 8);
  const v = (b[at + 18]! << 16) | (b[at + 19]! << 8);
  ov.setUint32(p + 24, (B64_PAIR[v >> 12]! << 16) | (B64[(v >> 6) & 63]! << 8) | 0x3d);
  return p + 28;
}

/** putGroup: the 4 base64 characters of the 24-bit value v, by one store. */
function putGroup(ov: DataView, p: number, v: number): void {
  ov.setUint32(p, (B64_PAIR[v >> 12]! << 16) | B64_PAIR[v & 4095]!);
}

/** putSizedBase64: `<b64len> SP <base64>`; the length counts base64 characters. */
export function putSizedBase64(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, from: number, to: number): number {
  p = putUint(out, p, Math.ceil((to - from) / 3) * 4);
  out[p] = 0x20;
  return putBase64(out, ov, p + 1, b, bv, from, to);
}

/** putInt64: the decimal text of 8 big-endian bytes (an int64) at data[at..]. */
export function putInt64(out: Buffer, p: number, data: Buffer, at: number, size: number): number {
  if (size !== 8) throw new AsError('ASB_ENCODE', `integer value of ${size} bytes (expected 8)`);
  const hi = (data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!;
  // Below 2^53 in magnitude a double holds the value exactly: no BigInt needed.
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + (((data[at + 4]! << 24) | (data[at + 5]! << 16) | (data[at + 6]! << 8) | data[at + 7]!) >>> 0);
    if (v >= 0) return putUint(out, p, v);
    out[p] = 0x2d;
    return putUint(out, p + 1, -v);
  }
  return p + (out as FastBuffer).latin1Write(data.readBigInt64BE(at).toString(), p);
}

/** putDouble: a double (8 big-endian bytes at data[at..]) as printf("%.17g"), at most 24 bytes. */
export function putDouble(out: Buffer, p: number, data: Buffer, at: number, size: number): number {
  if (size !== 8) throw new AsError('ASB_ENCODE', `double value of ${size} bytes (expected 8)`);
  return writeDouble(data, out, p, at);
}

/** putNameBytes: name bytes as they came from the server, escaped (backslash before `\`, SP, LF). */
export function putNameBytes(out: Buffer, p: number, b: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 0x5c || c === 0x20 || c === 0x0a) out[p++] = 0x5c;
    out[p++] = c;
  }
  return p;
}

/**
 * putNameWords: putNameBytes for a record's names (bin and set names, every record): four
 * bytes at a time through the DataViews while none of them needs a backslash (one test of
 * the word for any of the three bytes), byte by byte otherwise and for the last 0-3.
 */
export function putNameWords(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, from: number, to: number): number {
  let i = from;
  for (; i + 4 <= to; i += 4) {
    const w = bv.getUint32(i);
    if (hasEscaped(w)) return putNameBytes(out, p, b, i, to);
    ov.setUint32(p, w);
    p += 4;
  }
  return putNameBytes(out, p, b, i, to);
}

/** hasEscaped: whether any byte of the 32-bit word is `\`, SP or LF (a byte equal to c is a zero byte of w ^ c). */
function hasEscaped(w: number): boolean {
  const x = w ^ 0x5c5c5c5c;
  const y = w ^ 0x20202020;
  const z = w ^ 0x0a0a0a0a;
  return (((((x - 0x01010101) | 0) & ~x) | (((y - 0x01010101) | 0) & ~y) | (((z - 0x01010101) | 0) & ~z)) & 0x80808080) !== 0;
}

// Bin line prefixes `- X ` and `- X! ` per particle type, built once.
export const PREFIX: Buffer[] = [];
export const PREFIX_BANG: Buffer[] = [];
for (const [t, letter] of Object.entries(BIN_LETTER)) {
  PREFIX[Number(t)] = Buffer.from(`- ${letter} `);
  PREFIX_BANG[Number(t)] = Buffer.from(BYTES_TYPES.has(Number(t)) ? `- ${letter}! ` : `- ${letter} `);
}

/** A header number that must be an integer in [0, max]. */
export function header(v: number, what: string, max: number): void {
  if (!(Number.isSafeInteger(v) && v >= 0 && v <= max)) {
    throw new AsError('ASB_ENCODE', `${what} ${v} is not an integer in 0..${max}`, { value: v });
  }
  uint(v);
}

/** endBlock: the block written since the last one, as a view; the next block starts after it. */
export function endBlock(): Buffer {
  const out = buf.subarray(start, pos);
  start = pos;
  return out;
}

/** dropBlock: forgets a partly written block (after an error). */
export function dropBlock(): void {
  pos = start;
}

/** Records encoded back to back: `bytes` holds them all, record i ends at ends[i]. */
export interface AsbRun {
  kind: 'run';
  bytes: Buffer;
  ends: Uint32Array;
}
