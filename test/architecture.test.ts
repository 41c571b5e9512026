// docs/architecture.md shows the tree as it is: every source file of lib/ and scripts/ is
// named there, and every name there is a file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from './helpers.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (name.endsWith('.ts')) out.push(relative(repoRoot, full));
  }
  return out;
}

test('positive: every file of lib/ and scripts/ is in docs/architecture.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
  const tree = doc.slice(doc.indexOf('```'), doc.indexOf('```', doc.indexOf('```') + 3));
  const missing = [...sources(join(repoRoot, 'lib')), ...sources(join(repoRoot, 'scripts'))]
    .filter((f) => !new RegExp(`(^|[\\s,])${f.split('/').pop()!.replace(/[.]/g, '\\.')}([\\s,]|$)`, 'm').test(tree));
  assert.deepEqual(missing, [], 'files missing from the tree in docs/architecture.md');
});
