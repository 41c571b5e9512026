// npm run build, after tsc: bundles each program of the compiled code into
// dist/bundle/<program>/, which its bin/ shim loads. Node 20 resolves, reads and links every
// ES module apart (~90 of them for asbackup), which took ~35 ms of each program's start; a
// program's own bundle is a handful of files. One bundle per program: bundled together,
// code shared by some of the programs is cut into ~30 chunks, each loaded apart. What a
// run may not need (S3, TLS) stays in chunks of its own, loaded only when asked for, as
// before. The worker threads are entries beside the chunks, so
// `new URL('./encode-worker.js', import.meta.url)` finds them there.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { PROGRAMS } from '../lib/cli/programs.js';
import { repoRoot } from './root.js';

const lib = join(repoRoot, 'dist', 'lib');
const out = join(repoRoot, 'dist', 'bundle');
const entries = join(repoRoot, 'dist', 'entries');
rmSync(out, { recursive: true, force: true });
mkdirSync(entries, { recursive: true });
await Promise.all(Object.keys(PROGRAMS).map(async (name) => {
  // What a shim runs: the program, from its module (a static import, so no other program
  // is a split point of its bundle).
  const main = join(entries, `${name}.js`);
  writeFileSync(main, `import { program } from '../lib/cli/${name}.js';\nimport { run } from '../lib/cli/run.js';\nrun(program);\n`);
  await build({
    entryPoints: [
      { in: main, out: 'main' },
      { in: join(lib, 'stages', 'encode-worker.js'), out: 'encode-worker' },
      { in: join(lib, 'devserver', 'thread.js'), out: 'thread' },
    ],
    outdir: join(out, name),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Dependencies load from node_modules as they are (zstd-napi is native; the AWS SDK is big).
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}));
