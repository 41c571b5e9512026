// Compressed messages (proto type 4): an 8-byte uncompressed size, then a zlib stream of a
// whole type-3 message (its own proto header included).
import { deflateSync, inflateSync } from 'node:zlib';
import { PROTO_HEADER_SIZE, PROTO_VERSION, ProtoType } from './constants.js';
import { frame, readProtoHeader } from './frame.js';
import { ProtocolError } from '../errors.js';

/** compressMessage: wraps a whole type-3 frame into a type-4 frame. */
export function compressMessage(inner: Buffer): Buffer {
  const body = Buffer.allocUnsafe(8);
  body.writeBigUInt64BE(BigInt(inner.length));
  return frame(ProtoType.MSG_COMPRESSED, Buffer.concat([body, deflateSync(inner, { level: 1 })]));
}

/** decompressBody: the inner type-3 frame's body from a type-4 body, checked as the C client does. */
export function decompressBody(body: Buffer): Buffer {
  if (body.length < 8) throw new ProtocolError('compressed message too short', body.length);
  const size = Number(body.readBigUInt64BE(0));
  let inner: Buffer;
  try {
    inner = inflateSync(body.subarray(8));
  } catch (e) {
    throw new ProtocolError(`bad compressed message: ${(e as Error).message}`);
  }
  const h = readProtoHeader(inner);
  if (inner.length !== size || h.version !== PROTO_VERSION || h.type !== ProtoType.MSG || h.size + PROTO_HEADER_SIZE !== size) {
    throw new ProtocolError('invalid decompressed proto');
  }
  return inner.subarray(PROTO_HEADER_SIZE);
}
