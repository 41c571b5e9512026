import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filterItems } from '../../lib/stages/filter.js';
import { throttle } from '../../lib/stages/throttle.js';
import { defaultEncoderThreads } from '../../lib/stages/encode-pool.js';
import { prepareDirectory, prepareOutputFile, writeDirectory, writeSingleFile, type AsbChunk, type Checkpoints } from '../../lib/stages/files.js';
import { localFileTarget, type DirectoryPlace, type Target } from '../../lib/stages/output.js';
import type { AsbRun } from '../../lib/asb/encode.js';
import { digestModulo } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { AsError, UsageError } from '../../lib/errors.js';
import type { RecordItem, SindexItem } from '../../lib/records/types.js';
import { fakeClock, seededRng, withSeed } from '../helpers.js';

const rng = seededRng();

function rec(set: string, over: Partial<RecordItem> = {}): RecordItem {
  return { kind: 'record', namespace: 'test', set, digest: rng.bytes(20), generation: 1, voidTime: 0, bins: [{ name: 'a', ...particle.integer(1) }, { name: 'b', ...particle.string('x') }], ...over };
}

test('positive: filter keeps sets, bins, windows and TTL rules', () => {
  const f = filterItems({ sets: ['a'], bins: ['b'] });
  assert.equal(f(rec('z')), undefined);
  const kept = f(rec('a')) as RecordItem;
  assert.deepEqual(kept.bins.map((b) => b.name), ['b']);
  const idx: SindexItem = { kind: 'sindex', namespace: 'test', set: '', name: 'i', indexType: 'N', bin: 'a', binType: 'N' };
  assert.equal(f(idx), undefined, 'an index without a set is dropped when sets are chosen');
  assert.equal(filterItems({ noIndexes: true })(idx), undefined);
  assert.deepEqual((filterItems({ noBins: true })(rec('a')) as RecordItem).bins, []);
  assert.equal(filterItems({ noTtlOnly: true })(rec('a', { voidTime: 5 })), undefined);
  const w = filterItems({ modifiedAfter: 1000, modifiedBefore: 2000 });
  assert.equal(w(rec('a', { lastUpdate: 999 })), undefined);
  assert.ok(w(rec('a', { lastUpdate: 1000 })));
  assert.equal(w(rec('a', { lastUpdate: 2000 })), undefined);
  assert.throws(() => w(rec('a')), (e: unknown) => e instanceof AsError && e.code === 'NO_LAST_UPDATE', 'no known last-update time: an error, not a silent drop');
});

test('positive: percent sampling is deterministic by digest and near the asked share', () => withSeed(() => {
  const f = filterItems({ percent: 10 });
  let kept = 0;
  for (let i = 0; i < 20000; i++) {
    const r = rec('a');
    const k = f(r) !== undefined;
    assert.equal(k, digestModulo(r.digest, 10000) < 1000);
    if (k) kept++;
  }
  assert.ok(kept > 1700 && kept < 2300, `kept ${kept} of 20000`);
}, rng.seed));

test('positive: throttle never passes more than the byte rate, and no slower', async () => {
  const clock = fakeClock();
  async function* gen() { for (let i = 0; i < 40; i++) yield Buffer.alloc(50_000); }
  let n = 0;
  for await (const c of throttle(gen(), (b) => b.length, { bytesPerSecond: 4_000_000, now: clock.now, sleep: clock.sleep })) {
    // Each chunk leaves only once the budget covers every byte before it.
    assert.ok(clock.now() >= (n / 4_000_000) * 1000, `chunk at ${n} B left at ${clock.now()} ms`);
    n += c.length;
  }
  assert.equal(n, 2_000_000);
  // 2 MB at 4 MB/s: the last chunk leaves once 1.95 MB are covered, at 487.5 ms.
  assert.equal(clock.now(), 487.5);
  assert.equal(clock.sleeps.length, 39);
});

test('positive: throttle by items counts every item of a batch', async () => {
  const clock = fakeClock();
  async function* gen() { for (let i = 0; i < 10; i++) yield [1, 2, 3, 4, 5]; }
  let items = 0;
  for await (const b of throttle(gen(), () => 0, { itemsPerSecond: 100, countOf: (b) => b.length, now: clock.now, sleep: clock.sleep })) items += b.length;
  assert.equal(items, 50);
  assert.equal(clock.now(), 450);
});

async function* chunks(list: AsbChunk[]) { yield list.slice(0, 2); yield list.slice(2); }
const r = (n: number): AsbChunk => ({ kind: 'record', bytes: Buffer.alloc(n, 0x41) });

test('positive: directory files roll over before a record once the limit is reached', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'asb-')), 'out');
  prepareDirectory(dir, false);
  const res = await writeDirectory(chunks([{ kind: 'sindex', bytes: Buffer.from('* i x\n') }, r(60), r(60), r(10), r(100)]), { dir, namespace: 'test', fileLimit: 100 });
  assert.deepEqual(readdirSync(dir).sort(), ['test_00000.asb', 'test_00001.asb']);
  const f0 = readFileSync(join(dir, 'test_00000.asb'), 'latin1');
  const f1 = readFileSync(join(dir, 'test_00001.asb'), 'latin1');
  assert.ok(f0.startsWith('Version 3.1\n# namespace test\n# first-file\n* i x\n'));
  assert.ok(f1.startsWith('Version 3.1\n# namespace test\nAAAA'));
  assert.equal(res.records, 4);
  // 42 header bytes + 6 + 60 >= 100: the second record starts the second file, which then
  // takes the rest (it passes the limit by at most one record).
  assert.equal(f0.length, 42 + 6 + 60);
  assert.equal(f1.length, 'Version 3.1\n# namespace test\n'.length + 60 + 10 + 100);
});

test('positive: runs of records split into files exactly as record-by-record chunks do', async () => {
  // Records of distinct letters and sizes 1..97, in runs of 1..9 records.
  const sizes = Array.from({ length: 300 }, (_, i) => 1 + ((i * 37) % 97));
  const blocks = sizes.map((n, i) => Buffer.alloc(n, 0x41 + (i % 26)));
  const runs: AsbRun[] = [];
  for (let i = 0; i < blocks.length;) {
    const part = blocks.slice(i, i + 1 + (i % 9));
    let end = 0;
    runs.push({ kind: 'run', bytes: Buffer.concat(part), ends: Uint32Array.from(part, (b) => (end += b.length)) });
    i += part.length;
  }
  const header: AsbChunk = { kind: 'udf', bytes: Buffer.from('* u L f.lua 1 x\n') };
  for (const fileLimit of [1, 50, 100, 333, 1000, 100000]) {
    const base = mkdtempSync(join(tmpdir(), 'asb-'));
    prepareDirectory(join(base, 'runs'), false);
    prepareDirectory(join(base, 'chunks'), false);
    async function* asRuns() { yield [header]; yield* runs; }
    async function* asChunks() { yield [header]; for (const b of blocks) yield [{ kind: 'record' as const, bytes: b }]; }
    const a = await writeDirectory(asRuns(), { dir: join(base, 'runs'), namespace: 'test', fileLimit });
    const b = await writeDirectory(asChunks(), { dir: join(base, 'chunks'), namespace: 'test', fileLimit });
    assert.deepEqual(a, { ...b, files: b.files.map((f) => f.replace('chunks', 'runs')) }, `limit ${fileLimit}`);
    assert.equal(a.records, blocks.length);
    for (const f of readdirSync(join(base, 'chunks'))) {
      assert.ok(readFileSync(join(base, 'runs', f)).equals(readFileSync(join(base, 'chunks', f))), `${f} at limit ${fileLimit}`);
    }
    if (fileLimit === 1) assert.equal(a.files.length, blocks.length, 'a limit of 1 byte puts each record in its own file');
  }
});

// A local directory whose files' closing fsync goes through `sync` (which calls the real
// one, or not), noting each file created.
function watchedDirectory(dir: string, created: string[], sync: (name: string, t: Target) => Promise<void>): DirectoryPlace {
  return {
    name: dir,
    create: async (name) => {
      created.push(name);
      const t = await localFileTarget(join(dir, name));
      return { ...t, sync: () => sync(name, t) };
    },
  };
}

// Checkpoints that note each durable point as taken (records so far) and as saved.
function notedPoints(saved: Array<{ name: string; records: number; synced: boolean }>, synced: Set<string>): Checkpoints {
  return {
    interval: 0,
    wrote() {},
    ended() {},
    point: (file, result) => {
      const records = result.records;
      return async () => { saved.push({ name: file.name, records, synced: synced.has(file.name) }); };
    },
  };
}

test('positive: at a roll-over the full file syncs while the next fills; its durable point holds its records only, saved after the sync', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'asb-')), 'out');
  prepareDirectory(dir, false);
  const created: string[] = [];
  const synced = new Set<string>();
  const events: string[] = [];
  let nextFileStarted: () => void = () => {};
  const started = new Promise<void>((res) => { nextFileStarted = res; });
  const place = watchedDirectory(dir, created, async (name, t) => {
    events.push(`sync ${name}`);
    // The first file's sync waits for the second file's first records (2 s at most: a
    // writer that waited for this sync would never get there).
    if (name === 'test_00000.asb') await Promise.race([started, new Promise((res) => setTimeout(res, 2000))]);
    await t.sync!();
    synced.add(name);
    events.push(`synced ${name}`);
  });
  const saved: Array<{ name: string; records: number; synced: boolean }> = [];
  async function* records() {
    for (let i = 0; i < 30; i++) {
      if (created.length === 2) { events.push('record in test_00001.asb'); nextFileStarted(); }
      yield [r(10)];
    }
  }
  const res = await writeDirectory(records(), { place, namespace: 'test', fileLimit: 200, checkpoints: notedPoints(saved, synced) });
  assert.equal(res.records, 30);
  assert.ok(events.indexOf('record in test_00001.asb') < events.indexOf('synced test_00000.asb'), `the next file filled while the first synced: ${events.join(', ')}`);
  // Each point: the records of the files closed so far, saved once its file is synced, in order.
  const perFile = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort().map((f) => (readFileSync(join(dir, f), 'latin1').match(/A{10}/g) ?? []).length);
  assert.equal(perFile.length, created.length);
  assert.deepEqual(saved.map((p) => p.name), created);
  assert.deepEqual(saved.map((p) => p.records), perFile.map((_, i) => perFile.slice(0, i + 1).reduce((a, b) => a + b, 0)));
  assert.ok(saved.every((p) => p.synced), 'no point saved before its file was synced');
});

test('negative: a rolled-over file whose sync fails fails the backup naming it; nothing is made visible and its point is never saved', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'asb-')), 'out');
  prepareDirectory(dir, false);
  const created: string[] = [];
  const synced = new Set<string>();
  // The first file's descriptor is closed under it: its fsync fails as a failing disk's would.
  const place = watchedDirectory(dir, created, async (name, t) => {
    if (name === 'test_00000.asb') await t.close();
    await t.sync!();
    synced.add(name);
  });
  const saved: Array<{ name: string; records: number; synced: boolean }> = [];
  async function* records() { for (let i = 0; i < 60; i++) yield [r(10)]; }
  await assert.rejects(writeDirectory(records(), { place, namespace: 'test', fileLimit: 200, checkpoints: notedPoints(saved, synced) }), (e: AsError) => {
    assert.equal(e.code, 'OUTPUT');
    assert.match(e.message, new RegExp(`^cannot sync ${join(dir, 'test_00000.asb.part').replace(/[.]/g, '\\.')}: `));
    return true;
  });
  assert.deepEqual(saved, [], 'no durable point saved');
  assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.part')), [], 'no file under its final name');
});

test('negative: a directory with a backup is refused without -r; -r removes only .asb files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-'));
  writeFileSync(join(dir, 'test_00000.asb'), 'x');
  writeFileSync(join(dir, 'notes.txt'), 'keep');
  assert.throws(() => prepareDirectory(dir, false), (e: unknown) => e instanceof UsageError && /already holds a backup/.test(e.message) && e.message.includes(dir));
  prepareDirectory(dir, true);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
});

test('negative: an existing output file is refused without -r', () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-'));
  const f = join(dir, 'b.asb');
  writeFileSync(f, 'x');
  assert.throws(() => prepareOutputFile(f, false), /already exists/);
  prepareOutputFile(f, true);
  assert.equal(existsSync(f), false);
});

test('negative: a failing stream leaves only .part files, never a finished-looking backup', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'asb-'));
  async function* failing() { yield [r(10)]; throw new Error('scan broke'); }
  await assert.rejects(writeSingleFile(failing(), { path: join(dir, 'b.asb'), namespace: 'test' }), /scan broke/);
  assert.deepEqual(readdirSync(dir), ['b.asb.part']);
  await assert.rejects(writeDirectory(failing(), { dir, namespace: 'test', fileLimit: 1000 }), /scan broke/);
  assert.deepEqual(readdirSync(dir).sort(), ['b.asb.part', 'test_00000.asb.part']);
});

test('positive: -o to a special file (a FIFO, /dev/null) writes in place and never replaces it', async () => {
  const { execFileSync } = await import('node:child_process');
  const { statSync, createReadStream } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'asb-'));
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  prepareOutputFile(fifo, true); // -r must not remove it
  const got: Buffer[] = [];
  const reading = new Promise<void>((res) => createReadStream(fifo).on('data', (b) => got.push(b as Buffer)).on('end', () => res()));
  await writeSingleFile(chunks([r(10), r(5)]), { path: fifo, namespace: 'test' });
  await reading;
  assert.ok(statSync(fifo).isFIFO(), 'still a FIFO');
  assert.equal(Buffer.concat(got).toString('latin1'), 'Version 3.1\n# namespace test\n# first-file\n' + 'A'.repeat(15));
  assert.deepEqual(readdirSync(dir), ['pipe']);
});

test('positive: encoder threads by default: none below 4 cores, then one per core beyond two, never more than 2 (memory)', () => {
  const got = [1, 2, 3, 4, 5, 8, 64].map((cores) => defaultEncoderThreads(cores));
  assert.deepEqual(got, [0, 0, 0, 2, 2, 2, 2]);
});
