// The view of a list or map bin: its Aerospike msgpack as plain JSON that a jq filter can
// look into (docs/record-stream.md, "Views of lists and maps"). A view is for reading: the
// bytes stay the data, and a writer given a view checks that it still shows those bytes.
// The view is written as JSON text straight from the bytes, so map keys keep the order the
// bytes hold them in (a JS object would move integer-like keys to the front).
import { ParticleType as P } from '../protocol/constants.js';
import { TYPE_NAMES, doubleJson, integerJson, utf8Text } from './values.js';

/**
 * Deepest JSON level a view uses (the view itself is level 1). Anything that would go deeper
 * is shown as {"$msgpack": …}: jq 1.6 refuses a line nested more than 256 levels, and a
 * record line adds 3 levels around each view.
 */
export const MAX_VIEW_DEPTH = 200;

// Kinds of map keys: a string key is used as is, an integer as its decimal digits, any
// other key as the JSON text of its view.
const KEY_STRING = 0;
const KEY_INTEGER = 1;
const KEY_OTHER = 2;

// The walker's state: one view is built at a time, synchronously.
let buf: Buffer = Buffer.alloc(0);
let at = 0;
/** Kind of the element just shown, for map keys. */
let kind = KEY_OTHER;
/** For an element of kind KEY_STRING / KEY_INTEGER: its key text (the string, the digits). */
let keyText = '';

type SliceBuffer = Buffer & { utf8Slice(s: number, e: number): string };

class NotMsgpack extends Error {}

function fail(): never {
  throw new NotMsgpack();
}

/**
 * viewText: the JSON text of the view of a list or map particle, or undefined when the
 * particle is of another type or its bytes are not one complete msgpack value.
 */
export function viewText(type: number, data: Buffer): string | undefined {
  if (type !== P.LIST && type !== P.MAP) return undefined;
  buf = data;
  at = 0;
  try {
    const text = element(1);
    return at === data.length ? text : undefined;
  } catch {
    // NotMsgpack, or a Buffer read past the end of truncated bytes.
    return undefined;
  } finally {
    buf = EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** viewOf: the view as a JSON value (undefined as for viewText). */
export function viewOf(type: number, data: Buffer): unknown {
  const text = viewText(type, data);
  return text === undefined ? undefined : JSON.parse(text);
}

/**
 * sameView: whether two views (parsed JSON) show the same data. Object key order does not
 * count: `jq -S` sorts keys, and a view's key order carries nothing the bytes do not.
 */
export function sameView(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameView(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameView((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function int(v: number): string {
  kind = KEY_INTEGER;
  return (keyText = String(v));
}

function bigint(v: bigint): string {
  kind = KEY_INTEGER;
  keyText = v.toString();
  const j = integerJson(v);
  return typeof j === 'number' ? keyText : `"${keyText}"`;
}

function double(d: number, signByte: number): string {
  return JSON.stringify(doubleJson(d, (signByte & 0x80) !== 0));
}

// One msgpack element at `at` as JSON text at JSON level `depth`; sets `kind` for map keys.
function element(depth: number): string {
  if (at >= buf.length) fail();
  const start = at;
  const t = buf[at++]!;
  kind = KEY_OTHER;
  if (t < 0x80) return int(t);
  if (t >= 0xe0) return int(t - 256);
  if (t < 0x90) return map(t & 0x0f, depth, start);
  if (t < 0xa0) return list(t & 0x0f, depth, start);
  if (t < 0xc0) return bytes(t & 0x1f, start);
  switch (t) {
    case 0xc0: return 'null';
    case 0xc2: return 'false';
    case 0xc3: return 'true';
    case 0xc4: case 0xd9: { const n = buf.readUInt8(at); at += 1; return bytes(n, start); }
    case 0xc5: case 0xda: { const n = buf.readUInt16BE(at); at += 2; return bytes(n, start); }
    case 0xc6: case 0xdb: { const n = buf.readUInt32BE(at); at += 4; return bytes(n, start); }
    case 0xca: at += 4; return double(buf.readFloatBE(at - 4), buf[at - 4]!);
    case 0xcb: at += 8; return double(buf.readDoubleBE(at - 8), buf[at - 8]!);
    case 0xcc: at += 1; return int(buf.readUInt8(at - 1));
    case 0xcd: at += 2; return int(buf.readUInt16BE(at - 2));
    case 0xce: at += 4; return int(buf.readUInt32BE(at - 4));
    // Aerospike integers are signed 64-bit: a uint64 above 2^63-1 reads as negative, as the clients read it.
    case 0xcf: at += 8; return bigint(BigInt.asIntN(64, buf.readBigUInt64BE(at - 8)));
    case 0xd0: at += 1; return int(buf.readInt8(at - 1));
    case 0xd1: at += 2; return int(buf.readInt16BE(at - 2));
    case 0xd2: at += 4; return int(buf.readInt32BE(at - 4));
    case 0xd3: at += 8; return bigint(buf.readBigInt64BE(at - 8));
    case 0xd4: return ext(1, 1, start);
    case 0xd5: return ext(2, 1, start);
    case 0xd6: return ext(4, 1, start);
    case 0xd7: return ext(8, 1, start);
    case 0xd8: return ext(16, 1, start);
    case 0xc7: return ext(buf.readUInt8(at), 2, start);
    case 0xc8: return ext(buf.readUInt16BE(at), 3, start);
    case 0xc9: return ext(buf.readUInt32BE(at), 5, start);
    case 0xdc: { const n = buf.readUInt16BE(at); at += 2; return list(n, depth, start); }
    case 0xdd: { const n = buf.readUInt32BE(at); at += 4; return list(n, depth, start); }
    case 0xde: { const n = buf.readUInt16BE(at); at += 2; return map(n, depth, start); }
    case 0xdf: { const n = buf.readUInt32BE(at); at += 4; return map(n, depth, start); }
    default: return fail(); // 0xc1 is never used
  }
}

// The whole element from `start` as base64 msgpack: what the view cannot show otherwise.
function rawFrom(start: number): string {
  if (at > buf.length) fail();
  kind = KEY_OTHER;
  return `{"$msgpack":"${buf.toString('base64', start, at)}"}`;
}

const BYTE_TYPES: ReadonlySet<number> = new Set([P.BLOB, P.JAVA_BLOB, P.CSHARP_BLOB, P.PYTHON_BLOB, P.RUBY_BLOB, P.PHP_BLOB, P.ERLANG_BLOB, P.HLL, P.VECTOR]);

// str/bin payload of n bytes at `at`: the first byte is the particle type (3 string,
// 4 and 7-12 blobs, 18 HLL, 23 GeoJSON).
function bytes(n: number, start: number): string {
  const from = at;
  at += n;
  if (at > buf.length) fail();
  if (n === 0) return rawFrom(start);
  const type = buf[from]!;
  if (type === P.STRING || type === P.GEOJSON) {
    // utf8Slice: Buffer's native decoder without toString's argument checks (hot path).
    const text = (buf as SliceBuffer).utf8Slice(from + 1, at);
    // toString replaces bad UTF-8 with U+FFFD; only then is the strict check worth its cost.
    if (text.includes('\ufffd') && utf8Text(buf.subarray(from + 1, at)) === undefined) return rawFrom(start);
    if (type === P.GEOJSON) return `{"$geojson":${JSON.stringify(text)}}`;
    kind = KEY_STRING;
    keyText = text;
    return JSON.stringify(text);
  }
  if (!BYTE_TYPES.has(type)) return rawFrom(start);
  return `{"$${TYPE_NAMES[type]}":"${buf.toString('base64', from + 1, at)}"}`;
}

// ext of n data bytes whose type byte sits `typeAt` bytes after the lead byte. Type 0xff with
// one byte 0 / 1 is the wildcard / infinity of CDT operations (server msgpack_in.c).
function ext(n: number, typeAt: number, start: number): string {
  const extType = buf[start + typeAt];
  at = start + typeAt + 1 + n;
  if (at > buf.length || extType === undefined) fail();
  if (extType === 0xff && n === 1) {
    const v = buf[at - 1];
    if (v === 0) return '{"$wildcard":true}';
    if (v === 1) return '{"$infinity":true}';
  }
  return rawFrom(start);
}

// An ext as the first element of a list or the first key of a map is not data but the
// list/map flags (ordered list, key-ordered map, …): skipped, as the server skips it when
// it compares. Type 0xff is a wildcard/infinity value, not flags.
function isFlags(): boolean {
  const t = buf[at];
  let typeAt: number;
  if (t === 0xc7) typeAt = 2;
  else if (t === 0xc8) typeAt = 3;
  else if (t === 0xc9) typeAt = 5;
  else if (t !== undefined && t >= 0xd4 && t <= 0xd8) typeAt = 1;
  else return false;
  const extType = buf[at + typeAt];
  return extType !== undefined && extType !== 0xff;
}

// Every element takes at least one byte: a count beyond the bytes left is not msgpack.
function counted(n: number): void {
  if (n > buf.length - at) fail();
}

function list(n: number, depth: number, start: number): string {
  counted(n);
  if (depth > MAX_VIEW_DEPTH) { skip(n); return rawFrom(start); }
  if (n > 0 && isFlags()) { skip(1); n--; }
  let s = '[';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += element(depth + 1);
  }
  kind = KEY_OTHER;
  return s + ']';
}

// Keys become object keys: a string as is, an integer as its digits, anything else as the
// JSON text of its view. When two keys come out as the same text (the integer 1 and the
// string "1"), the map is shown as {"$entries": [[key, value], …]} instead.
function map(n: number, depth: number, start: number): string {
  counted(2 * n);
  if (depth > MAX_VIEW_DEPTH) { skip(2 * n); return rawFrom(start); }
  if (n > 0 && isFlags()) { skip(2); n--; }
  const first = at;
  const seen = n > 1 ? new Set<string>() : undefined;
  let s = '{';
  for (let i = 0; i < n; i++) {
    const k = element(depth + 1);
    const text = kind === KEY_OTHER ? k : keyText;
    const key = kind === KEY_STRING ? k : JSON.stringify(text);
    if (seen !== undefined) {
      if (seen.has(text)) {
        at = first;
        return entries(n, depth, start);
      }
      seen.add(text);
    }
    if (i > 0) s += ',';
    s += key + ':' + element(depth + 1);
  }
  kind = KEY_OTHER;
  return s + '}';
}

function entries(n: number, depth: number, start: number): string {
  // {"$entries": [[k, v], …]}: the pairs sit two levels below the object, their parts three.
  if (depth + 3 > MAX_VIEW_DEPTH) { skip(2 * n); return rawFrom(start); }
  let s = '{"$entries":[';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += '[' + element(depth + 3) + ',' + element(depth + 3) + ']';
  }
  kind = KEY_OTHER;
  return s + ']}';
}

// Moves `at` past `count` elements without building anything (iterative: nesting depth
// costs no stack).
function skip(count: number): void {
  for (let left = count; left > 0; left--) {
    if (at >= buf.length) fail();
    const t = buf[at++]!;
    if (t < 0x80 || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t < 0x90) { left += 2 * (t & 0x0f); continue; }
    if (t < 0xa0) { left += t & 0x0f; continue; }
    if (t < 0xc0) { at += t & 0x1f; continue; }
    switch (t) {
      case 0xc4: case 0xd9: at += 1 + buf.readUInt8(at); break;
      case 0xc5: case 0xda: at += 2 + buf.readUInt16BE(at); break;
      case 0xc6: case 0xdb: at += 4 + buf.readUInt32BE(at); break;
      case 0xca: at += 4; break;
      case 0xcb: at += 8; break;
      case 0xcc: case 0xd0: at += 1; break;
      case 0xcd: case 0xd1: at += 2; break;
      case 0xce: case 0xd2: at += 4; break;
      case 0xcf: case 0xd3: at += 8; break;
      case 0xd4: at += 2; break;
      case 0xd5: at += 3; break;
      case 0xd6: at += 5; break;
      case 0xd7: at += 9; break;
      case 0xd8: at += 17; break;
      case 0xc7: at += 2 + buf.readUInt8(at); break;
      case 0xc8: at += 3 + buf.readUInt16BE(at); break;
      case 0xc9: at += 5 + buf.readUInt32BE(at); break;
      case 0xdc: left += buf.readUInt16BE(at); at += 2; break;
      case 0xdd: left += buf.readUInt32BE(at); at += 4; break;
      case 0xde: left += 2 * buf.readUInt16BE(at); at += 2; break;
      case 0xdf: left += 2 * buf.readUInt32BE(at); at += 4; break;
      default: fail();
    }
  }
  if (at > buf.length) fail();
}
