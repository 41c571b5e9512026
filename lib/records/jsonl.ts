// StreamItem <-> one JSON line: the contract between our programs (docs/record-stream.md).
// Lossless for every particle type, and stable under `jq -c .` (no number needs more
// precision than a double holds: unsafe integers travel as strings). Reading is strict: a
// value that does not fit its field is refused with a code, never rounded or guessed.
import { ParticleType as P } from '../protocol/constants.js';
import { geojsonParticle, geojsonText } from '../protocol/geojson.js';
import { unpack } from '../protocol/msgpack.js';
import { AsError, ParseError } from '../errors.js';
import { TYPE_NAMES, doubleJson, integerJson, utf8Text } from './values.js';
import { sameView, viewText } from './view.js';
import type { Bin, RecordItem, SindexItem, StreamItem, UdfItem, UserKey } from './types.js';

export { TYPE_NAMES };

const TYPE_CODES: Record<string, number> = Object.fromEntries(
  Object.entries(TYPE_NAMES).map(([code, name]) => [name, Number(code)]),
);

/** Largest generation (u16) and void time (u32) a record can hold. */
const MAX_GENERATION = 0xffff;
const MAX_VOID_TIME = 0xffffffff;

// ---- writing ----

/** StringifyOptions: `view` adds the readable view of list and map bins (docs/record-stream.md). */
export interface StringifyOptions {
  view?: boolean;
}

// 2^21: an 8-byte integer whose high word is within ±2^21 is below 2^53 in magnitude.
const HI_SAFE = 0x200000;

function integerText(data: Buffer): string {
  if (data.length === 8) {
    const hi = data.readInt32BE(0);
    if (hi > -HI_SAFE && hi < HI_SAFE) return String(hi * 0x100000000 + data.readUInt32BE(4));
    return JSON.stringify(integerJson(data.readBigInt64BE(0)));
  }
  let v = 0n;
  for (const b of data) v = (v << 8n) | BigInt(b);
  return JSON.stringify(integerJson(data.length > 0 ? BigInt.asIntN(data.length * 8, v) : 0n));
}

function textField(data: Buffer): string {
  const s = data.toString('utf8');
  // toString replaces bad UTF-8 with U+FFFD; only then is the strict check worth its cost.
  if (s.includes('\ufffd') && utf8Text(data) === undefined) return `"base64":"${data.toString('base64')}"`;
  return `"value":${JSON.stringify(s)}`;
}

// `"type":…` and the value fields of a particle object (without its braces).
function particleFields(type: number, data: Buffer, view: boolean): string {
  const name = TYPE_NAMES[type];
  const head = name === undefined ? `"type":${type},` : `"type":"${name}",`;
  switch (type) {
    case P.NULL: return head + '"value":null';
    case P.INTEGER: return head + '"value":' + integerText(data);
    case P.FLOAT: return head + '"value":' + JSON.stringify(doubleJson(data.readDoubleBE(0), (data[0]! & 0x80) !== 0));
    case P.STRING: return head + textField(data);
    case P.GEOJSON: return head + textField(geojsonText(data));
    case P.BOOL: return head + (data[0] !== 0 ? '"value":true' : '"value":false');
    case P.LIST: case P.MAP: {
      const v = view ? viewText(type, data) : undefined;
      return head + (v === undefined ? '' : `"view":${v},`) + `"base64":"${data.toString('base64')}"`;
    }
    default: return head + `"base64":"${data.toString('base64')}"`;
  }
}

function recordLine(r: RecordItem, view: boolean): string {
  let s = '{"kind":"record","namespace":' + JSON.stringify(r.namespace);
  if (r.set !== '') s += ',"set":' + JSON.stringify(r.set);
  s += `,"digest":"${r.digest.toString('base64')}"`;
  if (r.key) s += ',"key":{' + particleFields(r.key.type, r.key.data, false) + '}';
  s += `,"generation":${r.generation},"voidTime":${r.voidTime}`;
  if (r.lastUpdate !== undefined) s += `,"lastUpdate":${r.lastUpdate}`;
  s += ',"bins":[';
  const bins = r.bins;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    if (i > 0) s += ',';
    s += '{"name":' + JSON.stringify(b.name) + ',' + particleFields(b.type, b.data, view || b.view === true) + '}';
  }
  return s + ']}';
}

/** stringify: one JSON line (with the trailing newline) for an item. */
export function stringify(item: StreamItem, opts: StringifyOptions = {}): string {
  switch (item.kind) {
    case 'record': return recordLine(item, opts.view === true) + '\n';
    case 'sindex': {
      const o: Record<string, unknown> = { ...item };
      if (item.context === undefined) delete o.context;
      return JSON.stringify(o) + '\n';
    }
    case 'udf':
      return JSON.stringify({ kind: 'udf', name: item.name, udfType: item.udfType, content: item.content.toString('base64') }) + '\n';
  }
}

// ---- reading ----

/** show: a value for a message, cut short. */
function show(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}

function invalid(field: string, v: unknown, wanted: string): AsError {
  return new AsError('STREAM_VALUE', `${field}: ${show(v)} is not ${wanted}`, { value: v });
}

/** strictBase64: the bytes of canonical base64 (padding, alphabet, no spaces); else STREAM_BASE64. */
function strictBase64(v: unknown, field: string): Buffer {
  if (typeof v !== 'string') throw invalid(field, v, 'a base64 string');
  const b = Buffer.from(v, 'base64');
  // Node decodes leniently (skips bad characters, accepts missing padding and base64url);
  // only text that encodes back to itself is base64.
  if (b.toString('base64') !== v) throw new AsError('STREAM_BASE64', `${field}: ${show(v)} is not valid base64`, { value: v });
  return b;
}

function uintField(v: unknown, field: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw invalid(field, v, `an integer from 0 to ${max}`);
  return v;
}

function stringField(v: unknown, field: string, allowEmpty = true): string {
  if (typeof v !== 'string' || (!allowEmpty && v === '')) throw invalid(field, v, allowEmpty ? 'a string' : 'a non-empty string');
  return v;
}

function integerParticle(v: unknown, field: string): Buffer {
  const b = Buffer.allocUnsafe(8);
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    b.writeBigInt64BE(BigInt(v));
    return b;
  }
  if (typeof v === 'string' && /^-?[0-9]+$/.test(v)) {
    const n = BigInt(v);
    if (n <= 0x7fffffffffffffffn && n >= -0x8000000000000000n) {
      b.writeBigInt64BE(n);
      return b;
    }
  }
  if (typeof v === 'number' && Number.isInteger(v)) {
    throw invalid(field, v, 'an exact integer (beyond 2^53 write it as a decimal string)');
  }
  throw invalid(field, v, 'a 64-bit integer');
}

function doubleParticle(v: unknown, field: string): Buffer {
  const b = Buffer.allocUnsafe(8);
  if (typeof v === 'number') b.writeDoubleBE(v);
  else if (v === 'nan') b.writeBigUInt64BE(0x7ff8000000000000n);
  else if (v === '-nan') b.writeBigUInt64BE(0xfff8000000000000n);
  else if (v === 'inf') b.writeDoubleBE(Infinity);
  else if (v === '-inf') b.writeDoubleBE(-Infinity);
  else if (v === '-0') b.writeDoubleBE(-0);
  else throw invalid(field, v, 'a double (a number, "nan", "-nan", "inf", "-inf" or "-0")');
  return b;
}

function typeCode(name: unknown, field: string): number {
  if (typeof name === 'number' && Number.isInteger(name) && name >= 0 && name <= 255) return name;
  const code = typeof name === 'string' ? TYPE_CODES[name] : undefined;
  if (code === undefined) throw new AsError('STREAM_VALUE', `${field}: unknown particle type ${show(name)}`, { value: name });
  return code;
}

// The particle of a bin or key object. `record` names the record for view mismatches.
function particle(o: unknown, field: string, record: string): { type: number; data: Buffer; view?: true } {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw invalid(field, o, 'an object');
  const j = o as Record<string, unknown>;
  const type = typeCode(j.type, field);
  const hasValue = 'value' in j;
  const hasBytes = 'base64' in j;
  const hasView = 'view' in j;
  if (type === P.LIST || type === P.MAP) {
    // A view is for reading; the bytes are the data (docs/record-stream.md, "Writers").
    if (!hasBytes) {
      const what = hasView ? 'a "view"' : hasValue ? 'a "value"' : 'nothing';
      throw new AsError('STREAM_VIEW_WITHOUT_BYTES', `${record}${field}: the ${TYPE_NAMES[type]} has ${what} but no "base64" bytes; lists and maps are written from their bytes only`, { value: j.view ?? j.value });
    }
    if (hasValue) throw new AsError('STREAM_VALUE', `${field}: a ${TYPE_NAMES[type]} takes "base64" (and optionally "view"), not "value"`, { value: j.value });
    const data = strictBase64(j.base64, `${field} base64`);
    const shown = hasView ? viewText(type, data) : undefined;
    // Fast path: an untouched view prints back as the same text, unless jq or JSON.parse
    // reordered its keys; then the order-blind comparison decides.
    if (hasView && (shown === undefined || (JSON.stringify(j.view) !== shown && !sameView(JSON.parse(shown), j.view)))) {
      throw new AsError('STREAM_VIEW_MISMATCH', `${record}${field}: the "view" differs from the "base64" bytes, which are the data; edits to a view are not written (remove "view" to write the bytes as they are)`, { value: j.view });
    }
    return hasView ? { type, data, view: true } : { type, data };
  }
  if (hasView) throw new AsError('STREAM_VALUE', `${field}: only lists and maps have a "view"`, { value: j.view });
  if (hasValue && hasBytes) throw new AsError('STREAM_VALUE', `${field}: has both "value" and "base64"; give one`, { value: j.value });
  if (hasBytes) {
    const raw = strictBase64(j.base64, `${field} base64`);
    return { type, data: type === P.GEOJSON ? geojsonParticle(raw) : raw };
  }
  const v = j.value;
  switch (type) {
    case P.NULL:
      if (v !== null && v !== undefined) throw invalid(field, v, 'null');
      return { type, data: Buffer.alloc(0) };
    case P.INTEGER: return { type, data: integerParticle(v, field) };
    case P.FLOAT: return { type, data: doubleParticle(v, field) };
    case P.STRING: return { type, data: Buffer.from(stringField(v, field), 'utf8') };
    case P.GEOJSON: return { type, data: geojsonParticle(Buffer.from(stringField(v, field), 'utf8')) };
    case P.BOOL:
      if (typeof v !== 'boolean') throw invalid(field, v, 'true or false');
      return { type, data: Buffer.from([v ? 1 : 0]) };
    default:
      throw invalid(field, v, `a "base64" value (a ${TYPE_NAMES[type] ?? `type ${type}`} is written as base64)`);
  }
}

function record(j: Record<string, unknown>): RecordItem {
  if (typeof j.namespace !== 'string' || j.namespace === '' || typeof j.digest !== 'string' || !Array.isArray(j.bins)) {
    throw new AsError('STREAM', 'a record needs "namespace", "digest" and "bins" (an array)');
  }
  const digest = strictBase64(j.digest, 'digest');
  if (digest.length !== 20) throw new AsError('STREAM_VALUE', `digest ${j.digest} is not 20 bytes`, { value: j.digest });
  const rec: RecordItem = {
    kind: 'record',
    namespace: j.namespace,
    set: j.set === undefined ? '' : stringField(j.set, 'set'),
    digest,
    generation: j.generation === undefined ? 0 : uintField(j.generation, 'generation', MAX_GENERATION),
    voidTime: j.voidTime === undefined ? 0 : uintField(j.voidTime, 'voidTime', MAX_VOID_TIME),
    bins: [],
  };
  const name = `record ${j.digest}: `;
  if (j.key !== undefined && j.key !== null) {
    const k = particle(j.key, 'key', name);
    rec.key = { type: k.type, data: k.data };
  }
  if (j.lastUpdate !== undefined) rec.lastUpdate = uintField(j.lastUpdate, 'lastUpdate', Number.MAX_SAFE_INTEGER);
  for (const b of j.bins as unknown[]) {
    const binName = stringField((b as Record<string, unknown> | null)?.name, 'bin name');
    rec.bins.push({ name: binName, ...particle(b, `bin "${binName}"`, name) } as Bin);
  }
  return rec;
}

const INDEX_TYPES: ReadonlySet<string> = new Set(['N', 'L', 'K', 'V']);
const BIN_TYPES: ReadonlySet<string> = new Set(['N', 'S', 'G', 'B']);

// A CDT context is a msgpack list of (type, value) pairs.
function isContext(b: Buffer): boolean {
  try {
    const { value, end } = unpack(b);
    return end === b.length && Array.isArray(value) && value.length > 0 && value.length % 2 === 0;
  } catch {
    return false;
  }
}

function sindex(j: Record<string, unknown>): SindexItem {
  const indexType = j.indexType ?? 'N';
  if (typeof indexType !== 'string' || !INDEX_TYPES.has(indexType)) throw invalid('indexType', indexType, 'one of "N", "L", "K", "V"');
  if (typeof j.binType !== 'string' || !BIN_TYPES.has(j.binType)) throw invalid('binType', j.binType, 'one of "N", "S", "G", "B"');
  const item: SindexItem = {
    kind: 'sindex',
    namespace: stringField(j.namespace, 'namespace', false),
    set: j.set === undefined ? '' : stringField(j.set, 'set'),
    name: stringField(j.name, 'name', false),
    indexType: indexType as SindexItem['indexType'],
    bin: stringField(j.bin, 'bin', false),
    binType: j.binType as SindexItem['binType'],
  };
  if (j.context !== undefined) {
    const ctx = strictBase64(j.context, 'context');
    if (!isContext(ctx)) throw invalid('context', j.context, 'the base64 of a msgpack CDT context (a list of type, value pairs)');
    item.context = j.context as string;
  }
  return item;
}

function udf(j: Record<string, unknown>): UdfItem {
  const name = stringField(j.name, 'name', false);
  if (j.udfType !== undefined && j.udfType !== 'L') throw invalid('udfType', j.udfType, '"L" (Lua)');
  const content = strictBase64(j.content, 'content');
  checkUdf({ kind: 'udf', name, udfType: 'L', content });
  return { kind: 'udf', name, udfType: 'L', content };
}

/**
 * checkUdf: refuses a UDF module no server should get: one with no content. The server
 * registers it, and then refuses to hand it out (`udf-get`: empty), which fails every backup.
 */
export function checkUdf(u: UdfItem): void {
  if (u.content.length === 0) {
    throw new AsError('UDF_EMPTY', `UDF module ${u.name} has no content; registering it would break every later backup`, { value: u.name });
  }
}

/** The kind of the item that ends a stream whose writer stopped early (docs/pipelines.md). */
const ABORTED = 'aborted';

/** abortedItemLine: the last line a writer that stopped early writes: an item every reader refuses. */
export function abortedItemLine(program: string, reason: string): string {
  return `${JSON.stringify({ kind: ABORTED, program, reason })}\n`;
}

/** fromJson: an item from its parsed JSON object; throws AsError (STREAM…) when malformed. */
export function fromJson(o: unknown): StreamItem {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new AsError('STREAM', 'a stream line must be a JSON object');
  const j = o as Record<string, unknown>;
  switch (j.kind) {
    case 'record': return record(j);
    case 'sindex': return sindex(j);
    case 'udf': return udf(j);
    case ABORTED: throw new AsError('INPUT_ABORTED', `the program writing this stream stopped before the end: ${String(j.program)}: ${String(j.reason)}`, { value: j.program });
    default: throw new AsError('STREAM', `unknown item kind ${show(j.kind)}`, { value: j.kind });
  }
}

/** parse: an item from one JSON line. */
export function parse(line: string): StreamItem {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (e) {
    throw new AsError('STREAM', `not JSON: ${(e as Error).message}`, { value: line.slice(0, 80) });
  }
  return fromJson(o);
}

/** parseLine: parse, with a refusal turned into a ParseError naming file:line (its code kept). */
export function parseLine(text: string, file: string, line: number): StreamItem {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof AsError && !(e instanceof ParseError)) throw new ParseError(e.message, file, line, 1, undefined, e.code);
    throw e;
  }
}
