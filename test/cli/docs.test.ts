// The docs made from the code are the docs in the repository: a change to an option table
// or the error table without `npm run docs` fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BEGIN, END, generatedDocs, optionsTable, spliced } from '../../lib/cli/docs.js';
import { allPrograms, PROGRAMS } from '../../lib/cli/programs.js';
import { ERRORS } from '../../lib/errors.js';
import { repoRoot } from '../helpers.js';

test('positive: docs/errors.md, docs/options.md and every program page are what the tables make', async () => {
  const programs = await allPrograms();
  assert.deepEqual(programs.map((p) => p.name), Object.keys(PROGRAMS));
  const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
  for (const [path, text] of generatedDocs(programs, read)) {
    assert.equal(read(path), text, `${path} differs from what the tables make: run npm run docs`);
  }
});

test('positive: every option of every program is in its docs page, every error code in errors.md', async () => {
  const errors = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');
  for (const code of Object.keys(ERRORS)) assert.match(errors, new RegExp(`^## ${code}$`, 'm'));
  for (const p of await allPrograms()) {
    const table = optionsTable(p);
    for (const o of p.options) assert.ok(table.includes(`\`--${o.long}\``), `${p.name} --${o.long}`);
  }
});

test('positive: a generated part is replaced in place and the hand-written text kept', () => {
  const page = `# t\n\nhand\n\n${BEGIN}\n\nold\n\n${END}\n\nmore hand\n`;
  assert.equal(spliced(page, 'new\n'), `# t\n\nhand\n\n${BEGIN}\n\nnew\n\n${END}\n\nmore hand\n`);
  assert.equal(spliced('# t\n', 'x'), `# t\n\n${BEGIN}\n\nx\n\n${END}\n`);
});
