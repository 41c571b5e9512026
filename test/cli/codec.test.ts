// Compressed and encrypted backups through the real programs (issue #14): every option
// combination round-trips through asbackup (-d at a small -F, -o, -o -), asrestore,
// as-split-files and as-decode-asb; our files read through the decoder the official
// vectors pass, and through node:crypto plus the zstd command-line tool; -F counts bytes
// on disk; bad input is one line with its code, and nothing reaches the cluster when the
// first bytes of any file already say it cannot be read.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDevServerThread, type DevServerThread } from '../../lib/devserver/index.js';
import { decodeItems } from '../../lib/asb/decode.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import type { Codec } from '../../lib/codec/codec.js';
import { computeDigest } from '../../lib/protocol/digest.js';
import { particle } from '../../lib/protocol/particle.js';
import { stringify } from '../../lib/records/jsonl.js';
import type { StreamItem } from '../../lib/records/types.js';
import { errorCode, lastLine, runPipeline, runProgram, seededRng, startPipeline, tempDir, waitFor } from '../helpers.js';
import { loadDataset } from '../dataset.js';
import { OFFICIAL, envKey, pemKey } from '../codec/helpers.js';

const MiB = 1024 * 1024;
const BIG = 3000; // records of ~2.5 KiB: half random (compresses little), half text
const rng = seededRng(20261204);
const SEED = `seed ${rng.seed}, TEST_SEED=${rng.seed} replays it`;

const PEM = join(OFFICIAL, 'key-shared.pem');
const ENV = { VEC_KEY_B64: readFileSync(join(OFFICIAL, 'env-key-shared.b64'), 'utf8') };

interface Combo { name: string; args: string[]; codec: () => Codec }
// The readers' options: the same, less the level (a writer's option only, as in the C tools).
const readArgs = (args: string[]): string[] => args.filter((a, i) => a !== '--compression-level' && args[i - 1] !== '--compression-level');
const zstd = { compress: { level: 0 } };
const COMBOS: Combo[] = [
  { name: 'plain', args: [], codec: () => ({}) },
  { name: '-z zstd', args: ['-z', 'zstd'], codec: () => zstd },
  { name: '-y aes128 (key file)', args: ['-y', 'aes128', '--encryption-key-file', PEM], codec: () => ({ encrypt: { algorithm: 'aes128', key: pemKey('aes128') } }) },
  { name: '-y aes256 (key variable)', args: ['-y', 'aes256', '--encryption-key-env', 'VEC_KEY_B64'], codec: () => ({ encrypt: { algorithm: 'aes256', key: envKey('aes256') } }) },
  {
    name: '-z zstd --compression-level 9 -y aes256 (key file)', args: ['-z', 'zstd', '--compression-level', '9', '-y', 'aes256', '--encryption-key-file', PEM],
    codec: () => ({ ...zstd, encrypt: { algorithm: 'aes256', key: pemKey('aes256') } }),
  },
  { name: '-z zstd -y aes128 (key variable)', args: ['-z', 'zstd', '-y', 'aes128', '--encryption-key-env', 'VEC_KEY_B64'], codec: () => ({ ...zstd, encrypt: { algorithm: 'aes128', key: envKey('aes128') } }) },
];

let server: DevServerThread;
let host: string;
let total: number;
let reference: Map<string, string>;

// Items keyed so that order does not matter: records by digest, the rest by their text.
const keyOf = (it: StreamItem): string => (it.kind === 'record' ? `r ${it.digest.toString('hex')}` : stringify(it));

/** itemsOf: the items of backup files, read through decodeFile (the reader the official vectors pass). */
async function itemsOf(files: string[], codec: Codec): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of files) {
    for await (const it of decodeItems(decodeFile([readFileSync(f)], f, codec), f)) {
      assert.ok(!out.has(keyOf(it)) || it.kind !== 'record', `record ${keyOf(it)} twice`);
      out.set(keyOf(it), stringify(it));
    }
  }
  return out;
}

function assertSameItems(got: Map<string, string>, what: string): void {
  assert.equal(got.size, reference.size, `${what}: ${got.size} items, expected ${reference.size} (${SEED})`);
  for (const [k, v] of reference) assert.equal(got.get(k), v, `${what}: ${k} (${SEED})`);
}

const asbFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.asb')).sort().map((f) => join(dir, f));
const errorLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !/ \[(INF|VER|ERR)\] /.test(l));

before(async () => {
  server = await startDevServerThread({ nodes: 2, namespaces: ['test', 'restored'] });
  host = `127.0.0.1:${server.seeds[0]!.port}`;
  total = await loadDataset(server.seeds[0]!.port);
  const words = ['backup', 'restore', 'partition', 'namespace', 'digest', 'generation', 'bin', 'set'];
  for (let i = 0; i < BIG; i++) {
    const k = particle.string(`big-${i}`);
    const text = Array.from({ length: 120 }, () => words[rng.int(words.length)]).join(' ');
    await server.put('test', 'big', computeDigest('big', k.type, k.data), [
      { name: 'noise', ...particle.blob(rng.bytes(1024)) },
      { name: 'text', ...particle.string(text) },
      { name: 'n', ...particle.integer(i) },
    ], { key: k });
  }
  total += BIG;
  const dir = tempDir();
  const ref = join(dir, 'ref.asb');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', ref]);
  assert.equal(r.code, 0, r.stderr);
  reference = await itemsOf([ref], {});
  assert.equal([...reference.keys()].filter((k) => k.startsWith('r ')).length, total);
});

after(async () => {
  await server.close();
});

describe('round trips for every option combination', () => {
  for (const c of COMBOS) {
    test(`positive: ${c.name}: -d at -F 1 writes several files, each its own stream, that read back to every record, index and UDF (${SEED})`, async () => {
      const dir = join(tempDir(), 'bk');
      const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-F', '1', ...c.args], { env: ENV });
      assert.equal(r.code, 0, r.stderr);
      const files = asbFiles(dir);
      assert.ok(files.length >= 2, `several files: ${files.length}`);
      assertSameItems(await itemsOf(files, c.codec()), c.name);
      // Each file decodes on its own and starts as an .asb file does; only the first is the first.
      for (const [i, f] of files.entries()) {
        const parts: Buffer[] = [];
        for await (const b of decodeFile([readFileSync(f)], f, c.codec())) parts.push(Buffer.from(b));
        const text = Buffer.concat(parts).toString('latin1');
        assert.ok(text.startsWith(`Version 3.1\n# namespace test\n${i === 0 ? '# first-file\n' : '+'}`), `${f}: ${JSON.stringify(text.slice(0, 40))}`);
      }
      // asrestore reads them with the same options: every record.
      const v = await runProgram('asrestore', ['-d', dir, '--validate', ...readArgs(c.args)], { env: ENV });
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stderr, new RegExp(`${total} record\\(s\\) read`));
    });

    test(`positive: ${c.name}: -o writes one file that reads back whole (${SEED})`, async () => {
      const file = join(tempDir(), 'one.asb');
      const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file, ...c.args], { env: ENV });
      assert.equal(r.code, 0, r.stderr);
      assertSameItems(await itemsOf([file], c.codec()), c.name);
      const d = await runProgram('as-decode-asb', [file, ...readArgs(c.args)], { env: ENV });
      assert.equal(d.code, 0, d.stderr);
      assert.equal(d.stdout.toString().trim().split('\n').length, reference.size);
    });
  }
});

test(`positive: -z zstd -y aes256: asbackup -o - | asrestore -i - restores every record into the cluster (${SEED})`, async () => {
  await server.truncate('restored');
  const args = ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', PEM];
  const [b, r] = await runPipeline([
    ['asbackup', ['-h', host, '-n', 'test', '-o', '-', ...args]],
    ['asrestore', ['-h', host, '-n', 'test,restored', '-i', '-', ...args]],
  ]);
  assert.equal(b!.code, 0, b!.stderr);
  assert.equal(r!.code, 0, r!.stderr);
  assert.equal(await server.count('restored'), total);
  for (let i = 0; i < BIG; i += 97) {
    const k = particle.string(`big-${i}`);
    const digest = computeDigest('big', k.type, k.data);
    assert.deepEqual((await server.get('restored', digest))!.bins, (await server.get('test', digest))!.bins, `big-${i}`);
  }
});

test(`positive: a restore from -d -z zstd -y aes128 files writes every record; the machine SUMMARY counts bytes stored (${SEED})`, async () => {
  await server.truncate('restored');
  const base = tempDir();
  const args = ['-z', 'zstd', '-y', 'aes128', '--encryption-key-env', 'VEC_KEY_B64'];
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', join(base, 'bk'), '-F', '1', '-m', join(base, 'm'), ...args], { env: ENV });
  assert.equal(b.code, 0, b.stderr);
  const stored = asbFiles(join(base, 'bk')).reduce((n, f) => n + statSync(f).size, 0);
  assert.match(readFileSync(join(base, 'm'), 'utf8'), new RegExp(`^SUMMARY:${total}:1:1:${stored}:`, 'm'));
  assert.match(b.stderr, new RegExp(`${stored} byte\\(s\\) stored with -z zstd -y aes128`));
  const r = await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', join(base, 'bk'), ...args], { env: ENV });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await server.count('restored'), total);
});

test(`positive: --file-limit counts bytes on disk, after compression and encryption (${SEED})`, async () => {
  const base = tempDir();
  const sizes: Record<string, number[]> = {};
  for (const [name, args] of [['plain', []], ['zstd', ['-z', 'zstd']], ['zstd+aes', ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', PEM]], ['aes', ['-y', 'aes128', '--encryption-key-file', PEM]]] as const) {
    const dir = join(base, name);
    const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-F', '1', ...args]);
    assert.equal(r.code, 0, r.stderr);
    sizes[name] = asbFiles(dir).map((f) => statSync(f).size);
    // A file rolls over before the first record that starts at or past the limit on disk;
    // what may pass it: that record's text, and what zstd held back (one block).
    for (const s of sizes[name]!.slice(0, -1)) assert.ok(s >= MiB && s < MiB + 192 * 1024, `${name}: a file of ${s} bytes: ${sizes[name]}`);
  }
  // The compressed files hold more records each, so there are fewer of them.
  assert.ok(sizes.zstd!.length < sizes.plain!.length, `zstd ${sizes.zstd} vs plain ${sizes.plain}`);
  assert.ok(sizes['zstd+aes']!.length < sizes.plain!.length);
  // AES alone adds its 16-byte header to each file and nothing else.
  assert.equal(sizes.aes!.reduce((a, b) => a + b), sizes.plain!.reduce((a, b) => a + b) + 16 * sizes.aes!.length, `${sizes.aes} vs ${sizes.plain}`);
});

// (IV0 + n) mod 2^128, big-endian, computed apart from the code under test.
function plus(iv: Buffer, n: bigint): Buffer {
  const v = (BigInt('0x' + iv.toString('hex')) + n) % (1n << 128n);
  return Buffer.from(v.toString(16).padStart(32, '0'), 'hex');
}

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;

test(`positive: our -d -z zstd -y aes256 files are plain AES-CTR from the header's counter over zstd frames that the zstd tool decompresses (${SEED})`, async (t) => {
  if (!hasZstdCli) {
    const msg = 'the zstd command-line tool is not installed (Debian package zstd: apt-get install -y zstd)';
    if (process.env.CI === 'true') assert.fail(`${msg}; CI must have it`);
    return t.skip(msg);
  }
  const dir = join(tempDir(), 'bk');
  const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-F', '1', '-z', 'zstd', '-y', 'aes256', '--encryption-key-file', PEM]);
  assert.equal(r.code, 0, r.stderr);
  const key = pemKey('aes256');
  const texts: Buffer[] = [];
  for (const f of asbFiles(dir)) {
    const data = readFileSync(f);
    const ecb = createDecipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    const iv0 = Buffer.concat([ecb.update(data.subarray(0, 16)), ecb.final()]);
    const compressed = createDecipheriv('aes-256-ctr', key, plus(iv0, 1n)).update(data.subarray(16));
    assert.equal(compressed.readUInt32LE(0), 0xfd2fb528, `${f}: a zstd frame after the header`);
    const cli = spawnSync('zstd', ['-d', '-c', '-q'], { input: compressed, maxBuffer: 1 << 28 });
    assert.equal(cli.status, 0, `${f}: ${cli.stderr}`);
    texts.push(cli.stdout);
  }
  const items = new Map<string, string>();
  for (const [i, text] of texts.entries()) for await (const it of decodeItems([text], `file ${i}`)) items.set(keyOf(it), stringify(it));
  assertSameItems(items, 'zstd -d of decrypted files');
});

test(`positive: as-split-files writes compressed and encrypted files from stdin; as-decode-asb reads them, also from stdin (${SEED})`, async () => {
  const base = tempDir();
  const plain = join(base, 'plain.asb');
  assert.equal((await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', plain])).code, 0);
  const args = ['-z', 'zstd', '-y', 'aes256', '--encryption-key-env', 'VEC_KEY_B64'];
  const s = await runProgram('as-split-files', ['-d', join(base, 'split'), '-F', '1', ...args], { input: readFileSync(plain), env: ENV });
  assert.equal(s.code, 0, s.stderr);
  const files = asbFiles(join(base, 'split'));
  assert.ok(files.length >= 2, `${files.length} files`);
  assertSameItems(await itemsOf(files, { compress: { level: 0 }, encrypt: { algorithm: 'aes256', key: envKey('aes256') } }), 'as-split-files');
  const all = await runProgram('as-decode-asb', [...files, ...args], { env: ENV });
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout.toString().trim().split('\n').length, reference.size);
  const one = await runProgram('as-decode-asb', ['-', ...args], { input: readFileSync(files[0]!), env: ENV });
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout.toString(), /"kind":"sindex"/);
});

test('positive: the codec keys in astools.conf work as the options do', async () => {
  const base = tempDir();
  const conf = join(base, 'astools.conf');
  writeFileSync(conf, `[asbackup]\ncompress = "zstd"\ncompression-level = 5\nencrypt = "aes256"\nencryption-key-file = "${PEM}"\n\n[asrestore]\ncompress = "zstd"\nencrypt = "aes256"\nencryption-key-file = "${PEM}"\n`);
  const file = join(base, 'one.asb');
  const b = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', file, '--config-file', conf]);
  assert.equal(b.code, 0, b.stderr);
  assertSameItems(await itemsOf([file], { ...zstd, encrypt: { algorithm: 'aes256', key: pemKey('aes256') } }), 'astools.conf');
  const v = await runProgram('asrestore', ['-i', file, '--validate', '--config-file', conf]);
  assert.equal(v.code, 0, v.stderr);
});

describe('refusals', () => {
  let good: string; // a -z zstd -y aes256 backup of several files
  let plainDir: string;
  const args = ['-z', 'zstd', '-y', 'aes256', '--encryption-key-file', PEM];
  before(async () => {
    const base = tempDir();
    good = join(base, 'good');
    plainDir = join(base, 'plain');
    for (const [dir, a] of [[good, args], [plainDir, []]] as const) {
      const r = await runProgram('asbackup', ['-h', host, '-n', 'test', '-d', dir, '-F', '1', ...a]);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  /** restoreFails: asrestore with these arguments fails with `code`: one line naming `file`, exit 1, nothing in the cluster. */
  async function restoreFails(dir: string, a: string[], code: string, file: string, env: Record<string, string> = {}): Promise<string> {
    await server.truncate('restored');
    const r = await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', dir, ...a], { env });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorCode(r.stderr), code, r.stderr);
    assert.deepEqual(errorLines(r.stderr), [lastLine(r.stderr)], `one line: ${r.stderr}`);
    assert.ok(lastLine(r.stderr).includes(file), lastLine(r.stderr));
    assert.equal(await server.count('restored'), 0, 'nothing written to the cluster');
    return lastLine(r.stderr);
  }

  test('negative: a wrong key, a wrong algorithm, a missing -z or -y, a needless -z or -y: one line naming the file, exit 1, nothing restored', async () => {
    const first = asbFiles(good)[0]!;
    const otherKey = { K: Buffer.alloc(32, 7).toString('base64') };
    assert.match(await restoreFails(good, ['-z', 'zstd', '-y', 'aes256', '--encryption-key-env', 'K'], 'CODEC_WRONG_KEY', first, otherKey), /wrong key/);
    assert.match(await restoreFails(good, ['-z', 'zstd', '-y', 'aes128', '--encryption-key-file', PEM], 'CODEC_WRONG_KEY', first), /aes256/);
    await restoreFails(good, ['-y', 'aes256', '--encryption-key-file', PEM], 'CODEC_COMPRESSED', first);
    await restoreFails(good, ['-z', 'zstd'], 'CODEC_ENCRYPTED', first);
    await restoreFails(good, [], 'CODEC_ENCRYPTED', first);
    const plainFirst = asbFiles(plainDir)[0]!;
    await restoreFails(plainDir, ['-z', 'zstd'], 'CODEC_NOT_COMPRESSED', plainFirst);
    await restoreFails(plainDir, ['-y', 'aes128', '--encryption-key-file', PEM], 'CODEC_NOT_ENCRYPTED', plainFirst);
  });

  test('negative: only the last file of a directory is bad: every head is checked first, so nothing is restored', async () => {
    const dir = join(tempDir(), 'mixed');
    mkdirSync(dir);
    const files = asbFiles(good);
    for (const f of files.slice(0, -1)) copyFileSync(f, join(dir, f.slice(good.length + 1)));
    // The last file, written with another key.
    const last = join(dir, files.at(-1)!.slice(good.length + 1));
    const w = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', last, '-s', 'a', '-z', 'zstd', '-y', 'aes256', '--encryption-key-env', 'K'], { env: { K: Buffer.alloc(32, 9).toString('base64') } });
    assert.equal(w.code, 0, w.stderr);
    await restoreFails(dir, args, 'CODEC_WRONG_KEY', last);
  });

  test('negative: a file cut short or with a flipped byte: one line naming the file and the byte, exit 1, the restore said to be incomplete', async () => {
    for (const [what, damage, code] of [
      ['truncated', (b: Buffer) => b.subarray(0, b.length - 1000), 'CODEC_TRUNCATED'],
      ['flipped byte', (b: Buffer) => { const c = Buffer.from(b); c[c.length >> 1] ^= 0x10; return c; }, 'CODEC_CORRUPT'],
    ] as const) {
      const dir = join(tempDir(), 'damaged');
      mkdirSync(dir);
      const f = asbFiles(good)[0]!;
      const copy = join(dir, 'test_00000.asb');
      writeFileSync(copy, damage(readFileSync(f)));
      for (const prog of ['asrestore', 'as-decode-asb'] as const) {
        const r = prog === 'asrestore'
          ? await runProgram('asrestore', ['-h', host, '-n', 'test,restored', '-d', dir, ...args])
          : await runProgram('as-decode-asb', [copy, ...args]);
        assert.equal(r.code, 1, `${what} ${prog}: ${r.stderr}`);
        assert.equal(errorCode(r.stderr), code, `${what} ${prog}: ${r.stderr}`);
        const line = lastLine(r.stderr);
        assert.match(line, new RegExp(`${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*byte \\d+`), line);
        if (prog === 'asrestore') assert.match(r.stderr, /the restore is incomplete/);
      }
    }
  });

  test('negative: as-decode-asb checks every file before its first line: a wrong key in the second file gives no record', async () => {
    const other = join(tempDir(), 'other.asb');
    const env = { K: Buffer.alloc(32, 3).toString('base64') };
    const w = await runProgram('asbackup', ['-h', host, '-n', 'test', '-o', other, '-s', 'a', '-z', 'zstd', '-y', 'aes256', '--encryption-key-env', 'K'], { env });
    assert.equal(w.code, 0, w.stderr);
    const r = await runProgram('as-decode-asb', [asbFiles(good)[0]!, other, ...args]);
    assert.equal(r.code, 1);
    assert.equal(errorCode(r.stderr), 'CODEC_WRONG_KEY', r.stderr);
    assert.ok(lastLine(r.stderr).includes(other), r.stderr);
    // Only the abort line that tells its reader the stream is incomplete.
    const lines = r.stdout.toString().trim().split('\n');
    assert.equal(lines.length, 1, r.stdout.toString());
    assert.match(lines[0]!, /^\{"kind":"aborted"/);
  });

  test('negative: a -z -y stream whose writer is stopped ends with an abort line its reader decodes and refuses (INPUT_ABORTED)', async () => {
    const p = startPipeline([
      ['asbackup', ['-h', host, '-n', 'test', '-o', '-', '--records-per-second', '1000', ...args]],
      ['as-decode-asb', args],
    ]);
    let seen = 0;
    p.procs[1]!.stdout.on('data', (b: Buffer) => { seen += b.length; });
    await waitFor(() => seen > 0, 'the first records through the pipeline');
    p.procs[0]!.kill('SIGINT');
    const [b, d] = await p.done;
    assert.equal(b!.code, 1, b!.stderr);
    assert.equal(errorCode(b!.stderr), 'INTERRUPTED', b!.stderr);
    assert.equal(d!.code, 1, d!.stderr);
    assert.equal(errorCode(d!.stderr), 'INPUT_ABORTED', d!.stderr);
  });
});
