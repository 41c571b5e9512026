// A node that stops during a restore (issue #11 item 3): asrestore says the connection to
// the cluster was lost, naming the host and the records written, not that the namespace
// is missing; a node back within the retries is found again through the seeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { makeFile } from '../../bench/data.js';
import { errorCode, lastLine, startPipeline, tempDir, waitFor } from '../helpers.js';

const RECORDS = 20_000;
let file: string;

before(async () => {
  file = join(tempDir(), 'bench.asb');
  await makeFile(file, RECORDS, 'test');
});

let server: DevServer | undefined;
after(async () => {
  await server?.close();
});

test('negative: the only node stops mid-restore: CONNECTION_LOST with the host and the records written', async () => {
  server = await startDevServer({ nodes: 1, namespaces: ['test'] });
  const address = `127.0.0.1:${server.seeds[0]!.port}`;
  server.faults.slowReplies(1);
  const p = startPipeline([['asrestore', ['-h', address, '-i', file]]]);
  await waitFor(() => server!.count('test') > 200, 'the restore to write records');
  await server.nodes[0]!.stop();
  const [r] = await p.done;
  assert.equal(r!.code, 1, r!.stderr);
  assert.equal(errorCode(r!.stderr), 'CONNECTION_LOST', r!.stderr);
  const line = lastLine(r!.stderr);
  assert.ok(line.includes(address), `names the host: ${line}`);
  const written = Number(/(\d+) record\(s\) were written/.exec(line)?.[1]);
  const inserted = Number(/Inserted (\d+) record\(s\)/.exec(r!.stderr)?.[1]);
  assert.equal(written, inserted, r!.stderr);
  // Writes still in flight when the node stopped may have landed without an answer.
  assert.ok(written > 0 && written <= server.count('test'), `${written} vs ${server.count('test')}`);
  await server.close();
  server = undefined;
});

test('positive: a node that is back within the retries is found again and the restore completes', async () => {
  server = await startDevServer({ nodes: 1, namespaces: ['test'] });
  const address = `127.0.0.1:${server.seeds[0]!.port}`;
  server.faults.slowReplies(1);
  const p = startPipeline([['asrestore', ['-h', address, '-i', file, '--max-retries', '12']]]);
  await waitFor(() => server!.count('test') > 200, 'the restore to write records');
  await server.nodes[0]!.stop();
  await new Promise((r) => setTimeout(r, 300));
  await server.nodes[0]!.start();
  server.faults.slowReplies(0);
  const [r] = await p.done;
  assert.equal(r!.code, 0, r!.stderr);
  assert.equal(server.count('test'), RECORDS);
  await server.close();
  server = undefined;
});
