// Docs made from the code: the option tables of every program and the error table become
// Markdown (docs/options.md, the options section of each docs/<program>.md, docs/errors.md).
// `npm run docs` writes them; test/cli/docs.test.ts fails when the committed docs differ.
import { ERRORS, type ErrorCode } from '../errors.js';
import { GROUP_ORDER, sectionOf, type OptionSpec } from './options.js';
import type { Program } from './program.js';

/** The markers around a generated part of a hand-written page. */
export const BEGIN = '<!-- BEGIN GENERATED: npm run docs writes this part from the option tables; do not edit -->';
export const END = '<!-- END GENERATED -->';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => `\`${cell(s)}\``;

function defaultCell(o: OptionSpec): string {
  if (o.defaultText !== undefined) return cell(o.defaultText);
  const d = o.default;
  if (d === undefined || d === false) return '–';
  return code(Array.isArray(d) ? d.join(',') : String(d));
}

/** readsConfig: whether a program reads astools.conf (its table has --config-file). */
export function readsConfig(p: Program): boolean {
  return p.options.some((o) => o.long === 'config-file');
}

function configCell(p: Program, o: OptionSpec): string {
  if (!readsConfig(p)) return '–';
  if (o.configKey === false) return '– (command line only)';
  const section = sectionOf(o) === 'cluster' ? 'cluster' : p.name;
  const also = o.configAliases?.length ? `, also ${o.configAliases.map(code).join(', ')}` : '';
  return `${code(o.long)} in [${section}]${also}`;
}

/** optionsTable: a program's options as a Markdown table, grouped as its --help groups them. */
export function optionsTable(p: Program): string {
  const config = readsConfig(p);
  const lines = [
    config ? '| short | long | argument | default | config key | meaning |' : '| short | long | argument | default | meaning |',
    config ? '|---|---|---|---|---|---|' : '|---|---|---|---|---|',
  ];
  for (const group of GROUP_ORDER) {
    const rows = p.options.filter((o) => o.group === group);
    if (rows.length === 0) continue;
    lines.push(config ? `| | **${group}** | | | | |` : `| | **${group}** | | | |`);
    for (const o of rows) {
      const short = o.short ? code(`-${o.short}`) : '';
      const long = [o.long, ...(o.aliases ?? [])].map((n) => code(`--${n}`)).join(', ');
      const arg = o.type === 'optional-string' ? code(`[=${o.arg ?? '<value>'}]`) : o.arg ? code(o.arg) : '–';
      const meaning = cell(o.describe + (o.repeatable ? ' May be given more than once.' : ''));
      lines.push(config
        ? `| ${short} | ${long} | ${arg} | ${defaultCell(o)} | ${configCell(p, o)} | ${meaning} |`
        : `| ${short} | ${long} | ${arg} | ${defaultCell(o)} | ${meaning} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** programSection: the generated part of docs/<program>.md: synopsis and options. */
export function programSection(p: Program): string {
  const usage = p.synopsis.map((s) => `${p.name} ${s}`).join('\n');
  return `## Usage\n\n${p.summary}\n\n\`\`\`\n${usage}\n\`\`\`\n\n## Options\n\n${optionsTable(p)}`;
}

/** optionsPage: the generated part of docs/options.md: every program's table. */
export function optionsPage(programs: Program[]): string {
  const parts = ['## Option tables\n', 'Generated from the option tables (`npm run docs`). `-Z`/`--usage`/`--help` prints the same, grouped.\n'];
  for (const p of programs) parts.push(`### ${p.name}\n\n${p.summary}\n\n${optionsTable(p)}`);
  return parts.join('\n');
}

/** errorsPage: docs/errors.md, whole. */
export function errorsPage(): string {
  const lines = [
    '# Error codes',
    '',
    'Every program ends a failed run with one line on stderr: the program, what went wrong',
    'naming the thing at fault (option, file:line:column, host, bucket/key), and the code in',
    'brackets, for example:',
    '',
    '```',
    'asbackup: directory backup_dir already holds a backup (4 file(s) such as test_00000.asb); use -r/--remove-files to clear it [OUTPUT_EXISTS]',
    '```',
    '',
    'The codes are stable: scripts may test them. Exit code 2 means the program was called',
    'wrongly (nothing was done), 1 that it failed or did not finish. This page is generated',
    'from `lib/errors.ts` (`npm run docs`).',
    '',
    '| code | exit | what went wrong |',
    '|---|---|---|',
  ];
  const codes = Object.keys(ERRORS) as ErrorCode[];
  for (const c of codes) lines.push(`| [${c}](#${c.toLowerCase()}) | ${ERRORS[c].exit} | ${cell(ERRORS[c].title)} |`);
  for (const c of codes) {
    const e = ERRORS[c];
    lines.push('', `## ${c}`, '', `**${e.title}.** Exit code ${e.exit}.`, '', `- Cause: ${e.cause}`, `- Remedy: ${e.remedy}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * spliced: `page` with its generated part replaced by `generated`; a page without the
 * markers gets them (and the part) appended.
 */
export function spliced(page: string, generated: string): string {
  const block = `${BEGIN}\n\n${generated.trimEnd()}\n\n${END}`;
  const a = page.indexOf(BEGIN);
  const b = page.indexOf(END);
  if (a < 0 || b < a) return `${page.trimEnd()}\n\n${block}\n`;
  return page.slice(0, a) + block + page.slice(b + END.length);
}

/** docPath: the docs page of a program. */
export function docPath(p: Program): string {
  return p.name === 'as-devserver' ? 'docs/devserver.md' : `docs/${p.name}.md`;
}

/** generatedDocs: every generated page, by path, from the current pages. */
export function generatedDocs(programs: Program[], read: (path: string) => string): Map<string, string> {
  const out = new Map<string, string>();
  out.set('docs/errors.md', errorsPage());
  out.set('docs/options.md', spliced(read('docs/options.md'), optionsPage(programs)));
  for (const p of programs) out.set(docPath(p), spliced(read(docPath(p)), programSection(p)));
  return out;
}
