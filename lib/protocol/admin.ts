// Admin messages (proto type 2): login and authenticate. Header: scheme, result, command,
// field count, 12 zero bytes; fields are u32 length (1 + data), u8 id, data.
import { ADMIN_HEADER_SIZE, AdminCommand, AdminField, PROTO_HEADER_SIZE, ProtoType } from './constants.js';
import { writeProtoHeader } from './frame.js';
import { ProtocolError } from '../errors.js';

/** An admin message. */
export interface AdminMessage {
  result: number;
  command: number;
  fields: Map<number, Buffer>;
}

/** encodeAdmin: a whole type-2 frame. */
export function encodeAdmin(command: number, fields: Array<[number, Buffer]>, result = 0): Buffer {
  let size = ADMIN_HEADER_SIZE;
  for (const [, d] of fields) size += 5 + d.length;
  const buf = Buffer.alloc(PROTO_HEADER_SIZE + size);
  writeProtoHeader(buf, 0, ProtoType.ADMIN, size);
  buf[9] = result;
  buf[10] = command;
  buf[11] = fields.length;
  let at = PROTO_HEADER_SIZE + ADMIN_HEADER_SIZE;
  for (const [id, d] of fields) {
    buf.writeUInt32BE(d.length + 1, at);
    buf[at + 4] = id;
    d.copy(buf, at + 5);
    at += 5 + d.length;
  }
  return buf;
}

/** decodeAdmin: an admin body (after the proto header). */
export function decodeAdmin(body: Buffer): AdminMessage {
  if (body.length < ADMIN_HEADER_SIZE) throw new ProtocolError('admin message too short', body.length);
  const fields = new Map<number, Buffer>();
  let at = ADMIN_HEADER_SIZE;
  for (let i = 0; i < body[3]!; i++) {
    if (at + 5 > body.length) throw new ProtocolError('truncated admin field', at);
    const len = body.readUInt32BE(at);
    if (len < 1 || at + 4 + len > body.length) throw new ProtocolError(`bad admin field size ${len}`, len);
    fields.set(body[at + 4]!, body.subarray(at + 5, at + 4 + len));
    at += 4 + len;
  }
  return { result: body[1]!, command: body[2]!, fields };
}

/** loginRequest: LOGIN with user and the bcrypt credential (internal authentication). */
export function loginRequest(user: string, credential: string): Buffer {
  return encodeAdmin(AdminCommand.LOGIN, [
    [AdminField.USER, Buffer.from(user, 'utf8')],
    [AdminField.CREDENTIAL, Buffer.from(credential, 'utf8')],
  ]);
}

/** authenticateRequest: AUTHENTICATE a new connection with the session token. */
export function authenticateRequest(user: string, token: Buffer): Buffer {
  return encodeAdmin(AdminCommand.AUTHENTICATE, [
    [AdminField.USER, Buffer.from(user, 'utf8')],
    [AdminField.SESSION_TOKEN, token],
  ]);
}

/** The fixed bcrypt salt Aerospike hashes passwords with (cost 10). */
export const PASSWORD_SALT = '$2a$10$7EqJtq98hPqEX7fNZaFWoO';
