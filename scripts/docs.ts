// npm run docs: writes the generated parts of docs/ from the option and error tables.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generatedDocs } from '../lib/cli/docs.js';
import { allPrograms } from '../lib/cli/programs.js';
import { repoRoot } from './root.js';

const pages = generatedDocs(await allPrograms(), (p) => readFileSync(join(repoRoot, p), 'utf8'));
for (const [path, text] of pages) {
  const full = join(repoRoot, path);
  let old = '';
  try { old = readFileSync(full, 'utf8'); } catch { /* a new page */ }
  if (old !== text) {
    writeFileSync(full, text);
    process.stdout.write(`wrote ${path}\n`);
  }
}
