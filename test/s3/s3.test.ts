// lib/storage and the programs' s3:// paths against a real S3 server: Ceph's radosgw,
// started once for this file.
// Without radosgw installed the suite is skipped with one line saying what to install;
// with CI=true a missing radosgw fails instead.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INSTALL_LINE, missingPrograms, startRadosgw } from './radosgw.js';
import { openStore, SEED, type S3TestContext } from './support.js';
import { objectTests } from './objects.js';
import { prefixTests } from './prefixes.js';
import { failureTests } from './failures.js';
import { restartTests } from './restart.js';
import { programTests } from './programs.js';

const missing = missingPrograms();
const name = 'S3 storage against radosgw';

if (missing.length > 0 && process.env.CI !== 'true') {
  test(name, { skip: `radosgw is not installed; to run the S3 tests: ${INSTALL_LINE}` }, () => undefined);
} else {
  describe(name, () => {
    const ctx = { seed: SEED, log: [] as string[] } as S3TestContext;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    before(async () => {
      process.on('warning', onWarning);
      ctx.gw = await startRadosgw();
      // The tests' credentials reach the store the way a user's do: through the AWS chain.
      Object.assign(process.env, ctx.gw.env);
      ctx.store = await openStore(ctx);
      process.stderr.write(`# S3 tests: radosgw at ${ctx.gw.endpoint}, seed ${ctx.seed} (ASB_TEST_SEED=${ctx.seed} replays it)\n`);
    });
    after(async () => {
      process.off('warning', onWarning);
      ctx.store?.close();
      await ctx.gw?.stop();
    });
    describe('objects', () => objectTests(ctx));
    describe('prefixes', () => prefixTests(ctx));
    describe('failures', () => failureTests(ctx));
    describe('restart', () => restartTests(ctx));
    describe('programs', () => programTests(ctx));
    // Our programs' stderr is their log: the SDK and Node must not add to it.
    test('positive: no process warnings (SDK notices, listener leaks) during the S3 suites', () => {
      assert.deepEqual(warnings, []);
    });
  });
}
