// The GeoJSON particle helpers against the real thing: the particle the Node client put
// (flags 0, no cells) and the one the server answered with (its computed cell).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MSG_HEADER_SIZE, ParticleType, PROTO_HEADER_SIZE } from '../../lib/protocol/constants.js';
import {
  clientGeojson, geojsonCell, geojsonCellCount, GeojsonFlag, geojsonFlags, geojsonParticle, geojsonText, geojsonTextAt,
} from '../../lib/protocol/geojson.js';
import { checkedFieldEnd, checkedOpEnd, MsgOffset, opNameAt, opNameEnd, opParticleType, opValueAt, readU16, viewOf } from '../../lib/protocol/layout.js';
import { readGeojson } from '../../lib/protocol/particle.js';
import { ProtocolError } from '../../lib/errors.js';
import { wireFrames } from './wire-fixtures.js';

const JSON_TEXT = '{"type":"Point","coordinates":[103.913,1.308]}';

/** The "geo" op of a frame: the frame, and where its value starts and ends. */
function geoOp(frame: Buffer): { b: Buffer; from: number; to: number } {
  const m = PROTO_HEADER_SIZE;
  let p = m + MSG_HEADER_SIZE;
  const v = viewOf(frame);
  for (let i = 0; i < readU16(frame, m + MsgOffset.N_FIELDS); i++) p = checkedFieldEnd(v, p, frame.length);
  for (let i = 0; i < readU16(frame, m + MsgOffset.N_OPS); i++) {
    const end = checkedOpEnd(v, p, frame.length);
    if (frame.toString('utf8', opNameAt(p), opNameEnd(frame, p)) === 'geo') {
      assert.equal(opParticleType(frame, p), ParticleType.GEOJSON);
      return { b: frame, from: opValueAt(frame, p), to: end };
    }
    p = end;
  }
  throw new Error('no geo bin');
}

const [put, got] = wireFrames('put-get-types.hex') as [Buffer, Buffer];
const sent = geoOp(put);
const answered = geoOp(got);
const sentParticle = sent.b.subarray(sent.from, sent.to);
const answeredParticle = answered.b.subarray(answered.from, answered.to);

test('positive: flags, cells and text of the particle the server answered with', () => {
  assert.equal(geojsonFlags(answeredParticle), 0);
  assert.equal(geojsonCellCount(answeredParticle), 1);
  assert.equal(geojsonCell(answeredParticle, 0), 0x31da180ab7f7a279n);
  assert.equal(geojsonText(answeredParticle).toString('utf8'), JSON_TEXT);
  assert.equal(answered.b.toString('utf8', geojsonTextAt(answered.b, answered.from, answered.to), answered.to), JSON_TEXT, 'zero-copy, in the frame');
  assert.deepEqual(readGeojson(answeredParticle), { flags: 0, cells: [0x31da180ab7f7a279n], json: JSON_TEXT });
});

test('positive: what a client sends is what the real client sent, whatever the server had added', () => {
  assert.equal(geojsonCellCount(sentParticle), 0);
  assert.deepEqual(geojsonParticle(Buffer.from(JSON_TEXT)), sentParticle);
  assert.deepEqual(clientGeojson(answeredParticle), sentParticle);
  assert.equal(clientGeojson(sentParticle), sentParticle, 'already a client particle: no copy');
  const region = Buffer.from(sentParticle);
  region[0] = GeojsonFlag.REGION;
  assert.deepEqual(clientGeojson(region), sentParticle, 'the flags are the server\'s');
});

test('negative: a short particle has no text; a cell count beyond it is clamped, and refused by readGeojson', () => {
  for (const short of [Buffer.alloc(0), Buffer.from([0]), Buffer.from([0, 0])]) {
    assert.equal(geojsonText(short).length, 0);
    assert.equal(geojsonCellCount(short), 0);
    assert.throws(() => readGeojson(short), ProtocolError);
  }
  const lying = Buffer.from(answeredParticle);
  lying.writeUInt16BE(500, 1);
  assert.equal(geojsonText(lying).length, 0);
  assert.throws(() => readGeojson(lying), ProtocolError);
  assert.deepEqual(clientGeojson(lying), Buffer.alloc(3));
});
