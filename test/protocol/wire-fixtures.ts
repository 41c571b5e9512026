// Real frames copied from the reference captures into test/fixtures/official/wire (one
// frame a line in hex, after a comment line naming it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { officialDir } from '../helpers.js';

/** wireFrames: the frames of a fixture, whole (proto header included), in file order. */
export function wireFrames(name: string): Buffer[] {
  return readFileSync(join(officialDir, 'wire', name), 'utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => Buffer.from(l, 'hex'));
}
