// The multipart part-size rule of S3ObjectWriter (the uploads themselves are tested against radosgw).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MiB, S3_MAX_PART_SIZE, S3_MAX_PARTS, S3_MIN_PART_SIZE } from '../../lib/storage/options.js';
import { partSizeOf } from '../../lib/storage/s3-writer.js';

test('positive: part sizes follow the C tool with a known size and double every 1000 parts without one', () => {
  // A --file-limit of 250 MiB: 5 MiB parts; of 100 GiB: just enough for 10000 parts.
  assert.equal(partSizeOf(1, undefined, 250 * MiB), S3_MIN_PART_SIZE);
  assert.equal(partSizeOf(7, undefined, 100 * 1024 * MiB), Math.ceil(100 * 1024 * MiB / S3_MAX_PARTS));
  assert.equal(partSizeOf(1, 64 * MiB, 250 * MiB), 64 * MiB);
  // Unknown size: 5 MiB for parts 1..1000, 10 MiB for 1001..2000, ...
  assert.equal(partSizeOf(1000, undefined, undefined), 5 * MiB);
  assert.equal(partSizeOf(1001, undefined, undefined), 10 * MiB);
  assert.equal(partSizeOf(3500, 8 * MiB, undefined), 64 * MiB);
  let total = 0;
  for (let n = 1; n <= S3_MAX_PARTS; n++) total += partSizeOf(n, undefined, undefined);
  assert.ok(total >= 5 * 1024 * 1024 * MiB * 0.97, `10000 growing parts hold ${total} bytes, near S3's 5 TiB limit`);
  assert.equal(partSizeOf(9999, 5120 * MiB, undefined), S3_MAX_PART_SIZE);
});
