// One `.asb` block -> StreamItem: a record (`+` lines then `-` bin lines), a `* i` sindex or
// a `* u` UDF, read with the C reader's grammar, limits and messages (dec_text.c).
import { ParticleType as P, BIN_NAME_MAX, DIGEST_SIZE, OpType } from '../protocol/constants.js';
import { ParseError } from '../errors.js';
import { GEOJSON_HEADER_SIZE, geojsonParticle } from '../protocol/geojson.js';
import { OP_HEADER_SIZE, writeOpHeader } from '../protocol/layout.js';
import type { Bin, OpsRecordItem, RecordItem, SindexItem, StreamItem, UdfItem, UserKey } from '../records/types.js';
import {
  ABORTED_PREFIX, BACKSLASH, BANG, BIN_LABELS, BOOL_FALSE, BOOL_TRUE, BYTES_TYPES, DIGEST_B64_SIZE, GLOBAL_INDEX, GLOBAL_UDF,
  INDEX_TYPES, KEY_BYTES, KEY_DOUBLE, KEY_INT, KEY_STRING, KEY_STRING_B64, LABEL_LDT, LABEL_STRING_B64,
  HASH, LABEL_TYPE, LF, MAX_BIN_COUNT, MAX_TOKEN_SIZE, MAX_BYTES_SIZE, MAX_GENERATION, MAX_VOID_TIME, MINUS, NAMESPACE_TOKEN_SIZE,
  PATH_TYPES, PLUS, RECORD_LETTERS, SET_TOKEN_SIZE, SP, STAR,
} from './constants.js';
import { AsbCursor, printChar } from './decode-cursor.js';

const LABEL_OK = new Uint8Array(256);
for (const ch of BIN_LABELS) LABEL_OK[ch.charCodeAt(0)] = 1;
const LETTER = Array.from(RECORD_LETTERS, (ch) => ch.charCodeAt(0)); // k n d s g t b
// A digest line as base64 decodes it (28 characters, 21 bytes): the room before a record's
// ops in the arena, and the digest's first 20 bytes.
const DIGEST_ROOM = 21;

/**
 * parseBlock: the block at the cursor (its first byte decides the kind). With `ops`, a
 * record is decoded straight into its WRITE ops there (OpsRecordItem), unless it repeats a
 * bin name or has more than 64 bins: those come as RecordItems.
 */
export function parseBlock(c: AsbCursor, ops?: OpsArena): StreamItem | OpsRecordItem {
  const at = c.p;
  const first = c.char();
  if (first === PLUS) {
    if (ops === undefined) return parseRecord(c);
    const r = parseRecordOps(c, ops);
    if (r !== undefined) return r;
    c.p = at + 1;
    c.nl = 0;
    return parseRecord(c);
  }
  if (first === STAR && !c.legacy) return parseGlobal(c);
  if (first === HASH) {
    const aborted = abortedLine(c, at);
    if (aborted !== undefined) throw aborted;
  }
  throw c.error(`Invalid start character ${printChar(first)} in block`, at);
}

/**
 * abortedLine: the error for a writer's abort line (ABORTED_PREFIX) at `at`, if that is what
 * is there: the line says why the stream ends early, which beats "invalid start character".
 */
export function abortedLine(c: AsbCursor, at: number): ParseError | undefined {
  const from = at + ABORTED_PREFIX.length;
  if (c.b.length < from && !c.eof) c.short(c.b.length, from);
  if (c.b.toString('latin1', at, from) !== ABORTED_PREFIX) return undefined;
  let end = c.b.indexOf(LF, from);
  if (end < 0) end = c.b.length;
  const e = c.error('', at);
  const why = c.b.toString('utf8', from, Math.min(end, from + 500));
  return new ParseError(`the program writing this stream stopped before the end: ${why}`, e.file, e.line, e.column, undefined, 'INPUT_ABORTED');
}

/** int64Bytes: 8 big-endian bytes of an integer from AsbCursor.int64(). */
function int64Bytes(v: number | bigint): Buffer {
  const out = Buffer.allocUnsafe(8);
  writeInt64(out, 0, v);
  return out;
}

/** writeInt64: an integer from AsbCursor.int64() as 8 big-endian bytes at out[at..]. */
function writeInt64(out: Buffer, at: number, v: number | bigint): void {
  if (typeof v === 'bigint') {
    out.writeBigInt64BE(v, at);
  } else {
    const hi = Math.floor(v / 4294967296);
    out.writeInt32BE(hi, at);
    out.writeUInt32BE(v - hi * 4294967296, at + 4);
  }
}

/** A number field that must lie in [0, max]; reported at the delimiter like the C reader. */
function ranged(c: AsbCursor, what: string, max: number): number {
  const v = c.int64();
  if (typeof v === 'bigint' || v < 0 || v > max) throw c.error(`Invalid ${what} ${v}`, c.p);
  return v;
}

/** `<b64len> SP <base64>` (b64len a multiple of 4). */
function base64Data(c: AsbCursor): Buffer {
  return c.base64(base64Size(c));
}

/** base64Size: `<b64len> SP` (b64len a multiple of 4); returns b64len. */
function base64Size(c: AsbCursor): number {
  const n = c.size();
  if (n % 4 !== 0) throw c.error(`Invalid encoded data size ${n}`, c.p);
  c.expect(SP);
  return n;
}

/** `<len> SP <raw bytes>`. */
function rawData(c: AsbCursor): Buffer {
  const n = c.size();
  c.expect(SP);
  return c.raw(n);
}

function parseKey(c: AsbCursor): UserKey {
  const at = c.p;
  const t = c.char();
  let key: UserKey;
  switch (t) {
    case KEY_INT:
      c.expect(SP);
      key = { type: P.INTEGER, data: int64Bytes(c.int64()) };
      break;
    case KEY_DOUBLE: {
      c.expect(SP);
      const data = Buffer.allocUnsafe(8);
      c.double(data, 0);
      key = { type: P.FLOAT, data };
      break;
    }
    case KEY_STRING:
      c.expect(SP);
      key = { type: P.STRING, data: rawData(c) };
      break;
    case KEY_STRING_B64:
      c.expect(SP);
      key = { type: P.STRING, data: base64Data(c) };
      break;
    case KEY_BYTES: {
      const compact = c.peek() === BANG;
      if (compact) c.p++;
      c.expect(SP);
      const data = compact ? rawData(c) : base64Data(c);
      if (data.length > MAX_BYTES_SIZE) throw c.error(`Key value too large (${data.length} bytes)`, c.p);
      key = { type: P.BLOB, data };
      break;
    }
    default:
      throw c.error(`Invalid key type character ${printChar(t)} in block`, at);
  }
  c.expect(LF);
  return key;
}

/**
 * recordLine: the letter of a record's `+` line i of the fixed sequence k n d s g t b, with
 * its spaces; returns the line it is (at k an `n` skips k, at s a `g` skips s).
 */
function recordLine(c: AsbCursor, i: number): number {
  c.expect(SP);
  const at = c.p;
  const ch = c.char();
  if (i === 0 && ch === LETTER[1]) i = 1;
  else if (i === 3 && ch === LETTER[4]) i = 4;
  else if (ch !== LETTER[i]) {
    throw c.error(`Unexpected character ${printChar(ch)} in backup block, expected ${printChar(LETTER[i]!)}`, at);
  }
  c.expect(SP);
  return i;
}

function parseRecord(c: AsbCursor): RecordItem {
  const rec: RecordItem = { kind: 'record', namespace: '', set: '', digest: Buffer.alloc(0), generation: 0, voidTime: 0, bins: [] };
  for (let i = 0; i < 7; i++) {
    i = recordLine(c, i);
    switch (i) {
      case 0: rec.key = parseKey(c); break;
      case 1: rec.namespace = c.token(false, NAMESPACE_TOKEN_SIZE, !c.legacy, 0); c.expect(LF); break;
      case 2: { // 7 groups: 21 bytes, of which the first 20 are the digest whatever '=' the line holds (as the C reader and parseRecordOps take it)
        const d = Buffer.allocUnsafe(DIGEST_ROOM);
        c.base64Into(d, 0, DIGEST_B64_SIZE);
        rec.digest = d.subarray(0, DIGEST_SIZE);
        c.expect(LF);
        break;
      }
      case 3: rec.set = c.token(false, SET_TOKEN_SIZE, !c.legacy, 1); c.expect(LF); break;
      case 4: rec.generation = ranged(c, 'generation count', MAX_GENERATION); c.expect(LF); break;
      case 5: rec.voidTime = ranged(c, 'expiration time', MAX_VOID_TIME); c.expect(LF); break;
      case 6: {
        const n = ranged(c, 'bin count', MAX_BIN_COUNT);
        c.expect(LF);
        for (let j = 0; j < n; j++) addBin(rec.bins, parseBin(c, j < 64 ? 2 + j : -1));
        break;
      }
    }
    if (i < 6) c.expect(PLUS);
  }
  return rec;
}

/** Room an ops arena starts with, and grows by: the ops of a few hundred records. */
const ARENA_SIZE = 128 * 1024;

/**
 * OpsArena: the memory records decoded as ops are written into, slab after slab. A record's
 * bytes stay where they are written (its item views them); a record that outgrows the slab
 * while it is written moves to a new one.
 */
export class OpsArena {
  buf = Buffer.allocUnsafe(ARENA_SIZE);
  used = 0;
  /** Where the record being written begins. */
  start = 0;

  /** room: room for n more bytes of the record being written (which may move). */
  room(n: number): void {
    if (this.used + n <= this.buf.length) return;
    const written = this.used - this.start;
    const next = Buffer.allocUnsafe(Math.max(ARENA_SIZE, 2 * (written + n)));
    this.buf.copy(next, 0, this.start, this.used);
    this.buf = next;
    this.start = 0;
    this.used = written;
  }
}

/**
 * OpsRecord: an OpsRecordItem whose digest stays in the arena: a view of it is made only
 * when something asks for `digest` (an error message, --percent), not for every record.
 */
class OpsRecord implements OpsRecordItem {
  readonly kind = 'record-ops';
  declare key?: UserKey;
  constructor(
    public namespace: string, public set: string, readonly arena: Buffer, readonly digestAt: number,
    public generation: number, public voidTime: number, public binCount: number, public ops: Buffer,
  ) {}

  get digest(): Buffer {
    return this.arena.subarray(this.digestAt, this.digestAt + DIGEST_SIZE);
  }
}

// The restore's decoder (parseRecordOps) reads the record forms writers give, with its
// position in a local variable instead of the cursor's one-byte steps (the parser alone:
// 1.53 -> 1.37 µs a record of ~380 B; a restore of 1 M records: 3.69 -> 3.48 s of CPU).
// Anything else it leaves to parseRecord, whose checks, messages and positions are the C
// reader's: the grammar's faults have one reader, as before they had two.

// Bytes-family labels as their particle types; -1 for the other labels.
const BYTES_LABEL_TYPE = new Int16Array(256).fill(-1);
for (const [label, t] of Object.entries(LABEL_TYPE)) if (BYTES_TYPES.has(t)) BYTES_LABEL_TYPE[Number(label)] = t;
// The longest number parseRecordOps reads itself: 2^53 has 16 digits (longer, or with
// leading zeros past this, goes to parseRecord, whose token limit and messages apply).
const DIGITS_MAX = 16;
// Where the last digitsAt() number ended (at its delimiter).
let digitsEnd = 0;

/**
 * digitsAt: the unsigned decimal number at b[p..] up to the byte `stop`; -1 when it is empty,
 * holds another byte, passes `max` or DIGITS_MAX digits, or the buffer ends first.
 */
function digitsAt(b: Buffer, p: number, stop: number, max: number): number {
  const end = Math.min(b.length, p + DIGITS_MAX + 1);
  let v = 0;
  let q = p;
  for (; q < end; q++) {
    const ch = b[q]!;
    if (ch === stop) break;
    if (ch < 48 || ch > 57) return -1;
    v = v * 10 + (ch - 48); // not (v * 10 + ch) - 48, which can pass 2^53 and round
  }
  if (q === p || q === end || v > max) return -1;
  digitsEnd = q;
  return v;
}

/**
 * recordLineAt: `+ <letter> ` at b[p..] (without the `+` when `first`: the block's `+` is
 * read), so the field's value starts at p + 4 (p + 3 when first).
 */
function recordLineAt(b: Buffer, p: number, letter: number, first: boolean): boolean {
  if (!first && b[p++] !== PLUS) return false;
  return p + 2 < b.length && b[p] === SP && b[p + 1] === letter && b[p + 2] === SP;
}

/**
 * parseRecordOps: a record decoded straight into WRITE ops in the arena (the bytes
 * lib/restore/writer.ts writes for the bins of a RecordItem, GeoJSON as a client sends it).
 * Undefined, with nothing consumed, for anything but the usual forms: escapes or bytes above
 * 0x7f in names, a repeated bin name (the later value replaces the earlier), over 64 bins,
 * numbers with a sign or without digits, a bad byte, the end of the buffer: the caller
 * parses such a record with parseRecord, which reports faults and waits for more input.
 * The key, namespace, set, doubles and base64 are read by the cursor's own readers (the
 * same code as parseRecord's, errors included).
 */
function parseRecordOps(c: AsbCursor, a: OpsArena): OpsRecordItem | undefined {
  a.start = a.used;
  try {
    const r = recordOps(c, a);
    if (r === undefined) a.used = a.start;
    return r;
  } catch (e) {
    a.used = a.start;
    throw e;
  }
}

function recordOps(c: AsbCursor, a: OpsArena): OpsRecordItem | undefined {
  const b = c.b;
  let p = c.p; // after the block's `+`
  let nl = 0; // line ends read here (the cursor's readers count theirs, and LFs inside raw values)
  let key: UserKey | undefined;
  let first = true;
  if (recordLineAt(b, p, LETTER[0]!, true)) {
    c.p = p + 3;
    key = parseKey(c); // through its LF
    p = c.p;
    first = false;
  }
  if (!recordLineAt(b, p, LETTER[1]!, first)) return undefined;
  c.p = p + (first ? 3 : 4);
  const namespace = c.token(false, NAMESPACE_TOKEN_SIZE, !c.legacy, 0);
  p = c.p;
  if (b[p] !== LF || !recordLineAt(b, p + 1, LETTER[2]!, false)) return undefined;
  a.room(DIGEST_ROOM);
  c.p = p + 5;
  c.base64Into(a.buf, a.used, DIGEST_B64_SIZE);
  a.used += DIGEST_ROOM;
  p = c.p;
  if (b[p] !== LF) return undefined;
  nl += 2;
  p++;
  let set = '';
  if (recordLineAt(b, p, LETTER[3]!, false)) {
    c.p = p + 4;
    set = c.token(false, SET_TOKEN_SIZE, !c.legacy, 1);
    p = c.p;
    if (b[p] !== LF) return undefined;
    nl++;
    p++;
  }
  if (!recordLineAt(b, p, LETTER[4]!, false)) return undefined;
  const generation = digitsAt(b, p + 4, LF, MAX_GENERATION);
  if (generation < 0) return undefined;
  p = digitsEnd + 1;
  if (!recordLineAt(b, p, LETTER[5]!, false)) return undefined;
  const voidTime = digitsAt(b, p + 4, LF, MAX_VOID_TIME);
  if (voidTime < 0) return undefined;
  p = digitsEnd + 1;
  if (!recordLineAt(b, p, LETTER[6]!, false)) return undefined;
  const binCount = digitsAt(b, p + 4, LF, 64);
  if (binCount < 0) return undefined;
  p = digitsEnd + 1;
  nl += 3;
  for (let j = 0; j < binCount; j++) {
    p = binOpAt(c, b, p, a, j);
    if (p < 0) return undefined;
    nl++;
  }
  c.p = p;
  c.nl += nl;
  const { buf, start } = a;
  const item = new OpsRecord(namespace, set, buf, start, generation, voidTime, binCount, buf.subarray(start + DIGEST_ROOM, a.used));
  if (key !== undefined) item.key = key;
  return item;
}

// Where the names of the record's bins are (from the record's start) and their lengths, to
// find a repeated one.
const nameAts = new Int32Array(64);
const nameLengths = new Int32Array(64);

/**
 * binOpAt: bin line j of a record at b[p..], written as a WRITE op at the arena's end;
 * returns where the line ends (after its LF), or -1 to leave the record to parseRecord.
 */
function binOpAt(c: AsbCursor, b: Buffer, p: number, a: OpsArena, j: number): number {
  const e = b.length;
  if (p + 4 > e || b[p] !== MINUS || b[p + 1] !== SP) return -1;
  const label = b[p + 2]!;
  p += 3;
  const compact = b[p] === BANG; // accepted after any label, used by the bytes family only
  if (compact) p++;
  if (p >= e || b[p] !== SP) return -1;
  // The name: plain bytes up to SP (LF after N), at most BIN_NAME_MAX of them.
  const nameFrom = ++p;
  const stop = label === 0x4e /* N */ ? LF : SP;
  for (;;) {
    if (p >= e) return -1;
    const ch = b[p]!;
    if (ch === stop) break;
    if (ch <= SP || ch === BACKSLASH || ch >= 0x7f || p - nameFrom === BIN_NAME_MAX) return -1;
    p++;
  }
  const n = p - nameFrom;
  p++;
  // The value's kind, its text size (raw bytes or base64 characters) and room in the arena.
  const bytesType = BYTES_LABEL_TYPE[label]!;
  let type: number;
  let size = 0;
  let raw = false;
  let zeros = 0;
  switch (label) {
    case 0x4e: type = P.NULL; break; // N
    case 0x5a: type = P.BOOL; break; // Z
    case 0x49: type = P.INTEGER; break; // I
    case 0x44: type = P.FLOAT; break; // D
    default: {
      raw = label === 0x53 /* S */ || label === 0x47 /* G */ || (compact && bytesType >= 0);
      if (label === 0x53 || label === LABEL_STRING_B64) type = P.STRING;
      else if (label === 0x47) type = P.GEOJSON;
      else if (bytesType >= 0) type = bytesType;
      else return -1;
      size = digitsAt(b, p, SP, MAX_BYTES_SIZE);
      if (size < 0 || (!raw && size % 4 !== 0)) return -1;
      p = digitsEnd + 1;
      if (label === 0x47) zeros = GEOJSON_HEADER_SIZE;
    }
  }
  a.room(OP_HEADER_SIZE + n + (raw ? zeros + size : size > 0 ? (size >> 2) * 3 : 8));
  const out = a.buf;
  const head = a.used;
  const nameAt = head + OP_HEADER_SIZE;
  for (let i = 0; i < n; i++) out[nameAt + i] = b[nameFrom + i]!;
  for (let k = 0; k < j; k++) { // a repeated name: the later value replaces the earlier (parseRecord)
    if (nameLengths[k] !== n) continue;
    const other = a.start + nameAts[k]!;
    let i = 0;
    while (i < n && out[other + i] === out[nameAt + i]) i++;
    if (i === n) return -1;
  }
  nameAts[j] = nameAt - a.start;
  nameLengths[j] = n;
  let at = nameAt + n; // the value's end so far
  switch (type) {
    case P.NULL:
      p--; // the LF after the name
      break;
    case P.BOOL:
      if (b[p] !== BOOL_TRUE && b[p] !== BOOL_FALSE) return -1;
      out[at++] = b[p++] === BOOL_TRUE ? 1 : 0;
      break;
    case P.INTEGER: { // -?digits, below 2^53 (larger: parseRecord's BigInt)
      const neg = b[p] === MINUS;
      const v = digitsAt(b, neg ? p + 1 : p, LF, Number.MAX_SAFE_INTEGER);
      if (v < 0) return -1;
      writeInt64(out, at, neg ? 0 - v : v);
      at += 8;
      p = digitsEnd;
      break;
    }
    case P.FLOAT: // the cursor's reader: its fast path, or its errors
      c.p = p;
      c.double(out, at);
      at += 8;
      p = c.p;
      break;
    default:
      if (raw) {
        if (p + size >= e) return -1;
        for (let z = 0; z < zeros; z++) out[at++] = 0;
        c.p = p;
        c.rawInto(out, at, size); // counts the LFs inside the value
        at += size;
        p += size;
      } else {
        c.p = p;
        at += c.base64Into(out, at, size);
        p = c.p;
      }
  }
  if (p >= e || b[p] !== LF) return -1;
  writeOpHeader(out, head, OpType.WRITE, type, n, at - nameAt - n);
  a.used = at;
  return p + 1;
}

/** addBin: a repeated bin name replaces the earlier value in place (the C client's rule). */
function addBin(bins: Bin[], bin: Bin): void {
  for (let i = 0; i < bins.length; i++) {
    if (bins[i]!.name === bin.name) {
      bins[i] = bin;
      return;
    }
  }
  bins.push(bin);
}

function parseBin(c: AsbCursor, slot: number): Bin {
  c.expect(MINUS);
  c.expect(SP);
  const at = c.p;
  const label = c.char();
  if (LABEL_OK[label] !== 1) throw c.error(`Invalid bytes label ${printChar(label)}`, at);
  const compact = c.peek() === BANG; // accepted after any label, used by the bytes family only
  if (compact) c.p++;
  c.expect(SP);
  const name = c.token(true, MAX_TOKEN_SIZE, !c.legacy, slot);
  let bin: Bin;
  if (label === 0x4e /* N */) {
    bin = { name, type: P.NULL, data: Buffer.alloc(0) };
  } else {
    c.expect(SP);
    const type = LABEL_TYPE[label];
    switch (label) {
      case 0x5a: { // Z: boolean
        const tok = c.token(false);
        const v = tok.length === 1 ? tok.charCodeAt(0) : 0;
        if (v !== BOOL_TRUE && v !== BOOL_FALSE) throw c.error(`Unknown boolean value encoding: "${tok}"`, c.p);
        const data = Buffer.allocUnsafe(1);
        data[0] = v === BOOL_TRUE ? 1 : 0;
        bin = { name, type: P.BOOL, data };
        break;
      }
      case 0x49: // I
        bin = { name, type: P.INTEGER, data: int64Bytes(c.int64()) };
        break;
      case 0x44: { // D
        const data = Buffer.allocUnsafe(8);
        c.double(data, 0);
        bin = { name, type: P.FLOAT, data };
        break;
      }
      case 0x53: // S
        bin = { name, type: P.STRING, data: rawData(c) };
        break;
      case LABEL_STRING_B64:
        bin = { name, type: P.STRING, data: base64Data(c) };
        break;
      case 0x47: // G: the JSON text; the item holds the wire particle
        bin = { name, type: P.GEOJSON, data: geojsonParticle(rawData(c)) };
        break;
      case LABEL_LDT:
        throw c.error('The backup contains LDTs - please use an older version of this tool to restore the backup', c.p - 1);
      default: {
        if (type === undefined || !BYTES_TYPES.has(type)) throw c.error(`Invalid bytes label ${printChar(label)}`, at);
        const data = compact ? rawData(c) : base64Data(c);
        if (data.length > MAX_BYTES_SIZE) throw c.error(`Data bin value too large (${data.length} bytes)`, c.p);
        bin = { name, type, data };
      }
    }
  }
  c.expect(LF);
  // The C client refuses names the server would refuse, and the reader stops there (fatal).
  if (name.length > BIN_NAME_MAX / 3 && Buffer.byteLength(name) > BIN_NAME_MAX) {
    throw c.error(`Error while setting bin ${name}: name longer than ${BIN_NAME_MAX} bytes`, c.p - 1);
  }
  return bin;
}

function parseGlobal(c: AsbCursor): StreamItem {
  c.expect(SP);
  const at = c.p;
  const t = c.char();
  if (t === GLOBAL_INDEX) return parseIndex(c);
  if (t === GLOBAL_UDF) return parseUdf(c);
  throw c.error(`Invalid global type character ${printChar(t)} in block`, at);
}

function letterOf(c: AsbCursor, allowed: string, what: string): string {
  const at = c.p;
  const ch = c.char();
  const s = String.fromCharCode(ch);
  if (!allowed.includes(s)) throw c.error(`Invalid ${what} character ${printChar(ch)} in block`, at);
  return s;
}

function parseIndex(c: AsbCursor): SindexItem {
  const start = c.blockStart;
  // Index lines are always unescaped (they only exist in 3.1 files).
  c.expect(SP);
  const namespace = c.token(true, undefined, true);
  c.expect(SP);
  const set = c.token(true, undefined, true);
  c.expect(SP);
  const name = c.token(true, undefined, true);
  c.expect(SP);
  const indexType = letterOf(c, INDEX_TYPES, 'index type') as SindexItem['indexType'];
  c.expect(SP);
  const nPaths = c.size();
  if (nPaths === 0) throw c.error('Missing path(s) in index block', c.p);
  const paths: { bin: string; type: SindexItem['binType'] }[] = [];
  for (let i = 0; i < nPaths; i++) {
    c.expect(SP);
    const bin = c.token(true, undefined, true);
    c.expect(SP);
    paths.push({ bin, type: letterOf(c, PATH_TYPES, 'path type') as SindexItem['binType'] });
    if (i !== nPaths - 1) c.expect(SP);
  }
  // asbackup >= 3.12 writes SP + context; older files end right after the path type.
  let context: string | undefined;
  if (c.peek() !== LF) {
    c.expect(SP);
    context = c.token(false, undefined, true);
  }
  c.expect(LF);
  if (paths.length !== 1) throw c.error(`Index ${name} has ${paths.length} paths; only 1 is supported`, start);
  const item: SindexItem = { kind: 'sindex', namespace, set, name, indexType, bin: paths[0]!.bin, binType: paths[0]!.type };
  if (context !== undefined) item.context = context;
  return item;
}

function parseUdf(c: AsbCursor): UdfItem {
  c.expect(SP);
  letterOf(c, 'L', 'UDF type');
  c.expect(SP);
  const name = c.token(true, undefined, true);
  c.expect(SP);
  const n = c.size();
  if (n > MAX_BYTES_SIZE) throw c.error(`UDF file ${name} is too large (${n} bytes)`, c.p);
  c.expect(SP);
  const content = c.raw(n);
  c.expect(LF);
  return { kind: 'udf', name, udfType: 'L', content };
}
