// Progress lines on stderr: percent and ETA from the record count (asbackup) or from the
// bytes of the files (asrestore), as a plain line or a redrawn bar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Progress, formatEta } from '../../lib/cli/progress.js';

function sink(): { out: NodeJS.WriteStream; text: () => string } {
  const parts: string[] = [];
  const out = { write: (s: string) => { parts.push(s); return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  return { out, text: () => parts.join('') };
}

test('positive: percent and time left from records, else from bytes, else counts only', async () => {
  const byRecords = sink();
  const p1 = new Progress({ total: 400, out: byRecords.out, intervalSeconds: 0.05 });
  p1.add(100, 1_000_000);
  const byBytes = sink();
  const p2 = new Progress({ total: 0, totalBytes: 4_000_000, out: byBytes.out, intervalSeconds: 0.05 });
  p2.add(7, 3_000_000);
  const unknown = sink();
  const p3 = new Progress({ total: 0, out: unknown.out, intervalSeconds: 0.05 });
  p3.add(5, 100);
  await sleep(120);
  for (const p of [p1, p2, p3]) p.stop();
  assert.match(byRecords.text(), /^25% complete \(~\d+ KiB\/s, ~\d+ rec\/s, ~10000 B\/rec\), ~\d+s remaining\n/);
  assert.match(byBytes.text(), /^75% complete \(.*\), ~\d+s remaining\n/);
  assert.match(unknown.text(), /^5 record\(s\) \(.*\), ~\? remaining\n/);
});

test('positive: on a terminal a bar is redrawn in place and cleared at the end', async () => {
  const s = sink();
  const p = new Progress({ total: 0, totalBytes: 1000, out: s.out, tty: true });
  p.add(3, 500);
  await sleep(300);
  p.stop();
  assert.match(s.text(), /^\r\[#{15}\.{15}\]  50% 3 records, 500 B, \d+ rec\/s, ETA \d+s {3}/);
  assert.ok(s.text().endsWith('\r\x1b[K'));
  assert.equal(formatEta(3725), '1h2m5s');
});
