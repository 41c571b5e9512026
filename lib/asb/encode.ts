// StreamItem -> `.asb` bytes, exactly as the official asbackup (enc_text.c) writes them.
// Hot path of every backup: each block is written byte by byte into a shared slab and
// returned as a view of it, so there is no per-bin string concatenation and no copy.
import { AsError } from '../errors.js';
import { ParticleType as P } from '../protocol/constants.js';
import { geojsonText } from '../records/jsonl.js';
import type { Bin, RecordItem, SindexItem, StreamItem, UdfItem, UserKey, WireBatch } from '../records/types.js';
import {
  BIN_LETTER, BYTES_TYPES, MAX_BIN_COUNT, MAX_GENERATION, MAX_VOID_TIME, META_FIRST_FILE, META_NAMESPACE, VERSION_LINE,
} from './constants.js';
import { writeDouble } from './double.js';
import { escape } from './escape.js';

/** EncodeOptions: `compact` writes the bytes family raw (`<label>!`), as `asbackup -C` does. */
export interface EncodeOptions {
  compact?: boolean;
}

// Node's Buffer has latin1Write/utf8Write (the bodies behind buf.write(s, o, enc)); calling
// them directly skips write()'s argument juggling. They are used for long strings only:
// for the many short ones (labels, names, numbers) a JS byte loop beats any native call.
type FastBuffer = Buffer & { latin1Write(s: string, o: number): number; utf8Write(s: string, o: number): number };
if (typeof (Buffer.prototype as Partial<FastBuffer>).latin1Write !== 'function') {
  throw new Error('this Node.js lacks Buffer.prototype.latin1Write (Node >= 20 has it)');
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
function ascii(s: string): void {
  const n = s.length;
  ensure(n);
  if (n > SHORT) {
    pos += buf.latin1Write(s, pos);
    return;
  }
  for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
}

/** Writes a name, escaped (backslash before `\`, SP, LF), as UTF-8. */
function name(s: string): void {
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
function uint(v: number): void {
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

function byte(c: number): void {
  ensure(1);
  buf[pos++] = c;
}

function raw(b: Buffer, from = 0, to = b.length): void {
  const n = to - from;
  ensure(n);
  if (n > SHORT) b.copy(buf, pos, from, to);
  else for (let i = 0; i < n; i++) buf[pos + i] = b[from + i]!;
  pos += n;
}

/** `<len> SP <bytes>`: length-prefixed raw data. */
function sized(b: Buffer, from = 0, to = b.length): void {
  uint(to - from);
  byte(0x20);
  raw(b, from, to);
}

const B64 = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', (c) => c.charCodeAt(0));

/** Writes base64 of b (standard alphabet, `=` padding); short values in JS, long natively. */
function base64(b: Buffer, from = 0, to = b.length): void {
  const n = to - from;
  const len = Math.ceil(n / 3) * 4;
  ensure(len);
  if (n > 4 * SHORT) {
    pos += buf.latin1Write(b.toString('base64', from, to), pos);
    return;
  }
  if (from !== 0) {
    // Short values of a larger buffer (wire form): index relative to `from`.
    let i = from;
    for (; i + 3 <= to; i += 3) {
      const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
      buf[pos++] = B64[v >> 18]!;
      buf[pos++] = B64[(v >> 12) & 63]!;
      buf[pos++] = B64[(v >> 6) & 63]!;
      buf[pos++] = B64[v & 63]!;
    }
    if (i < to) {
      const v = (b[i]! << 16) | (i + 1 < to ? b[i + 1]! << 8 : 0);
      buf[pos++] = B64[v >> 18]!;
      buf[pos++] = B64[(v >> 12) & 63]!;
      buf[pos++] = i + 1 < to ? B64[(v >> 6) & 63]! : 0x3d;
      buf[pos++] = 0x3d;
    }
    return;
  }
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    buf[pos++] = B64[v >> 18]!;
    buf[pos++] = B64[(v >> 12) & 63]!;
    buf[pos++] = B64[(v >> 6) & 63]!;
    buf[pos++] = B64[v & 63]!;
  }
  if (i < n) {
    const v = (b[i]! << 16) | (i + 1 < n ? b[i + 1]! << 8 : 0);
    buf[pos++] = B64[v >> 18]!;
    buf[pos++] = B64[(v >> 12) & 63]!;
    buf[pos++] = i + 1 < n ? B64[(v >> 6) & 63]! : 0x3d;
    buf[pos++] = 0x3d;
  }
}

/** `<b64len> SP <base64>`: the length counts base64 characters. */
function sizedBase64(b: Buffer, from = 0, to = b.length): void {
  uint(Math.ceil((to - from) / 3) * 4);
  byte(0x20);
  base64(b, from, to);
}

function lf(): void {
  byte(0x0a);
}

/** Writes the decimal text of 8 big-endian bytes (an int64). */
function int64(data: Buffer, at = 0, size = data.length): void {
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
function double(data: Buffer, at = 0, size = data.length): void {
  if (size !== 8) throw new AsError('ASB_ENCODE', `double value of ${size} bytes (expected 8)`);
  ensure(24); // longest: -2.2250738585072014e-308
  pos = writeDouble(data, buf, pos, at);
}

// Bin line prefixes `- X ` and `- X! ` per particle type, built once.
const PREFIX: Buffer[] = [];
const PREFIX_BANG: Buffer[] = [];
for (const [t, letter] of Object.entries(BIN_LETTER)) {
  PREFIX[Number(t)] = Buffer.from(`- ${letter} `);
  PREFIX_BANG[Number(t)] = Buffer.from(BYTES_TYPES.has(Number(t)) ? `- ${letter}! ` : `- ${letter} `);
}

/** A header number that must be an integer in [0, max]. */
function header(v: number, what: string, max: number): void {
  if (!(Number.isSafeInteger(v) && v >= 0 && v <= max)) {
    throw new AsError('ASB_ENCODE', `${what} ${v} is not an integer in 0..${max}`, { value: v });
  }
  uint(v);
}

function writeKey(key: UserKey, compact: boolean): void {
  switch (key.type) {
    case P.INTEGER: ascii('+ k I '); int64(key.data); break;
    case P.FLOAT: ascii('+ k D '); double(key.data); break;
    case P.STRING: ascii('+ k S '); sized(key.data); break;
    case P.BLOB:
      if (compact) { ascii('+ k B! '); sized(key.data); } else { ascii('+ k B '); sizedBase64(key.data); }
      break;
    default:
      throw new AsError('ASB_ENCODE', `cannot write a user key of particle type ${key.type} to .asb`, { value: key.type });
  }
  lf();
}

function writeBin(bin: Bin, compact: boolean): void {
  const t = bin.type;
  const prefix = (compact ? PREFIX_BANG : PREFIX)[t];
  if (prefix === undefined) {
    throw new AsError('ASB_ENCODE', `cannot write bin "${bin.name}" of particle type ${t} to .asb`, { value: t });
  }
  raw(prefix);
  name(bin.name);
  switch (t) {
    case P.NULL: break; // `- N name` LF: no value, no trailing space
    case P.BOOL: byte(0x20); byte(bin.data[0] ? 0x54 : 0x46); break; // T / F
    case P.INTEGER: byte(0x20); int64(bin.data); break;
    case P.FLOAT: byte(0x20); double(bin.data); break;
    case P.STRING: byte(0x20); sized(bin.data); break;
    case P.GEOJSON: byte(0x20); sized(geojsonText(bin.data)); break; // the JSON text only, never base64
    default:
      byte(0x20);
      if (compact) sized(bin.data);
      else sizedBase64(bin.data);
  }
  lf();
}

function writeRecord(r: RecordItem, compact: boolean): void {
  if (r.key !== undefined) writeKey(r.key, compact);
  ascii('+ n ');
  name(r.namespace);
  ascii('\n+ d ');
  if (r.digest.length !== 20) throw new AsError('ASB_ENCODE', `digest of ${r.digest.length} bytes (expected 20)`);
  base64(r.digest);
  lf();
  if (r.set !== '') {
    ascii('+ s ');
    name(r.set);
    lf();
  }
  ascii('+ g ');
  header(r.generation, 'generation', MAX_GENERATION);
  ascii('\n+ t ');
  header(r.voidTime, 'void time', MAX_VOID_TIME);
  ascii('\n+ b ');
  header(r.bins.length, 'bin count', MAX_BIN_COUNT);
  lf();
  for (const bin of r.bins) writeBin(bin, compact);
}

function writeSindex(s: SindexItem): void {
  ascii('* i ');
  name(s.namespace); byte(0x20);
  name(s.set); byte(0x20);
  name(s.name);
  ascii(` ${s.indexType} 1 `);
  name(s.bin);
  ascii(' ' + s.binType);
  if (s.context !== undefined) {
    byte(0x20);
    name(s.context);
  }
  lf();
}

function writeUdf(u: UdfItem): void {
  ascii(`* u ${u.udfType} `);
  name(u.name);
  byte(0x20);
  sized(u.content);
  lf();
}

/**
 * encodeItem: the bytes of one block — a `* i` line, a `* u` block or a record (`+` lines and
 * `-` bin lines) — exactly as asbackup writes it; `compact` matches `asbackup -C`.
 * Throws AsError('ASB_ENCODE') for values the format cannot hold (e.g. vector bins).
 */
export function encodeItem(item: StreamItem, compact = false): Buffer {
  try {
    if (item.kind === 'record') writeRecord(item, compact);
    else if (item.kind === 'sindex') writeSindex(item);
    else writeUdf(item);
  } catch (e) {
    pos = start; // drop the partial block
    throw e;
  }
  // The block is a view of the slab; the next block starts after it.
  const out = buf.subarray(start, pos);
  start = pos;
  return out;
}

/** Writes name bytes as they came from the server, escaped (backslash before `\`, SP, LF). */
function nameBytes(b: Buffer, from: number, to: number): void {
  ensure((to - from) * 2);
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c === 0x5c || c === 0x20 || c === 0x0a) buf[pos++] = 0x5c;
    buf[pos++] = c;
  }
}

// AS_MSG field and particle numbers the wire writer reads (lib/protocol/constants.ts).
const F_SET = 1;
const F_KEY = 2;
const F_DIGEST = 4;

/** One record of a scan frame (AS_MSG at `at`), written as an .asb block. */
function writeWireRecord(b: Buffer, at: number, nsEscaped: Buffer, compact: boolean): void {
  const generation = b.readUInt32BE(at + 6);
  const voidTime = b.readUInt32BE(at + 10);
  const nFields = b.readUInt16BE(at + 18);
  const nOps = b.readUInt16BE(at + 20);
  let p = at + 22;
  let digestAt = -1;
  let setFrom = -1;
  let setTo = -1;
  for (let i = 0; i < nFields; i++) {
    const size = b.readUInt32BE(p);
    const type = b[p + 4]!;
    if (type === F_DIGEST) digestAt = p + 5;
    else if (type === F_SET) { setFrom = p + 5; setTo = p + 4 + size; }
    else if (type === F_KEY) {
      const kt = b[p + 5]!;
      const kFrom = p + 6;
      const kTo = p + 4 + size;
      switch (kt) {
        case P.INTEGER: ascii('+ k I '); int64(b, kFrom, kTo - kFrom); break;
        case P.FLOAT: ascii('+ k D '); double(b, kFrom, kTo - kFrom); break;
        case P.STRING: ascii('+ k S '); sized(b, kFrom, kTo); break;
        case P.BLOB:
          if (compact) { ascii('+ k B! '); sized(b, kFrom, kTo); } else { ascii('+ k B '); sizedBase64(b, kFrom, kTo); }
          break;
        default:
          throw new AsError('ASB_ENCODE', `cannot write a user key of particle type ${kt} to .asb`, { value: kt });
      }
      lf();
    }
    p += 4 + size;
  }
  ascii('+ n ');
  raw(nsEscaped);
  ascii('\n+ d ');
  base64(b, digestAt, digestAt + 20);
  lf();
  if (setTo > setFrom) {
    ascii('+ s ');
    nameBytes(b, setFrom, setTo);
    lf();
  }
  ascii('+ g ');
  header(generation, 'generation', MAX_GENERATION);
  ascii('\n+ t ');
  uint(voidTime);
  ascii('\n+ b ');
  uint(nOps);
  lf();
  for (let i = 0; i < nOps; i++) {
    const size = b.readUInt32BE(p);
    const t = b[p + 5]!;
    const nameLen = b[p + 7]!;
    const nameFrom = p + 8;
    const from = nameFrom + nameLen + (b[p + 6]! & 1 ? 8 : 0);
    const to = p + 4 + size;
    p = to;
    const prefix = (compact ? PREFIX_BANG : PREFIX)[t];
    if (prefix === undefined) {
      throw new AsError('ASB_ENCODE', `cannot write bin "${b.toString('utf8', nameFrom, nameFrom + nameLen)}" of particle type ${t} to .asb`, { value: t });
    }
    raw(prefix);
    nameBytes(b, nameFrom, nameFrom + nameLen);
    switch (t) {
      case P.NULL: break;
      case P.BOOL: byte(0x20); byte(b[from] ? 0x54 : 0x46); break;
      case P.INTEGER: byte(0x20); int64(b, from, to - from); break;
      case P.FLOAT: byte(0x20); double(b, from, to - from); break;
      case P.STRING: byte(0x20); sized(b, from, to); break;
      case P.GEOJSON: { // the JSON text after flags, cell count and cells
        byte(0x20);
        const text = to - from >= 3 ? Math.min(to, from + 3 + b.readUInt16BE(from + 1) * 8) : to;
        sized(b, text, to);
        break;
      }
      default:
        byte(0x20);
        if (compact) sized(b, from, to);
        else sizedBase64(b, from, to);
    }
    lf();
  }
}

const nsCache = { ns: '', escaped: Buffer.alloc(0) };

/**
 * encodeWireBatch: the .asb blocks of records still in their wire form (one view per
 * record, as encodeItem returns), byte for byte what encodeItem gives for the same records.
 */
export function encodeWireBatch(batch: WireBatch, compact = false, reuse = false): Buffer[] {
  if (!reuse) return encodeWire(batch, compact);
  // reuse: the blocks are views of one scratch slab, valid only until the next reuse call.
  // For a consumer that copies them at once (asbackup's file sinks): no slab per MiB.
  const saved = { buf, start, pos };
  buf = scratch ??= Buffer.allocUnsafeSlow(SLAB_SIZE) as FastBuffer;
  start = 0;
  pos = 0;
  try {
    return encodeWire(batch, compact);
  } finally {
    scratch = buf;
    ({ buf, start, pos } = saved);
  }
}

let scratch: FastBuffer | undefined;

function encodeWire(batch: WireBatch, compact: boolean): Buffer[] {
  if (nsCache.ns !== batch.namespace) {
    nsCache.ns = batch.namespace;
    nsCache.escaped = Buffer.from(escape(batch.namespace), 'utf8');
  }
  const out: Buffer[] = new Array(batch.offsets.length);
  for (let i = 0; i < batch.offsets.length; i++) {
    try {
      writeWireRecord(batch.body, batch.offsets[i]!, nsCache.escaped, compact);
    } catch (e) {
      pos = start;
      throw e;
    }
    out[i] = buf.subarray(start, pos);
    start = pos;
  }
  return out;
}

/**
 * encodeHeader: `Version 3.1`, `# namespace <ns>` (omitted when ns is undefined) and, for the
 * file that holds the secondary indexes and UDFs, `# first-file`.
 */
export function encodeHeader(namespace: string | undefined, firstFile: boolean): Buffer {
  let s = VERSION_LINE;
  if (namespace !== undefined) s += META_NAMESPACE + escape(namespace) + '\n';
  if (firstFile) s += META_FIRST_FILE;
  return Buffer.from(s, 'utf8');
}

/** EncodeStreamOptions: `namespace` for the header when no item names one; `firstFile` default true. */
export interface EncodeStreamOptions extends EncodeOptions {
  namespace?: string;
  firstFile?: boolean;
}

/** EncodedItem: one input item with its bytes; the first one also carries the header. */
export interface EncodedItem {
  /** undefined only for a header-only output (empty input). */
  item: StreamItem | undefined;
  bytes: Buffer;
}

/**
 * encodeStream: a whole `.asb` file as a stage. The header goes in front of the first output;
 * its namespace is that of the first record or sindex (leading UDFs, which have none, wait
 * for it), else `opts.namespace`. An empty input yields the header alone.
 */
export async function* encodeStream(items: AsyncIterable<StreamItem>, opts: EncodeStreamOptions = {}): AsyncGenerator<EncodedItem> {
  const compact = opts.compact ?? false;
  const firstFile = opts.firstFile ?? true;
  let pending: UdfItem[] | undefined = [];
  for await (const item of items) {
    if (pending !== undefined) {
      if (item.kind === 'udf' && opts.namespace === undefined) {
        pending.push(item);
        continue;
      }
      const ns = item.kind === 'udf' ? opts.namespace : item.namespace;
      let header: Buffer | undefined = encodeHeader(ns, firstFile);
      for (const u of pending) {
        yield { item: u, bytes: withHeader(header, encodeItem(u, compact)) };
        header = undefined;
      }
      pending = undefined;
      yield { item, bytes: withHeader(header, encodeItem(item, compact)) };
      continue;
    }
    yield { item, bytes: encodeItem(item, compact) };
  }
  if (pending === undefined) return;
  let header: Buffer | undefined = encodeHeader(opts.namespace, firstFile);
  for (const u of pending) {
    yield { item: u, bytes: withHeader(header, encodeItem(u, compact)) };
    header = undefined;
  }
  if (header !== undefined) yield { item: undefined, bytes: header };
}

function withHeader(header: Buffer | undefined, bytes: Buffer): Buffer {
  return header === undefined ? bytes : Buffer.concat([header, bytes]);
}
