// The msgpack subset Aerospike uses for filter expressions, lists and maps. Strings and
// blobs inside msgpack are str-family values whose first byte is the particle type.
import { ParticleType } from './constants.js';
import { ProtocolError } from '../errors.js';

/** A value msgpack can carry here; strings are Aerospike strings, Buffers blobs. */
export type PackValue = null | boolean | number | bigint | string | Buffer | PackValue[] | Map<PackValue, PackValue> | { ext: number; data: Buffer } | { float: number };

/** pack: msgpack bytes for a value (integers use their smallest form). */
export function pack(v: PackValue): Buffer {
  const parts: Buffer[] = [];
  packInto(v, parts);
  return Buffer.concat(parts);
}

function u8(...b: number[]): Buffer {
  return Buffer.from(b);
}

function packInt(n: bigint, out: Buffer[]): void {
  if (n >= 0n) {
    if (n < 128n) out.push(u8(Number(n)));
    else if (n < 256n) out.push(u8(0xcc, Number(n)));
    else if (n < 65536n) { const b = Buffer.alloc(3); b[0] = 0xcd; b.writeUInt16BE(Number(n), 1); out.push(b); }
    else if (n < 4294967296n) { const b = Buffer.alloc(5); b[0] = 0xce; b.writeUInt32BE(Number(n), 1); out.push(b); }
    else { const b = Buffer.alloc(9); b[0] = 0xcf; b.writeBigUInt64BE(n, 1); out.push(b); }
  } else if (n >= -32n) out.push(u8(Number(n) & 0xff));
  else if (n >= -128n) out.push(u8(0xd0, Number(n) & 0xff));
  else if (n >= -32768n) { const b = Buffer.alloc(3); b[0] = 0xd1; b.writeInt16BE(Number(n), 1); out.push(b); }
  else if (n >= -2147483648n) { const b = Buffer.alloc(5); b[0] = 0xd2; b.writeInt32BE(Number(n), 1); out.push(b); }
  else { const b = Buffer.alloc(9); b[0] = 0xd3; b.writeBigInt64BE(n, 1); out.push(b); }
}

function packStr(type: number, bytes: Buffer, out: Buffer[]): void {
  const n = bytes.length + 1;
  if (n < 32) out.push(u8(0xa0 | n));
  else if (n < 256) out.push(u8(0xd9, n));
  else if (n < 65536) { const b = Buffer.alloc(3); b[0] = 0xda; b.writeUInt16BE(n, 1); out.push(b); }
  else { const b = Buffer.alloc(5); b[0] = 0xdb; b.writeUInt32BE(n, 1); out.push(b); }
  out.push(u8(type), bytes);
}

function packHeader(n: number, fix: number, b16: number, out: Buffer[]): void {
  if (n < 16) out.push(u8(fix | n));
  else if (n < 65536) { const b = Buffer.alloc(3); b[0] = b16; b.writeUInt16BE(n, 1); out.push(b); }
  else { const b = Buffer.alloc(5); b[0] = b16 + 1; b.writeUInt32BE(n, 1); out.push(b); }
}

function packInto(v: PackValue, out: Buffer[]): void {
  if (v === null) out.push(u8(0xc0));
  else if (v === true) out.push(u8(0xc3));
  else if (v === false) out.push(u8(0xc2));
  else if (typeof v === 'bigint') packInt(v, out);
  else if (typeof v === 'number') {
    if (Number.isInteger(v)) packInt(BigInt(v), out);
    else { const b = Buffer.alloc(9); b[0] = 0xcb; b.writeDoubleBE(v, 1); out.push(b); }
  } else if (typeof v === 'string') packStr(ParticleType.STRING, Buffer.from(v, 'utf8'), out);
  else if (Buffer.isBuffer(v)) packStr(ParticleType.BLOB, v, out);
  else if (Array.isArray(v)) {
    packHeader(v.length, 0x90, 0xdc, out);
    for (const x of v) packInto(x, out);
  } else if (v instanceof Map) {
    packHeader(v.size, 0x80, 0xde, out);
    for (const [k, x] of v) { packInto(k, out); packInto(x, out); }
  } else if ('float' in v) {
    const b = Buffer.alloc(9); b[0] = 0xcb; b.writeDoubleBE(v.float, 1); out.push(b);
  } else {
    const n = v.data.length;
    if (n === 1) out.push(u8(0xd4, v.ext));
    else if (n < 256) out.push(u8(0xc7, n, v.ext));
    else { const b = Buffer.alloc(4); b[0] = 0xc8; b.writeUInt16BE(n, 1); b[3] = v.ext; out.push(b); }
    out.push(v.data);
  }
}

/** A decoded msgpack value; str values keep their particle-type byte. */
export type Unpacked = null | boolean | bigint | number | { str: number; data: Buffer } | Unpacked[] | { entries: Array<[Unpacked, Unpacked]> } | { ext: number; data: Buffer };

/** unpack: decodes one value at offset; returns it and the offset after it. */
export function unpack(buf: Buffer, at = 0): { value: Unpacked; end: number } {
  const need = (n: number) => { if (at + n > buf.length) throw new ProtocolError('truncated msgpack', at); };
  need(1);
  const t = buf[at++]!;
  const str = (n: number) => { need(n); const data = buf.subarray(at, at + n); at += n; return n === 0 ? { str: -1, data } : { str: data[0]!, data: data.subarray(1) }; };
  const arr = (n: number) => { const a: Unpacked[] = []; for (let i = 0; i < n; i++) { const r = unpack(buf, at); a.push(r.value); at = r.end; } return a; };
  const map = (n: number) => { const entries: Array<[Unpacked, Unpacked]> = []; for (let i = 0; i < n; i++) { const k = unpack(buf, at); const v = unpack(buf, k.end); entries.push([k.value, v.value]); at = v.end; } return { entries }; };
  if (t < 0x80) return { value: BigInt(t), end: at };
  if (t >= 0xe0) return { value: BigInt(t - 256), end: at };
  if ((t & 0xf0) === 0x80) return { value: map(t & 0x0f), end: at };
  if ((t & 0xf0) === 0x90) return { value: arr(t & 0x0f), end: at };
  if ((t & 0xe0) === 0xa0) return { value: str(t & 0x1f), end: at };
  const rd = (n: number, f: (o: number) => number | bigint) => { need(n); const v = f(at); at += n; return v; };
  switch (t) {
    case 0xc0: return { value: null, end: at };
    case 0xc2: return { value: false, end: at };
    case 0xc3: return { value: true, end: at };
    case 0xcc: return { value: BigInt(rd(1, (o) => buf.readUInt8(o))), end: at };
    case 0xcd: return { value: BigInt(rd(2, (o) => buf.readUInt16BE(o))), end: at };
    case 0xce: return { value: BigInt(rd(4, (o) => buf.readUInt32BE(o))), end: at };
    case 0xcf: return { value: BigInt.asIntN(64, rd(8, (o) => buf.readBigUInt64BE(o)) as bigint), end: at };
    case 0xd0: return { value: BigInt(rd(1, (o) => buf.readInt8(o))), end: at };
    case 0xd1: return { value: BigInt(rd(2, (o) => buf.readInt16BE(o))), end: at };
    case 0xd2: return { value: BigInt(rd(4, (o) => buf.readInt32BE(o))), end: at };
    case 0xd3: return { value: rd(8, (o) => buf.readBigInt64BE(o)) as bigint, end: at };
    case 0xca: return { value: rd(4, (o) => buf.readFloatBE(o)) as number, end: at };
    case 0xcb: return { value: rd(8, (o) => buf.readDoubleBE(o)) as number, end: at };
    case 0xd9: case 0xc4: return { value: str(rd(1, (o) => buf.readUInt8(o)) as number), end: at };
    case 0xda: case 0xc5: return { value: str(rd(2, (o) => buf.readUInt16BE(o)) as number), end: at };
    case 0xdb: case 0xc6: return { value: str(rd(4, (o) => buf.readUInt32BE(o)) as number), end: at };
    case 0xdc: return { value: arr(rd(2, (o) => buf.readUInt16BE(o)) as number), end: at };
    case 0xdd: return { value: arr(rd(4, (o) => buf.readUInt32BE(o)) as number), end: at };
    case 0xde: return { value: map(rd(2, (o) => buf.readUInt16BE(o)) as number), end: at };
    case 0xdf: return { value: map(rd(4, (o) => buf.readUInt32BE(o)) as number), end: at };
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
      const n = [1, 2, 4, 8, 16][t - 0xd4]!; need(1 + n);
      const ext = buf[at]!; const data = buf.subarray(at + 1, at + 1 + n); at += 1 + n;
      return { value: { ext, data }, end: at };
    }
    case 0xc7: case 0xc8: case 0xc9: {
      const n = rd(t === 0xc7 ? 1 : t === 0xc8 ? 2 : 4, (o) => (t === 0xc7 ? buf.readUInt8(o) : t === 0xc8 ? buf.readUInt16BE(o) : buf.readUInt32BE(o))) as number;
      need(1 + n);
      const ext = buf[at]!; const data = buf.subarray(at + 1, at + 1 + n); at += 1 + n;
      return { value: { ext, data }, end: at };
    }
    default: throw new ProtocolError(`unsupported msgpack byte 0x${t.toString(16)}`, t);
  }
}
