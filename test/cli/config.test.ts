import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../lib/errors.js';
import { defaultConfigFiles, resolveOptions, type ConfigEnv } from '../../lib/cli/config.js';
import { asbackupOptions, parseBackupArgs } from '../../lib/cli/asbackup-options.js';
import { parseRestoreArgs } from '../../lib/cli/asrestore-options.js';

const root = mkdtempSync(join(tmpdir(), 'astools-conf-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A fresh fake /etc/aerospike and $HOME, with optional astools.conf contents. */
function env(etc?: string, home?: string): ConfigEnv & { etcFile: string; homeFile: string; dir: string } {
  const dir = join(root, `case${n++}`);
  const etcDir = join(dir, 'etc');
  const homeDir = join(dir, 'home');
  mkdirSync(join(homeDir, '.aerospike'), { recursive: true });
  mkdirSync(etcDir, { recursive: true });
  const etcFile = join(etcDir, 'astools.conf');
  const homeFile = join(homeDir, '.aerospike', 'astools.conf');
  if (etc !== undefined) writeFileSync(etcFile, etc);
  if (home !== undefined) writeFileSync(homeFile, home);
  return { etcDir, home: homeDir, env: {}, etcFile, homeFile, dir };
}

function file(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function rejects(fn: () => unknown, ...fragments: string[]): void {
  rejectsWith('CONFIG', fn, ...fragments);
}

function rejectsWith(code: string, fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.code, code, `code of ${JSON.stringify(e.message)}`);
    // The fragments are the thing at fault the line must name: the option, the file, the value.
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

const resolve = (argv: string[], config: ConfigEnv) => resolveOptions(asbackupOptions, argv, 'asbackup', { config });

test('default files: /etc then ~, command line wins, defaults last', () => {
  const e = env('[cluster]\nhost = "10.0.0.1"\nport = 3100\n[asbackup]\nnamespace = "etc"\nfile-limit = 100\n',
    '[cluster]\nport = 3200\n[asbackup]\nnamespace = "home"\n');
  const r = resolve(['-n', 'cli'], e);
  assert.equal(r.values.host, '10.0.0.1');
  assert.equal(r.values.port, 3200);
  assert.equal(r.values.namespace, 'cli');
  assert.equal(r.values.fileLimit, 100);
  assert.equal(r.values.parallel, 10);
  assert.deepEqual(r.files, [e.etcFile, e.homeFile]);
  assert.ok(r.given.has('namespace') && !r.given.has('port'));
  assert.equal(r.fromConfig.get('port'), `${e.homeFile}: [cluster] port`);
  assert.ok(!r.fromConfig.has('namespace'));
});

test('--config-file is read last; --only-config-file alone; --no-config-file none', () => {
  const e = env('[asbackup]\nnamespace = "etc"\nverbose = true\n');
  const extra = file(e.dir, 'extra.conf', '[asbackup]\nnamespace = "extra"\n');
  assert.equal(resolve(['--config-file', extra], e).values.namespace, 'extra');
  assert.equal(resolve(['--config-file', extra], e).values.verbose, true);
  const only = resolve([`--only-config-file=${extra}`], e);
  assert.equal(only.values.namespace, 'extra');
  assert.equal(only.values.verbose, false);
  assert.deepEqual(only.files, [extra]);
  const none = resolve(['--no-config-file'], e);
  assert.equal(none.values.namespace, undefined);
  assert.deepEqual(none.files, []);
});

test('config-file option conflicts and missing files', () => {
  const e = env();
  const p = file(e.dir, 'x.conf', '');
  rejectsWith('USAGE', () => resolve(['--no-config-file', '--only-config-file', p], e), '--no-config-file and --only-config-file are mutually exclusive');
  rejectsWith('USAGE', () => resolve(['--no-config-file', '--config-file', p], e), '--no-config-file and --config-file');
  rejectsWith('USAGE', () => resolve(['--only-config-file', p, '--config-file', p], e), '--only-config-file and --config-file');
  rejects(() => resolve(['--config-file', join(e.dir, 'nope.conf')], e), 'cannot read config file', 'nope.conf');
  rejects(() => resolve(['--only-config-file', join(e.dir, 'nope.conf')], e), 'nope.conf');
  assert.deepEqual(resolve([], e).files, []); // missing default files: silently skipped
});

test('--instance: [cluster_NAME] replaces [cluster]; [asbackup_NAME] else [asbackup]', () => {
  const e = env('[cluster]\nhost = "plain"\n[cluster_a]\nhost = "a-host"\n[asbackup]\nnamespace = "plain"\n[asbackup_b]\nnamespace = "b-ns"\n');
  let r = resolve(['--instance', 'a'], e);
  assert.equal(r.values.host, 'a-host');
  assert.equal(r.values.namespace, 'plain');
  r = resolve(['--instance=b'], e);
  assert.equal(r.values.host, '127.0.0.1'); // no [cluster_b]: no cluster section at all
  assert.equal(r.values.namespace, 'b-ns');
  r = resolve([], e);
  assert.equal(r.values.host, 'plain');
});

test('typed values, case-insensitive keys, aliases, other tools\' sections ignored', () => {
  const e = env(`
[cluster]
HOST = "h1:3000,h2"
use-services-alternate = true
tls-crl-check-all = true
password = "pw"
[asbackup]
Namespace = "test"
set = "'a,b',c"
percent = 12.5
modified-after = "2024-01-02_03:04:05"
no-bins = true
[asrestore]
unique = true
[aql]
anything = 1
[asbackup_other]
bogus = 1
`);
  const { options } = parseBackupArgs(['-e'], e);
  assert.equal(options.host, 'h1:3000,h2');
  assert.equal(options.serviceAlternate, true);
  assert.equal(options.tlsCrlCheckall, true);
  assert.equal(options.password, 'pw');
  assert.deepEqual(options.set, ['a,b', 'c']);
  assert.equal(options.percent, 12.5);
  assert.deepEqual(options.modifiedAfter, new Date(2024, 0, 2, 3, 4, 5));
  assert.equal(options.noBins, true);
  const r = parseRestoreArgs([], env('[asrestore]\ndirectory = "d"\nnamespace = "a,b"\nnice = "1,2"\n'));
  assert.deepEqual(r.options.namespace, { source: 'a', target: 'b' });
  assert.deepEqual(r.options.nice, { bandwidth: 1, tps: 2 });
});

test('bad config files name the file, section and key', () => {
  const cases: [string, ...string[]][] = [
    ['[asbackup]\npercentage = 10\n', '[asbackup] unknown key "percentage"'],
    ['[asbackup]\nremove-files = true\n', '[asbackup] key "remove-files" is not allowed in a config file'],
    ['[asbackup]\nconfig-file = "x"\n', '[asbackup] key "config-file" is not allowed'],
    ['[cluster]\nport = "3000"\n', '[cluster] port: expected a number, got "3000"'],
    ['[cluster]\nport = 0\n', '[cluster] port', '1..65535'],
    ['[asbackup]\nno-bins = "yes"\n', '[asbackup] no-bins: expected a boolean'],
    ['[asbackup]\nnamespace = 5\n', '[asbackup] namespace: expected a string, got 5'],
    ['[asbackup]\nmodified-after = 2024-01-01T00:00:00\n', '[asbackup] modified-after: expected a string'],
    ['[asbackup]\nmodified-after = "2024-02-30_00:00:00"\n', '[asbackup] modified-after', 'YYYY-MM-DD_HH:MM:SS'],
    ['[asbackup]\npercent = 101\n', '[asbackup] percent', 'percentage'],
    ['[asbackup]\nhost = "h"\n', '[asbackup] unknown key "host" (it belongs in [cluster])'],
    ['[cluster]\nnamespace = "t"\n', '[cluster] unknown key "namespace" (it belongs in [asbackup])'],
    ['[cluster]\nhost = "::1"\n', '[cluster] host', 'brackets'],
    ['[asbackup]\nnamespace = "a"\nnamespace = "b"\n', ':3:', 'TOML syntax error'],
    ['[asbackup]\nnamespace = test\n', ':2:', 'TOML syntax error'],
  ];
  for (const [text, ...fragments] of cases) {
    const e = env(undefined, text);
    rejects(() => resolve([], e), e.homeFile, ...fragments);
    const p = file(e.dir, 'given.conf', text);
    rejects(() => resolve(['--config-file', p], env()), p, ...fragments);
  }
});

test('-Z and --version do not read config files', () => {
  const e = env('[asbackup]\nbogus = 1\n');
  assert.equal(resolve(['-Z'], e).values.usage, true);
  assert.equal(resolve(['--version'], e).values.version, true);
  rejects(() => resolve([], e), 'bogus');
});

test('[include] file and directory', () => {
  const e = env();
  const inc = join(e.dir, 'inc');
  mkdirSync(join(inc, 'sub'), { recursive: true });
  file(inc, 'a.conf', '[asbackup]\nnamespace = "from-a"\n');
  file(join(inc, 'sub'), 'b.conf', '[asbackup]\nfile-limit = 7\n');
  const one = file(e.dir, 'one.conf', '[asbackup]\nparallel = 3\n');
  const main = file(e.dir, 'main.conf', `[asbackup]\nnamespace = "main"\n[include]\nfile = "${one}"\ndirectory = "${inc}"\n`);
  const r = resolve(['--only-config-file', main], e);
  assert.equal(r.values.parallel, 3);
  assert.equal(r.values.namespace, 'from-a'); // includes are applied after the including file
  assert.equal(r.values.fileLimit, 7);
  const loop = file(e.dir, 'loop.conf', `[include]\nfile = "${join(e.dir, 'loop.conf')}"\n`);
  rejects(() => resolve(['--only-config-file', loop], e), 'nested more than 3 levels');
  const badInc = file(e.dir, 'bad.conf', '[include]\npath = "x"\n');
  rejects(() => resolve(['--only-config-file', badInc], e), badInc, '[include] path');
});

test('defaultConfigFiles: HOME, etc override, AS_TOOLS_CONF_DIRS', () => {
  assert.deepEqual(defaultConfigFiles({ etcDir: '/E', home: '/H', env: {} }), ['/E/astools.conf', '/H/.aerospike/astools.conf']);
  assert.deepEqual(defaultConfigFiles({ env: { AS_TOOLS_CONF_DIRS: '/a:/b' } }), ['/a/astools.conf', '/b/astools.conf']);
  assert.deepEqual(defaultConfigFiles({ defaultFiles: ['/x'] }), ['/x']);
  assert.equal(defaultConfigFiles({ env: {} })[0], '/etc/aerospike/astools.conf');
});
