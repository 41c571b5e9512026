// Resuming an interrupted backup (--continue): the backup process is killed with SIGKILL at
// moments chosen by seeded randomness (by bytes written, never by time), resumed, possibly
// killed again, and the final backup must hold exactly the records of an uninterrupted
// one: the same digests, none twice, every record's text byte for byte. Also the
// refusals, each one line, exit 1, and nothing touched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServer, type DevServer } from '../../lib/devserver/index.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import { deriveAesKey, readKeyFile } from '../../lib/codec/key.js';
import type { Codec } from '../../lib/codec/codec.js';
import { decryptPlainCtr, hasZstdCli, unzstdCli } from '../codec/helpers.js';
import { resumeCommand } from '../../lib/cli/asbackup.js';
import { repoRoot, runProgram, tempDir, assertFailure, officialDir, withSeed, type Rng, type RunResult } from '../helpers.js';

const RECORDS = 20_000;
let server: DevServer;
let host: string;

before(async () => {
  server = await startDevServer({ nodes: 3, namespaces: ['test', 'bar'] });
  host = `127.0.0.1:${server.nodes[0]!.port}`;
  for (let i = 0; i < RECORDS; i++) {
    const set = i % 3 === 0 ? 'a' : 'b';
    const key = particle.string(`k${i}`);
    server.put('test', set, computeDigest(set, key.type, key.data), [
      { name: 'i', ...particle.integer(i) },
      { name: 's', ...particle.string(`value ${i} `.repeat(1 + (i % 7))) },
      { name: 'b', ...particle.blob(Buffer.from([i & 255, (i >> 8) & 255, 10, 0])) },
    ], { key });
  }
  for (let i = 0; i < 50; i++) {
    const key = particle.integer(i);
    server.put('bar', 'x', computeDigest('x', key.type, key.data), [{ name: 'v', ...particle.integer(i) }], { key });
  }
});

after(async () => {
  await server.close();
});

/**
 * runUntil: runs asbackup and SIGKILLs it once `size()` reaches `killAt` bytes (checked
 * as the files grow; undefined: never). Resolves with how it ended.
 */
function runUntil(args: string[], size: () => number, killAt?: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<RunResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'asbackup'), ...args], {
      cwd: repoRoot, env: { ...process.env, AS_TOOLS_CONF_DIRS: '/nonexistent' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let killed = false;
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdout.resume();
    const watch = killAt === undefined ? undefined : setInterval(() => {
      if (!killed && size() >= killAt) {
        killed = true;
        child.kill(signal);
      }
    }, 2);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ code: code ?? -1, stdout: Buffer.alloc(0), stderr: Buffer.concat(err).toString(), killed });
    });
  });
}

function dirSize(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.includes('.asb')).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

function fileSize(path: string): number {
  for (const p of [path + '.part', path]) {
    try {
      return statSync(p).size;
    } catch {
      // not yet
    }
  }
  return 0;
}

/**
 * The record blocks of .asb text (from a record's `+ k` or `+ n` line to the next record;
 * the values of this dataset hold no newline), by digest.
 */
function recordBlocks(texts: Buffer[]): { blocks: Map<string, string>; duplicates: number } {
  const blocks = new Map<string, string>();
  let duplicates = 0;
  for (const text of texts) {
    let cur: string[] | undefined;
    let prev = '';
    const flush = (): void => {
      if (cur === undefined) return;
      const digest = cur.find((l) => l.startsWith('+ d '))!.slice(4);
      if (blocks.has(digest)) duplicates++;
      blocks.set(digest, cur.join('\n'));
      cur = undefined;
    };
    const lines = text.toString('latin1').split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const line of lines) {
      if (line.startsWith('+ k ') || (line.startsWith('+ n ') && !prev.startsWith('+ k '))) {
        flush();
        cur = [];
      }
      cur?.push(line);
      prev = line;
    }
    flush();
  }
  return { blocks, duplicates };
}

async function plainOf(path: string, codec?: Codec): Promise<Buffer> {
  if (codec === undefined) return readFileSync(path);
  const parts: Buffer[] = [];
  for await (const b of decodeFile([readFileSync(path)], path, codec)) parts.push(b);
  return Buffer.concat(parts);
}

async function textsOfDir(dir: string, codec?: Codec): Promise<Buffer[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.asb')).sort();
  return Promise.all(files.map((f) => plainOf(join(dir, f), codec)));
}

let reference: Map<string, string> | undefined;
let referenceDir = '';
/** The records of an uninterrupted backup, by digest. */
async function referenceBlocks(): Promise<Map<string, string>> {
  if (reference !== undefined) return reference;
  const dir = join(tempDir(), 'ref');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-F', '1', '--no-config-file']);
  assert.equal(r.code, 0, r.stderr);
  const { blocks, duplicates } = recordBlocks(await textsOfDir(dir));
  assert.equal(duplicates, 0);
  assert.equal(blocks.size, RECORDS);
  reference = blocks;
  referenceDir = dir;
  return blocks;
}

function assertSame(got: ReturnType<typeof recordBlocks>, ref: Map<string, string>, what: string): void {
  assert.equal(got.duplicates, 0, `${what}: records written twice`);
  assert.equal(got.blocks.size, ref.size, `${what}: ${got.blocks.size} records, not ${ref.size}`);
  for (const [d, text] of ref) assert.equal(got.blocks.get(d), text, `${what}: record ${d} differs or is missing`);
}

/**
 * interruptAndResume: runs the backup, killing it at seeded byte counts up to `kills`
 * times, each time resuming with --continue, until one run finishes. Returns the runs.
 */
/** Resumes from a state with durable records, over the whole file (a test that never resumed mid-way proves nothing). */
const resumedMidway = { count: 0 };

async function interruptAndResume(args: string[], size: () => number, statePath: string, total: number, rng: Rng, kills: number, between?: (run: number) => Promise<void>): Promise<number> {
  let runs = 0;
  for (;;) {
    const killAt = runs < kills ? rng.int(total) : undefined;
    const resume = runs > 0 ? ['--continue', statePath] : [];
    const r = await runUntil([...args, ...resume], size, killAt);
    runs++;
    if (!r.killed) {
      assert.equal(r.code, 0, `run ${runs}: ${r.stderr}`);
      return runs;
    }
    // A run killed before it wrote its first state file starts over.
    if (!existsSync(statePath)) {
      if (runs === 1) runs = 0;
      continue;
    }
    if (JSON.parse(readFileSync(statePath, 'utf8')).counters.records > 0) resumedMidway.count++;
    await between?.(runs);
  }
}

test('-d with a small -F: killed at seeded moments and resumed, the backup is exactly the uninterrupted one', async () => {
  const ref = await referenceBlocks();
  const midway = resumedMidway.count;
  await withSeed(async (rng) => {
    for (let i = 0; i < 3; i++) {
      const dir = join(tempDir(), 'bk');
      const state = join(dir, 'test.asb.state');
      const runs = await interruptAndResume(['-h', host, '-n', 'test', '-d', dir, '-F', '1', '--no-config-file'], () => dirSize(dir), state, 4_000_000, rng, 3);
      assertSame(recordBlocks(await textsOfDir(dir)), ref, `backup ${i}`);
      assert.ok(!existsSync(state), 'the state file stays after the backup finished');
      const manifest = JSON.parse(readFileSync(join(dir, 'test.asb.manifest'), 'utf8'));
      assert.equal(manifest.counters.records, RECORDS);
      assert.ok(manifest.runs >= 1 && manifest.runs <= runs, `${manifest.runs} runs in the manifest, ${runs} started`);
      assert.deepEqual(manifest.files.map((f: { name: string }) => f.name), readdirSync(dir).filter((f) => f.endsWith('.asb')).sort());
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.part')), []);
    }
    assert.ok(resumedMidway.count > midway, 'no run was resumed from a durable point');
  }, 1501);
});

test('-o with small checkpoint intervals: killed at seeded moments and resumed, the file is exactly the uninterrupted backup', async () => {
  const ref = await referenceBlocks();
  const midway = resumedMidway.count;
  await withSeed(async (rng) => {
    for (let i = 0; i < 3; i++) {
      const file = join(tempDir(), 'bk.asb');
      await interruptAndResume(['-h', host, '-n', 'test', '-o', file, '--checkpoint-interval', '64', '--no-config-file'], () => fileSize(file), `${file}.state`, 3_500_000, rng, 4);
      assertSame(recordBlocks([readFileSync(file)]), ref, `backup ${i}`);
      assert.ok(!existsSync(`${file}.state`) && !existsSync(`${file}.part`));
      assert.equal(JSON.parse(readFileSync(`${file}.manifest`, 'utf8')).files[0].size, statSync(file).size);
    }
    assert.ok(resumedMidway.count > midway, 'no run was resumed from a durable point');
  }, 2602);
});

test('-d: a node stopped between the runs (partitions moved), encoder threads: the resumed backup is still exact', async () => {
  const ref = await referenceBlocks();
  const dir = join(tempDir(), 'bk');
  const node = server.nodes[2]!;
  let stopped = false;
  try {
    await withSeed(async (rng) => {
      await interruptAndResume(['-h', host, '-n', 'test', '-d', dir, '-F', '1', '--encoder-threads', '2', '--no-config-file'], () => dirSize(dir), join(dir, 'test.asb.state'), 2_000_000, rng, 1, async () => {
        if (!stopped) await node.stop();
        stopped = true;
      });
      assert.ok(stopped, 'the backup was never interrupted');
      assertSame(recordBlocks(await textsOfDir(dir)), ref, 'after a node stopped');
    }, 3703);
  } finally {
    if (stopped) await node.start();
  }
});

test('-z zstd -y aes256: killed and resumed (-d and -o), the files decode to exactly the uninterrupted backup', async () => {
  const ref = await referenceBlocks();
  const pem = join(officialDir, 'zstd-aes', 'key-shared.pem');
  const codec: Codec = { compress: { level: 0 }, encrypt: { algorithm: 'aes256', key: deriveAesKey(readKeyFile(pem), 'aes256') } };
  const enc = ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', pem];
  await withSeed(async (rng) => {
    const dir = join(tempDir(), 'bk');
    await interruptAndResume(['-h', host, '-n', 'test', '-d', dir, '-F', '1', ...enc, '--no-config-file'], () => dirSize(dir), join(dir, 'test.asb.state'), 1_200_000, rng, 3);
    assertSame(recordBlocks(await textsOfDir(dir, codec)), ref, '-d');
    for (let i = 0; i < 2; i++) {
      const file = join(tempDir(), 'bk.asb');
      await interruptAndResume(['-h', host, '-n', 'test', '-o', file, '--checkpoint-interval', '16', ...enc, '--no-config-file'], () => fileSize(file), `${file}.state`, 900_000, rng, 4);
      const plain = await plainOf(file, codec);
      assertSame(recordBlocks([plain]), ref, `-o ${i}`);
      // Apart from our decoder: one AES-CTR stream from the header's counter (node:crypto),
      // then every zstd frame, the resumed ones too, through the zstd command-line tool.
      if (hasZstdCli) assert.ok(unzstdCli(decryptPlainCtr(codec.encrypt!.key, readFileSync(file))).equals(plain), `-o ${i}: zstd -d of the resumed file`);
    }
  }, 4804);
});

/** snapshot: every file of a directory with its bytes, to show nothing was touched. */
function snapshot(dir: string): Map<string, string> {
  return new Map(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f)).toString('base64')]));
}

test('negative: refusals of --continue: one line, exit 1, nothing touched; then the right command resumes', async () => {
  const ref = await referenceBlocks();
  const dir = join(tempDir(), 'bk');
  const state = join(dir, 'test.asb.state');
  const args = ['-h', host, '-n', 'test', '-d', dir, '-F', '1', '--no-config-file'];
  // Killed once two files are closed: the state lists them (slowed down, so that this
  // comes well before the end).
  const first = await runUntil([...args, '--records-per-second', '20000'], () => {
    try {
      return JSON.parse(readFileSync(state, 'utf8')).files.length >= 2 ? 1 : 0;
    } catch {
      return 0;
    }
  }, 1);
  assert.ok(first.killed, first.stderr);
  const before = snapshot(dir);
  // The same command without --continue: the leftovers are in the way, and the line says how to go on.
  const inTheWay = assertFailure(await runProgram('asbackup', args), 2, 'OUTPUT_EXISTS');
  assert.ok(inTheWay.includes(`--continue ${state}`), inTheWay);
  assert.deepEqual(snapshot(dir), before);
  const refused = async (extra: string[], code: string, exit = 1, name = ''): Promise<string> => {
    const r = await runProgram('asbackup', [...args.filter((a) => !extra.includes(a)), ...extra]);
    const line = assertFailure(r, exit, code);
    if (name !== '') assert.ok(line.includes(name), line);
    assert.deepEqual(snapshot(dir), before, `${code}: the backup was touched`);
    return line;
  };
  const cont = ['--continue', state];
  // Changed settings, named.
  await refused([...cont, '-s', 'a'], 'STATE_MISMATCH', 1, '--set');
  await refused([...cont, '-B', 'i'], 'STATE_MISMATCH', 1, '--bin-list');
  await runProgram('asbackup', [...args.map((a) => (a === '1' ? '2' : a)), ...cont]).then((r) => assert.ok(assertFailure(r, 1, 'STATE_MISMATCH').includes('--file-limit')));
  assert.deepEqual(snapshot(dir), before);
  await refused([...cont, '-z', 'zstd'], 'STATE_MISMATCH', 1, '--compress');
  // A state file of another namespace.
  const r = await runProgram('asbackup', ['-h', host, '-n', 'bar', '-d', dir, '--output-file-prefix', 'test', '-F', '1', '--no-config-file', ...cont]);
  assert.ok(assertFailure(r, 1, 'STATE_MISMATCH').includes('--namespace'));
  assert.deepEqual(snapshot(dir), before);
  // A garbled state file, and one cut short.
  const garbled = join(tempDir(), 'garbled.state');
  writeFileSync(garbled, readFileSync(state, 'utf8').replace('"todo"', '"t0do"'));
  await refused(['--continue', garbled], 'STATE_INVALID');
  writeFileSync(garbled, readFileSync(state).subarray(0, 100));
  await refused(['--continue', garbled], 'STATE_INVALID');
  writeFileSync(garbled, readFileSync(state, 'utf8').replace('"version": 1', '"version": 9'));
  await refused(['--continue', garbled], 'STATE_INVALID');
  await refused(['--continue', join(dir, 'nothing.state')], 'STATE_INVALID');
  // A closed file missing, cut short, altered in place.
  const closed = join(dir, 'test_00000.asb.part');
  const keep = readFileSync(closed);
  rmSync(closed);
  const missing = snapshot(dir);
  const m = await runProgram('asbackup', [...args, ...cont]);
  assert.ok(assertFailure(m, 1, 'BACKUP_FILE_MISSING').includes('test_00000.asb'));
  assert.deepEqual(snapshot(dir), missing);
  writeFileSync(closed, keep.subarray(0, keep.length - 1));
  const cut = snapshot(dir);
  assert.ok(assertFailure(await runProgram('asbackup', [...args, ...cont]), 1, 'BACKUP_FILE_SIZE').includes('test_00000.asb'));
  assert.deepEqual(snapshot(dir), cut);
  const altered = Buffer.from(keep);
  altered[altered.length - 5] ^= 1;
  writeFileSync(closed, altered);
  const alt = snapshot(dir);
  assert.ok(assertFailure(await runProgram('asbackup', [...args, ...cont]), 1, 'BACKUP_FILE_ALTERED').includes('test_00000.asb'));
  assert.deepEqual(snapshot(dir), alt);
  writeFileSync(closed, keep);
  // Stdout and S3 cannot be resumed; -r would throw the interrupted run's work away.
  assertFailure(await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '--continue', state]), 2, 'STATE_STDOUT');
  assertFailure(await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', 's3://bucket/bk', '--continue', state]), 2, 'STATE_STDOUT');
  assertFailure(await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', '-', '--state-file-dst', state]), 2, 'STATE_STDOUT');
  assertFailure(await runProgram('asbackup', [...args, ...cont, '-r']), 2, 'USAGE');
  assert.deepEqual(snapshot(dir), before);
  // With the right command, the backup is finished, exactly.
  const ok = await runProgram('asbackup', [...args, ...cont]);
  assert.equal(ok.code, 0, ok.stderr);
  assertSame(recordBlocks(await textsOfDir(dir)), ref, 'resumed after the refusals');
  assert.match(ok.stderr, /Backed up 20000 record\(s\)/);
  // Resuming a finished backup says so and changes nothing.
  const done = snapshot(dir);
  const again = await runProgram('asbackup', [...args, ...cont]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /already complete/);
  assert.deepEqual(snapshot(dir), done);
});

test('SIGINT: the state is written, the exact command to resume is printed, exit 1; that command finishes the backup', async () => {
  const ref = await referenceBlocks();
  const file = join(tempDir(), 'bk.asb');
  // Slowed down so the signal comes while records are still coming (at the first write).
  const r = await runUntil(['-h', host, '-n', 'test', '-o', file, '--records-per-second', '10000', '--no-config-file'], () => fileSize(file), 1, 'SIGINT');
  assert.ok(r.killed);
  assert.equal(r.code, 1, r.stderr);
  const state = JSON.parse(readFileSync(`${file}.state`, 'utf8'));
  assert.ok(state.counters.records > 0, 'a stop on a signal is a durable point');
  const m = /resumed with:\n[^\n]*?  (asbackup [^\n]*)\n/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const words = m[1]!.split(' ');
  assert.deepEqual(words.slice(-2), ['--continue', `${file}.state`]);
  const ok = await runProgram(words[0]!, words.slice(1));
  assert.equal(ok.code, 0, ok.stderr);
  assertSame(recordBlocks([readFileSync(file)]), ref, 'resumed after SIGINT');
});

test('asrestore --validate checks a backup against its manifest: a missing, cut short, altered or unlisted file is an error naming it', async () => {
  await referenceBlocks();
  const copy = (): string => {
    const dir = join(tempDir(), 'v');
    mkdirSync(dir);
    for (const f of readdirSync(referenceDir)) copyFileSync(join(referenceDir, f), join(dir, f));
    return dir;
  };
  const names = readdirSync(referenceDir).filter((f) => f.endsWith('.asb')).sort();
  assert.ok(names.length >= 3, names.join());
  const whole = await runProgram('asrestore', ['-d', copy(), '--validate', '--no-config-file']);
  assert.equal(whole.code, 0, whole.stderr);
  assert.match(whole.stderr, new RegExp(`test\\.asb\\.manifest: ${names.length} file\\(s\\)`));
  // Missing: the files left are a valid .asb set, but not the whole backup.
  let dir = copy();
  rmSync(join(dir, names[1]!));
  assert.ok(assertFailure(await runProgram('asrestore', ['-d', dir, '--validate', '--no-config-file']), 1, 'BACKUP_FILE_MISSING').includes(names[1]!));
  // Cut short at a record boundary: still a valid .asb file on its own.
  dir = copy();
  const text = readFileSync(join(dir, names[2]!));
  truncateSync(join(dir, names[2]!), text.lastIndexOf('\n+ k ') + 1);
  assert.ok(assertFailure(await runProgram('asrestore', ['-d', dir, '--validate', '--no-config-file']), 1, 'BACKUP_FILE_SIZE').includes(names[2]!));
  // Altered in place: one digit of a value changed, size the same.
  dir = copy();
  const at = text.indexOf('- I i ') + 6;
  const altered = Buffer.from(text);
  altered[at] = altered[at] === 0x31 ? 0x32 : 0x31;
  writeFileSync(join(dir, names[2]!), altered);
  assert.ok(assertFailure(await runProgram('asrestore', ['-d', dir, '--validate', '--no-config-file']), 1, 'BACKUP_FILE_ALTERED').includes(names[2]!));
  // A file no manifest lists (another backup's, copied in) would be restored with the rest.
  dir = copy();
  copyFileSync(join(dir, names[0]!), join(dir, 'other_00000.asb'));
  assert.ok(assertFailure(await runProgram('asrestore', ['-d', `${dir}/`, '--validate', '--no-config-file']), 1, 'BACKUP_FILE_UNLISTED').includes('other_00000.asb'));
  // A garbled manifest is no manifest to trust.
  dir = copy();
  writeFileSync(join(dir, 'test.asb.manifest'), '{"format": "asbackup-manifest"');
  assertFailure(await runProgram('asrestore', ['-d', dir, '--validate', '--no-config-file']), 1, 'STATE_INVALID');
});

test('unit: the resume command is the same command line with --continue, quoted for the shell, without a password typed on it', () => {
  assert.equal(
    resumeCommand(['-h', 'db1', '-Psecret', '--tls-keyfile-password=pw', '-Penv:PW', '-n', 'test', '-d', "it's here", '-s', 'a,b'], "it's here/test.asb.state"),
    "asbackup -h db1 -P --tls-keyfile-password -Penv:PW -n test -d 'it'\\''s here' -s a,b --continue 'it'\\''s here/test.asb.state'",
  );
  assert.equal(resumeCommand(['-n', 'test', '-o', 'f', '--continue', 'f.state'], 'f.state'), 'asbackup -n test -o f --continue f.state');
});

test('-l: the resumed backup reads the partitions the first run chose, though their node is gone', async () => {
  const node = server.nodes[1]!;
  const args = (file: string) => ['-h', host, '-n', 'test', '-o', file, '--checkpoint-interval', '64', '-l', `127.0.0.1:${node.port}`, '--no-config-file'];
  const refFile = join(tempDir(), 'ref.asb');
  const whole = await runProgram('asbackup', args(refFile));
  assert.equal(whole.code, 0, whole.stderr);
  const ref = recordBlocks([readFileSync(refFile)]).blocks;
  assert.ok(ref.size > 1000 && ref.size < RECORDS, `${ref.size} records`);
  const file = join(tempDir(), 'bk.asb');
  const state = `${file}.state`;
  // Killed at its first durable point (slowed down, so that it comes well before the end).
  const first = await runUntil([...args(file), '--records-per-second', '10000'], () => {
    try {
      return JSON.parse(readFileSync(state, 'utf8')).counters.records;
    } catch {
      return 0;
    }
  }, 1);
  assert.ok(first.killed, first.stderr);
  await node.stop();
  try {
    const r = await runProgram('asbackup', [...args(file), '--continue', state]);
    assert.equal(r.code, 0, r.stderr);
    assertSame(recordBlocks([readFileSync(file)]), ref, '-l resumed');
  } finally {
    await node.start();
  }
});

test('asrestore -i --validate checks the file against <file>.manifest', async () => {
  const file = join(tempDir(), 'bar.asb');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'bar', '-o', file, '--no-config-file']);
  assert.equal(r.code, 0, r.stderr);
  const ok = await runProgram('asrestore', ['-i', file, '--validate', '--no-config-file']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /bar\.asb\.manifest: 1 file\(s\)/);
  const text = readFileSync(file);
  const altered = Buffer.from(text);
  const at = text.indexOf('- I v ') + 6;
  altered[at] = altered[at] === 0x31 ? 0x32 : 0x31;
  writeFileSync(file, altered);
  assert.ok(assertFailure(await runProgram('asrestore', ['-i', file, '--validate', '--no-config-file']), 1, 'BACKUP_FILE_ALTERED').includes(file));
});
