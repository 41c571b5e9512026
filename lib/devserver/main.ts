// CLI: node dist/lib/devserver/main.js --port 3000 --nodes 3 --namespaces test,bar
import minimist from 'minimist';
import { startDevServer } from './index.js';

async function main(): Promise<void> {
  const argv = minimist(process.argv.slice(2), {
    string: ['namespaces', 'host'],
    boolean: ['help', 'quiet'],
    default: { port: 3000, nodes: 1, namespaces: 'test,bar', host: '127.0.0.1', rf: 2 },
    alias: { p: 'port', n: 'nodes', h: 'help' },
  });
  if (argv.help) {
    process.stdout.write('usage: devserver [--port 3000] [--nodes 1] [--namespaces test,bar] [--host 127.0.0.1] [--rf 2] [--quiet]\n');
    return;
  }
  const server = await startDevServer({
    nodes: Number(argv.nodes),
    port: Number(argv.port),
    host: String(argv.host),
    namespaces: String(argv.namespaces).split(',').filter((s) => s !== ''),
    replicationFactor: Number(argv.rf),
    log: argv.quiet ? () => {} : (line) => process.stderr.write(line + '\n'),
  });
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
