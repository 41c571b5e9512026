// as-devserver: the in-memory dev cluster (lib/devserver, docs/devserver.md) as a program:
// `npm run devserver -- --port 3000 --nodes 3`. It runs until Ctrl-C or a kill.
import { readFileSync } from 'node:fs';
import { EXIT_OK } from './run.js';
import { parseArgs, type OptionTable } from './options.js';
import { intRange, nonEmpty, parseRackList } from './parse-values.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { UsageError } from '../errors.js';
import { fsReason } from '../paths.js';
import { CLOCK_VARIABLE, wallClock } from '../clock.js';
import { startDevServer, type DevSecurityOptions, type DevTlsOptions } from '../devserver/index.js';

const options: OptionTable = [
  { long: 'port', short: 'p', type: 'number', default: 3000, group: 'Connection', arg: '<port>', describe: 'Port of the first node; the others follow (0 = any free ports).', validate: intRange(0, 65535) },
  { long: 'host', type: 'string', default: '127.0.0.1', group: 'Connection', arg: '<address>', describe: 'Address to listen on.', validate: nonEmpty },
  { long: 'nodes', short: 'n', type: 'number', default: 1, group: 'Other', arg: '<n>', describe: 'Number of nodes.', validate: intRange(1, 64) },
  { long: 'namespaces', type: 'string', default: 'test,bar', group: 'Other', arg: '<ns>[,<ns>...]', describe: 'Namespaces, each on every node.', validate: nonEmpty },
  { long: 'rf', type: 'number', default: 2, group: 'Other', arg: '<n>', describe: 'Replication factor (capped at the number of live nodes).', validate: intRange(1, 64) },
  { long: 'user', type: 'string', repeatable: true, group: 'Connection', arg: '<name:password[:role,role]>', describe: 'Turn security on with this user (repeatable).', validate: nonEmpty },
  { long: 'session-ttl', type: 'number', group: 'Connection', arg: '<seconds>', describe: 'Lifetime of login sessions.', validate: intRange(1) },
  { long: 'tls-cert', type: 'string', group: 'TLS', arg: '<pem>', describe: 'Listen with TLS: the node certificate (with --tls-key).', validate: nonEmpty },
  { long: 'tls-key', type: 'string', group: 'TLS', arg: '<pem>', describe: 'The node key.', validate: nonEmpty },
  { long: 'tls-name', type: 'string', group: 'TLS', arg: '<name>', describe: 'TLS name the nodes announce to peers.', validate: nonEmpty },
  { long: 'tls-ca', type: 'string', group: 'TLS', arg: '<pem>', describe: 'CA for client certificates.', validate: nonEmpty },
  { long: 'tls-require-client-cert', type: 'boolean', group: 'TLS', describe: 'Require a client certificate signed by --tls-ca.' },
  {
    long: 'racks', type: 'string', group: 'Other', arg: '<rack-id>[,<rack-id>...]',
    describe: 'Rack id of each node in turn (0 for nodes not listed): the cluster then answers as server Enterprise Edition does (rack-ids, racks) and spreads the copies of each partition over the racks.',
    validate: parseRackList,
  },
  { long: 'quiet', type: 'boolean', group: 'Other', describe: 'Do not log requests on stderr.' },
  ...helpOptions,
];

// --user values: `name:password` or `name:password:role,role`.
function securityOf(users: string[], ttl: number | undefined): DevSecurityOptions | undefined {
  if (users.length === 0) return undefined;
  return {
    users: users.map((u) => {
      const m = /^([^:]+):([^:]*)(?::(.*))?$/.exec(u);
      if (!m) throw new UsageError(`--user: expected name:password[:role,role], got ${JSON.stringify(u.split(':')[0])}:...`);
      return { user: m[1]!, password: m[2]!, roles: m[3] === undefined ? undefined : m[3].split(',').filter((r) => r !== '') };
    }),
    sessionTtlSeconds: ttl,
  };
}

function readPem(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`--${option}: cannot read ${path}: ${fsReason(e)}`, path, 'INPUT');
  }
}

function tlsOf(v: Record<string, unknown>): DevTlsOptions | undefined {
  if (v.tlsCert === undefined && v.tlsKey === undefined) return undefined;
  if (v.tlsCert === undefined || v.tlsKey === undefined) throw new UsageError('--tls-cert and --tls-key go together');
  return {
    cert: readPem(v.tlsCert as string, 'tls-cert'),
    key: readPem(v.tlsKey as string, 'tls-key'),
    ca: v.tlsCa === undefined ? undefined : readPem(v.tlsCa as string, 'tls-ca'),
    requestCert: Boolean(v.tlsRequireClientCert),
    tlsName: v.tlsName as string | undefined,
  };
}

/** program: as-devserver. */
export const program: Program = {
  name: 'as-devserver',
  summary: 'Run the in-memory dev cluster that speaks the real wire protocol (for trying things out).',
  synopsis: ['[--port 3000] [--nodes 1] [--namespaces test,bar] [options]'],
  options,
  runsUntilStopped: true,
  async main(argv, io) {
    const { values: v } = parseArgs(options, argv, program.name);
    if (answeredHelp(program, v, io)) return EXIT_OK;
    const server = await startDevServer({
      nodes: v.nodes as number,
      port: v.port as number,
      host: v.host as string,
      namespaces: String(v.namespaces).split(',').filter((s) => s !== ''),
      replicationFactor: v.rf as number,
      log: v.quiet ? () => {} : (line) => void io.stderr.write(line + '\n'),
      security: securityOf((v.user as string[] | undefined) ?? [], v.sessionTtl as number | undefined),
      tls: tlsOf(v),
      racks: v.racks as number[] | undefined,
    });
    // AS_CLOCK sets the server's clock as it sets the programs' (docs/environment.md).
    if (process.env[CLOCK_VARIABLE]) server.clock.set(wallClock());
    server.nodes.forEach((n, i) => io.stdout.write(`node ${n.id} listening on ${server.seeds[i]!.host}:${n.port}\n`));
    // Runs until a signal: run() ends the process then (the server holds nothing to save).
    await new Promise<never>(() => {});
    return EXIT_OK;
  },
};
