// Records still in their wire form (a scan frame and each record's offset) written as .asb
// blocks straight from the frame bytes: the same bytes encodeItem gives for the same
// records, without an object per record or bin (asbackup's hot path).
import { AsError } from '../errors.js';
import { DIGEST_SIZE, FieldType, MSG_HEADER_SIZE, ParticleType as P } from '../protocol/constants.js';
import { geojsonTextAt } from '../protocol/geojson.js';
import {
  fieldDataAt, fieldEnd, fieldType, MsgOffset, opEnd, opNameAt, opNameEnd, opParticleType, opValueAt, readU16, readU32,
} from '../protocol/layout.js';
import { MAX_GENERATION } from './constants.js';
import { escape } from './escape.js';
import {
  ascii, base64, byte, double, header, int64, lf, nameBytes, PREFIX, PREFIX_BANG, raw, sized, sizedBase64, uint, writeRun, type AsbRun,
} from './writer.js';

/** One record of a scan frame (AS_MSG at `at`, validated by the record parser), written as an .asb block. */
function writeWireRecord(b: Buffer, at: number, nsEscaped: Buffer, compact: boolean): void {
  const nFields = readU16(b, at + MsgOffset.N_FIELDS);
  const nOps = readU16(b, at + MsgOffset.N_OPS);
  let p = at + MSG_HEADER_SIZE;
  let digestAt = -1;
  let setFrom = -1;
  let setTo = -1;
  for (let i = 0; i < nFields; i++) {
    const type = fieldType(b, p);
    const end = fieldEnd(b, p);
    if (type === FieldType.DIGEST) digestAt = fieldDataAt(p);
    else if (type === FieldType.SET) { setFrom = fieldDataAt(p); setTo = end; }
    else if (type === FieldType.KEY) {
      const kt = b[fieldDataAt(p)]!;
      const kFrom = fieldDataAt(p) + 1;
      switch (kt) {
        case P.INTEGER: ascii('+ k I '); int64(b, kFrom, end - kFrom); break;
        case P.FLOAT: ascii('+ k D '); double(b, kFrom, end - kFrom); break;
        case P.STRING: ascii('+ k S '); sized(b, kFrom, end); break;
        case P.BLOB:
          if (compact) { ascii('+ k B! '); sized(b, kFrom, end); } else { ascii('+ k B '); sizedBase64(b, kFrom, end); }
          break;
        default:
          throw new AsError('ASB_ENCODE', `cannot write a user key of particle type ${kt} to .asb`, { value: kt });
      }
      lf();
    }
    p = end;
  }
  ascii('+ n ');
  raw(nsEscaped);
  ascii('\n+ d ');
  base64(b, digestAt, digestAt + DIGEST_SIZE);
  lf();
  if (setTo > setFrom) {
    ascii('+ s ');
    nameBytes(b, setFrom, setTo);
    lf();
  }
  ascii('+ g ');
  header(readU32(b, at + MsgOffset.GENERATION), 'generation', MAX_GENERATION);
  ascii('\n+ t ');
  uint(readU32(b, at + MsgOffset.RECORD_TTL)); // the void time
  ascii('\n+ b ');
  uint(nOps);
  lf();
  for (let i = 0; i < nOps; i++) {
    const t = opParticleType(b, p);
    const nameFrom = opNameAt(p);
    const nameTo = opNameEnd(b, p);
    const from = opValueAt(b, p); // after the LUT, when the op carries one
    const to = opEnd(b, p);
    p = to;
    const prefix = (compact ? PREFIX_BANG : PREFIX)[t];
    if (prefix === undefined) {
      throw new AsError('ASB_ENCODE', `cannot write bin "${b.toString('utf8', nameFrom, nameTo)}" of particle type ${t} to .asb`, { value: t });
    }
    raw(prefix);
    nameBytes(b, nameFrom, nameTo);
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
