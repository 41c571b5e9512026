// npm run demo: a full backup and restore against the built-in dev server, so a newcomer
// sees the tools work with no cluster of their own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServerThread } from './devserver/index.js';
import { decodeItems } from './asb/decode.js';
import type { RecordItem } from './records/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const say = (s: string) => process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);

function run(program: string, args: string[]): void {
  process.stdout.write(`$ ${program} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(root, 'bin', program), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${program} exited with ${r.status}`);
}

// The official client writes the data: an independent peer, and the way users load data.
async function load(port: number, n: number): Promise<void> {
  const Aerospike = createRequire(import.meta.url)('aerospike');
  const client = await Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port }], log: { level: Aerospike.log.OFF } });
  const sendKey = new Aerospike.WritePolicy({ key: Aerospike.policy.key.SEND });
  try {
    // A secondary index and a UDF module: the global section of the backup.
    const job = await client.createIntegerIndex({ ns: 'test', set: 'users', bin: 'id', index: 'users_by_id' });
    await job.wait(10);
    const udf = join(mkdtempSync(join(tmpdir(), 'asbackup-demo-udf-')), 'greet.lua');
    writeFileSync(udf, 'function hello(rec, who)\n  return "hello " .. who\nend\n');
    await (await client.udfRegister(udf)).wait(10);
    rmSync(dirname(udf), { recursive: true, force: true });
    for (let i = 0; i < n; i++) {
      const set = ['users', 'orders', 'events'][i % 3];
      const bins = {
        id: i, big: 2n ** 60n + BigInt(i), ratio: new Aerospike.Double(i % 10 === 0 ? 1.0 : i / 7),
        name: `user ${i} — ü`, raw: Buffer.from([i & 255, 0, 10, 255]), active: i % 2 === 0,
        tags: ['a', i, [1.5, Buffer.from([1])]], attrs: { level: i % 5, nested: { ok: true } },
        where: new Aerospike.GeoJSON({ type: 'Point', coordinates: [13.4 + i / 1e4, 52.5] }),
      };
      await client.put(new Aerospike.Key('test', set, `key-${i}`), bins, { ttl: i % 4 === 0 ? -1 : 86400 * 30 }, sendKey);
    }
  } finally {
    await client.close();
  }
}

async function main(): Promise<void> {
  const server = await startDevServerThread({ nodes: 3, namespaces: ['test', 'bar'] });
  const work = mkdtempSync(join(tmpdir(), 'asbackup-demo-'));
  const host = `127.0.0.1:${server.seeds[0]!.port}`;
  try {
    say(`A 3-node dev server is listening on ${server.seeds.map((s) => s.port).join(', ')}; the official client writes 3000 records, a secondary index and a UDF module`);
    await load(server.seeds[0]!.port, 3000);
    const dir = join(work, 'backup');
    say('Back up namespace test');
    run('asbackup', ['-h', host, '-n', 'test', '-d', dir]);
    // The backup's .asb files in order (the directory also holds its manifest).
    const files = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort().map((f) => join(dir, f));
    const file = files[0]!;
    say(`The first lines of ${file}`);
    process.stdout.write(readFileSync(file).subarray(0, 1200).toString('utf8').split('\n').slice(0, 24).join('\n') + '\n...\n');
    say('Restore it into namespace bar');
    run('asrestore', ['-h', host, '-n', 'test,bar', '-d', dir]);
    say('Compare every record of bar with test, bin by bin, particle type by particle type');
    let same = 0;
    let differ = 0;
    for (const f of files) {
      for await (const item of decodeItems([readFileSync(f)], f)) {
        if (item.kind !== 'record') continue;
        const a = await server.get('test', (item as RecordItem).digest);
        const b = await server.get('bar', (item as RecordItem).digest);
        const ok = a && b && JSON.stringify(a.bins) === JSON.stringify(b.bins) && JSON.stringify(a.key) === JSON.stringify(b.key) && a.set === b.set;
        if (ok) same++;
        else differ++;
      }
    }
    process.stdout.write(`${same} record(s) identical, ${differ} different\n`);
    if (differ > 0) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
    await server.close();
  }
}

await main();
