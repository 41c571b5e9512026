// CLI: node dist/lib/devserver/main.js --port 3000 --nodes 3 --namespaces test,bar
//   security: --user admin:secret[:role,role] (repeatable) [--session-ttl 86400]
//   TLS: --tls-cert node.pem --tls-key node.key [--tls-name name] [--tls-ca ca.pem --tls-require-client-cert]
import { readFileSync } from 'node:fs';
import minimist from 'minimist';
import { startDevServer, type DevSecurityOptions, type DevTlsOptions } from './index.js';
import { CLOCK_VARIABLE, wallClock } from '../clock.js';

// --user values: `name:password` or `name:password:role,role`.
function securityOf(users: string[], ttl: unknown): DevSecurityOptions | undefined {
  if (users.length === 0) return undefined;
  return {
    users: users.map((u) => {
      const m = /^([^:]+):([^:]*)(?::(.*))?$/.exec(u);
      if (!m) throw new Error('--user: expected name:password[:role,role]');
      return { user: m[1]!, password: m[2]!, roles: m[3] === undefined ? undefined : m[3].split(',').filter((r) => r !== '') };
    }),
    sessionTtlSeconds: ttl === undefined ? undefined : Number(ttl),
  };
}

function tlsOf(argv: minimist.ParsedArgs): DevTlsOptions | undefined {
  if (argv['tls-cert'] === undefined && argv['tls-key'] === undefined) return undefined;
  if (argv['tls-cert'] === undefined || argv['tls-key'] === undefined) throw new Error('--tls-cert and --tls-key go together');
  return {
    cert: readFileSync(String(argv['tls-cert'])),
    key: readFileSync(String(argv['tls-key'])),
    ca: argv['tls-ca'] === undefined ? undefined : readFileSync(String(argv['tls-ca'])),
    requestCert: Boolean(argv['tls-require-client-cert']),
    tlsName: argv['tls-name'] === undefined ? undefined : String(argv['tls-name']),
  };
}

async function main(): Promise<void> {
  const argv = minimist(process.argv.slice(2), {
    string: ['namespaces', 'host', 'user', 'tls-cert', 'tls-key', 'tls-ca', 'tls-name'],
    boolean: ['help', 'quiet', 'tls-require-client-cert'],
    default: { port: 3000, nodes: 1, namespaces: 'test,bar', host: '127.0.0.1', rf: 2 },
    alias: { p: 'port', n: 'nodes', h: 'help' },
  });
  if (argv.help) {
    process.stdout.write('usage: devserver [--port 3000] [--nodes 1] [--namespaces test,bar] [--host 127.0.0.1] [--rf 2] [--quiet]\n'
      + '  [--user name:password[:role,role]]... [--session-ttl <s>]\n'
      + '  [--tls-cert <pem> --tls-key <pem> [--tls-name <name>] [--tls-ca <pem> --tls-require-client-cert]]\n');
    return;
  }
  const server = await startDevServer({
    nodes: Number(argv.nodes),
    port: Number(argv.port),
    host: String(argv.host),
    namespaces: String(argv.namespaces).split(',').filter((s) => s !== ''),
    replicationFactor: Number(argv.rf),
    log: argv.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
    security: securityOf(([] as string[]).concat(argv.user ?? []), argv['session-ttl']),
    tls: tlsOf(argv),
  });
  // AS_CLOCK sets the server's clock as it sets the programs' (docs/environment.md).
  if (process.env[CLOCK_VARIABLE]) server.clock.set(wallClock());
  for (const n of server.nodes) process.stdout.write(`node ${n.id} listening on ${server.seeds[server.nodes.indexOf(n)]!.host}:${n.port}\n`);
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`devserver: ${(e as Error).message}\n`);
  process.exit(1);
});
