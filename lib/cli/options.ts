// Declarative option tables, the command-line parser and the usage text.
//
// Parsing is done in two steps. Our own tokenizer walks argv and rewrites every option into
// the canonical `--<long>=<value>` form, resolving short letters, aliases and attached values;
// minimist then collects the canonical tokens. The tokenizer exists because minimist on its
// own gets these cases wrong for our tables:
//   * `--no-bins` is read as "bins = false" (minimist's negation rule), and `--no-config-file`
//     would collide with `--config-file`;
//   * `-Psecret` becomes the flags -P -s -e -c -r -e -t, and `-%10` splits into `%`, `1`, `0`
//     because minimist only treats letters as option names with attached values;
//   * unknown options and stray words are accepted silently.
//
// Choices (documented in docs/options.md):
//   * Long options must be spelled in full (no getopt-style prefixes), so `--service` never
//     silently means `--service-alternate`.
//   * Optional-value options (-P/--password, --tls-keyfile-password) take a value only when
//     it is attached (`-Ppw`, `--password=pw`); a bare `-P` means "prompt". The C tools also
//     take the next word when it does not start with `-`, which makes `-P -n test` and
//     `-P test` mean different things; we never swallow the next word.
//   * A detached value (`-n test`, `--namespace test`) must not start with `-` unless it is
//     `-` itself or a negative number, so a forgotten value (`-n -d dir`) is an error rather
//     than a namespace called "-d". Attached forms (`--namespace=-x`) take anything.
import minimist from 'minimist';
import { UsageError } from '../errors.js';
import { parseNumber } from './parse-values.js';

/** OptionType: how a value is read; 'optional-string' is -P: attached value or "prompt". */
export type OptionType = 'string' | 'number' | 'boolean' | 'optional-string';

/** OptionGroup: usage-text section, in the order of the seed page. */
export type OptionGroup = 'Connection' | 'TLS' | 'Input' | 'Output' | 'Data selection' | 'Configuration file' | 'Other';
export const GROUP_ORDER: readonly OptionGroup[] = ['Connection', 'TLS', 'Input', 'Output', 'Data selection', 'Configuration file', 'Other'];

/** PROMPT: the value of an optional-string option given bare (`-P`): ask on the terminal. */
export const PROMPT = true;

/** OptionSpec: one row of an option table. */
export interface OptionSpec {
  /** Long name without dashes; also the astools.conf key. */
  long: string;
  /** One-character short option (may be a symbol such as `%`). */
  short?: string;
  /** Other long spellings accepted on the command line and as config keys. */
  aliases?: string[];
  /** Extra config-file key spellings only (e.g. the C key `use-services-alternate`). */
  configAliases?: string[];
  type: OptionType;
  /** Value when neither the command line nor a config file sets it (already parsed). */
  default?: unknown;
  /** How the default is shown in help and docs when it depends on the machine. */
  defaultText?: string;
  group: OptionGroup;
  /** Argument placeholder for the usage text, e.g. `<path>`. */
  arg?: string;
  describe: string;
  /** Allowed in astools.conf (default true). */
  configKey?: boolean;
  /** Config section: [cluster] or [<program>]; default cluster for Connection/TLS groups. */
  section?: 'cluster' | 'program';
  /** -Z/--version: when given, config files are not read (nothing else matters). */
  immediate?: boolean;
  /** Given several times, every value is kept (an array), not only the last one. */
  repeatable?: boolean;
  /** Checks and converts a value; `label` names its origin for the error message. */
  validate?: (value: any, label: string) => unknown;
}

export type OptionTable = readonly OptionSpec[];

/** ParsedArgs: values (defaults + command line, by camelCase key) and what the user typed. */
export interface ParsedArgs {
  values: Record<string, unknown>;
  /** Long names of the options given on the command line. */
  given: Set<string>;
  positionals: string[];
}

export interface ParseOptions {
  /** Accept words that are not options (default false: a stray word is a usage error). */
  positionals?: boolean;
}

/** keyOf: the camelCase property name of a long option (`no-bins` -> `noBins`). */
export function keyOf(long: string): string {
  return long.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** sectionOf: where an option lives in astools.conf. */
export function sectionOf(spec: OptionSpec): 'cluster' | 'program' {
  return spec.section ?? (spec.group === 'Connection' || spec.group === 'TLS' ? 'cluster' : 'program');
}

/** findOption: a table row by long name or alias (exact, as typed on the command line). */
export function findOption(table: OptionTable, name: string): OptionSpec | undefined {
  return table.find((o) => o.long === name || o.aliases?.includes(name));
}

/** checkValue: type-check and validate one raw value; `label` prefixes any error. */
export function checkValue(spec: OptionSpec, raw: unknown, label: string): unknown {
  let value = raw;
  if (spec.type === 'number' && typeof raw === 'string') value = parseNumber(raw, label);
  if (spec.type === 'optional-string' && raw === PROMPT) return PROMPT;
  return spec.validate ? spec.validate(value, label) : value;
}

/** defaultValues: every option's default by camelCase key (options without one are absent). */
export function defaultValues(table: OptionTable): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const o of table) {
    if (o.default !== undefined) values[keyOf(o.long)] = o.default;
    else if (o.type === 'boolean') values[keyOf(o.long)] = false;
  }
  return values;
}

// A detached value may be `-` (stdin/stdout), a negative number, or a word with a space
// (`--tls-protocols "-all +TLSv1.2"`, as Aerospike's docs write it), but not an option-like word.
function detachedValueOk(word: string | undefined): word is string {
  return word !== undefined && (!word.startsWith('-') || word === '-' || /^-\d/.test(word) || /\s/.test(word));
}

/**
 * parseArgs: reads argv against a table. Throws UsageError for unknown options
 * (`unknown option --foo`), missing or unexpected values, bad numbers
 * (`--port: expected a number, got "x"`), failed validation and stray words.
 */
export function parseArgs(table: OptionTable, argv: readonly string[], program: string, opts: ParseOptions = {}): ParsedArgs {
  const shorts = new Map(table.filter((o) => o.short !== undefined).map((o) => [o.short as string, o]));
  const canonical: string[] = [];
  const given = new Set<string>();
  const prompted = new Set<string>();
  const positionals: string[] = [];
  const hint = `(${program} --help lists the options)`;
  let barePrompt: string | undefined; // a bare `-P`/`--password` as the previous word

  const add = (spec: OptionSpec, value: string | typeof PROMPT): void => {
    given.add(spec.long);
    if (value === PROMPT) prompted.add(spec.long);
    else prompted.delete(spec.long);
    canonical.push(value === PROMPT ? `--${spec.long}=true` : `--${spec.long}=${value}`);
  };
  const stray = (word: string, prev?: string): void => {
    if (opts.positionals) return void positionals.push(word);
    // `-P secret` is the likely mistake: say how to attach the value.
    const why = prev ? ` (a value for ${prev} must be attached: ${prev.startsWith('--') ? `${prev}=VALUE` : `${prev}VALUE`})` : '';
    throw new UsageError(`unexpected argument ${JSON.stringify(word)}${why}`, word);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const prev = barePrompt;
    barePrompt = undefined;
    if (arg === '--') {
      for (const w of argv.slice(i + 1)) stray(w);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const spec = findOption(table, name);
      if (spec === undefined) throw new UsageError(`unknown option --${name} ${hint}`, arg);
      const attached = eq < 0 ? undefined : arg.slice(eq + 1);
      if (spec.type === 'boolean') {
        if (attached !== undefined) throw new UsageError(`--${spec.long}: does not take a value`, arg);
        add(spec, PROMPT);
      } else if (spec.type === 'optional-string') {
        add(spec, attached ?? PROMPT);
        if (attached === undefined) barePrompt = arg;
      } else if (attached !== undefined) add(spec, attached);
      else if (detachedValueOk(argv[i + 1])) add(spec, argv[++i]);
      else throw new UsageError(`--${spec.long}: expected a value${spec.arg ? ` ${spec.arg}` : ''}`, arg);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short options: booleans may be grouped (`-xC`); the first option that
      // takes a value takes the rest of the word, or else the next word.
      for (let j = 1; j < arg.length; j++) {
        const spec = shorts.get(arg[j]);
        if (spec === undefined) throw new UsageError(`unknown option -${arg[j]} ${hint}`, arg);
        const rest = arg.slice(j + 1);
        if (spec.type === 'boolean') {
          add(spec, PROMPT);
          continue;
        }
        if (spec.type === 'optional-string') {
          add(spec, rest === '' ? PROMPT : rest);
          if (rest === '') barePrompt = `-${arg[j]}`;
        } else if (rest !== '') add(spec, rest);
        else if (detachedValueOk(argv[i + 1])) add(spec, argv[++i]);
        else throw new UsageError(`-${arg[j]} (--${spec.long}): expected a value${spec.arg ? ` ${spec.arg}` : ''}`, arg);
        break;
      }
      continue;
    }
    stray(arg, prev);
  }

  // minimist collects the canonical tokens; every name is declared, so no guessing happens.
  const collected = minimist(canonical, {
    string: table.filter((o) => o.type !== 'boolean').map((o) => o.long),
    boolean: table.filter((o) => o.type === 'boolean').map((o) => o.long),
  });
  const values = defaultValues(table);
  for (const spec of table) {
    if (!given.has(spec.long)) continue;
    const raw: unknown = collected[spec.long];
    if (spec.repeatable) {
      values[keyOf(spec.long)] = (Array.isArray(raw) ? raw : [raw]).map((v) => checkValue(spec, v, `--${spec.long}`));
      continue;
    }
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw; // the last occurrence wins, as with getopt
    values[keyOf(spec.long)] = prompted.has(spec.long) && spec.type === 'optional-string' ? PROMPT : checkValue(spec, last, `--${spec.long}`);
  }
  return { values, given, positionals };
}

/** exclusive: throws for the first pair [a, b, valueA, valueB] where both values are set. */
export function exclusive(pairs: [string, string, unknown, unknown][]): void {
  const set = (v: unknown): boolean => v !== undefined && v !== false;
  for (const [a, b, va, vb] of pairs) {
    if (set(va) && set(vb)) throw new UsageError(`--${a} and --${b} are mutually exclusive`);
  }
}

// Greedy word wrap; a word longer than the width gets a line of its own.
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  out.push(line);
  return out;
}

function formatDefault(spec: OptionSpec): string {
  if (spec.defaultText !== undefined) return ` (default: ${spec.defaultText})`;
  const d = spec.default;
  if (d === undefined || d === false) return '';
  if (Array.isArray(d)) return ` (default: ${d.join(',')})`;
  return ` (default: ${String(d)})`;
}

/**
 * usage: the -Z/--usage/--help text: synopsis, then one block per group with short and long
 * names, argument, description, default and aliases.
 */
export function usage(table: OptionTable, program: string, synopsis: string | string[]): string {
  const lines = [`Usage: ${program} ${[synopsis].flat()[0]}`, ...[synopsis].flat().slice(1).map((s) => `       ${program} ${s}`)];
  const width = 38;
  for (const group of GROUP_ORDER) {
    const rows = table.filter((o) => o.group === group);
    if (rows.length === 0) continue;
    lines.push('', `${group} options:`);
    for (const o of rows) {
      let left = `  ${o.short ? `-${o.short}, ` : '    '}--${o.long}`;
      if (o.type === 'optional-string') left += `[=${o.arg ?? '<value>'}]`;
      else if (o.arg) left += ` ${o.arg}`;
      let text = o.describe + formatDefault(o);
      if (o.aliases?.length) text += ` Also: ${o.aliases.map((a) => `--${a}`).join(', ')}.`;
      if (o.configKey === false && !o.immediate && o.group !== 'Configuration file') text += ' Not allowed in a config file.';
      const wrapped = wrap(text, 96 - width).map((l) => ' '.repeat(width) + l);
      if (left.length < width) wrapped[0] = left.padEnd(width) + wrapped[0].trimStart();
      else wrapped.unshift(left);
      lines.push(...wrapped);
    }
  }
  return lines.join('\n') + '\n';
}
