// Connecting a program to the cluster from its connection options (asbackup, asrestore,
// as-scan, as-write): host list, default port, alternate addresses, timeouts, TLS
// (lib/cluster/tls.ts) and login (lib/cluster/auth.ts).
import { Cluster } from '../cluster/cluster.js';
import type { ConnectionOptions } from '../cluster/connection.js';
import { Authenticator } from '../cluster/auth.js';
import { ServerError, UsageError } from '../errors.js';
import { ResultCode } from '../protocol/constants.js';
import { parseHostList } from './parse-values.js';
import { DEFAULT_SEED_TIMEOUT_MS, type ConnectionValues } from './connection-options.js';
import { keyfilePassword, loginPassword, takeSecret } from './credentials.js';
import type { Logger } from './log.js';

const TLS_ONLY: Array<keyof ConnectionValues> = ['tlsName', 'tlsCafile', 'tlsCapath', 'tlsProtocols', 'tlsCipherSuite', 'tlsKeyfile', 'tlsCertfile', 'tlsCertBlacklist'];

/** connectionSetup: socket factory and login hook for the options (prompts if needed). */
export async function connectionSetup(o: ConnectionValues, log: Logger): Promise<ConnectionOptions> {
  // Secrets leave the enumerable option object first, so no dump of it can show them.
  const password = takeSecret(o, 'password') as string | true | undefined;
  const keyPassword = takeSecret(o, 'tlsKeyfilePassword') as string | true | undefined;
  const connection: ConnectionOptions = {};
  if (o.tlsEnable) {
    // node:tls and the certificate checks load only for TLS: a plain run starts sooner.
    const { tlsConnection } = await import('../cluster/tls.js');
    Object.assign(connection, tlsConnection({
      tlsName: o.tlsName,
      cafile: o.tlsCafile,
      capath: o.tlsCapath,
      protocols: o.tlsProtocols,
      cipherSuite: o.tlsCipherSuite,
      keyfile: o.tlsKeyfile,
      keyPassphrase: o.tlsKeyfile !== undefined ? await keyfilePassword(keyPassword) : undefined,
      certfile: o.tlsCertfile,
      certBlacklist: o.tlsCertBlacklist,
      crlCheck: o.tlsCrlCheck,
      crlCheckAll: o.tlsCrlCheckall,
    }));
  } else {
    const given = TLS_ONLY.filter((k) => o[k] !== undefined);
    if (given.length > 0 || o.tlsCrlCheck || o.tlsCrlCheckall) log.info('TLS options are ignored without --tls-enable');
  }
  const mode = o.auth ?? 'INTERNAL';
  if (mode === 'PKI') {
    if (!o.tlsEnable || o.tlsCertfile === undefined) throw new UsageError('-A PKI: needs --tls-enable with --tls-certfile and --tls-keyfile');
    connection.onOpen = new Authenticator({ user: o.user ?? '', mode, log: log.verbose }).onOpen;
  } else if (o.user !== undefined) {
    if (mode === 'EXTERNAL' && !o.tlsEnable) throw new UsageError('-A EXTERNAL sends the clear password and needs --tls-enable (EXTERNAL_INSECURE does without)');
    const auth = new Authenticator({ user: o.user, password: await loginPassword(password, o.user), mode, log: log.verbose });
    connection.onOpen = auth.onOpen;
  } else if (typeof password === 'string') {
    log.info('-P is ignored without -U (no login)');
  }
  return connection;
}

/** The time each seed has to answer (and each info command), and the option that sets it. */
export interface SeedTimeout {
  ms: number;
  option: string;
}

/**
 * connectCluster: seeds, discovers and tends the cluster the options name. Seeds are asked
 * at once, each within `timeout` (default: --socket-timeout; asrestore gives -T);
 * `rackAware` also learns each node's rack (--prefer-racks).
 */
export async function connectCluster(o: ConnectionValues, log: Logger, opts: { timeout?: SeedTimeout; rackAware?: boolean } = {}): Promise<Cluster> {
  const timeout = opts.timeout ?? { ms: o.socketTimeout, option: '--socket-timeout' };
  const hosts = parseHostList(o.host, o.port);
  const connection = await connectionSetup(o, log);
  let cluster: Cluster;
  try {
    cluster = await Cluster.connect({
      hosts,
      port: o.port,
      useServicesAlternate: o.serviceAlternate,
      log: log.verbose,
      connection,
      tls: o.tlsEnable,
      timeoutMs: timeout.ms > 0 ? timeout.ms : DEFAULT_SEED_TIMEOUT_MS,
      timeoutOption: timeout.option,
      notice: log.info,
      onNodeChange: log.info,
      rackAware: opts.rackAware,
    });
  } catch (e) {
    // Security on and no -U: say what is missing.
    if (e instanceof ServerError && e.resultCode === ResultCode.NOT_AUTHENTICATED && connection.onOpen === undefined) {
      throw new ServerError(e.resultCode, `${e.message} (the cluster has security enabled: give -U <user>)`, e.host);
    }
    throw e;
  }
  log.verbose(`Connected to ${cluster.nodes.length} node(s)`);
  return cluster;
}
