// `npm run demo` shows a newcomer a whole backup and restore on the dev server: it must run
// to its end and find every restored record identical to the one backed up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('positive: the demo backs up a namespace, restores it into another and finds all 3000 records identical', () => {
  const demo = fileURLToPath(new URL('../lib/demo.js', import.meta.url));
  const r = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /\n3000 record\(s\) identical, 0 different\n/);
});
