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

/** Bodies of at least this size come from the pool of frame bodies (scan frames). */
const POOLED_MIN = 32 * 1024;
/** Pooled bodies have capacities in steps of this, so frames of about the same size share them. */
const POOL_STEP = 64 * 1024;
/** Bytes of free bodies kept for reuse; more are left to the garbage collector. */
const POOL_KEEP = 32 * 1024 * 1024;

const freeBodies = new Map<number, ArrayBuffer[]>();
let freeBytes = 0;
// The bodies out on loan: only these come back, and each only once.
const lent = new WeakSet<ArrayBuffer>();

/**
 * pooledBody: memory for a frame body of `size` bytes. Large ones are taken from the bodies
 * given back with recycleFrameBody, so a long scan reads into the same few buffers instead
 * of allocating (and the garbage collector freeing) one per frame.
 */
export function pooledBody(size: number): Buffer {
  if (size < POOLED_MIN) return Buffer.allocUnsafe(size);
  const capacity = Math.ceil(size / POOL_STEP) * POOL_STEP;
  let ab = freeBodies.get(capacity)?.pop();
  if (ab !== undefined) freeBytes -= capacity;
  else ab = Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer;
  lent.add(ab);
  return Buffer.from(ab, 0, size);
}

/**
 * recycleFrameBody: gives a frame body back for reuse. Only for the consumer that is done
 * with every view of it (asbackup's encoder, once a frame's records are written); anything
 * else, or a second call, is ignored.
 */
export function recycleFrameBody(body: Buffer): void {
  const ab = body.buffer;
  if (!(ab instanceof ArrayBuffer) || !lent.delete(ab)) return;
  keep(ab);
}

// Pooled memory moved to other threads (moveFrameMemory) and not yet back.
let away = 0;

/**
 * moveFrameMemory: the whole memory of a pooled body, for a consumer that transfers it to
 * another thread (an encoder thread) and hands it back with returnFrameMemory once done;
 * undefined for any other body, which the consumer copies instead.
 */
export function moveFrameMemory(body: Buffer): ArrayBuffer | undefined {
  const ab = body.buffer;
  if (!(ab instanceof ArrayBuffer) || body.byteOffset !== 0 || !lent.delete(ab)) return undefined;
  away++;
  return ab;
}

/** returnFrameMemory: memory of moveFrameMemory, back from the thread (a new ArrayBuffer object for it). */
export function returnFrameMemory(ab: ArrayBuffer): void {
  if (away === 0) return;
  away--;
  if (ab.byteLength < POOLED_MIN || ab.byteLength % POOL_STEP !== 0) return;
  keep(ab);
}

// keep: free memory into the pool, unless the pool holds enough (or it was transferred away).
function keep(ab: ArrayBuffer): void {
  const capacity = ab.byteLength; // 0 once transferred to another thread
  if (capacity === 0 || freeBytes + capacity > POOL_KEEP) return;
  let list = freeBodies.get(capacity);
  if (list === undefined) freeBodies.set(capacity, (list = []));
  list.push(ab);
  freeBytes += capacity;
}

/**
 * FrameReader: collects socket chunks and returns every whole frame they complete. A bad
 * version, an unknown type or an absurd size is a ProtocolError: the caller closes that
 * connection, because nothing after it can be trusted. Bytes are copied out of each chunk
 * before push returns, so a reader may reuse its read buffer, except for a chunk read
 * into room(), which is in place already; bodies come from `alloc` (pooledBody for our
 * client's connections).
 */
export class FrameReader {
  private readonly head = Buffer.alloc(PROTO_HEADER_SIZE);
  private headFill = 0;
  private body: Buffer | undefined; // the frame being filled, once its header is whole
  private bodyFill = 0;
  private version = 0;
  private type = 0;

  constructor(private readonly maxSize = PROTO_SIZE_MAX, private readonly alloc: (size: number) => Buffer = (n) => Buffer.allocUnsafe(n)) {}

  /** Bytes held that do not yet form a whole frame. */
  get pending(): number {
    return this.headFill + this.bodyFill;
  }

  /**
   * room: the rest of the body being filled, when at least `min` bytes of it are missing: a
   * socket may read straight into it (a chunk pushed from there is not copied). Else
   * undefined, and the caller reads into a buffer of its own.
   */
  room(min: number): Buffer | undefined {
    const body = this.body;
    if (body === undefined || body.length - this.bodyFill < min) return undefined;
    return body.subarray(this.bodyFill);
  }

  /** push: adds a chunk; returns the frames it completes, in order. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.body === undefined) {
        const k = Math.min(PROTO_HEADER_SIZE - this.headFill, n - i);
        for (let j = 0; j < k; j++) this.head[this.headFill + j] = chunk[i + j]!;
        this.headFill += k;
        i += k;
        if (this.headFill < PROTO_HEADER_SIZE) break;
        const h = readProtoHeader(this.head);
        if (h.version !== PROTO_VERSION && !(h.version === 0 && h.type === ProtoType.ADMIN)) {
          throw new ProtocolError(`bad proto version ${h.version}`, h.version);
        }
        if (h.type < ProtoType.INFO || h.type > ProtoType.INTERNAL_XDR) {
          throw new ProtocolError(`bad proto type ${h.type}`, h.type);
        }
        if (h.size > this.maxSize) throw new ProtocolError(`proto size ${h.size} is too large`, h.size);
        this.version = h.version;
        this.type = h.type;
        this.body = h.size === 0 ? Buffer.alloc(0) : this.alloc(h.size);
        this.bodyFill = 0;
        this.headFill = 0;
      }
      const body = this.body;
      const k = Math.min(body.length - this.bodyFill, n - i);
      if (chunk.buffer === body.buffer && chunk.byteOffset + i === body.byteOffset + this.bodyFill) {
        // Read in place (room()): the bytes are already where they belong.
      } else if (k > 64) chunk.copy(body, this.bodyFill, i, i + k);
      else for (let j = 0; j < k; j++) body[this.bodyFill + j] = chunk[i + j]!;
      this.bodyFill += k;
      i += k;
      if (this.bodyFill < body.length) break;
      out.push({ version: this.version, type: this.type, body });
      this.body = undefined;
      this.bodyFill = 0;
    }
    return out;
  }
}
