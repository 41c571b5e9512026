// The toolkit version, from package.json.
import { existsSync, readFileSync } from 'node:fs';

/** versionText: what --version prints. */
export function versionText(program: string): string {
  // The nearest package.json above this file: the compiled modules (dist/lib/cli) and the
  // bundle (dist/bundle) sit at different depths.
  let at = new URL('./package.json', import.meta.url);
  while (!existsSync(at) && at.pathname !== '/package.json') at = new URL('../package.json', at);
  const pkg = JSON.parse(readFileSync(at, 'utf8')) as { version: string };
  return `${program} (asbackup-ts toolkit)\nVersion ${pkg.version}\n`;
}
