// The byte cursor under the `.asb` decoder: primitive readers that follow the C reader
// (dec_text.c / utils.c) byte for byte, with its error messages and positions.
//
// Why a cursor that can run out: a block is parsed synchronously from one buffer. When the
// buffer ends inside the block and more input may follow, the reader throws NEED (carrying
// how many bytes from the block start it needs), the driver appends input, and the block is
// parsed again from its start. Length-prefixed values say their size, so a multi-MB value
// costs one refill, not one per chunk.
import { ParseError } from '../errors.js';
import { BACKSLASH, LF, MAX_SIZE, MAX_TOKEN_SIZE, SP } from './constants.js';
import { decimalAt, isDoublePrefix, parseDouble } from './double.js';

// Node's Buffer has utf8Slice (the body of toString('utf8', s, e)); calling it directly skips
// toString's argument checks, which matter for many short names.
type SliceBuffer = Buffer & { utf8Slice(s: number, e: number): string };

/** NeedMore: control-flow signal (not an error): the block needs `need` bytes from its start. */
export class NeedMore {
  need = 0;
}
/** NEED: the one NeedMore instance (thrown often at chunk edges; no allocation, no stack). */
export const NEED = new NeedMore();

/** printChar: a byte as the C reader prints it: `"x"` when printable, else `\xNN`. */
export function printChar(c: number): string {
  return c >= 32 && c <= 126 ? `"${String.fromCharCode(c)}"` : `\\x${c.toString(16).padStart(2, '0')}`;
}

// Base64 digit per byte; '=' reads as 0 like the C table; 0xff = not base64.
const B64 = new Uint8Array(256).fill(0xff);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, i) => { B64[ch.charCodeAt(0)] = i; });
B64[0x3d] = 0;
const EQ = 0x3d; // '='
const COPY_MAX = 64 * 1024; // raw values below this are copied out of the input buffer

/** AsbCursor: the input window (one block at least) and the position inside it. */
export class AsbCursor {
  /** Current input window. */
  b: Buffer = Buffer.alloc(0);
  /** Read position in `b`. */
  p = 0;
  /** Where the block being parsed starts in `b` (always a line start). */
  blockStart = 0;
  /** File offset of b[0]. */
  base = 0;
  /** True when no input follows `b`. */
  eof = false;
  /** Line number of `blockStart`. */
  line = 1;
  /** LFs consumed since `blockStart` (terminators and LFs inside values). */
  nl = 0;
  /** Version 3.0 file: names are not unescaped. */
  legacy = false;

  constructor(readonly file: string) {}

  /** error: a ParseError at index `at` of `b`, with line, column and the line's text. */
  error(message: string, at: number): ParseError {
    let line = this.line;
    let lineStart = this.blockStart;
    for (let i = this.b.indexOf(LF, this.blockStart); i >= 0 && i < at; i = this.b.indexOf(LF, i + 1)) {
      line++;
      lineStart = i + 1;
    }
    let lineEnd = this.b.indexOf(LF, at);
    if (lineEnd < 0) lineEnd = this.b.length;
    lineEnd = Math.min(lineEnd, Math.max(at + 80, lineStart + 200)); // keep excerpts short
    return new ParseError(message, this.file, line, at - lineStart + 1, excerpt(this.b.subarray(lineStart, lineEnd)));
  }

  /** short: input ended at `p`: wait for more (NEED) or fail at EOF. `need` = index needed. */
  short(p: number, need = p + 1): never {
    if (!this.eof) {
      NEED.need = need - this.blockStart;
      throw NEED;
    }
    throw this.error('Unexpected end of file in backup block', p);
  }

  /** char: reads one byte. */
  char(): number {
    if (this.p >= this.b.length) this.short(this.p);
    const c = this.b[this.p++]!;
    if (c === LF) this.nl++;
    return c;
  }

  /** peek: the next byte without consuming it. */
  peek(): number {
    if (this.p >= this.b.length) this.short(this.p);
    return this.b[this.p]!;
  }

  /** expect: consumes `ch` or fails with the C reader's "Unexpected character" message. */
  expect(ch: number): void {
    const p = this.p;
    if (p >= this.b.length) this.short(p);
    const x = this.b[p]!;
    if (x !== ch) throw this.error(`Unexpected character ${printChar(x)} in backup block, expected ${printChar(ch)}`, p);
    this.p = p + 1;
    if (ch === LF) this.nl++;
  }

  /**
   * token: a name up to LF (or SP too when `sp`), unescaped unless legacy, decoded as UTF-8;
   * `size` is the C buffer size (so at most size-1 bytes). The delimiter is not consumed.
   * `slot` names a small cache: records repeat the same namespace, set and bin names, and
   * comparing a few bytes is much cheaper than making (and later collecting) a new string.
   */
  token(sp: boolean, size = MAX_TOKEN_SIZE, unesc = !this.legacy, slot = -1): string {
    const b = this.b;
    const e = b.length;
    const s = this.p;
    let p = s;
    for (;;) {
      if (p >= e) this.short(p);
      const c = b[p]!;
      if (c === LF || (sp && c === SP)) break;
      if (c === BACKSLASH && unesc) return this.tokenSlow(sp, size);
      if (p - s === size - 1) throw this.error('Buffer overflow while reading token in backup block', p);
      p++;
    }
    this.p = p;
    if (p === s) return '';
    if (slot < 0 || p - s > 32) return (b as SliceBuffer).utf8Slice(s, p);
    const hit = this.names[slot];
    if (hit !== undefined && hit.bytes.length === p - s) {
      const hb = hit.bytes;
      let i = 0;
      while (i < hb.length && hb[i] === b[s + i]) i++;
      if (i === hb.length) return hit.str;
    }
    const str = (b as SliceBuffer).utf8Slice(s, p);
    this.names[slot] = { bytes: Buffer.from(b.subarray(s, p)), str };
    return str;
  }

  /** The token cache: per slot, the last name's bytes and string. */
  private names: ({ bytes: Buffer; str: string } | undefined)[] = [];

  /** tokenSlow: token() for tokens with backslashes (rare). */
  private tokenSlow(sp: boolean, size: number): string {
    const b = this.b;
    const out: number[] = [];
    let p = this.p;
    let esc = false;
    let nl = 0;
    for (;;) {
      if (p >= b.length) this.short(p);
      const c = b[p]!;
      if (c === BACKSLASH && !esc) { esc = true; p++; continue; }
      if (!esc && (c === LF || (sp && c === SP))) break;
      esc = false;
      if (out.length === size - 1) throw this.error('Buffer overflow while reading token in backup block', p);
      if (c === LF) nl++;
      out.push(c);
      p++;
    }
    this.p = p;
    this.nl += nl;
    return Buffer.from(out).toString('utf8');
  }

  /**
   * digits: a numeric token up to LF (or SP when `sp`): digits only, `-` first if `signed`.
   * Empty and `-` alone read as 0 (the C reader's leniency). Returns the value as a double,
   * exact below 2^53 (int64() reads larger ones again from the token text).
   */
  private digits(sp: boolean, signed: boolean): number {
    const b = this.b;
    const e = b.length;
    const s = this.p;
    let p = s;
    let len = 0;
    let acc = 0;
    let esc = false;
    let text: string | undefined; // only built when escapes appear
    for (;;) {
      if (p >= e) this.short(p);
      const c = b[p]!;
      if (c === BACKSLASH && !esc && !this.legacy) {
        text ??= b.toString('latin1', s, p);
        esc = true;
        p++;
        continue;
      }
      if (!esc && (c === LF || (sp && c === SP))) break;
      esc = false;
      if (len === MAX_TOKEN_SIZE - 1) throw this.error('Buffer overflow while reading token in backup block', p);
      if (c >= 48 && c <= 57) acc = acc * 10 + (c - 48);
      else if (!signed || len > 0 || c !== 45) throw this.error(`Invalid character ${printChar(c)} in backup block, expected digit`, p);
      else this.neg = true;
      if (text !== undefined) text += String.fromCharCode(c);
      len++;
      p++;
    }
    this.tokStart = s;
    this.escText = text;
    this.p = p;
    return acc;
  }

  // The last numeric token: where it starts, its sign, and its text when it had escapes.
  private tokStart = 0;
  private neg = false;
  private escText: string | undefined;

  /** text: the last numeric token as text (for messages and values beyond 2^53). */
  private text(): string {
    return this.escText ?? this.b.toString('latin1', this.tokStart, this.p);
  }

  /** int64: a signed 64-bit integer token (LF-delimited) as a number when safe, else bigint. */
  int64(): number | bigint {
    this.neg = false;
    const acc = this.digits(false, true);
    if (acc < 9007199254740992) return this.neg ? 0 - acc : acc;
    const text = this.text();
    const v = BigInt(text);
    if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) {
      throw this.error(`Integer overflow with number ${text} in backup block`, this.p);
    }
    return v;
  }

  /** size: an unsigned size token (SP-delimited), at most 1024^5. */
  size(): number {
    const acc = this.digits(true, false);
    if (acc > MAX_SIZE) throw this.error(`Size overflow with number ${this.text()} in backup block`, this.p);
    return acc;
  }

  /** double: an LF-delimited double token into out[off..off+8], with the C reader's strictness. */
  double(out: Buffer, off: number): void {
    // Fast path for what writers produce: -?digits[.digits][e(+|-)digits], then LF.
    const b = this.b;
    let p = this.p;
    if (b[p] === 45) p++;
    const d0 = p;
    while (b[p]! >= 48 && b[p]! <= 57) p++;
    if (p > d0) {
      if (b[p] === 0x2e) { p++; while (b[p]! >= 48 && b[p]! <= 57) p++; }
      if (b[p] === 0x65 && (b[p + 1] === 0x2b || b[p + 1] === 0x2d) && b[p + 2]! >= 48 && b[p + 2]! <= 57) {
        p += 3;
        while (b[p]! >= 48 && b[p]! <= 57) p++;
      }
      if (b[p] === LF && p - this.p < MAX_TOKEN_SIZE) {
        let v = decimalAt(b, this.p, p);
        if (v !== v) v = Number(b.toString('latin1', this.p, p));
        out.writeDoubleBE(v, off);
        this.p = p;
        return;
      }
    }
    const tok = this.token(false);
    if (!isDoublePrefix(tok)) {
      let i = 1;
      while (isDoublePrefix(tok.slice(0, i))) i++;
      const at = this.p - tok.length + i - 1; // exact unless the token had escapes
      throw this.error(`Invalid character ${printChar(tok.charCodeAt(i - 1))} in backup block, expected floating point notation`, at);
    }
    if (parseDouble(tok, out, off) === undefined) throw this.error(`Invalid floating-point value ${tok} in backup block`, this.p);
  }

  /** raw: `len` bytes as they are (copied when small, a view when large). */
  raw(len: number): Buffer {
    const p = this.p;
    if (len >= COPY_MAX) {
      this.skipRaw(len);
      return this.b.subarray(p, p + len);
    }
    const out = Buffer.allocUnsafe(len);
    this.rawInto(out, 0, len);
    return out;
  }

  /** rawInto: raw() copied into out[at..] (the caller made room). */
  rawInto(out: Buffer, at: number, len: number): void {
    const p = this.p;
    const b = this.b;
    if (len > 64) {
      this.skipRaw(len);
      b.copy(out, at, p, p + len);
      return;
    }
    // Short values: copied and their LFs counted in one pass.
    if (b.length - p < len) this.short(b.length, p + len + 1);
    let nl = 0;
    for (let i = 0; i < len; i++) {
      const c = b[p + i]!;
      if (c === LF) nl++;
      out[at + i] = c;
    }
    this.nl += nl;
    this.p = p + len;
  }

  // Consumes `len` raw bytes, counting the LFs among them.
  private skipRaw(len: number): void {
    const p = this.p;
    const b = this.b;
    if (b.length - p < len) this.short(b.length, p + len + 1);
    const end = p + len;
    for (let i = b.indexOf(LF, p); i >= 0 && i < end; i = b.indexOf(LF, i + 1)) this.nl++;
    this.p = end;
  }

  /**
   * base64: decodes `chars` base64 characters like the C reader: groups of 4; '=' reads as 0
   * anywhere and only decides the group's size (`x=`: 2 bytes, `==`: 1); bad bytes fail.
   */
  base64(chars: number): Buffer {
    const b = this.b;
    const s = this.p;
    if (b.length - s < chars && !this.eof) this.short(b.length, s + chars + 1);
    const out = Buffer.allocUnsafe(((Math.min(chars, b.length - s) & ~3) >> 2) * 3);
    const size = this.base64Into(out, 0, chars);
    return size === out.length ? out : out.subarray(0, size);
  }

  /** base64Into: base64() decoded into out[at..] (room for chars / 4 * 3 bytes); returns the bytes decoded. */
  base64Into(out: Buffer, at: number, chars: number): number {
    const b = this.b;
    const s = this.p;
    if (b.length - s < chars && !this.eof) this.short(b.length, s + chars + 1);
    const avail = Math.min(chars, b.length - s) & ~3;
    let size = 0;
    let o = at;
    for (let p = s; p < s + avail; p += 4) {
      const c1 = b[p]!, c2 = b[p + 1]!, c3 = b[p + 2]!, c4 = b[p + 3]!;
      const d1 = B64[c1]!, d2 = B64[c2]!, d3 = B64[c3]!, d4 = B64[c4]!;
      if ((d1 | d2 | d3 | d4) === 0xff) { // digits are < 64, so the OR is 0xff only for a bad byte
        throw this.error(`Invalid base-64 character (${printChar(c1)}, ${printChar(c2)}, ${printChar(c3)}, or ${printChar(c4)})`, p + 3);
      }
      size += c4 === EQ ? (c3 === EQ ? 1 : 2) : 3;
      out[o++] = (d1 << 2) | (d2 >> 4);
      out[o++] = ((d2 << 4) | (d3 >> 2)) & 0xff;
      out[o++] = ((d3 << 6) | d4) & 0xff;
    }
    if (avail < chars) this.short(b.length); // EOF inside the data
    this.p = s + chars;
    return size;
  }
}

/** excerpt: one line of input for an error message (control bytes shown as `.` to keep columns). */
function excerpt(line: Buffer): string {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c < 32 || c === 127) {
      let s = '';
      for (let j = 0; j < line.length; j++) {
        const d = line[j]!;
        s += d >= 32 && d < 127 ? String.fromCharCode(d) : '.';
      }
      return s;
    }
  }
  return line.toString('utf8');
}
