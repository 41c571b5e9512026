import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { untilStopped } from '../../lib/stages/stop.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function* items(n: number, refs: WeakRef<object>[]): AsyncGenerator<object> {
  for (let i = 0; i < n; i++) {
    const item = { payload: Buffer.alloc(1024, i) };
    refs.push(new WeakRef(item));
    yield item;
  }
}

test('untilStopped keeps no item alive once it is consumed, while the run goes on', async () => {
  const controller = new AbortController();
  const refs: WeakRef<object>[] = [];
  let seen = 0;
  let alive = -1;
  for await (const _ of untilStopped(items(2001, refs), controller.signal)) {
    // A restore reads for the whole run: what it has consumed must not stay reachable.
    if (++seen === 2000) {
      await new Promise((r) => setImmediate(r));
      gc();
      alive = refs.filter((r) => r.deref() !== undefined).length;
    }
  }
  assert.equal(seen, 2001);
  assert.ok(alive >= 0 && alive < 10, `${alive} of 2000 consumed items still reachable`);
});

test('untilStopped ends a waiting read with the signal\'s reason', async () => {
  const controller = new AbortController();
  async function* silent(): AsyncGenerator<number> {
    yield 1;
    await new Promise(() => undefined);
  }
  const got: number[] = [];
  const run = (async () => {
    for await (const x of untilStopped(silent(), controller.signal)) {
      got.push(x);
      controller.abort(new Error('stopped'));
    }
  })();
  await assert.rejects(run, /stopped/);
  assert.deepEqual(got, [1]);
});
