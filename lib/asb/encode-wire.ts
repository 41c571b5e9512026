// Records still in their wire form (a scan frame and each record's offset) written as .asb
// blocks straight from the frame bytes: the same bytes encodeItem gives for the same
// records, without an object per record or bin (asbackup's hot path).
//
// Why it looks like this (measured with node --cpu-prof and on captured frames): the
// writer's position lives in a local variable, not in module state, so V8 keeps it in a
// register; the room a record needs is bounded once from its wire size instead of being
// checked before every piece; and every piece is written by the pure `put*` writers of
// writer.ts, which V8 inlines here.
import { AsError } from '../errors.js';
import { FieldType, MSG_HEADER_SIZE, ParticleType as P } from '../protocol/constants.js';
import { geojsonTextAt } from '../protocol/geojson.js';
import {
  fieldDataAt, fieldEnd, fieldType, MsgOffset, opEnd, opNameAt, opNameEnd, opParticleType, opValueAt, viewOf,
} from '../protocol/layout.js';
import { MAX_GENERATION } from './constants.js';
import { escape } from './escape.js';
import { putUint } from './digits.js';
import { wasmWireWriter } from './wire-wasm.js';
import {
  PREFIX, PREFIX_BANG, putBytes, putDigestBase64, putDouble, putInt64, putNameWords, putSized, putSizedBase64, type AsbRun,
} from './writer.js';

// A record's .asb text is at most this many bytes per byte of its AS_MSG, plus the escaped
// namespace and a constant (every piece's text, including labels, length prefixes, base64
// and the %.17g of an 8-byte double, is at most 3 times its wire bytes; the 22-byte message
// header covers the `+ g`, `+ t` and `+ b` lines).
const BOUND_PER_WIRE_BYTE = 3;
const BOUND_EXTRA = 64;

// `+ k I `, `+ k D `, `+ k S `, `+ k B `, `+ k B! `
const KEY_INT = Buffer.from('+ k I ');
const KEY_DOUBLE = Buffer.from('+ k D ');
const KEY_STRING = Buffer.from('+ k S ');
const KEY_BLOB = Buffer.from('+ k B ');
const KEY_BLOB_BANG = Buffer.from('+ k B! ');

/** putLabel: a short constant (a label) at out[p..]. */
function putLabel(out: Buffer, p: number, label: Buffer): number {
  for (let i = 0; i < label.length; i++) out[p + i] = label[i]!;
  return p + label.length;
}

/**
 * putSmallUint: putUint, with a one-digit value written here: small enough for V8 to inline
 * where putUint is not (the `+ g`, `+ t` and `+ b` numbers, mostly one digit).
 */
function putSmallUint(out: Buffer, p: number, v: number): number {
  if (v > 9) return putUint(out, p, v);
  out[p] = 48 + v;
  return p + 1;
}

// The bin line prefixes of writer.ts as 32-bit words, written by one store: `- X ` (and
// with -C `- X!`, then a space); 0 for a particle type .asb cannot hold.
const PREFIX_WORD = new Int32Array(256);
const PREFIX_BANG_WORD = new Int32Array(256);
PREFIX.forEach((b, t) => { PREFIX_WORD[t] = b.readInt32BE(0); });
PREFIX_BANG.forEach((b, t) => { PREFIX_BANG_WORD[t] = b.readInt32BE(0); });
const BANG = 0x21;

/**
 * One record of a scan frame (AS_MSG at `at`, validated by the record parser) written as an
 * .asb block at out[p..] (`ov` views out, `bv` views b); returns where it ends.
 */
function writeWireRecord(out: Buffer, ov: DataView, p: number, b: Buffer, bv: DataView, at: number, compact: boolean): number {
  const nFields = bv.getUint16(at + MsgOffset.N_FIELDS);
  const nOps = bv.getUint16(at + MsgOffset.N_OPS);
  let q = at + MSG_HEADER_SIZE;
  let digestAt = -1;
  let setFrom = -1;
  let setTo = -1;
  for (let i = 0; i < nFields; i++) {
    const type = fieldType(b, q);
    const end = fieldEnd(bv, q);
    if (type === FieldType.DIGEST) digestAt = fieldDataAt(q);
    else if (type === FieldType.SET) { setFrom = fieldDataAt(q); setTo = end; }
    else if (type === FieldType.KEY) {
      const kt = b[fieldDataAt(q)]!;
      const kFrom = fieldDataAt(q) + 1;
      switch (kt) {
        case P.INTEGER: p = putInt64(out, putLabel(out, p, KEY_INT), b, kFrom, end - kFrom); break;
        case P.FLOAT: p = putDouble(out, putLabel(out, p, KEY_DOUBLE), b, kFrom, end - kFrom); break;
        case P.STRING: p = putSized(out, ov, putLabel(out, p, KEY_STRING), b, bv, kFrom, end); break;
        case P.BLOB:
          p = compact ? putSized(out, ov, putLabel(out, p, KEY_BLOB_BANG), b, bv, kFrom, end) : putSizedBase64(out, ov, putLabel(out, p, KEY_BLOB), b, bv, kFrom, end);
          break;
        default:
          throw new AsError('ASB_ENCODE', `cannot write a user key of particle type ${kt} to .asb`, { value: kt });
      }
      out[p++] = 0x0a;
    }
    q = end;
  }
  p = putBytes(out, ov, p, head, headView, 0, head.length); // `+ n <ns>\n+ d `
  p = putDigestBase64(out, ov, p, b, bv, digestAt);
  if (setTo > setFrom) {
    out[p] = 0x0a; out[p + 1] = 0x2b; out[p + 2] = 0x20; out[p + 3] = 0x73; out[p + 4] = 0x20; // `\n+ s `
    p = putNameWords(out, ov, p + 5, b, bv, setFrom, setTo);
  }
  const generation = bv.getUint32(at + MsgOffset.GENERATION);
  if (generation > MAX_GENERATION) throw new AsError('ASB_ENCODE', `generation ${generation} is not an integer in 0..${MAX_GENERATION}`, { value: generation });
  out[p] = 0x0a; out[p + 1] = 0x2b; out[p + 2] = 0x20; out[p + 3] = 0x67; out[p + 4] = 0x20; // `\n+ g `
  p = putSmallUint(out, p + 5, generation);
  out[p] = 0x0a; out[p + 1] = 0x2b; out[p + 2] = 0x20; out[p + 3] = 0x74; out[p + 4] = 0x20; // `\n+ t `
  p = putSmallUint(out, p + 5, bv.getUint32(at + MsgOffset.RECORD_TTL)); // the void time
  out[p] = 0x0a; out[p + 1] = 0x2b; out[p + 2] = 0x20; out[p + 3] = 0x62; out[p + 4] = 0x20; // `\n+ b `
  p = putSmallUint(out, p + 5, nOps);
  out[p++] = 0x0a;
  const words = compact ? PREFIX_BANG_WORD : PREFIX_WORD;
  for (let i = 0; i < nOps; i++) {
    const t = opParticleType(b, q);
    const nameFrom = opNameAt(q);
    const nameTo = opNameEnd(b, q);
    const from = opValueAt(b, q); // after the LUT, when the op carries one
    const to = opEnd(bv, q);
    q = to;
    const word = words[t]!;
    if (word === 0) {
      throw new AsError('ASB_ENCODE', `cannot write bin "${b.toString('utf8', nameFrom, nameTo)}" of particle type ${t} to .asb`, { value: t });
    }
    ov.setInt32(p, word);
    if ((word & 0xff) === BANG) out[(p += 5) - 1] = 0x20;
    else p += 4;
    p = putNameWords(out, ov, p, b, bv, nameFrom, nameTo);
    switch (t) {
      case P.NULL: break;
      case P.BOOL: out[p] = 0x20; out[p + 1] = b[from] ? 0x54 : 0x46; p += 2; break;
      case P.INTEGER: out[p] = 0x20; p = putInt64(out, p + 1, b, from, to - from); break;
      case P.FLOAT: out[p] = 0x20; p = putDouble(out, p + 1, b, from, to - from); break;
      case P.STRING: out[p] = 0x20; p = putSized(out, ov, p + 1, b, bv, from, to); break;
      case P.GEOJSON: out[p] = 0x20; p = putSized(out, ov, p + 1, b, bv, geojsonTextAt(b, from, to), to); break; // the JSON text only
      default:
        out[p] = 0x20;
        p = compact ? putSized(out, ov, p + 1, b, bv, from, to) : putSizedBase64(out, ov, p + 1, b, bv, from, to);
    }
    out[p++] = 0x0a;
  }
  return p;
}

let headNs = '';
let head = Buffer.alloc(0);
let headView = viewOf(head);

/** headOf: `+ n <escaped namespace>\n+ d `, the same for every record of a namespace. */
function headOf(ns: string): Buffer {
  if (headNs !== ns) {
    headNs = ns;
    head = Buffer.from(`+ n ${escape(ns)}\n+ d `, 'utf8');
    headView = viewOf(head);
  }
  return head;
}

// The run's slab, reused: a run is valid only until the next one (its consumer copies it).
const SLAB_SIZE = 1024 * 1024;
let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabView = viewOf(slab);

/** grown: a buffer of at least `need` bytes holding out's first p (the slab from then on, when out is it). */
function grown(out: Buffer, p: number, need: number, isSlab: boolean): Buffer {
  const bigger = Buffer.allocUnsafeSlow(Math.max(2 * out.length, need));
  out.copy(bigger, 0, 0, p);
  if (isSlab) {
    slab = bigger;
    slabView = viewOf(bigger);
  }
  return bigger;
}

/**
 * encodeWireRun: the .asb blocks of records still in their wire form, back to back in one
 * run, byte for byte what encodeItem gives for each record. The run is a view of a reused
 * slab: valid only until the next run, so a consumer copies it at once. With `into`, the
 * run is written there instead (a bigger buffer of its own when it does not fit), for a
 * caller that keeps it; with `endsInto` (of one element a record), the records' ends are
 * written there. The WebAssembly writer (wire-wasm.ts) writes the records it can,
 * writeWireRecord the others and all of them where it is not built.
 */
export function encodeWireRun(batch: { namespace: string; body: Buffer; offsets: ArrayLike<number> }, compact = false, into?: Buffer, endsInto?: Uint32Array): AsbRun {
  headOf(batch.namespace);
  const { body, offsets } = batch;
  const n = offsets.length;
  const ends = endsInto?.length === n ? endsInto : new Uint32Array(n);
  const bv = viewOf(body);
  let out = into ?? slab;
  let ov = into === undefined ? slabView : viewOf(into);
  let p = 0;
  const wasm = n > 0 ? wasmWireWriter() : undefined;
  const loaded = wasm !== undefined && wasm.load(body, offsets, head);
  for (let i = 0; i < n; i++) {
    if (loaded) {
      const next = wasm.run(i, compact);
      if (next > i) {
        if (p + wasm.textLength > out.length) {
          out = grown(out, p, p + wasm.textLength, into === undefined);
          ov = viewOf(out);
        }
        out.set(wasm.text(), p);
        const done = wasm.ends(i, next);
        for (let k = 0; k < done.length; k++) ends[i + k] = p + done[k]!;
        p += wasm.textLength;
        i = next;
        if (i === n) break;
      }
    }
    const at = offsets[i]!;
    // Records follow each other (partition-done messages may sit between them): the next
    // record's offset bounds this one's wire size.
    const next = i + 1 < n ? offsets[i + 1]! : body.length;
    const size = (next > at ? next : body.length) - at;
    const need = p + BOUND_PER_WIRE_BYTE * size + head.length + BOUND_EXTRA;
    if (need > out.length) {
      out = grown(out, p, need, into === undefined);
      ov = viewOf(out);
    }
    p = writeWireRecord(out, ov, p, body, bv, at, compact);
    // A typed array drops writes past its end: a wrong bound must fail, never cut text.
    if (p > out.length) throw new AsError('INTERNAL', `internal: an .asb block outgrew its bound (${p} > ${out.length})`);
    ends[i] = p;
  }
  return { kind: 'run', bytes: out.subarray(0, p), ends };
}
