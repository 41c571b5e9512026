// asrestore against the reference files of the official asbackup: every record comes back
// bit for bit (particle types, key, set, TTL), with the 4 indexes and the UDF; and the
// refusals: malformed file, wrong namespace, unreachable host, namespace not in the cluster.
//
// The files' void times are absolute (test/fixtures/official/README.md). Every test sets
// the clock of the program (AS_CLOCK) and of the dev server to a moment of its own and
// computes what expires from that moment, so no result depends on today's date.
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { Cluster } from '../../lib/cluster/cluster.js';
import { parseSindexList } from '../../lib/restore/metadata.js';
import { nowClSeconds } from '../../lib/restore/write-policy.js';
import type { RecordItem, StreamItem } from '../../lib/records/types.js';
import { ParticleType } from '../../lib/protocol/constants.js';
import { geojsonText } from '../../lib/protocol/geojson.js';
import { errorCode, officialDir as VEC, runProgram, tempDir, type RunResult } from '../helpers.js';

/** Ten minutes after the files were written: nothing in them has expired yet. */
const JUST_WRITTEN = Date.parse('2026-11-23T19:22:00Z');
/** New Year 2027: ttl-1h and ttl-30d have expired, ttl-1y has not. */
const NEW_YEAR_2027 = Date.parse('2027-01-01T00:00:00Z');
const DAY = 86400;
let server: DevServer;
let host: string;

// A dev server of its own for every test: nothing one test writes is seen by another.
beforeEach(async () => {
  server = await startDevServer({ nodes: 2, namespaces: ['test', 'bar', 'baz', 'qux', 'quux'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
});
afterEach(async () => {
  await server.close();
});

/**
 * restoreAt: runs asrestore with its clock and the server's set to `at`; `skew` is how far
 * the server's clock ran ahead of the program's (the program's start-up), in seconds.
 */
async function restoreAt(at: number, args: string[]): Promise<RunResult & { skew: number }> {
  server.clock.set(at);
  const t0 = performance.now();
  const r = await runProgram('asrestore', args, { env: { AS_CLOCK: new Date(at).toISOString() } });
  return { ...r, skew: Math.ceil((performance.now() - t0) / 1000) };
}

async function recordsOf(files: string[]): Promise<RecordItem[]> {
  const out: StreamItem[] = [];
  for (const f of files) for await (const it of decodeItems([readFileSync(f)], f)) out.push(it);
  return out.filter((i): i is RecordItem => i.kind === 'record');
}

const geoText = (b: { type: number; data: Buffer }) => (b.type === ParticleType.GEOJSON ? geojsonText(b.data) : b.data);

/** Every record of the files is in `ns` exactly as backed up, void times kept. */
function assertRestored(recs: RecordItem[], ns: string, skew: number): void {
  assert.equal(recs.length, 200);
  assert.equal(server.count(ns), 200);
  for (const r of recs) {
    const s = server.get(ns, r.digest);
    assert.ok(s, `record ${r.digest.toString('base64')} restored`);
    assert.equal(s.set, r.set);
    assert.deepEqual(s.key, r.key);
    assert.equal(s.generation, 1, 'a restored record starts at generation 1');
    if (r.voidTime === 0) assert.equal(s.voidTime, 0);
    else assert.ok(s.voidTime - r.voidTime >= -1 && s.voidTime - r.voidTime <= skew + 1, `void time ${s.voidTime} vs ${r.voidTime} (skew ${skew} s)`);
    assert.deepEqual(s.bins.map((b) => [b.name, b.type, geoText(b).toString('hex')]), r.bins.map((b) => [b.name, b.type, geoText(b).toString('hex')]));
  }
}

async function assertMetadata(ns: string): Promise<void> {
  const c = await Cluster.connect({ hosts: server.seeds, tendIntervalMs: 0 });
  try {
    const idx = parseSindexList(await c.infoOne(`sindex-list:ns=${ns};b64=true`)).map((s) => `${s.name}:${s.set}:${s.bin}:${s.binType}:${s.indexType}`).sort();
    assert.deepEqual(idx, ['vec_geo_idx:vec:gidx:G:N', 'vec_int_idx:vec:iidx:N:N', 'vec_str_idx:vec:sidx:S:N', 'vec_tags_idx:vec:tags:S:L']);
    assert.match(await c.infoOne('udf-list'), /filename=vecudf\.lua,/);
  } finally {
    c.close();
  }
}

for (const [name, ns] of [['official-vec.asb', 'bar'], ['official-vec-compact.asb', 'baz']] as const) {
  test(`positive: ${name} restores 200 records, 4 indexes and the UDF bit for bit`, async () => {
      const r = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', `test,${ns}`, '-i', join(VEC, name), '-w']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Inserted 200 record\(s\), skipped 0 .* failed 0/);
    assert.match(r.stderr, /4 secondary index\(es\) \(matched 0, replaced 0\), 1 UDF file\(s\)/);
    assertRestored(await recordsOf([join(VEC, name)]), ns, r.skew);
    await assertMetadata(ns);
  });
}

test('positive: -d official-vec-dir restores all 4 files; a second run with -u finds every record existing', async () => {
  const dir = join(VEC, 'official-vec-dir');
  const r = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', 'test,qux', '-d', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Found 4 backup file\(s\)/);
  assertRestored(await recordsOf(readdirSync(dir).sort().map((f) => join(dir, f))), 'qux', r.skew);
  await assertMetadata('qux');
  const again = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', 'test,qux', '-d', dir, '-u']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /Inserted 0 record\(s\), skipped 200 \(existed 200, fresher 0/);
  assert.match(again.stderr, /4 secondary index\(es\) \(matched 4, replaced 0\)/);
});

test('positive: --validate reads everything and connects to nothing', async () => {
  const r = await restoreAt(JUST_WRITTEN, ['-h', '127.0.0.1:1', '-i', join(VEC, 'official-vec.asb'), '--validate']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /200 record\(s\) read/);
  assert.match(r.stderr, /Valid 200 record\(s\)/);
  assert.match(r.stderr, /4 secondary index\(es\).*1 UDF file\(s\)/);
});

test('positive: -s and -B select sets and bins; unwanted sets are counted', async () => {
  const r = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', 'test,bar', '-i', join(VEC, 'official-vec.asb'), '-s', 'vec space', '-B', 'n,v', '-I', '-F']);
  assert.equal(r.code, 0, r.stderr);
  const recs = (await recordsOf([join(VEC, 'official-vec.asb')])).filter((x) => x.set === 'vec space');
  const withBins = recs.filter((x) => x.bins.some((b) => b.name === 'n' || b.name === 'v'));
  assert.ok(recs.length === 5);
  assert.match(r.stderr, new RegExp(`Inserted ${withBins.length} record\\(s\\).*no bins ${recs.length - withBins.length}, unwanted set 195\\)`));
  for (const x of withBins) assert.deepEqual(server.get('bar', x.digest)!.bins.map((b) => b.name).sort(), x.bins.filter((b) => b.name === 'n' || b.name === 'v').map((b) => b.name).sort());
});

test('positive: expired records are skipped and counted, from the clock the program is given', async () => {
  const recs = await recordsOf([join(VEC, 'official-vec.asb')]);
  const expiredAt = (at: number, extra = 0) => recs.filter((x) => x.voidTime !== 0 && x.voidTime + extra <= nowClSeconds(at)).length;
  // On New Year 2027 the one-hour and the 30-day records have expired, the one-year one not.
  assert.equal(expiredAt(NEW_YEAR_2027), 2);
  const r = await restoreAt(NEW_YEAR_2027, ['-i', join(VEC, 'official-vec.asb'), '--validate']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Valid 198 record\(s\), skipped 2 \(existed 0, fresher 0, expired 2,/);
  // --extra-ttl of 10 days brings the 30-day record back (it expired 8.2 days before).
  assert.equal(expiredAt(NEW_YEAR_2027, 10 * DAY), 1);
  const w = await restoreAt(NEW_YEAR_2027, ['-h', host, '-n', 'test,bar', '-i', join(VEC, 'official-vec.asb'), '--extra-ttl', String(10 * DAY)]);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /Inserted 199 record\(s\), skipped 1 \(existed 0, fresher 0, expired 1,/);
  assert.equal(server.count('bar'), 199);
  const month = recs.find((x) => x.voidTime !== 0 && x.voidTime <= nowClSeconds(NEW_YEAR_2027) && x.voidTime + 10 * DAY > nowClSeconds(NEW_YEAR_2027))!;
  const back = server.get('bar', month.digest)!;
  const d = back.voidTime - (month.voidTime + 10 * DAY);
  assert.ok(d >= -1 && d <= w.skew + 1, `void time moved by --extra-ttl: ${back.voidTime} vs ${month.voidTime + 10 * DAY}`);
});

test('negative: a malformed file stops with file:line and exit 1, saying how many records were written', async () => {
  const text = readFileSync(join(VEC, 'official-vec.asb'), 'latin1').split('\n');
  // Break the 40th bin line after the header with an invalid type letter.
  const at = text.findIndex((l, i) => i > 200 && l.startsWith('- I '));
  text[at] = text[at]!.replace('- I ', '- Q ');
  const bad = join(tempDir(), 'bad.asb');
  writeFileSync(bad, text.join('\n'), 'latin1');
  const r = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', 'test,bar', '-i', bad]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`asrestore: ${bad.replace(/[.]/g, '\\.')}:${at + 1}:3: `));
  assert.match(r.stderr, /Restore failed after \d+ record\(s\) were written/);
  assert.equal(errorCode(r.stderr), 'PARSE');
});

test('negative: a file of another namespace than -n is refused by its header, before connecting', async () => {
  // An unreachable host: the refusal comes before any connection.
  const r = await runProgram('asrestore', ['-h', '127.0.0.1:1', '-n', 'bar', '-i', join(VEC, 'official-vec.asb')]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /official-vec\.asb: .*-n test,bar.* \[NAMESPACE_MISMATCH\]\n$/);
});

test('negative: a record of another namespace than -n is an error naming file and line', async () => {
  // The header says bar, the records say test.
  const text = readFileSync(join(VEC, 'official-vec.asb'), 'latin1').replace('\n# namespace test\n', '\n# namespace bar\n');
  const file = join(tempDir(), 'bar.asb');
  writeFileSync(file, text, 'latin1');
  const r = await runProgram('asrestore', ['-h', host, '-n', 'bar', '-i', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bar\.asb:\d+:1: .*\btest\b.*\bbar\b/);
  assert.equal(errorCode(r.stderr), 'PARSE');
});

test('negative: an unreachable host gives one line naming it', async () => {
  const r = await runProgram('asrestore', ['-h', '127.0.0.1:1', '-i', join(VEC, 'official-vec.asb')]);
  assert.equal(r.code, 1);
  const errLines = r.stderr.split('\n').filter((l) => l.startsWith('asrestore:'));
  assert.equal(errLines.length, 1, r.stderr);
  assert.match(errLines[0]!, /127\.0\.0\.1:1/);
  assert.equal(errorCode(r.stderr), 'CONNECT');
});

test('negative: a target namespace the cluster does not have', async () => {
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,nope', '-i', join(VEC, 'official-vec.asb')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\bnope\b/);
  assert.equal(errorCode(r.stderr), 'NAMESPACE_NOT_FOUND');
});

test('negative: usage errors exit 2', async () => {
  for (const args of [['-h', host], ['-i', 'x.asb', '-u', '-r']]) {
    const r = await runProgram('asrestore', args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(errorCode(r.stderr), 'USAGE', args.join(' '));
  }
  const help = await runProgram('asrestore', ['-Z']);
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /--input-file/);
});

test('positive: backing up the restored official vector gives the same records, indexes and UDF', async () => {
  // Compact or not, the records are the same as in official-vec.asb.
  const restored = await restoreAt(JUST_WRITTEN, ['-h', host, '-n', 'test,quux', '-i', join(VEC, 'official-vec-compact.asb')]);
  assert.equal(restored.code, 0, restored.stderr);
  const r = await runProgram('asbackup', ['-h', host, '-n', 'quux', '-o', '-']);
  assert.equal(r.code, 0, r.stderr);
  const again: StreamItem[] = [];
  for await (const it of decodeItems([r.stdout], 'stdout')) again.push(it);
  const orig: StreamItem[] = [];
  for await (const it of decodeItems([readFileSync(join(VEC, 'official-vec.asb'))], 'vec')) orig.push(it);
  // Records: identical but for the namespace, the generation (restored records start at 1)
  // and the void time (set again from the restore's clock).
  const norm = (i: RecordItem) => JSON.stringify([i.digest, i.set, i.key, i.bins.map((b) => [b.name, b.type, b.data])]);
  const byDigest = new Map(orig.filter((i): i is RecordItem => i.kind === 'record').map((i) => [i.digest.toString('hex'), norm(i)]));
  const recs = again.filter((i): i is RecordItem => i.kind === 'record');
  assert.equal(recs.length, byDigest.size);
  for (const rec of recs) assert.equal(norm(rec), byDigest.get(rec.digest.toString('hex')));
  const meta = (items: StreamItem[]) => items.filter((i) => i.kind !== 'record').map((i) => JSON.stringify({ ...i, namespace: undefined })).sort();
  assert.deepEqual(meta(again), meta(orig));
});
