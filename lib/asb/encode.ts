// StreamItem -> `.asb` bytes, exactly as the official asbackup (enc_text.c) writes them,
// through the slab writer of writer.ts (no string building, no copy per block).
import { AsError } from '../errors.js';
import { BIN_NAME_MAX, ParticleType as P } from '../protocol/constants.js';
import { geojsonText } from '../protocol/geojson.js';
import type { Bin, RecordItem, SindexItem, StreamItem, UdfItem, UserKey } from '../records/types.js';
import {
  INDEX_TYPES, MAX_BIN_COUNT, MAX_GENERATION, MAX_TOKEN_SIZE, MAX_VOID_TIME, META_FIRST_FILE, META_NAMESPACE, NAMESPACE_TOKEN_SIZE,
  PATH_TYPES, SET_TOKEN_SIZE, UDF_TYPE_LUA, VERSION_LINE,
} from './constants.js';
import { escape } from './escape.js';
import {
  ascii, base64, byte, double, dropBlock, endBlock, header, int64, lf, name, PREFIX, PREFIX_BANG, raw, sized, sizedBase64,
} from './writer.js';

export { encodeWireRun } from './encode-wire.js';
export type { AsbRun } from './writer.js';

/** EncodeOptions: `compact` writes the bytes family raw (`<label>!`), as `asbackup -C` does. */
export interface EncodeOptions {
  compact?: boolean;
}

// What the format cannot hold is refused here, so every file we write reads back: the
// reader's limits are its token buffers (decode-block.ts) and the letters it knows.

/** fits: refuses a name longer than the reader's `max` bytes (UTF-8, before escaping). */
function fits(what: string, s: string, max: number): void {
  const n = s.length;
  // At most 3 UTF-8 bytes per UTF-16 unit: a short string needs no count, and an ASCII one
  // (most names; a JS loop is cheaper than a native call for them) is its length.
  if (n * 3 <= max) return;
  if (n <= max) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n || Buffer.byteLength(s) <= max) return;
  }
  throw new AsError('ASB_ENCODE', `${what} ${JSON.stringify(s)} is ${Buffer.byteLength(s)} bytes; .asb holds at most ${max}`, { value: s });
}

/** letter: refuses a letter the reader does not accept. */
function letter(what: string, v: string, allowed: string): void {
  if (v.length !== 1 || !allowed.includes(v)) {
    throw new AsError('ASB_ENCODE', `${what} ${JSON.stringify(v)} is not one of ${allowed.split('').join(' ')}`, { value: v });
  }
}

const MAX_TOKEN = MAX_TOKEN_SIZE - 1;

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
  fits('bin name', bin.name, BIN_NAME_MAX);
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
  fits('namespace', r.namespace, NAMESPACE_TOKEN_SIZE - 1);
  fits('set', r.set, SET_TOKEN_SIZE - 1);
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
  letter('index type', s.indexType, INDEX_TYPES);
  letter('index bin type', s.binType, PATH_TYPES);
  fits('index namespace', s.namespace, MAX_TOKEN);
  fits('index set', s.set, MAX_TOKEN);
  fits('index name', s.name, MAX_TOKEN);
  fits('index bin', s.bin, MAX_TOKEN);
  if (s.context !== undefined) fits('index context', s.context, MAX_TOKEN);
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
  letter('UDF type', u.udfType, UDF_TYPE_LUA);
  fits('UDF name', u.name, MAX_TOKEN);
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
    dropBlock(); // drop the partial block
    throw named(item, e);
  }
  return endBlock(); // a view of the slab; the next block starts after it
}


/** named: a refusal with the item it concerns in front (record digest, index or UDF name). */
function named(item: StreamItem, e: unknown): unknown {
  if (!(e instanceof AsError) || e.code !== 'ASB_ENCODE') return e;
  const who = item.kind === 'record' ? `record ${item.digest.toString('base64')}` : item.kind === 'sindex' ? `index ${item.name}` : `UDF ${item.name}`;
  return new AsError(e.code, `${who}: ${e.message}`, { value: e.value, cause: e });
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
