// A connection's frames over a real socket: large bodies are read by the socket straight
// into the frame (FrameReader.room), small ones through the connection's read buffer, in
// pieces of every size; every body arrives byte for byte, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Connection } from '../../lib/cluster/connection.js';
import { FrameReader, frame } from '../../lib/protocol/frame.js';
import { ProtoType } from '../../lib/protocol/constants.js';
import { seededRng } from '../helpers.js';

const rng = seededRng(11);

function bodies(): Buffer[] {
  const out: Buffer[] = [];
  for (const size of [3 * 1024 * 1024 + 17, 9, 64 * 1024, 64 * 1024 + 1, 0, 700_001, 1, 1024 * 1024]) {
    const b = Buffer.alloc(size);
    for (let i = 0; i < size; i++) b[i] = rng.int(256);
    out.push(b);
  }
  return out;
}

test(`positive: frames read straight into their bodies and through the read buffer arrive whole (seed ${rng.seed})`, async () => {
  const sent = bodies();
  const wire = Buffer.concat(sent.map((b) => frame(ProtoType.MSG, b)));
  const server = net.createServer(async (s) => {
    // Pieces of random sizes, some waiting for the reader, so reads end anywhere.
    for (let at = 0; at < wire.length;) {
      const n = 1 + rng.int(rng.int(2) === 0 ? 200 : 300_000);
      if (!s.write(wire.subarray(at, at + n))) await once(s, 'drain');
      at += n;
      if (rng.int(8) === 0) await new Promise((r) => setTimeout(r, 1));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const conn = await Connection.open('127.0.0.1', (server.address() as net.AddressInfo).port);
  try {
    for (const [i, want] of sent.entries()) {
      const f = await conn.readFrame('reading', 10_000);
      assert.equal(f.type, ProtoType.MSG);
      assert.ok(f.body.equals(want), `frame ${i} (${want.length} bytes) arrived changed`);
    }
  } finally {
    conn.close();
    server.close();
  }
});

test('positive: FrameReader.room offers the rest of a body only while enough of it is missing', () => {
  const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i & 255));
  const r = new FrameReader();
  assert.equal(r.room(1), undefined, 'no body before a header');
  const wire = frame(ProtoType.MSG, body);
  assert.equal(r.push(wire.subarray(0, 8 + 10)).length, 0);
  const room = r.room(64 * 1024)!;
  assert.equal(room.length, 200_000 - 10);
  // A "read" into the room, then its chunk pushed as the socket hands it on: not copied.
  wire.copy(room, 0, 18, 18 + 150_000);
  assert.equal(r.push(room.subarray(0, 150_000)).length, 0);
  assert.equal(r.room(64 * 1024), undefined, 'less than the minimum left');
  const got = r.push(wire.subarray(18 + 150_000));
  assert.equal(got.length, 1);
  assert.ok(got[0]!.body.equals(body));
});
