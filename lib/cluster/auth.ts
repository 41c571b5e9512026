// Login (admin protocol, proto type 2): LOGIN once per node for a session token, then
// AUTHENTICATE with that token on every new connection to it; log in again when the
// session expired or the node no longer knows the token. Result 52 = no security there.
import { createRequire } from 'node:module';
import { AdminCommand, AdminField, ProtoType, ResultCode } from '../protocol/constants.js';
import { authenticateRequest, decodeAdmin, encodeAdmin, PASSWORD_SALT, type AdminMessage } from '../protocol/admin.js';
import { resultName } from '../protocol/result-codes.js';
import { ProtocolError, ServerError } from '../errors.js';
import type { Connection } from './connection.js';

// bcryptjs is loaded by the first login only: most runs have no user, and every module
// loaded adds to each command's start-up.
type Bcrypt = typeof import('bcryptjs');
let bcryptModule: Bcrypt | undefined;
const bcrypt = (): Bcrypt => (bcryptModule ??= createRequire(import.meta.url)('bcryptjs') as Bcrypt);

/** Authentication modes of -A/--auth. */
export type AuthMode = 'INTERNAL' | 'EXTERNAL' | 'EXTERNAL_INSECURE' | 'PKI';

/** Credentials for Authenticator: the plain password is hashed once and not kept. */
export interface AuthOptions {
  user: string;
  /** Not needed for PKI. */
  password?: string;
  mode?: AuthMode;
  /** Diagnostics (never receives a password, hash or token). */
  log?: (msg: string) => void;
}

interface Session {
  token: Buffer;
  /** ms since epoch; Infinity when the server gave no TTL. */
  expiresAt: number;
}

/** Codes after which AUTHENTICATE is retried as a fresh LOGIN. */
const RELOGIN = new Set<number>([ResultCode.EXPIRED_SESSION, ResultCode.NOT_AUTHENTICATED, ResultCode.INVALID_CREDENTIAL]);

// Why a LOGIN was refused, in words a user acts on (never the password itself).
function loginReason(rc: number, user: string): string {
  switch (rc) {
    case ResultCode.INVALID_USER: return `unknown user "${user}"`;
    case ResultCode.INVALID_PASSWORD:
    case ResultCode.INVALID_CREDENTIAL: return 'invalid password';
    case ResultCode.EXPIRED_PASSWORD: return 'password expired';
    case ResultCode.SECURITY_NOT_SUPPORTED: return 'security is not supported by this server (Community Edition?)';
    default: return `${resultName(rc)} (${rc})`;
  }
}

/**
 * Authenticator: the `onOpen` hook of every connection of a cluster. Sessions are kept
 * per node address, as the Aerospike clients do.
 */
export class Authenticator {
  readonly user: string;
  private readonly mode: AuthMode;
  private readonly sessions = new Map<string, Session>();
  private readonly noSecurity = new Set<string>();
  private readonly log: (msg: string) => void;
  declare private readonly credential: string;

  constructor(opts: AuthOptions) {
    this.user = opts.user;
    this.mode = opts.mode ?? 'INTERNAL';
    this.log = opts.log ?? (() => {});
    // The server compares bcrypt(password) with a fixed salt; the hash is all we keep, and
    // non-enumerable so no inspection or JSON dump shows it.
    const hash = this.mode === 'PKI' ? '' : bcrypt().hashSync(opts.password ?? '', PASSWORD_SALT);
    Object.defineProperty(this, 'credential', { value: hash, enumerable: false });
    // The clear password only for EXTERNAL (LDAP) modes, which send it (over TLS).
    const clear = this.mode === 'EXTERNAL' || this.mode === 'EXTERNAL_INSECURE' ? opts.password ?? '' : undefined;
    Object.defineProperty(this, 'clearPassword', { value: clear, enumerable: false });
  }

  /** onOpen: authenticates a fresh connection (LOGIN or AUTHENTICATE). */
  readonly onOpen = async (conn: Connection): Promise<void> => {
    if (this.noSecurity.has(conn.address)) return;
    const s = this.sessions.get(conn.address);
    if (s !== undefined && s.expiresAt > Date.now()) {
      const rc = (await this.exchange(conn, authenticateRequest(this.mode === 'PKI' ? '' : this.user, s.token), 'authenticating')).result;
      if (rc === ResultCode.OK || rc === ResultCode.SECURITY_NOT_ENABLED) return;
      if (!RELOGIN.has(rc)) throw new ServerError(rc, `${conn.address}: authentication failed: ${resultName(rc)} (${rc})`, conn.address);
      this.log(`${conn.address}: session refused (${resultName(rc)}), logging in again`);
    }
    this.sessions.delete(conn.address);
    await this.login(conn);
  };

  private async login(conn: Connection): Promise<void> {
    const reply = await this.exchange(conn, this.loginRequest(), 'logging in');
    const rc = reply.result;
    if (rc === ResultCode.SECURITY_NOT_ENABLED) {
      this.log(`${conn.address}: security not enabled, running without login`);
      this.noSecurity.add(conn.address);
      return;
    }
    if (rc !== ResultCode.OK) throw new ServerError(rc, `${conn.address}: login failed: ${loginReason(rc, this.user)}`, conn.address);
    const token = reply.fields.get(AdminField.SESSION_TOKEN);
    if (token === undefined || token.length === 0) throw new ProtocolError(`${conn.address}: login failed: no session token in the reply`);
    const ttl = reply.fields.get(AdminField.SESSION_TTL);
    const ttlSec = ttl !== undefined && ttl.length >= 4 ? ttl.readUInt32BE(0) : 0;
    // Renew a minute early (as the C client does) so no command meets an expired token.
    const expiresAt = ttlSec > 0 ? Date.now() + Math.max(1, ttlSec - 60) * 1000 : Infinity;
    this.sessions.set(conn.address, { token: Buffer.from(token), expiresAt });
    this.log(`${conn.address}: logged in as ${this.user}${ttlSec > 0 ? `, session ${ttlSec} s` : ''}`);
  }

  private loginRequest(): Buffer {
    if (this.mode === 'PKI') return encodeAdmin(AdminCommand.LOGIN, []);
    const fields: Array<[number, Buffer]> = [
      [AdminField.USER, Buffer.from(this.user, 'utf8')],
      [AdminField.CREDENTIAL, Buffer.from(this.credential, 'utf8')],
    ];
    const clear = (this as unknown as { clearPassword?: string }).clearPassword;
    if (clear !== undefined) fields.push([AdminField.CLEAR_PASSWORD, Buffer.from(clear, 'utf8')]);
    return encodeAdmin(AdminCommand.LOGIN, fields);
  }

  private async exchange(conn: Connection, request: Buffer, what: string): Promise<AdminMessage> {
    const f = await conn.request(request, what);
    if (f.type !== ProtoType.ADMIN) throw new ProtocolError(`${conn.address}: expected an admin reply while ${what}, got proto type ${f.type}`);
    return decodeAdmin(f.body);
  }
}
