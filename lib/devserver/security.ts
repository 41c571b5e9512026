// Security of the dev cluster (what Enterprise Edition does with `security {}` and TLS):
// users with bcrypt credentials, LOGIN / AUTHENTICATE with session tokens that expire,
// refusal (80) of unauthenticated info and data commands, read/write roles (81), and
// TLS listeners with a certificate (and TLS name) per node.
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import { AdminCommand, AdminField, Info1, Info2, ResultCode } from '../protocol/constants.js';
import { encodeAdmin, PASSWORD_SALT, type AdminMessage } from '../protocol/admin.js';

/** A user of the dev cluster. Roles: read, read-write, read-write-udf, write, superuser... */
export interface DevUser {
  user: string;
  password: string;
  /** Default: every permission. `['write']` has no read permission (scans get 81). */
  roles?: string[];
}

/** Security option of startDevServer. */
export interface DevSecurityOptions {
  users: DevUser[];
  /** Session lifetime (default 86400 s, as the server's session-ttl). */
  sessionTtlSeconds?: number;
}

type Pem = string | Buffer | Uint8Array;

/** TLS option of startDevServer: every node listens with TLS only. */
export interface DevTlsOptions {
  key: Pem;
  cert: Pem;
  /** CAs for client certificates (mutual TLS). */
  ca?: Pem | Pem[];
  /** Ask for (and require) a client certificate. */
  requestCert?: boolean;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** CRLs checked against client certificates. */
  crl?: Pem | Pem[];
  /** TLS name the nodes announce in `peers-tls-std`. */
  tlsName?: string;
  /** Per node (by index): its own key, certificate and TLS name. */
  nodes?: Array<{ key?: Pem; cert?: Pem; tlsName?: string } | undefined>;
}

/** What a connection knows about its login. */
export interface AuthState {
  authenticated: boolean;
  user?: string;
}

const READ_ROLES = new Set(['read', 'read-write', 'read-write-udf', 'superuser']);
const WRITE_ROLES = new Set(['write', 'read-write', 'read-write-udf', 'superuser']);

/** DevSecurity: users and sessions shared by every node (tokens work on any node). */
export class DevSecurity {
  private readonly users = new Map<string, { credential: string; roles: string[] | undefined }>();
  private readonly sessions = new Map<string, { user: string; expiresAt: number }>();
  private readonly ttl: number;

  constructor(opts: DevSecurityOptions, private readonly now: () => number) {
    this.ttl = opts.sessionTtlSeconds ?? 86400;
    // Stored the way a client sends it: bcrypt with the fixed salt, compared as a string.
    for (const u of opts.users) this.users.set(u.user, { credential: bcrypt.hashSync(u.password, PASSWORD_SALT), roles: u.roles });
  }

  /** admin: the reply to an admin message; updates the connection's state on success. */
  admin(msg: AdminMessage, conn: AuthState): Buffer {
    const field = (id: number): string | undefined => msg.fields.get(id)?.toString('utf8');
    switch (msg.command) {
      case AdminCommand.LOGIN: {
        const user = field(AdminField.USER);
        if (user === undefined) return encodeAdmin(msg.command, [], 55); // INVALID_FIELD
        const u = this.users.get(user);
        if (u === undefined) return encodeAdmin(msg.command, [], ResultCode.INVALID_USER);
        const credential = field(AdminField.CREDENTIAL) ?? field(AdminField.PASSWORD);
        if (credential !== u.credential) return encodeAdmin(msg.command, [], ResultCode.INVALID_CREDENTIAL);
        const token = randomBytes(32);
        this.sessions.set(token.toString('hex'), { user, expiresAt: this.now() + this.ttl * 1000 });
        conn.authenticated = true;
        conn.user = user;
        const ttl = Buffer.alloc(4);
        ttl.writeUInt32BE(this.ttl);
        return encodeAdmin(msg.command, [[AdminField.SESSION_TOKEN, token], [AdminField.SESSION_TTL, ttl]]);
      }
      case AdminCommand.AUTHENTICATE: {
        // The reply is the bare header: the C client reads exactly 24 bytes.
        const token = msg.fields.get(AdminField.SESSION_TOKEN);
        const s = token === undefined ? undefined : this.sessions.get(token.toString('hex'));
        if (s === undefined || s.user !== field(AdminField.USER)) return encodeAdmin(msg.command, [], ResultCode.INVALID_CREDENTIAL);
        if (s.expiresAt <= this.now()) {
          this.sessions.delete(token!.toString('hex'));
          return encodeAdmin(msg.command, [], ResultCode.EXPIRED_SESSION);
        }
        conn.authenticated = true;
        conn.user = s.user;
        return encodeAdmin(msg.command, []);
      }
      default:
        // User administration is not implemented: 54 INVALID_COMMAND once logged in.
        return encodeAdmin(msg.command, [], conn.authenticated ? 54 : ResultCode.NOT_AUTHENTICATED);
    }
  }

  /** permits: 0 when the user may run a data message with these info bits, else 81. */
  permits(conn: AuthState, info1: number, info2: number): number {
    const roles = conn.user === undefined ? undefined : this.users.get(conn.user)?.roles;
    if (roles === undefined) return ResultCode.OK;
    const writes = (info2 & (Info2.WRITE | Info2.DELETE)) !== 0;
    const reads = !writes || (info1 & Info1.READ) !== 0;
    if (reads && !roles.some((r) => READ_ROLES.has(r))) return ResultCode.ROLE_VIOLATION;
    if (writes && !roles.some((r) => WRITE_ROLES.has(r))) return ResultCode.ROLE_VIOLATION;
    return ResultCode.OK;
  }
}

/** refuseInfo: the answer to info commands on a connection that has not logged in. */
export function refuseInfo(body: Buffer): Buffer {
  const text = body.toString('utf8');
  if (!text.endsWith('\n')) return Buffer.alloc(0);
  const cmds = text.slice(0, -1).split('\n').filter((c) => c !== '');
  return Buffer.from(cmds.map((c) => `${c}\tERROR:${ResultCode.NOT_AUTHENTICATED}:not authenticated\n`).join(''), 'utf8');
}

/** tlsNameOf: the TLS name node `index` announces ('' without TLS or name). */
export function tlsNameOf(tls: DevTlsOptions | undefined, index: number): string {
  if (tls === undefined) return '';
  return tls.nodes?.[index]?.tlsName ?? tls.tlsName ?? '';
}

/** createNodeServer: the listener of one node, TLS when configured. */
export function createNodeServer(tls: DevTlsOptions | undefined, index: number, onSocket: (s: Socket) => void, log: (line: string) => void): Server {
  if (tls === undefined) return createTcpServer({ noDelay: true }, onSocket);
  const own = tls.nodes?.[index];
  const server = createTlsServer({
    key: (own?.key ?? tls.key) as string | Buffer,
    cert: (own?.cert ?? tls.cert) as string | Buffer,
    ca: tls.ca as string | Buffer | Array<string | Buffer> | undefined,
    crl: tls.crl as string | Buffer | Array<string | Buffer> | undefined,
    requestCert: tls.requestCert ?? false,
    rejectUnauthorized: tls.requestCert ?? false,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    noDelay: true,
  }, onSocket);
  server.on('tlsClientError', (e) => log(`node ${index}: TLS handshake failed: ${e.message}`));
  return server;
}
