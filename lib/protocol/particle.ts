// Particles: a type byte + raw value bytes. Builders and readers for each type; the data
// path never converts values, these are for tests, filters and people.
import { ParticleType as P } from './constants.js';
import { GEOJSON_CELL_SIZE, GEOJSON_HEADER_SIZE, geojsonCell, geojsonCellCount, geojsonFlags, geojsonParticle, geojsonText } from './geojson.js';
import { ProtocolError } from '../errors.js';

/** A particle: type + raw bytes. */
export interface Particle {
  type: number;
  data: Buffer;
}

/** Blob subtypes: the language-specific blob particle types. */
export const BLOB_TYPES: ReadonlySet<number> = new Set([P.BLOB, P.JAVA_BLOB, P.CSHARP_BLOB, P.PYTHON_BLOB, P.RUBY_BLOB, P.PHP_BLOB, P.ERLANG_BLOB]);

export const particle = {
  nil: (): Particle => ({ type: P.NULL, data: Buffer.alloc(0) }),
  integer: (v: number | bigint): Particle => {
    const data = Buffer.allocUnsafe(8);
    data.writeBigInt64BE(BigInt(v));
    return { type: P.INTEGER, data };
  },
  double: (v: number): Particle => {
    const data = Buffer.allocUnsafe(8);
    data.writeDoubleBE(v);
    return { type: P.FLOAT, data };
  },
  string: (s: string | Buffer): Particle => ({ type: P.STRING, data: Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8') }),
  blob: (b: Buffer, type: number = P.BLOB): Particle => {
    if (!BLOB_TYPES.has(type)) throw new ProtocolError(`${type} is not a blob particle type`, type);
    return { type, data: b };
  },
  bool: (v: boolean): Particle => ({ type: P.BOOL, data: Buffer.from([v ? 1 : 0]) }),
  hll: (raw: Buffer): Particle => ({ type: P.HLL, data: raw }),
  /** map / list: msgpack bytes exactly as the server keeps them. */
  map: (msgpack: Buffer): Particle => ({ type: P.MAP, data: msgpack }),
  list: (msgpack: Buffer): Particle => ({ type: P.LIST, data: msgpack }),
  /** geojson: what a client sends (flags 0, no cells, then the JSON text). */
  geojson: (json: string): Particle => ({ type: P.GEOJSON, data: geojsonParticle(Buffer.from(json, 'utf8')) }),
};

/** readInteger: an integer particle's value (the server sends 8 bytes; 0-8 accepted). */
export function readInteger(data: Buffer): bigint {
  if (data.length === 8) return data.readBigInt64BE(0);
  let v = 0n;
  for (const b of data) v = (v << 8n) | BigInt(b);
  return data.length > 0 ? BigInt.asIntN(data.length * 8, v) : 0n;
}

/** readDouble: a double particle's value. */
export function readDouble(data: Buffer): number {
  return data.readDoubleBE(0);
}

/** readString: a string particle's text. */
export function readString(data: Buffer): string {
  return data.toString('utf8');
}

/** readBool: a bool particle's value. */
export function readBool(data: Buffer): boolean {
  return data[0] !== 0;
}

/** readGeojson: the JSON text and cell ids of a GeoJSON particle. */
export function readGeojson(data: Buffer): { flags: number; cells: bigint[]; json: string } {
  if (data.length < GEOJSON_HEADER_SIZE) throw new ProtocolError('GeoJSON particle too short', data.length);
  const n = geojsonCellCount(data);
  if (GEOJSON_HEADER_SIZE + n * GEOJSON_CELL_SIZE > data.length) throw new ProtocolError('GeoJSON cell count beyond the particle', n);
  const cells: bigint[] = [];
  for (let i = 0; i < n; i++) cells.push(geojsonCell(data, i));
  return { flags: geojsonFlags(data), cells, json: geojsonText(data).toString('utf8') };
}
