// The toolkit version, from package.json.
import { readFileSync } from 'node:fs';
import { usage, type OptionTable } from './options.js';

/** versionText: what --version prints. */
export function versionText(program: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `${program} (asbackup-ts toolkit)\nVersion ${pkg.version}\n`;
}

/**
 * printedHelp: answers --usage or --version on stdout; true when the run ends there
 * (every program's first step after parsing its options).
 */
export function printedHelp(o: { usage?: boolean; version?: boolean }, table: OptionTable, program: string, synopsis: string | string[]): boolean {
  if (o.usage) process.stdout.write(usage(table, program, synopsis));
  else if (o.version) process.stdout.write(versionText(program));
  return Boolean(o.usage || o.version);
}
