// The GeoJSON particle (wire-protocol.md 4.5): u8 flags, u16 BE cell count, that many u64 BE
// cell ids, then the JSON text. A client sends flags 0 and no cells; the server answers
// with the cells it computed (and flag 0x01 for a region), and ignores cells it is sent.
import { readU16 } from './layout.js';

/** Bytes before the cells: flags and cell count. */
export const GEOJSON_HEADER_SIZE = 3;
/** Size of one cell id. */
export const GEOJSON_CELL_SIZE = 8;
/** Flag bits the server sets. */
export const GeojsonFlag = { REGION: 0x01 } as const;

/** geojsonFlags: the flags byte (0 for a particle too short to have one). */
export function geojsonFlags(data: Buffer): number {
  return data.length > 0 ? data[0]! : 0;
}

/** geojsonCellCount: the number of cell ids the particle says it holds. */
export function geojsonCellCount(data: Buffer): number {
  return data.length < GEOJSON_HEADER_SIZE ? 0 : readU16(data, 1);
}

/** geojsonCell: cell id i (the caller keeps i below the count and the particle whole). */
export function geojsonCell(data: Buffer, i: number): bigint {
  return data.readBigUInt64BE(GEOJSON_HEADER_SIZE + i * GEOJSON_CELL_SIZE);
}

/**
 * geojsonTextAt: where the JSON text starts in the particle held by b[from, to): after
 * flags, count and cells, never past `to` (a short particle has empty text). Zero-copy,
 * for walkers over frames.
 */
export function geojsonTextAt(b: Buffer, from: number, to: number): number {
  if (to - from < GEOJSON_HEADER_SIZE) return to;
  return Math.min(to, from + GEOJSON_HEADER_SIZE + readU16(b, from + 1) * GEOJSON_CELL_SIZE);
}

/** geojsonText: the JSON text of a particle, as a view of it. */
export function geojsonText(data: Buffer): Buffer {
  return data.subarray(geojsonTextAt(data, 0, data.length));
}

/** geojsonParticle: the particle a client sends for a JSON text: flags 0, no cells, the text. */
export function geojsonParticle(text: Buffer): Buffer {
  const out = Buffer.allocUnsafe(GEOJSON_HEADER_SIZE + text.length);
  out.fill(0, 0, GEOJSON_HEADER_SIZE);
  text.copy(out, GEOJSON_HEADER_SIZE);
  return out;
}

/** clientGeojson: the particle a client sends for this one: itself when it has flags 0 and no cells. */
export function clientGeojson(data: Buffer): Buffer {
  if (data.length >= GEOJSON_HEADER_SIZE && data[0] === 0 && data[1] === 0 && data[2] === 0) return data;
  return geojsonParticle(geojsonText(data));
}
