// astools.conf: the TOML tools configuration shared by the Aerospike tools, and
// resolveOptions = command line over config files over defaults.
//
// Files, in order, later ones overriding earlier ones: /etc/aerospike/astools.conf,
// ~/.aerospike/astools.conf, then --config-file. --only-config-file reads just that file;
// --no-config-file reads none. Sections: [cluster] (connection and TLS keys) and [<program>]
// (everything else); with --instance NAME, [cluster_NAME] replaces [cluster] (no fallback,
// as the C tools do) and [<program>_NAME] is used if present, else [<program>]. [include]
// with `file` / `directory` loads more files (depth <= 3). Other sections belong to other
// tools and are ignored. Keys are long option names, matched case-insensitively.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { fsReason } from '../paths.js';
import { checkValue, defaultValues, keyOf, parseArgs, sectionOf, type OptionSpec, type OptionTable, type ParseOptions } from './options.js';

// The TOML parser is loaded for the first config file found only: most runs have none,
// and every module loaded adds to each command's start-up.
type Toml = typeof import('smol-toml');
let tomlModule: Toml | undefined;
const toml = (): Toml => (tomlModule ??= createRequire(import.meta.url)('smol-toml') as Toml);

/** ConfigEnv: where the default files are; injectable so tests never read the real ones. */
export interface ConfigEnv {
  /** Replaces the list of default files entirely. */
  defaultFiles?: string[];
  /** Directory of the system file (default /etc/aerospike). */
  etcDir?: string;
  /** Home directory for ~/.aerospike (default os.homedir(), which honours $HOME). */
  home?: string;
  /** Environment to read AS_TOOLS_CONF_DIRS from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** ConfigValue: one option set by a config file, with the file/section/key it came from. */
export interface ConfigValue {
  long: string;
  value: unknown;
  label: string;
}

/** A config file's value checked as its option's value is; a bad one is the file's fault (CONFIG). */
function configValue(spec: OptionSpec, v: unknown, label: string): unknown {
  try {
    return checkValue(spec, typed(spec, v, label), label);
  } catch (e) {
    if (e instanceof UsageError && e.code === 'USAGE') throw new UsageError(e.message, v, 'CONFIG');
    throw e;
  }
}

/**
 * defaultConfigFiles: the files read when neither --only-config-file nor --no-config-file is
 * given. AS_TOOLS_CONF_DIRS (colon-separated directories, each holding astools.conf) replaces
 * the two standard locations, so end-to-end tests of the programs can point elsewhere.
 */
export function defaultConfigFiles(cenv: ConfigEnv = {}): string[] {
  if (cenv.defaultFiles) return cenv.defaultFiles;
  const dirs = (cenv.env ?? process.env).AS_TOOLS_CONF_DIRS;
  if (dirs !== undefined && dirs !== '') return dirs.split(':').filter(Boolean).map((d) => join(d, 'astools.conf'));
  return [join(cenv.etcDir ?? '/etc/aerospike', 'astools.conf'), join(cenv.home ?? homedir(), '.aerospike', 'astools.conf')];
}

function describe(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'an array' : 'a table';
  return JSON.stringify(typeof v === 'bigint' ? v.toString() : v);
}

// A TOML value has to have the option's type: strings quoted, numbers bare, booleans bare.
function typed(spec: OptionSpec, v: unknown, label: string): unknown {
  const want = spec.type === 'boolean' ? 'boolean' : spec.type === 'number' ? 'number' : 'string';
  if (want === 'number' && typeof v === 'bigint' && Number.isSafeInteger(Number(v))) return Number(v);
  if (typeof v !== want) throw new UsageError(`${label}: expected a ${want}, got ${describe(v)}`, v, 'CONFIG');
  return v;
}

function readToml(path: string, required: boolean): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    // A default file that is missing, or that cannot be read (a $HOME of another user after
    // `su`, a directory of that name), is skipped: only the files named on the command
    // line must be there.
    if (!required) return undefined;
    throw new UsageError(`cannot read config file ${path}: ${fsReason(e)}`, path, 'CONFIG');
  }
  try {
    return toml().parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof toml().TomlError) {
      const msg = e.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new UsageError(`${path}:${e.line}:${e.column}: TOML syntax error: ${msg}`, path, 'CONFIG');
    }
    throw e;
  }
}

/**
 * loadConfigFile: the option values one file sets for `program`, in file order, followed by
 * those of its includes. Throws UsageError naming file, section and key for unknown keys,
 * keys not allowed in config files, wrong types and invalid values.
 */
export function loadConfigFile(table: OptionTable, path: string, program: string, instance?: string, required = true, depth = 0): ConfigValue[] {
  const doc = readToml(path, required);
  if (doc === undefined) return [];
  const sections = new Map<string, [string, Record<string, unknown>]>();
  for (const [name, body] of Object.entries(doc)) {
    // Top-level keys outside any section are not ours (the C tools ignore them too).
    if (typeof body === 'object' && body !== null && !Array.isArray(body) && !(body instanceof Date)) {
      sections.set(name.toLowerCase(), [name, body as Record<string, unknown>]);
    }
  }
  const clusterName = instance ? `cluster_${instance}` : 'cluster';
  const programName = instance && sections.has(`${program}_${instance}`.toLowerCase()) ? `${program}_${instance}` : program;
  const out: ConfigValue[] = [];
  for (const [kind, wanted] of [['cluster', clusterName], ['program', programName]] as const) {
    const hit = sections.get(wanted.toLowerCase());
    if (hit === undefined) continue;
    const [section, body] = hit;
    for (const [rawKey, v] of Object.entries(body)) {
      const key = rawKey.toLowerCase();
      const where = `${path}: [${section}]`;
      const spec = table.find((o) => o.long === key || o.aliases?.includes(key) || o.configAliases?.includes(key));
      if (spec === undefined) throw new UsageError(`${where} unknown key ${JSON.stringify(rawKey)}`, rawKey, 'CONFIG');
      if (spec.configKey === false) throw new UsageError(`${where} key ${JSON.stringify(rawKey)} is not allowed in a config file`, rawKey, 'CONFIG');
      if (sectionOf(spec) !== kind) {
        const home = sectionOf(spec) === 'cluster' ? clusterName : programName;
        throw new UsageError(`${where} unknown key ${JSON.stringify(rawKey)} (it belongs in [${home}])`, rawKey, 'CONFIG');
      }
      const label = `${where} ${rawKey}`;
      out.push({ long: spec.long, value: configValue(spec, v, label), label });
    }
  }
  const include = sections.get('include')?.[1];
  if (include !== undefined) out.push(...loadIncludes(table, path, include, program, instance, depth));
  return out;
}

function loadIncludes(table: OptionTable, path: string, include: Record<string, unknown>, program: string, instance: string | undefined, depth: number): ConfigValue[] {
  if (depth >= 3) throw new UsageError(`${path}: [include] nested more than 3 levels deep`, path, 'CONFIG');
  const out: ConfigValue[] = [];
  for (const [rawKey, v] of Object.entries(include)) {
    const key = rawKey.toLowerCase();
    if ((key !== 'file' && key !== 'directory') || typeof v !== 'string') {
      throw new UsageError(`${path}: [include] ${rawKey}: expected file = "<path>" or directory = "<path>"`, rawKey, 'CONFIG');
    }
    const files = key === 'file' ? [v] : listFiles(v, path);
    for (const f of files) out.push(...loadConfigFile(table, f, program, instance, true, depth + 1));
  }
  return out;
}

// Every regular file under an include directory, in name order (readdir order is arbitrary).
function listFiles(dir: string, from: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (e) {
    throw new UsageError(`${from}: [include] directory ${dir}: ${fsReason(e)}`, dir, 'CONFIG');
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    const st = statSync(p);
    return st.isDirectory() ? listFiles(p, from) : st.isFile() ? [p] : [];
  });
}

/** Resolved: the merged option values (camelCase keys) and where each came from. */
export interface Resolved {
  values: Record<string, unknown>;
  /** Long names given on the command line. */
  given: Set<string>;
  /** Long name -> `file: [section] key` of the config file that set it (if the CLI did not). */
  fromConfig: Map<string, string>;
  /** Config files that set something, or were named on the command line, in order. */
  files: string[];
  positionals: string[];
}

/**
 * resolveOptions: command line over config files over defaults. When an `immediate` option
 * (-Z, --version) is given no config file is read. Throws UsageError for conflicting
 * config-file options, bad files, and everything parseArgs rejects.
 */
export function resolveOptions(table: OptionTable, argv: readonly string[], program: string, opts: ParseOptions & { config?: ConfigEnv } = {}): Resolved {
  const cli = parseArgs(table, argv, program, opts);
  const result: Resolved = { values: defaultValues(table), given: cli.given, fromConfig: new Map(), files: [], positionals: cli.positionals };
  const cliValue = (long: string): unknown => (cli.given.has(long) ? cli.values[keyOf(long)] : undefined);
  if (!table.some((o) => o.immediate && cli.given.has(o.long))) {
    const only = cliValue('only-config-file') as string | undefined;
    const extra = cliValue('config-file') as string | undefined;
    const none = cliValue('no-config-file') === true;
    for (const [a, b] of [['no-config-file', 'only-config-file'], ['no-config-file', 'config-file'], ['only-config-file', 'config-file']]) {
      if (cli.given.has(a) && cli.given.has(b)) throw new UsageError(`--${a} and --${b} are mutually exclusive`);
    }
    const files = none ? [] : only !== undefined ? [{ path: only, required: true }] : [
      ...defaultConfigFiles(opts.config).map((path) => ({ path, required: false })),
      ...(extra !== undefined ? [{ path: extra, required: true }] : []),
    ];
    const instance = cliValue('instance') as string | undefined;
    for (const f of files) {
      const set = loadConfigFile(table, f.path, program, instance, f.required);
      if (set.length > 0 || f.required) result.files.push(f.path);
      for (const c of set) {
        result.values[keyOf(c.long)] = c.value;
        result.fromConfig.set(c.long, c.label);
      }
    }
  }
  for (const long of cli.given) {
    result.values[keyOf(long)] = cli.values[keyOf(long)];
    result.fromConfig.delete(long);
  }
  return result;
}
