// A namespace whose records never expire (nsup-period 0, allow-ttl-without-nsup false)
// refuses to write a record with a TTL: FORBIDDEN (22). Seen on a real Aerospike 8.1.2
// server restoring the official test vectors (the official asrestore stops there too).
// The dev server does the same, judged by the official client; asrestore names the cause.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, startDevServerThread, type DevServer, type DevServerThread } from '../../lib/devserver/index.js';
import { encodeHeader, encodeItem } from '../../lib/asb/encode.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { nowClSeconds } from '../../lib/restore/write-policy.js';
import type { RecordItem } from '../../lib/records/types.js';
import { assertFailure, runProgram, tempDir } from '../helpers.js';
import { Aerospike, client, infoValue } from '../devserver/helpers.js';

const AT = Date.parse('2026-11-23T19:22:00Z');
const env = { AS_CLOCK: new Date(AT).toISOString() };

describe('nsup-period 0, official client', () => {
  let server: DevServerThread;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let c: any;
  before(async () => {
    server = await startDevServerThread({ nodes: 1, namespaces: ['test'], nsupPeriod: 0 });
    c = await client(server.seeds[0]!.port);
  });
  after(async () => {
    c?.close();
    await server.close();
  });

  it('refuses a put or a batch row with a TTL (FORBIDDEN), takes one that never expires', async () => {
    assert.match(await infoValue(server.seeds[0]!.port, 'namespace/test'), /(^|;)nsup-period=0(;|$)/);
    const key = (k: string) => new Aerospike.Key('test', 'nsup', k);
    await assert.rejects(c.put(key('ttl'), { v: 1 }, { ttl: 100 }), (e: { code: number }) => e.code === Aerospike.status.ERR_FAIL_FORBIDDEN);
    await c.put(key('never'), { v: 1 }, { ttl: -1 });
    await c.put(key('default'), { v: 1 });
    const W = Aerospike.batchType.BATCH_WRITE;
    const results = await c.batchWrite([
      { type: W, key: key('b1'), ops: [Aerospike.operations.write('v', 1)], policy: new Aerospike.BatchWritePolicy({ ttl: 50 }) },
      { type: W, key: key('b2'), ops: [Aerospike.operations.write('v', 2)] },
    ]);
    assert.deepEqual(results.map((r: { status: number }) => r.status), [Aerospike.status.ERR_FAIL_FORBIDDEN, Aerospike.status.OK]);
  });
});

describe('asrestore into a namespace with nsup-period 0', () => {
  let server: DevServer;
  let host: string;
  let file: string;
  before(async () => {
    server = await startDevServer({ nodes: 1, namespaces: ['test'], nsupPeriod: 0 });
    server.clock.set(AT);
    host = `127.0.0.1:${server.seeds[0]!.port}`;
    const recs: RecordItem[] = [0, 1, 2, 3].map((i) => {
      const k = particle.string(`k${i}`);
      // Record 2 expires in a day; the others never.
      const voidTime = i === 2 ? nowClSeconds(AT) + 86400 : 0;
      return { kind: 'record', namespace: 'test', set: 's', digest: computeDigest('s', k.type, k.data), key: k, generation: 1, voidTime, bins: [{ name: 'v', ...particle.integer(i) }] };
    });
    file = join(tempDir(), 'ttl.asb');
    writeFileSync(file, Buffer.concat([encodeHeader('test', true), ...recs.map((r) => encodeItem(r))]));
  });
  after(async () => {
    await server.close();
  });

  for (const mode of [[], ['--disable-batch-writes']]) {
    it(`negative: the record that expires stops the restore, and the line says why${mode.length ? ' (puts)' : ''}`, async () => {
      await server.truncate('test');
      const r = await runProgram('asrestore', ['-h', host, '-i', file, '--no-config-file', ...mode], { env });
      const line = assertFailure(r, 1, 'RECORD_REJECTED', 'a record with a TTL');
      assert.match(line, /forbidden \(22\).*nsup-period 0/);
    });

    it(`--ignore-record-error skips it and writes the others${mode.length ? ' (puts)' : ''}`, async () => {
      await server.truncate('test');
      const r = await runProgram('asrestore', ['-h', host, '-i', file, '--no-config-file', '--ignore-record-error', ...mode], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Inserted 3 record\(s\).*ignored errors 1, failed 0/);
    });
  }
});
