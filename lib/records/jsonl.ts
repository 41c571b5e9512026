// StreamItem <-> one JSON line: the contract between our programs (docs/record-stream.md).
// Lossless for every particle type, and stable under `jq -c .` (no number needs more
// precision than a double holds: unsafe integers travel as strings).
import { ParticleType as P } from '../protocol/constants.js';
import { AsError } from '../errors.js';
import type { Bin, RecordItem, SindexItem, StreamItem, UdfItem, UserKey } from './types.js';

/** Particle type names used in the JSON form. */
export const TYPE_NAMES: Record<number, string> = {
  [P.NULL]: 'nil', [P.INTEGER]: 'integer', [P.FLOAT]: 'double', [P.STRING]: 'string',
  [P.BLOB]: 'blob', [P.JAVA_BLOB]: 'java-blob', [P.CSHARP_BLOB]: 'csharp-blob',
  [P.PYTHON_BLOB]: 'python-blob', [P.RUBY_BLOB]: 'ruby-blob', [P.PHP_BLOB]: 'php-blob',
  [P.ERLANG_BLOB]: 'erlang-blob', [P.VECTOR]: 'vector', [P.BOOL]: 'bool', [P.HLL]: 'hll',
  [P.MAP]: 'map', [P.LIST]: 'list', [P.GEOJSON]: 'geojson',
};
const TYPE_CODES: Record<string, number> = Object.fromEntries(
  Object.entries(TYPE_NAMES).map(([code, name]) => [name, Number(code)]),
);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A JSON value for a particle; the caller adds the type. */
interface JsonValue { value?: unknown; base64?: string }

function intToJson(data: Buffer): JsonValue {
  const v = data.length === 8 ? data.readBigInt64BE(0) : BigInt(0);
  return { value: v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString() };
}

function doubleToJson(data: Buffer): JsonValue {
  const d = data.readDoubleBE(0);
  if (Number.isNaN(d)) return { value: data[0]! & 0x80 ? '-nan' : 'nan' };
  if (d === Infinity) return { value: 'inf' };
  if (d === -Infinity) return { value: '-inf' };
  if (Object.is(d, -0)) return { value: '-0' };
  return { value: d };
}

function textToJson(data: Buffer): JsonValue {
  try {
    return { value: utf8.decode(data) };
  } catch {
    return { base64: data.toString('base64') };
  }
}

/** GeoJSON particle: u8 flags, u16 ncells, ncells x u64 cells, then the JSON text. */
export function geojsonText(data: Buffer): Buffer {
  if (data.length < 3) return Buffer.alloc(0);
  const cells = data.readUInt16BE(1);
  return data.subarray(Math.min(data.length, 3 + cells * 8));
}

/** Builds the wire GeoJSON particle a client sends: flags 0, no cells, the text. */
export function geojsonParticle(text: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(3), text]);
}

function particleToJson(type: number, data: Buffer): JsonValue {
  switch (type) {
    case P.NULL: return { value: null };
    case P.INTEGER: return intToJson(data);
    case P.FLOAT: return doubleToJson(data);
    case P.STRING: return textToJson(data);
    case P.GEOJSON: return textToJson(geojsonText(data));
    case P.BOOL: return { value: data[0] !== 0 };
    default: return { base64: data.toString('base64') };
  }
}

function jsonToParticle(type: number, j: JsonValue, where: string): Buffer {
  if (j.base64 !== undefined) {
    const raw = Buffer.from(String(j.base64), 'base64');
    return type === P.GEOJSON ? geojsonParticle(raw) : raw;
  }
  const v = j.value;
  switch (type) {
    case P.NULL: return Buffer.alloc(0);
    case P.INTEGER: {
      const b = Buffer.alloc(8);
      let n: bigint;
      try { n = BigInt(typeof v === 'number' ? Math.trunc(v) : String(v)); } catch { throw bad(where, v); }
      if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n) throw bad(where, v);
      b.writeBigInt64BE(n);
      return b;
    }
    case P.FLOAT: {
      const b = Buffer.alloc(8);
      if (typeof v === 'number') b.writeDoubleBE(v);
      else if (v === 'nan') b.writeBigUInt64BE(0x7ff8000000000000n);
      else if (v === '-nan') b.writeBigUInt64BE(0xfff8000000000000n);
      else if (v === 'inf') b.writeDoubleBE(Infinity);
      else if (v === '-inf') b.writeDoubleBE(-Infinity);
      else if (v === '-0') b.writeDoubleBE(-0);
      else throw bad(where, v);
      return b;
    }
    case P.STRING:
      if (typeof v !== 'string') throw bad(where, v);
      return Buffer.from(v, 'utf8');
    case P.GEOJSON:
      if (typeof v !== 'string') throw bad(where, v);
      return geojsonParticle(Buffer.from(v, 'utf8'));
    case P.BOOL:
      if (typeof v !== 'boolean') throw bad(where, v);
      return Buffer.from([v ? 1 : 0]);
    default:
      throw bad(where, v);
  }
}

function bad(where: string, v: unknown): AsError {
  return new AsError('STREAM', `invalid value ${JSON.stringify(v)} for ${where}`, { value: v });
}

function typeName(code: number): string {
  return TYPE_NAMES[code] ?? String(code);
}

function typeCode(name: unknown, where: string): number {
  if (typeof name === 'number') return name;
  const code = TYPE_CODES[String(name)];
  if (code === undefined) throw new AsError('STREAM', `unknown particle type ${JSON.stringify(name)} in ${where}`, { value: name });
  return code;
}

/** toJson: the plain object written as one JSON line for an item. */
export function toJson(item: StreamItem): Record<string, unknown> {
  switch (item.kind) {
    case 'record': {
      const o: Record<string, unknown> = { kind: 'record', namespace: item.namespace };
      if (item.set !== '') o.set = item.set;
      o.digest = item.digest.toString('base64');
      if (item.key) o.key = { type: typeName(item.key.type), ...particleToJson(item.key.type, item.key.data) };
      o.generation = item.generation;
      o.voidTime = item.voidTime;
      if (item.lastUpdate !== undefined) o.lastUpdate = item.lastUpdate;
      o.bins = item.bins.map((b) => ({ name: b.name, type: typeName(b.type), ...particleToJson(b.type, b.data) }));
      return o;
    }
    case 'sindex': {
      const o: Record<string, unknown> = { ...item };
      if (item.context === undefined) delete o.context;
      return o;
    }
    case 'udf':
      return { kind: 'udf', name: item.name, udfType: item.udfType, content: item.content.toString('base64') };
  }
}

/** stringify: one JSON line (with the trailing newline) for an item. */
export function stringify(item: StreamItem): string {
  return JSON.stringify(toJson(item)) + '\n';
}

function particle(o: Record<string, unknown>, where: string): { type: number; data: Buffer } {
  const type = typeCode(o.type, where);
  return { type, data: jsonToParticle(type, o as JsonValue, where) };
}

/** fromJson: an item from its parsed JSON object; throws AsError('STREAM') when malformed. */
export function fromJson(o: unknown): StreamItem {
  if (typeof o !== 'object' || o === null) throw new AsError('STREAM', 'a stream line must be a JSON object');
  const j = o as Record<string, unknown>;
  switch (j.kind) {
    case 'record': {
      if (typeof j.namespace !== 'string' || typeof j.digest !== 'string') {
        throw new AsError('STREAM', 'a record needs "namespace" and "digest"');
      }
      const digest = Buffer.from(j.digest, 'base64');
      if (digest.length !== 20) throw new AsError('STREAM', `digest ${j.digest} is not 20 bytes`, { value: j.digest });
      const rec: RecordItem = {
        kind: 'record',
        namespace: j.namespace,
        set: typeof j.set === 'string' ? j.set : '',
        digest,
        generation: Number(j.generation ?? 0),
        voidTime: Number(j.voidTime ?? 0),
        bins: [],
      };
      if (j.key !== undefined && j.key !== null) rec.key = particle(j.key as Record<string, unknown>, 'key') as UserKey;
      if (typeof j.lastUpdate === 'number') rec.lastUpdate = j.lastUpdate;
      const bins = Array.isArray(j.bins) ? j.bins : [];
      for (const b of bins as Record<string, unknown>[]) {
        const name = String(b.name ?? '');
        rec.bins.push({ name, ...particle(b, `bin "${name}"`) } as Bin);
      }
      return rec;
    }
    case 'sindex': {
      const s = j as unknown as SindexItem;
      const item: SindexItem = {
        kind: 'sindex', namespace: String(s.namespace), set: String(s.set ?? ''), name: String(s.name),
        indexType: s.indexType ?? 'N', bin: String(s.bin), binType: s.binType,
      };
      if (typeof s.context === 'string') item.context = s.context;
      return item;
    }
    case 'udf':
      return { kind: 'udf', name: String(j.name), udfType: 'L', content: Buffer.from(String(j.content ?? ''), 'base64') } as UdfItem;
    default:
      throw new AsError('STREAM', `unknown item kind ${JSON.stringify(j.kind)}`, { value: j.kind });
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
