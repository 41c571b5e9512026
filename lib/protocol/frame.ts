// The 8-byte proto header (version, type, 48-bit body size) and the reassembly of whole
// frames from socket chunks of any size.
import { PROTO_HEADER_SIZE, PROTO_SIZE_MAX, PROTO_VERSION, ProtoType } from './constants.js';
import { ProtocolError } from '../errors.js';

/** A whole message: its proto type and body (without the 8-byte header). */
export interface Frame {
  version: number;
  type: number;
  body: Buffer;
}

/** writeProtoHeader: writes version 2, type and body size at offset. */
export function writeProtoHeader(buf: Buffer, offset: number, type: number, bodySize: number): void {
  buf[offset] = PROTO_VERSION;
  buf[offset + 1] = type;
  buf.writeUIntBE(bodySize, offset + 2, 6);
}

/** frame: a whole message from a type and a body. */
export function frame(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PROTO_HEADER_SIZE + body.length);
  writeProtoHeader(out, 0, type, body.length);
  body.copy(out, PROTO_HEADER_SIZE);
  return out;
}

/** readProtoHeader: version, type and body size of the header at offset. */
export function readProtoHeader(buf: Buffer, offset = 0): { version: number; type: number; size: number } {
  return { version: buf[offset]!, type: buf[offset + 1]!, size: buf.readUIntBE(offset + 2, 6) };
}

/**
 * FrameReader: collects socket chunks and returns every whole frame they complete. A bad
 * version, an unknown type or an absurd size is a ProtocolError: the caller closes that
 * connection, because nothing after it can be trusted.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1; // body size of the frame being read, -1 while its header is incomplete
  private header: { version: number; type: number } = { version: 0, type: 0 };

  constructor(private readonly maxSize = PROTO_SIZE_MAX) {}

  /** Bytes held that do not yet form a whole frame. */
  get pending(): number {
    return this.buffered;
  }

  /** push: adds a chunk; returns the frames it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < PROTO_HEADER_SIZE) break;
        const head = this.take(PROTO_HEADER_SIZE);
        const h = readProtoHeader(head);
        if (h.version !== PROTO_VERSION && !(h.version === 0 && h.type === ProtoType.ADMIN)) {
          throw new ProtocolError(`bad proto version ${h.version}`, h.version);
        }
        if (h.type < ProtoType.INFO || h.type > ProtoType.INTERNAL_XDR) {
          throw new ProtocolError(`bad proto type ${h.type}`, h.type);
        }
        if (h.size > this.maxSize) throw new ProtocolError(`proto size ${h.size} is too large`, h.size);
        this.header = { version: h.version, type: h.type };
        this.need = h.size;
      }
      if (this.buffered < this.need) break;
      out.push({ ...this.header, body: this.take(this.need) });
      this.need = -1;
    }
    return out;
  }

  // Removes n bytes from the front; copies only when they span several chunks.
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - at);
      c.copy(out, at, 0, k);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}
