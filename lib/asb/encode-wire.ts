// Records still in their wire form (a scan frame and each record's offset) written as .asb
// blocks straight from the frame bytes: the same bytes encodeItem gives for the same
// records, without an object per record or bin (asbackup's hot path).
import { AsError } from '../errors.js';
import { ParticleType as P } from '../protocol/constants.js';
import { geojsonTextAt } from '../protocol/geojson.js';
import { MAX_GENERATION } from './constants.js';
import { escape } from './escape.js';
import {
  ascii, base64, byte, double, header, int64, lf, nameBytes, PREFIX, PREFIX_BANG, raw, sized, sizedBase64, uint, writeRun, type AsbRun,
} from './writer.js';

// AS_MSG field and particle numbers the wire writer reads (lib/protocol/constants.ts).
const F_SET = 1;
const F_KEY = 2;
const F_DIGEST = 4;

// Plain byte reads: the parser validated every offset, and these inline where
// readUInt32BE's checks do not.
const u32 = (b: Buffer, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u16 = (b: Buffer, at: number): number => (b[at]! << 8) | b[at + 1]!;

/** One record of a scan frame (AS_MSG at `at`), written as an .asb block. */
function writeWireRecord(b: Buffer, at: number, nsEscaped: Buffer, compact: boolean): void {
  const generation = u32(b, at + 6);
  const voidTime = u32(b, at + 10);
  const nFields = u16(b, at + 18);
  const nOps = u16(b, at + 20);
  let p = at + 22;
  let digestAt = -1;
  let setFrom = -1;
  let setTo = -1;
  for (let i = 0; i < nFields; i++) {
    const size = u32(b, p);
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
    const size = u32(b, p);
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
      case P.GEOJSON: byte(0x20); sized(b, geojsonTextAt(b, from, to), to); break; // the JSON text only
      default:
        byte(0x20);
        if (compact) sized(b, from, to);
        else sizedBase64(b, from, to);
    }
    lf();
  }
}

const nsCache = { ns: '', escaped: Buffer.alloc(0) };

function escapedNamespace(ns: string): Buffer {
  if (nsCache.ns !== ns) {
    nsCache.ns = ns;
    nsCache.escaped = Buffer.from(escape(ns), 'utf8');
  }
  return nsCache.escaped;
}

/**
 * encodeWireRun: the .asb blocks of records still in their wire form, back to back in one
 * run, byte for byte what encodeItem gives for each record. The run is a view of the
 * writer's scratch slab: valid only until the next run, so a consumer copies it at once.
 */
export function encodeWireRun(batch: { namespace: string; body: Buffer; offsets: ArrayLike<number> }, compact = false): AsbRun {
  const ns = escapedNamespace(batch.namespace);
  const { body, offsets } = batch;
  return writeRun(offsets.length, (i) => writeWireRecord(body, offsets[i]!, ns, compact));
}
