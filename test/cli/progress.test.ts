// Progress lines on stderr: percent and ETA from the record count (asbackup) or from the
// bytes of the files (asrestore), as a plain line or a redrawn bar. The clock is a fake one
// that the test moves, so every rate and time left is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, formatEta } from '../../lib/cli/progress.js';
import { fakeClock } from '../helpers.js';

function sink(): { out: NodeJS.WriteStream; text: () => string } {
  const parts: string[] = [];
  const out = { write: (s: string) => { parts.push(s); return true; }, isTTY: false } as unknown as NodeJS.WriteStream;
  return { out, text: () => parts.join('') };
}

test('positive: percent and time left from records, else from bytes, else counts only', () => {
  const clock = fakeClock(1000);
  const byRecords = sink();
  const p1 = new Progress({ total: 400, out: byRecords.out, now: clock.now, timer: false });
  const byBytes = sink();
  const p2 = new Progress({ total: 0, totalBytes: 4_000_000, out: byBytes.out, now: clock.now, timer: false });
  const unknown = sink();
  const p3 = new Progress({ total: 0, out: unknown.out, now: clock.now, timer: false });
  p1.add(100, 1_024_000);
  p2.add(7, 3_000_000);
  p3.add(5, 100);
  clock.advance(2000);
  for (const p of [p1, p2, p3]) p.report();
  // 100 of 400 records in 2 s: 50 rec/s, 300 left take 6 s.
  assert.equal(byRecords.text(), '25% complete (~500 KiB/s, ~50 rec/s, ~10240 B/rec), ~6s remaining\n');
  // 3 of 4 MB in 2 s: the last MB takes 0.67 s.
  assert.equal(byBytes.text(), '75% complete (~1465 KiB/s, ~4 rec/s, ~428571 B/rec), ~1s remaining\n');
  assert.equal(unknown.text(), '5 record(s) (~0 KiB/s, ~3 rec/s, ~20 B/rec), ~? remaining\n');
  // The rate of the next line is that of the interval since the last one.
  p1.add(200, 0);
  clock.advance(1000);
  p1.report();
  assert.match(byRecords.text(), /\n75% complete \(~0 KiB\/s, ~200 rec\/s, ~3413 B\/rec\), ~1s remaining\n$/);
  assert.equal(p1.elapsed, 3);
  for (const p of [p1, p2, p3]) p.stop();
});

test('positive: on a terminal a bar is redrawn in place and cleared at the end', () => {
  const clock = fakeClock();
  const s = sink();
  const p = new Progress({ total: 0, totalBytes: 1000, out: s.out, tty: true, now: clock.now, timer: false });
  p.add(3, 500);
  clock.advance(500);
  p.report();
  p.stop();
  assert.equal(s.text(), '\r[###############...............]  50% 3 records, 500 B, 6 rec/s, ETA 1s   \r\x1b[K');
  assert.equal(formatEta(3725), '1h2m5s');
  assert.equal(formatEta(59), '59s');
  assert.equal(formatEta(86400 * 1 + 4 * 3600 + 6 * 60 + 38), '1d4h6m38s');
  assert.equal(formatEta(Infinity), '>100d');
});

test('positive: without a fake clock the timer reports by itself', async () => {
  const s = sink();
  const p = new Progress({ total: 10, out: s.out, intervalSeconds: 0.01 });
  p.add(1, 10);
  await new Promise((r) => setTimeout(r, 60));
  p.stop();
  assert.match(s.text(), /^10% complete/);
});
