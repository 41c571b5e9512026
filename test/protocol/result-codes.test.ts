// The one result-code table: names, words, and which codes a restore may skip, a write
// retries and a scan retries (the sets the writer and the scan had before the table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultCode as FromConstants } from '../../lib/protocol/constants.js';
import { isRecordError, isScanRetryable, isTransient, RESULT_CODES, ResultCode, resultName } from '../../lib/protocol/result-codes.js';

const ALL = Array.from({ length: 256 }, (_, i) => i);

test('positive: one table: every constant is its code, every code appears once', () => {
  assert.equal(FromConstants, ResultCode, 'constants.ts re-exports the table\'s constants');
  const codes = Object.values(RESULT_CODES).map((r) => r.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const [name, r] of Object.entries(RESULT_CODES)) assert.equal(ResultCode[name as keyof typeof ResultCode], r.code, name);
  // A few against wire-protocol.md's list.
  assert.deepEqual([ResultCode.KEY_NOT_FOUND, ResultCode.GENERATION, ResultCode.KEY_EXISTS, ResultCode.UNAVAILABLE, ResultCode.NAMESPACE_NOT_FOUND], [2, 3, 5, 11, 20]);
  assert.deepEqual([ResultCode.NOT_AUTHENTICATED, ResultCode.GEO_INVALID_GEOJSON, ResultCode.INDEX_NOT_READABLE], [80, 160, 203]);
});

test('positive: messages name the code; unknown codes show their number', () => {
  assert.equal(resultName(ResultCode.KEY_BUSY), 'key busy');
  assert.equal(resultName(ResultCode.UNAVAILABLE), 'partition unavailable');
  assert.equal(resultName(77), 'result code 77');
  assert.equal(resultName(-3), 'result code -3');
  assert.equal(resultName(1000), 'result code 1000');
});

test('positive: which codes concern one record, which a write retries, which a scan retries', () => {
  assert.deepEqual(ALL.filter(isRecordError), [4, 5, 12, 13, 17, 19, 21, 22, 160]);
  // 152: batch queues full, a batch write is sent again with the back-off.
  assert.deepEqual(ALL.filter(isTransient), [9, 11, 14, 18, 152]);
  assert.deepEqual(ALL.filter(isScanRetryable), [7, 9, 11, 14, 15, 18, 152, 201, 203]);
  assert.equal(isTransient(1000) || isRecordError(-1) || isScanRetryable(300), false);
});
