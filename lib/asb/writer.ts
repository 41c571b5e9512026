// The .asb byte writer: blocks are written byte by byte into a shared slab and handed out
// as views of it, so there is no per-bin string concatenation and no copy. Used by the item
// encoder (encode.ts) and the wire-form encoder (encode-wire.ts).
import { AsError } from '../errors.js';
import { BIN_LETTER, BYTES_TYPES } from './constants.js';
import { writeDouble } from './double.js';
import { escape } from './escape.js';

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
const SHORT = 48; // strings up to this length are written by a JS loop
let buf = Buffer.allocUnsafeSlow(SLAB_SIZE) as FastBuffer;
let start = 0;
let pos = 0;

function ensure(n: number): void {
  if (pos + n <= buf.length) return;
  const used = pos - start;
  const next = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, (used + n) * 2)) as FastBuffer;
  buf.copy(next, 0, start, pos);
  buf = next;
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
  if (v <= 0x7fffffff) {
    // Int32 arithmetic: the common case (lengths, counts, most values) and much cheaper.
    let digits = 1;
    for (let t = v; t >= 10; t = (t / 10) | 0) digits++;
    ensure(digits);
    let p = pos + digits;
    for (let t = v | 0; p > pos; t = (t / 10) | 0) buf[--p] = 48 + (t % 10);
    pos += digits;
    return;
  }
  let digits = 1;
  for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
  ensure(digits);
  let p = pos + digits;
  for (let t = v; p > pos; t = Math.floor(t / 10)) buf[--p] = 48 + (t % 10);
  pos += digits;
}

export function byte(c: number): void {
  ensure(1);
  buf[pos++] = c;
}

export function raw(b: Buffer, from = 0, to = b.length): void {
  const n = to - from;
  ensure(n);
  if (n > SHORT) b.copy(buf, pos, from, to);
  else for (let i = 0; i < n; i++) buf[pos + i] = b[from + i]!;
  pos += n;
}

/** `<len> SP <bytes>`: length-prefixed raw data. */
export function sized(b: Buffer, from = 0, to = b.length): void {
  uint(to - from);
  byte(0x20);
  raw(b, from, to);
}

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));
// Two base64 characters per 12 bits: half the lookups of a 6-bit table.
const B64_PAIR = Uint16Array.from({ length: 4096 }, (_, v) => (B64[v >> 6]! << 8) | B64[v & 63]!);

/** Writes base64 of b (standard alphabet, `=` padding); short values in JS, long natively. */
export function base64(b: Buffer, from = 0, to = b.length): void {
  const n = to - from;
  const len = Math.ceil(n / 3) * 4;
  ensure(len);
  if (n > 4 * SHORT) {
    pos += buf.latin1Write(b.toString('base64', from, to), pos);
    return;
  }
  let i = from;
  let p = pos;
  for (; i + 3 <= to; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    const hi = B64_PAIR[v >> 12]!;
    const lo = B64_PAIR[v & 4095]!;
    buf[p] = hi >> 8;
    buf[p + 1] = hi & 255;
    buf[p + 2] = lo >> 8;
    buf[p + 3] = lo & 255;
    p += 4;
  }
  if (i < to) {
    const v = (b[i]! << 16) | (i + 1 < to ? b[i + 1]! << 8 : 0);
    buf[p++] = B64[v >> 18]!;
    buf[p++] = B64[(v >> 12) & 63]!;
    buf[p++] = i + 1 < to ? B64[(v >> 6) & 63]! : 0x3d;
    buf[p++] = 0x3d;
  }
  pos = p;
}

/** `<b64len> SP <base64>`: the length counts base64 characters. */
export function sizedBase64(b: Buffer, from = 0, to = b.length): void {
  uint(Math.ceil((to - from) / 3) * 4);
  byte(0x20);
  base64(b, from, to);
}

export function lf(): void {
  byte(0x0a);
}

/** Writes the decimal text of 8 big-endian bytes (an int64). */
export function int64(data: Buffer, at = 0, size = data.length): void {
  if (size !== 8) throw new AsError('ASB_ENCODE', `integer value of ${size} bytes (expected 8)`);
  const hi = data.readInt32BE(at);
  // Below 2^53 in magnitude a double holds the value exactly: no BigInt needed.
  if (hi >= -0x200000 && hi < 0x200000) {
    const v = hi * 4294967296 + data.readUInt32BE(at + 4);
    if (v < 0) {
      byte(0x2d);
      uint(-v);
    } else {
      uint(v);
    }
    return;
  }
  ascii(data.readBigInt64BE(at).toString());
}

/** Writes a double (8 big-endian bytes) as printf("%.17g"). */
export function double(data: Buffer, at = 0, size = data.length): void {
  if (size !== 8) throw new AsError('ASB_ENCODE', `double value of ${size} bytes (expected 8)`);
  ensure(24); // longest: -2.2250738585072014e-308
  pos = writeDouble(data, buf, pos, at);
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

/** Writes name bytes as they came from the server, escaped (backslash before `\`, SP, LF). */
export function nameBytes(b: Buffer, from: number, to: number): void {
  ensure((to - from) * 2);
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 0x5c || c === 0x20 || c === 0x0a) buf[pos++] = 0x5c;
    buf[pos++] = c;
  }
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

let scratch: FastBuffer | undefined;

/** Records encoded back to back: `bytes` holds them all, record i ends at ends[i]. */
export interface AsbRun {
  kind: 'run';
  bytes: Buffer;
  ends: Uint32Array;
}

/**
 * writeRun: n blocks written back to back by write(i) on the reused scratch slab, as one
 * view plus where each ends: no view or object per record. No block ends inside the run,
 * so a growing slab carries the whole run along. Valid only until the next scratch use.
 */
export function writeRun(n: number, write: (i: number) => void): AsbRun {
  return withScratch(() => {
    const ends = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      write(i);
      ends[i] = pos - start;
    }
    return { kind: 'run', bytes: endBlock(), ends };
  });
}

/**
 * withScratch: runs fn with the writer on one reused scratch slab: the blocks it returns are
 * valid only until the next withScratch call.
 */
export function withScratch<T>(fn: () => T): T {
  const saved = { buf, start, pos };
  buf = scratch ??= Buffer.allocUnsafeSlow(SLAB_SIZE) as FastBuffer;
  start = 0;
  pos = 0;
  try {
    return fn();
  } finally {
    scratch = buf;
    ({ buf, start, pos } = saved);
  }
}
