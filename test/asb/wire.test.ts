// The wire-form fast path must write exactly what the object path writes, and the same
// whether a run is encoded on the slab or in place in the file's buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { encodeItem, encodeWireRun } from '../../lib/asb/encode.js';
import { writeMessage, messageSize } from '../../lib/protocol/message.js';
import { FieldType } from '../../lib/protocol/constants.js';
import { RecordParser } from '../../lib/protocol/record-parser.js';
import type { RecordItem } from '../../lib/records/types.js';
import { decodeAll, frameOf, vectorsDir } from './helpers.js';
import { wireFrames } from '../protocol/wire-fixtures.js';
import { encodeBatches } from '../../lib/backup/encode.js';
import { prepareDirectory, writeDirectory, type Checkpoints, type WriteResult, type WriteRoom } from '../../lib/stages/files.js';
import { OutputFile, localFileTarget } from '../../lib/stages/output.js';
import type { WireBatch } from '../../lib/records/types.js';
import { tempDir } from '../helpers.js';

test('positive: every record of the official vectors encodes the same from wire form', async () => {
  for (const compact of [false, true]) {
    const { items } = await decodeAll(readFileSync(path.join(vectorsDir, 'official-vec.asb')));
    const records = items.map((d) => d.item).filter((i): i is RecordItem => i.kind === 'record');
    assert.ok(records.length >= 190);
    const body = frameOf(records);
    const offsets: number[] = [];
    const sink = { record() {}, partitionDone() {} };
    new RecordParser('test', sink).offsets(body, offsets);
    assert.equal(offsets.length, records.length);
    const run = encodeWireRun({ namespace: 'test', body, offsets }, compact);
    assert.equal(run.ends.length, records.length);
    records.forEach((r, i) => {
      const block = run.bytes.subarray(i === 0 ? 0 : run.ends[i - 1], run.ends[i]);
      assert.ok(block.equals(encodeItem(r, compact)), `record ${i} (compact ${compact})`);
    });
    assert.equal(run.ends[records.length - 1], run.bytes.length);
  }
});

test('positive: every digest byte value encodes as its base64, a digest ending the frame included', () => {
  // Digests that walk every byte value through every position, in records without bins
  // whose digest is their last field, so the last one ends the frame.
  const records: RecordItem[] = Array.from({ length: 256 }, (_, i) => ({
    kind: 'record', namespace: 'test', set: '', generation: 1, voidTime: 0, bins: [],
    digest: Buffer.from(Array.from({ length: 20 }, (_, k) => (i * 7 + k * 13) & 0xff)),
  }));
  const specs = records.map((r) => ({ generation: 1, fields: [{ type: FieldType.NAMESPACE, data: Buffer.from('test') }, { type: FieldType.DIGEST, data: r.digest }] }));
  const body = Buffer.alloc(specs.reduce((n, sp) => n + messageSize(sp), 0));
  let at = 0;
  for (const sp of specs) at = writeMessage(body, at, sp);
  assert.equal(body.subarray(-20).compare(records[255]!.digest), 0);
  const offsets: number[] = [];
  new RecordParser('test', { record() {}, partitionDone() {} }).offsets(body, offsets);
  const text = encodeWireRun({ namespace: 'test', body, offsets }).bytes.toString('latin1');
  const digests = [...text.matchAll(/^\+ d (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(digests, records.map((r) => r.digest.toString('base64')));
});

test('positive: bin and set names with `\\`, SP or LF at any place, of every length, are escaped as the object path escapes them', () => {
  // The wire encoder moves names four bytes at a time while no byte needs a backslash; each
  // of the three bytes at each place of names 1-15 bytes long takes the byte-wise path.
  const records: RecordItem[] = [];
  for (let len = 1; len <= 15; len++) {
    for (let at = -1; at < len; at++) {
      for (const special of ['\\', ' ', '\n']) {
        const chars = Array.from({ length: len }, (_, k) => String.fromCharCode(97 + ((k + len) % 26)));
        if (at >= 0) chars[at] = special;
        const name = chars.join('');
        records.push({
          kind: 'record', namespace: 'test', set: name.slice(0, 15), generation: 1, voidTime: 0,
          digest: Buffer.alloc(20, len * 16 + at + 1), bins: [{ name, type: 1, data: Buffer.from([0, 0, 0, 0, 0, 0, 0, len]) }],
        });
      }
    }
  }
  const body = frameOf(records);
  const offsets: number[] = [];
  new RecordParser('test', { record() {}, partitionDone() {} }).offsets(body, offsets);
  const run = encodeWireRun({ namespace: 'test', body, offsets });
  records.forEach((r, i) => {
    const block = run.bytes.subarray(i === 0 ? 0 : run.ends[i - 1], run.ends[i]);
    assert.equal(block.toString('latin1'), encodeItem(r).toString('latin1'), `record ${i}: bin ${JSON.stringify(r.bins[0]!.name)}`);
  });
});

test('positive: a real scan frame (asbackup 3.9.1, CE 8.1.2.0) encodes the same from wire form and from objects', () => {
  const body = wireFrames('asbackup-vec-scan.hex')[0]!.subarray(8);
  const sink = { record() {}, partitionDone() {} };
  const records: RecordItem[] = [];
  new RecordParser('test', sink).parse(body, records);
  const offsets: number[] = [];
  new RecordParser('test', sink).offsets(body, offsets);
  assert.equal(offsets.length, 34);
  for (const compact of [false, true]) {
    const run = encodeWireRun({ namespace: 'test', body, offsets }, compact);
    const blocks = records.map((r) => Buffer.from(encodeItem(r, compact)));
    assert.ok(Buffer.from(run.bytes).equals(Buffer.concat(blocks)), `compact ${compact}`);
    // The GeoJSON bins carry the server's cells; the .asb keeps the text only.
    assert.match(Buffer.concat(blocks).toString('latin1'), /\n- G gidx \d+ \{"type":"Point"/);
  }
});

test('positive: runs encoded in place in the file buffer make the same files, hashes and counts as runs encoded on the slab', async () => {
  const { items } = await decodeAll(readFileSync(path.join(vectorsDir, 'official-vec.asb')));
  const records = items.map((d) => d.item).filter((i): i is RecordItem => i.kind === 'record');
  const body = frameOf(records);
  const offsets: number[] = [];
  new RecordParser('test', { record() {}, partitionDone() {} }).offsets(body, offsets);
  // 60 frames of the vectors' records, fresh copies each time (a frame's memory is recycled).
  async function* frames(): AsyncGenerator<WireBatch> {
    for (let i = 0; i < 60; i++) yield { kind: 'wire', namespace: 'test', body: Buffer.from(body), offsets: Uint32Array.from(offsets), length: offsets.length, digestAt: undefined, done: undefined };
  }
  const run = async (inPlace: boolean): Promise<{ dir: string; result: WriteResult; hashes: string[] }> => {
    const dir = path.join(tempDir(), 'out');
    prepareDirectory(dir, false);
    const hashes: string[] = [];
    // Checkpoints: the files then go through the hashing thread's shared buffers.
    const checkpoints: Checkpoints = { interval: 0, wrote() {}, ended() {}, point: (f) => async () => { hashes.push(f.sha256); } };
    const writeRoom: WriteRoom = {};
    const batches = encodeBatches(frames(), false, { indexes: 0, udfs: 0 }, undefined, undefined, false, inPlace ? writeRoom : undefined);
    const result = await writeDirectory(batches, { dir, namespace: 'test', fileLimit: 700_000, checkpoints, writeRoom: inPlace ? writeRoom : undefined });
    return { dir, result, hashes };
  };
  const slab = await run(false);
  const inPlace = await run(true);
  const names = readdirSync(slab.dir).sort();
  assert.ok(names.length >= 4, `${names.length} files`);
  assert.deepEqual(readdirSync(inPlace.dir).sort(), names);
  for (const n of names) assert.ok(readFileSync(path.join(inPlace.dir, n)).equals(readFileSync(path.join(slab.dir, n))), n);
  assert.deepEqual(inPlace.hashes, slab.hashes);
  assert.equal(inPlace.result.records, 60 * records.length);
  assert.deepEqual({ ...inPlace.result, files: [] }, { ...slab.result, files: [] });
});

test('positive: OutputFile.room: bytes written in place and added land where they belong, between copied ones, across flushes', async () => {
  const file = path.join(tempDir(), 'f.asb');
  const f = new OutputFile(await localFileTarget(file));
  const expected: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const piece = Buffer.alloc(1 + ((i * 7919) % 20_000), 0x41 + (i % 26));
    const room = i % 3 === 0 ? undefined : f.room(piece.length);
    if (room !== undefined) {
      piece.copy(room);
      if (f.add(room.subarray(0, piece.length))) await f.flush();
    } else if (f.add(piece)) await f.flush();
    expected.push(piece);
  }
  assert.equal(f.room(3 << 20), undefined, 'no room larger than the buffer');
  await f.close();
  assert.equal(f.room(1), undefined, 'no room once closed');
  assert.ok(readFileSync(file + '.part').equals(Buffer.concat(expected)));
  const coded = new OutputFile(await localFileTarget(path.join(tempDir(), 'g.asb')), { compress: { level: 1 } });
  assert.equal(coded.room(1), undefined, 'no room when bytes go through the codec');
  await coded.abort();
});
