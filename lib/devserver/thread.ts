// Worker-thread side of startDevServerThread (see worker.ts): runs a dev cluster and
// answers method calls from the parent thread.
import { parentPort, workerData } from 'node:worker_threads';
import { startDevServer, type DevServer, type DevServerOptions } from './index.js';

interface Call { id: number; method: string; args: unknown[] }

const toBuf = (v: unknown): Buffer => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : (v as Buffer));

async function run(): Promise<void> {
  const port = parentPort!;
  const opts = workerData as Omit<DevServerOptions, 'log'> & { withLog: boolean };
  let server: DevServer;
  try {
    server = await startDevServer({ ...opts, log: opts.withLog ? (line) => port.postMessage({ log: line }) : undefined });
  } catch (e) {
    port.postMessage({ ready: false, error: (e as Error).message });
    return;
  }
  port.postMessage({ ready: true, seeds: server.seeds, nodes: server.nodes.map((n) => ({ id: n.id, port: n.port })) });
  port.on('message', async (c: Call) => {
    try {
      let result: unknown;
      const a = c.args;
      switch (c.method) {
        case 'put': {
          const bins = (a[3] as Array<{ name: string; type: number; data: unknown }>).map((b) => ({ ...b, data: toBuf(b.data) }));
          const o = (a[4] ?? {}) as { key?: { type: number; data: unknown }; ttl?: number; generation?: number };
          server.put(a[0] as string, a[1] as string, toBuf(a[2]), bins, { ...o, key: o.key ? { type: o.key.type, data: toBuf(o.key.data) } : undefined });
          break;
        }
        case 'get': result = server.get(a[0] as string, toBuf(a[1])); break;
        case 'count': result = server.count(a[0] as string); break;
        case 'truncate': server.truncate(a[0] as string, a[1] as string | undefined); break;
        case 'scanned': result = server.scanned(); break;
        case 'now': result = server.clock.now(); break;
        case 'advance': server.clock.advance(a[0] as number); break;
        case 'setClock': server.clock.set(a[0] as number); break;
        case 'fault': {
          const f = server.faults as unknown as Record<string, (...x: unknown[]) => void>;
          f[a[0] as string]!(...(a.slice(1)));
          break;
        }
        case 'stopNode': await server.nodes[a[0] as number]!.stop(); break;
        case 'startNode': await server.nodes[a[0] as number]!.start(); break;
        case 'close':
          await server.close();
          port.postMessage({ id: c.id, result: undefined });
          port.close();
          return;
        default: throw new Error(`unknown method ${c.method}`);
      }
      port.postMessage({ id: c.id, result });
    } catch (e) {
      port.postMessage({ id: c.id, error: (e as Error).message });
    }
  });
}

void run();
