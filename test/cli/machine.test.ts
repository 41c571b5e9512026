// Machine-readable status lines (-m): every line is compared character by character with
// what the official C format strings print for the same values. The format strings are
// quoted below as they stand in aerospike-tools-backup 4.5.8 (src/backup.c, src/restore.c),
// with their string-literal pieces and PRIu64 macros; cFormat/cPrintf evaluate them as the
// C compiler and printf would. The clock is a fake one, so the ~1 s cadence is exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MachineStatus, machineLine } from '../../lib/cli/machine.js';
import { formatEta } from '../../lib/cli/progress.js';
import { fakeClock, tempDir } from '../helpers.js';

const C_FORMATS = {
  progress: '"PROGRESS:%d\\n"',
  remaining: '"REMAINING:%s\\n"',
  backupSummary: '"SUMMARY:%" PRIu64 ":%u:%u:%" PRIu64 ":%" PRIu64 "\\n"',
  estimate: '"ESTIMATE:%" PRIu64 ":%" PRIu64 "\\n"',
  restoreSummary: '"SUMMARY:%u:%u:%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 " " ":%" PRIu64 ":%" PRIu64 ":%" PRIu64 "\\n"',
};

/** cFormat: adjacent C string literals joined, PRIu64 expanded as on 64-bit Linux. */
function cFormat(source: string): string {
  return source.replace(/"\s*PRIu64\s*"/g, 'lu').replace(/"\s+"/g, '').replace(/^"|"$/g, '').replace(/\\n/g, '\n');
}

/** cPrintf: printf for %d, %u, %lu and %s. */
function cPrintf(format: string, ...args: Array<number | string>): string {
  let i = 0;
  return format.replace(/%(lu|d|u|s)/g, () => String(args[i++]));
}

/** eta: the C format_eta (utils.c): leading zero units left out, then every unit. */
function cEta(seconds: number): string {
  if (seconds > 100 * 86400) return '>100d';
  let s = Math.max(0, seconds);
  let out = '';
  [[86400, 'd'], [3600, 'h'], [60, 'm'], [1, 's']].forEach(([div, label], i) => {
    const v = Math.floor(s / (div as number));
    if (v === 0 && out === '' && i < 3) return;
    s -= v * (div as number);
    out += `${v}${label}`;
  });
  return out;
}

test('positive: each line is what the official format string prints, the restore summary\'s blank included', () => {
  assert.equal(cFormat(C_FORMATS.restoreSummary), 'SUMMARY:%u:%u:%lu:%lu:%lu:%lu :%lu:%lu:%lu\n');
  assert.equal(machineLine.progress(42), cPrintf(cFormat(C_FORMATS.progress), 42));
  for (const s of [0, 1, 59, 60, 61, 3599, 3600, 3725, 86399, 86400, 90061, 100 * 86400, 100 * 86400 + 1]) {
    assert.equal(formatEta(s), cEta(s), `eta of ${s} s`);
    assert.equal(machineLine.remaining(s), cPrintf(cFormat(C_FORMATS.remaining), cEta(s)));
  }
  assert.equal(
    machineLine.backupSummary({ records: 130, indexes: 1, udfs: 2, bytes: 98765 }),
    cPrintf(cFormat(C_FORMATS.backupSummary), 130, 1, 2, 98765, Math.floor(98765 / 130)),
  );
  assert.equal(machineLine.backupSummary({ records: 0, indexes: 0, udfs: 0, bytes: 40 }), cPrintf(cFormat(C_FORMATS.backupSummary), 0, 0, 0, 40, 0));
  assert.equal(machineLine.estimate(1002220, 289), cPrintf(cFormat(C_FORMATS.estimate), 1002220, 289));
  const r = { udfs: 1, indexes: 2, records: 300, expired: 3, skipped: 4, ignored: 5, inserted: 280, existed: 6, fresher: 7 };
  assert.equal(machineLine.restoreSummary(r), cPrintf(cFormat(C_FORMATS.restoreSummary), 1, 2, 300, 3, 4, 5, 280, 6, 7));
  assert.equal(machineLine.restoreSummary(r), 'SUMMARY:1:2:300:3:4:5 :280:6:7\n');
});

test('positive: backup ticks: percent of the expected records below 100, time left from the last second', () => {
  const dir = tempDir();
  const path = join(dir, 'status.txt');
  writeFileSync(path, 'earlier run\n');
  const clock = fakeClock(5000);
  const m = MachineStatus.open({ path, by: 'records', now: clock.now, timer: false });
  m.tick(); // nothing expected yet: no line
  m.expect(400);
  m.add(100, 5000);
  clock.advance(1000);
  m.tick(); // 100 of 400 in the last second: 300 left take 3 s
  clock.advance(1000);
  m.tick(); // no record in the last second: no time left can be told
  m.add(290, 100);
  clock.advance(2000);
  m.tick(); // 390: 97 %, 10 left at 145 rec/s
  m.add(10, 0);
  clock.advance(1000);
  m.tick(); // 400 of 400: 100 % is never claimed before the end
  assert.equal(m.close(), undefined);
  assert.equal(readFileSync(path, 'utf8'), 'earlier run\nPROGRESS:25\nREMAINING:3s\nPROGRESS:25\nPROGRESS:97\nREMAINING:0s\n');
});

test('positive: restore ticks: percent of all the bytes on every tick, time left from the last second', () => {
  const path = join(tempDir(), 'status.txt');
  const clock = fakeClock();
  const m = MachineStatus.open({ path, by: 'bytes', now: clock.now, timer: false });
  m.expect(0, 0);
  m.add(3, 100);
  clock.advance(1000);
  m.tick(); // stdin: no size, no percent
  m.expect(0, 10_000);
  m.add(10, 2400);
  clock.advance(1000);
  m.tick(); // 2500 of 10000, 2400 in the last second: 7500 left take 3 s
  m.add(10, 7500);
  clock.advance(500);
  m.tick();
  assert.equal(m.close(), undefined);
  assert.equal(readFileSync(path, 'utf8'), 'PROGRESS:25\nREMAINING:3s\nPROGRESS:100\nREMAINING:0s\n');
});

test('negative: a file that cannot be opened is an OUTPUT error naming it', () => {
  const path = join(tempDir(), 'no-such-dir', 'status.txt');
  assert.throws(() => MachineStatus.open({ path, by: 'bytes', timer: false }), (e: unknown) => {
    assert.equal((e as { code: string }).code, 'OUTPUT');
    assert.match((e as Error).message, /--machine: cannot open .*no-such-dir.*ENOENT/);
    return true;
  });
});
