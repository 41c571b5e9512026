// In-doubt writes (issue #19 item 2), exactly: a proxy between the writer and a dev node
// forwards a put, lets the node apply it, and then cuts the connection instead of passing
// the answer on. The writer sends the put again; the node now finds the record: that is
// counted in doubt (the lost attempt may have written it), never fresher or existed. A
// record that was there before and was sent once stays fresher/existed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { writeRecords, type WriteCounts } from '../../lib/restore/writer.js';
import { FrameReader, frame } from '../../lib/protocol/frame.js';
import { ProtoType } from '../../lib/protocol/constants.js';
import { benchRecord } from '../../bench/data.js';
import type { RecordItem } from '../../lib/records/types.js';

/** A proxy to `port` that swallows the first `cut` write answers, closing their connection each time. */
async function cuttingProxy(port: number, cut: number): Promise<{ port: number; close(): void }> {
  let left = cut;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    const reader = new FrameReader();
    client.on('data', (b) => upstream.write(b));
    upstream.on('data', (b: Buffer) => {
      for (const f of reader.push(b)) {
        if (f.type === ProtoType.MSG && left > 0) {
          left--;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(frame(f.type, f.body));
      }
    });
    const end = (): void => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

async function* once(rs: RecordItem[]): AsyncGenerator<RecordItem[]> {
  yield rs;
}

async function writeThroughCut(server: DevServer, records: RecordItem[], cut: number, unique: boolean): Promise<WriteCounts> {
  const proxy = await cuttingProxy(server.seeds[0]!.port, cut);
  const cluster = await Cluster.connect({ hosts: [{ host: '127.0.0.1', port: proxy.port }], tendIntervalMs: 0 });
  try {
    // One write in flight at a time: the cut answer is exactly the first put's.
    return await writeRecords(cluster, once(records), { unique, inFlight: 1, lanesPerNode: 1 });
  } finally {
    cluster.close();
    proxy.close();
  }
}

for (const unique of [false, true]) {
  const policy = unique ? '-u (exists)' : 'the default policy (generation)';
  test(`a put applied whose answer was lost, sent again, is in doubt under ${policy}, not ${unique ? 'existed' : 'fresher'}`, async () => {
    const server = await startDevServer({ nodes: 1, namespaces: ['test'] });
    try {
      const rs = [benchRecord(1, 'test'), benchRecord(2, 'test')];
      const c = await writeThroughCut(server, rs, 1, unique);
      assert.equal(server.count('test'), 2);
      assert.deepEqual([c.inserted, c.resent, c.inDoubt, c.existed, c.fresher], [1, 1, 1, 0, 0]);
    } finally {
      await server.close();
    }
  });

  test(`control: a record already there, sent once, is ${unique ? 'existed' : 'fresher'} under ${policy}, not in doubt`, async () => {
    const server = await startDevServer({ nodes: 1, namespaces: ['test'] });
    try {
      const r = benchRecord(1, 'test');
      server.put('test', r.set, r.digest, r.bins, { key: r.key, generation: 1 });
      const c = await writeThroughCut(server, [r], 0, unique);
      assert.deepEqual([c.inserted, c.resent, c.inDoubt, c.existed, c.fresher], [0, 0, 0, unique ? 1 : 0, unique ? 0 : 1]);
    } finally {
      await server.close();
    }
  });
}
