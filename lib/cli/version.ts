// The toolkit version, from package.json.
import { readFileSync } from 'node:fs';

/** versionText: what --version prints. */
export function versionText(program: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${program} (asbackup-ts toolkit)\nVersion ${pkg.version}\n`;
}

