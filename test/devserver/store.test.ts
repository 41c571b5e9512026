// The dev server keeps each record as the scan answer the real server would send: checked
// byte for byte against a real scan frame (asbackup 3.9.1 against CE 8.1.2.0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRec } from '../../lib/devserver/store.js';
import { RecordParser } from '../../lib/protocol/record-parser.js';
import type { RecordItem } from '../../lib/records/types.js';
import { wireFrames } from '../protocol/wire-fixtures.js';

test('positive: a stored record\'s wire form is the real server\'s scan answer for it, byte for byte', () => {
  const body = wireFrames('asbackup-vec-scan.hex')[0]!.subarray(8);
  const sink = { record() {}, partitionDone() {} };
  const records: RecordItem[] = [];
  const offsets: number[] = [];
  new RecordParser('test', sink).parse(body, records);
  new RecordParser('test', sink).offsets(body, offsets);
  assert.equal(records.length, 34);
  records.forEach((r, i) => {
    const key = r.key ? Buffer.concat([Buffer.from([r.key.type]), r.key.data]) : undefined;
    const rec = makeRec('test', { digest: r.digest, set: r.set, key, generation: r.generation, voidTime: r.voidTime, lastUpdate: 0, bins: r.bins });
    const real = body.subarray(offsets[i], i + 1 < offsets.length ? offsets[i + 1] : body.length);
    assert.equal(rec.wire.toString('hex'), real.toString('hex'), `record ${i}`);
    // The views the server works with read the same back.
    assert.deepEqual(rec.digest, r.digest);
    assert.deepEqual(rec.key, key);
    assert.deepEqual(rec.bins, r.bins);
    assert.equal(rec.id, r.digest.toString('latin1'));
  });
});
