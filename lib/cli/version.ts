// The toolkit version, from package.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../paths.js';

/** versionText: what --version prints. */
export function versionText(program: string): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `${program} (asbackup-ts toolkit)\nVersion ${pkg.version}\n`;
}
