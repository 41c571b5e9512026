// OutputFile and its local targets (lib/stages/output.ts), on real files in a temp dir: what
// is on disk after add, checkpoint, close, commit and abort, with and without the codec,
// written by libuv or by the hashing thread (with its SHA-256 of the bytes on disk), and commitAll taking back the files it made visible when one commit fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import type { AsError } from '../../lib/errors.js';
import { threadHash } from '../../lib/stages/file-hash.js';
import type { Codec } from '../../lib/codec/codec.js';
import { decodeFile } from '../../lib/codec/decoder.js';
import { commitAll } from '../../lib/stages/files.js';
import { OutputFile, StreamTail, localFileTarget, stdoutTarget, type Target } from '../../lib/stages/output.js';
import { seededRng, tempDir } from '../helpers.js';

const rng = seededRng(7);
const SEED = `seed ${rng.seed}`;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const text = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => `+ k S ${i} ${rng.int(1e9)}\n`).join(''), 'latin1');

async function decodeAll(bytes: Buffer, codec: Codec): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of decodeFile([bytes], 'test', codec)) out.push(Buffer.from(b));
  return Buffer.concat(out);
}

const CODECS: Array<[string, Codec]> = [
  ['plain', {}],
  ['-z zstd -y aes256', { compress: { level: 3 }, encrypt: { algorithm: 'aes256', key: randomBytes(32) } }],
];

for (const [name, codec, hashed] of CODECS.flatMap(([n, c]) => [[n, c, false], [`${n}, written and hashed by the hashing thread`, c, true]] as const)) {
  test(`positive: ${name}: a local file is written as .part, checkpoint() leaves bytes that decode on their own, commit() renames it (${SEED})`, async () => {
    const path = join(tempDir(), 'f.asb');
    const f = new OutputFile(await localFileTarget(path), codec, hashed ? { hash: threadHash() } : {});
    const header = Buffer.from('Version 3.1\n# namespace test\n');
    const a = text(20000);
    const b = text(30000);
    // The caller reuses its memory at once: the file must have taken its copy.
    const scratch = Buffer.from(header);
    f.add(scratch);
    scratch.fill(0x21);
    for (let i = 0; i < a.length; i += 7777) if (f.add(a.subarray(i, i + 7777))) await f.flush();
    await f.checkpoint();
    assert.ok(existsSync(path + '.part') && !existsSync(path));
    assert.ok((await decodeAll(readFileSync(path + '.part'), codec)).equals(Buffer.concat([header, a])), 'the checkpoint decodes to what was added');
    if (hashed) assert.equal(await f.sha256(), sha256(readFileSync(path + '.part')), 'the hash of the checkpoint is of the bytes on disk');
    f.add(b);
    await f.close();
    assert.equal(f.size, statSync(path + '.part').size, 'size is the size on disk');
    if (hashed) assert.equal(await f.sha256(), sha256(readFileSync(path + '.part')), 'the hash of the closed file is of its bytes on disk');
    await f.commit();
    assert.ok(existsSync(path) && !existsSync(path + '.part'));
    assert.ok((await decodeAll(readFileSync(path), codec)).equals(Buffer.concat([header, a, b])));
  });
}

test(`positive: tens of MiB through the hashing thread, several writes under way at once and synced ahead: the file holds every byte in order (${SEED})`, async () => {
  const path = join(tempDir(), 'f.asb');
  const f = new OutputFile(await localFileTarget(path), {}, { hash: threadHash() });
  const pieces: Buffer[] = [];
  let flushes = 0;
  // Pieces of varied sizes, some larger than a write buffer (they go as overflow).
  for (let n = 0; n < 40 << 20; ) {
    const piece = randomBytes(rng.int(3) === 0 ? rng.int(3 << 20) + 1 : rng.int(200_000) + 1);
    pieces.push(piece);
    n += piece.length;
    if (f.add(piece)) {
      await f.flush();
      flushes++;
    }
  }
  await f.close();
  const all = Buffer.concat(pieces);
  const disk = readFileSync(path + '.part');
  assert.ok(flushes > 20, `${flushes} flushes`);
  assert.equal(disk.length, all.length);
  assert.ok(disk.equals(all), 'the bytes on disk are the bytes added, in order');
  assert.equal(await f.sha256(), sha256(all));
  await f.commit();
});

test('negative: a write that fails on the hashing thread fails the file with one line naming it, and nothing looks whole', async () => {
  const path = join(tempDir(), 'f.asb');
  const target = await localFileTarget(path);
  // The thread is handed a descriptor it cannot write (read-only): as a full or failing disk would.
  const readOnly = openSync(path + '.part', 'r');
  try {
    const failing: Target = { ...target, direct: { fd: readOnly, error: target.direct!.error } };
    const f = new OutputFile(failing, {}, { hash: threadHash() });
    f.add(text(5000), 5000);
    await f.flush();
    await assert.rejects(f.close(), (e: AsError) => {
      assert.equal(e.code, 'OUTPUT');
      assert.match(e.message, new RegExp(`^cannot write ${path}\\.part: `));
      return true;
    });
    await f.abort();
    assert.ok(!existsSync(path), 'no file under the final name');
  } finally {
    closeSync(readOnly);
  }
});

test('positive: an aborted local file keeps its .part with what was added; an aborted stream gets the records still buffered', async () => {
  const path = join(tempDir(), 'f.asb');
  const f = new OutputFile(await localFileTarget(path));
  f.add(Buffer.from('Version 3.1\n'));
  f.add(Buffer.from('+ k S 1 a\n'), 1);
  await f.abort();
  assert.equal(readFileSync(path + '.part', 'latin1'), 'Version 3.1\n+ k S 1 a\n');
  assert.ok(!existsSync(path));

  const out = new PassThrough();
  const got: Buffer[] = [];
  out.on('data', (b: Buffer) => got.push(b));
  const s = new OutputFile(stdoutTarget(out));
  s.add(Buffer.from('Version 3.1\n'));
  s.add(Buffer.from('+ k S 1 a\n'), 1);
  await s.abort();
  assert.equal(Buffer.concat(got).toString('latin1'), 'Version 3.1\n+ k S 1 a\n');
  assert.deepEqual(s.delivered, { records: 1, bytes: 22 });
});

test('positive: StreamTail: the abort line of a compressed, encrypted stream continues it and decodes as its last line, also as the only content', async () => {
  const codec: Codec = { compress: { level: 0 }, encrypt: { algorithm: 'aes128', key: randomBytes(16) } };
  const out = new PassThrough();
  const got: Buffer[] = [];
  out.on('data', (b: Buffer) => got.push(b));
  const tail = new StreamTail(codec);
  const f = new OutputFile(stdoutTarget(out), codec);
  tail.attach(f);
  f.add(Buffer.from('Version 3.1\n+ k S 1 a\n'), 1);
  await f.abort();
  const line = '# ABORTED asbackup: interrupted\n';
  const all = Buffer.concat([...got, tail.encode(line)]);
  assert.equal((await decodeAll(all, codec)).toString('latin1'), `Version 3.1\n+ k S 1 a\n${line}`);
  // Nothing written before the failure: the line alone, encoded.
  assert.equal((await decodeAll(new StreamTail(codec).encode(line), codec)).toString('latin1'), line);
});

test('negative: commitAll: when one commit fails, the files already visible go back to .part and the error is thrown', async () => {
  const dir = tempDir();
  const files: OutputFile[] = [];
  for (let i = 0; i < 20; i++) {
    const target = await localFileTarget(join(dir, `t_${i}.asb`));
    const failing: Target = i === 13 ? { ...target, commit: async () => { throw new Error('commit 13 failed'); } } : target;
    const f = new OutputFile(failing);
    f.add(Buffer.from(`file ${i}\n`));
    await f.close();
    files.push(f);
  }
  await assert.rejects(commitAll(files), /commit 13 failed/);
  const left = readdirSync(dir).sort();
  assert.equal(left.length, 20);
  assert.ok(left.every((n) => n.endsWith('.asb.part')), left.join(' '));
});
