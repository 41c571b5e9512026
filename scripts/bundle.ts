// npm run build, after tsc: bundles the compiled programs into dist/bundle, which the bin/
// shims load. Node 20 resolves, reads and links every ES module apart (~90 of them for
// asbackup), which took ~35 ms of each program's start; a bundle of a few files takes
// ~10. Modules a run may not need (S3, TLS, the other programs) stay in chunks of their
// own, loaded as before only when asked for. The workers are entries of their own, beside
// the chunks, so `new URL('./encode-worker.js', import.meta.url)` finds them there.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './root.js';

const lib = join(repoRoot, 'dist', 'lib');
const out = join(repoRoot, 'dist', 'bundle');
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [join(lib, 'cli', 'programs.js'), join(lib, 'stages', 'encode-worker.js'), join(lib, 'devserver', 'thread.js')],
  outdir: out,
  entryNames: '[name]',
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
