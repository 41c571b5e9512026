import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { UsageError } from '../../lib/errors.js';
import { PROMPT, keyOf, parseArgs, usage } from '../../lib/cli/options.js';
import { asbackupOptions, asbackupSynopsis, parseBackupArgs, validateBackupOptions, type BackupOptions } from '../../lib/cli/asbackup-options.js';
import { asrestoreOptions, asrestoreSynopsis, parseRestoreArgs } from '../../lib/cli/asrestore-options.js';

const noConf = { defaultFiles: [] as string[] };

function rejects(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${String(e)}`);
    assert.equal(e.code, 'USAGE', `code of ${JSON.stringify(e.message)}`);
    // The fragments are the thing at fault the line must name: the option, the file, the value.
    for (const f of fragments) assert.ok(e.message.includes(f), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(f)}`);
    return true;
  });
}

const backup = (...argv: string[]) => parseArgs(asbackupOptions, argv, 'asbackup');

test('parseArgs: short, long, attached and detached values', () => {
  const cases: [string[], Record<string, unknown>][] = [
    [['-% 10'.split(' ')[0], '10'], { percent: 10 }],
    [['-%10'], { percent: 10 }],
    [['--percent', '10'], { percent: 10 }],
    [['--percent=12.5'], { percent: 12.5 }],
    [['-ntest'], { namespace: 'test' }],
    [['-n', 'test'], { namespace: 'test' }],
    [['--namespace=test'], { namespace: 'test' }],
    [['-o', '-'], { outputFile: '-' }],
    [['-o-'], { outputFile: '-' }],
    [['-xCr'], { noBins: true, compact: true, removeFiles: true }],
    [['-xF', '300'], { noBins: true, fileLimit: 300 }],
    [['--no-bins'], { noBins: true, bins: undefined }],
    [['--no-config-file'], { noConfigFile: true, configFile: undefined }],
    [['-S'], { serviceAlternate: true }],
    [['--services-alternate'], { serviceAlternate: true }],
    [['--tls-crl-check-all'], { tlsCrlCheckall: true }],
    [['-f', '3', '-c', '-w', '4'], { priority: 3, noClusterChange: true, parallel: 4 }],
    [['-p', '3000', '-p', '4000'], { port: 4000 }],
    [['-s', "'a,b',c"], { set: ['a,b', 'c'] }],
    [['-a', '2024-01-02_03:04:05'], { modifiedAfter: new Date(2024, 0, 2, 3, 4, 5) }],
    [['--help'], { usage: true }],
    [['-Z'], { usage: true }],
  ];
  for (const [argv, want] of cases) {
    const { values } = backup(...argv);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(values[k], v, `${argv.join(' ')}: ${k}`);
  }
});

test('parseArgs: -P and --tls-keyfile-password take only attached values; bare means prompt', () => {
  const cases: [string[], unknown][] = [
    [['-Psecret'], 'secret'],
    [['--password=secret'], 'secret'],
    [['--password='], ''],
    [['-P'], PROMPT],
    [['--password'], PROMPT],
    [['-P', '-n', 'test'], PROMPT],
    [['-Pa', '-P'], PROMPT],
    [['-P', '-Pb'], 'b'],
  ];
  for (const [argv, want] of cases) assert.equal(backup(...argv).values.password, want, argv.join(' '));
  assert.equal(backup('--tls-keyfile-password').values.tlsKeyfilePassword, PROMPT);
  assert.equal(backup('--tls-keyfile-password=env:PW').values.tlsKeyfilePassword, 'env:PW');
  rejects(() => backup('-P', 'secret'), 'unexpected argument "secret"', '-PVALUE');
  rejects(() => backup('--password', 'secret'), 'unexpected argument "secret"', '--password=VALUE');
});

test('parseArgs: given is distinct from default', () => {
  const r = backup('-p', '3000');
  assert.ok(r.given.has('port'));
  assert.equal(r.values.port, 3000);
  assert.ok(!r.given.has('host'));
  assert.equal(r.values.host, '127.0.0.1');
  assert.ok(!r.given.has('percent'));
  assert.equal(r.values.percent, 100);
  assert.equal(r.values.namespace, undefined);
});

test('parseArgs: rejected command lines name the option', () => {
  const cases: [string[], ...string[]][] = [
    [['--foo'], 'unknown option --foo'],
    [['--foo=1'], 'unknown option --foo'],
    [['-j'], 'unknown option -j'],
    [['-xj'], 'unknown option -j'],
    [['--service'], 'unknown option --service'], // no prefix abbreviations
    [['--port', 'x'], '--port: expected a number, got "x"'],
    [['-px'], '--port: expected a number, got "x"'],
    [['--port=70000'], '--port', '1..65535'],
    [['-%', '0'], '--percent', 'percentage'],
    [['-%'], '-% (--percent): expected a value'],
    [['-n'], '-n (--namespace): expected a value'],
    [['-n', '-d', 'x'], '-n (--namespace): expected a value'],
    [['--namespace'], '--namespace: expected a value'],
    [['--no-bins=true'], '--no-bins: does not take a value'],
    [['-f', '4'], '--priority', '0..3'],
    [['-a', '2024-02-30_00:00:00'], '--modified-after', 'YYYY-MM-DD_HH:MM:SS'],
    [['stray'], 'unexpected argument "stray"'],
    [['--', '-n'], 'unexpected argument "-n"'],
    [['-l', '1.2.3.4'], '--node-list', 'missing port'],
    [['-h', '::1'], '--host', 'brackets'],
  ];
  for (const [argv, ...fragments] of cases) rejects(() => backup(...argv), ...fragments);
});

test('parseArgs: positionals when the program allows them; negative numbers as values', () => {
  const table = [{ long: 'offset', short: 'k', type: 'number', group: 'Other', describe: 'x' }] as const;
  const r = parseArgs(table, ['a', '-k', '-5', '--', '-b'], 'prog', { positionals: true });
  assert.deepEqual(r.positionals, ['a', '-b']);
  assert.equal(r.values.offset, -5);
});

test('keyOf', () => {
  assert.equal(keyOf('no-bins'), 'noBins');
  assert.equal(keyOf('tls-crl-checkall'), 'tlsCrlCheckall');
  assert.equal(keyOf('records-per-second'), 'recordsPerSecond');
});

test('tables: no duplicate names or letters; seed letters', () => {
  for (const table of [asbackupOptions, asrestoreOptions]) {
    const names = table.flatMap((o) => [o.long, ...(o.aliases ?? [])]);
    assert.equal(new Set(names).size, names.length, 'long names');
    const shorts = table.flatMap((o) => (o.short ? [o.short] : []));
    assert.equal(new Set(shorts).size, shorts.length, 'short letters');
  }
  const letter = (t: typeof asbackupOptions, s: string) => t.find((o) => o.short === s)?.long;
  const seed = { c: 'no-cluster-change', f: 'priority', w: 'parallel', '%': 'percent', N: 'nice', l: 'node-list', F: 'file-limit', r: 'remove-files',
    C: 'compact', e: 'estimate', x: 'no-bins', R: 'no-records', I: 'no-indexes', u: 'no-udfs', a: 'modified-after', b: 'modified-before',
    h: 'host', p: 'port', U: 'user', P: 'password', d: 'directory', o: 'output-file', n: 'namespace', s: 'set', B: 'bin-list', v: 'verbose', Z: 'usage' };
  for (const [s, long] of Object.entries(seed)) assert.equal(letter(asbackupOptions, s), long, `asbackup -${s}`);
  const c = { d: 'directory', i: 'input-file', n: 'namespace', s: 'set-list', B: 'bin-list', u: 'unique', r: 'replace', g: 'no-generation',
    R: 'no-records', I: 'no-indexes', F: 'no-udfs', L: 'indexes-last', w: 'wait', t: 'parallel', N: 'nice', v: 'verbose', Z: 'usage', T: 'timeout' };
  for (const [s, long] of Object.entries(c)) assert.equal(letter(asrestoreOptions, s), long, `asrestore -${s}`);
  assert.equal(asbackupOptions.find((o) => o.long === 'remove-files')?.configKey, false);
  assert.equal(asbackupOptions.find((o) => o.long === 'parallel')?.default, 10);
  assert.equal(asbackupOptions.find((o) => o.long === 'file-limit')?.default, 250);
});

test('usage: groups, letters, arguments, defaults', () => {
  const text = usage(asbackupOptions, 'asbackup', asbackupSynopsis);
  for (const s of ['Usage: asbackup', 'Connection options:', 'TLS options:', 'Output options:', 'Data selection options:', 'Configuration file options:',
    'Other options:', '-%, --percent <percentage>', '(default: 100)', '-P, --password[=<password>]', '-F, --file-limit <MiB>', '(default: 250)',
    '--services-alternate', '-c, --no-cluster-change', '--filter-exp <base64>']) {
    assert.ok(text.includes(s), s);
  }
  assert.ok(text.split('\n').every((l) => l.length <= 100), 'lines wrap');
  const r = usage(asrestoreOptions, 'asrestore', asrestoreSynopsis);
  for (const s of ['Input options:', '-t, --parallel <n>', '(default: 20)', '-N, --nice <MiB/s>,<TPS>', '-w, --wait']) assert.ok(r.includes(s), s);
});

test('validateBackupOptions: cross-option rules', () => {
  const base = ['-n', 'test'];
  const ok = [['-d', 'x'], ['-o', '-'], ['-e'], ['-d', 'x', '-r'], ['-d', 'x', '--filter-exp', 'kwGT', '-s', 'a'],
    ['-d', 'x', '-a', '2024-01-01_00:00:00', '-b', '2024-01-02_00:00:00']];
  for (const extra of ok) parseBackupArgs([...base, ...extra], noConf);
  const digest = Buffer.alloc(20).toString('base64');
  const bad: [string[], ...string[]][] = [
    [['-d', 'x'], '--namespace (-n) is required'],
    [[...base], 'one of --directory (-d), --output-file (-o) or --estimate (-e) is required'],
    [[...base, '-d', 'x', '-o', 'y'], '--directory and --output-file are mutually exclusive'],
    [[...base, '-o', 'y', '-e'], '--output-file and --estimate'],
    [[...base, '-e', '-R'], '--estimate and --no-records'],
    [[...base, '-e', '-r'], '--estimate and --remove-files'],
    [[...base, '-d', 'x', '-x', '-B', 'a'], '--no-bins and --bin-list'],
    [[...base, '-d', 'x', '--partition-list', '0-10', '--after-digest', digest], '--partition-list and --after-digest'],
    [[...base, '-d', 'x', '-l', 'h:3000', '--partition-list', '0'], '--node-list and --partition-list'],
    [[...base, '-d', 'x', '-l', 'h:3000', '--after-digest', digest], '--node-list and --after-digest'],
    [[...base, '-d', 'x', '--filter-exp', 'kwGT', '--no-ttl-only'], '--filter-exp and --no-ttl-only'],
    [[...base, '-d', 'x', '--filter-exp', 'kwGT', '-a', '2024-01-01_00:00:00'], '--filter-exp and --modified-after'],
    [[...base, '-d', 'x', '--filter-exp', 'kwGT', '-s', 'a,b'], '--filter-exp', '--set'],
    [[...base, '-d', 'x', '-a', '2024-01-02_00:00:00', '-b', '2024-01-01_00:00:00'], '--modified-before must be later'],
    [[...base, '-o', 'f', '--output-file-prefix', 'p'], '--output-file-prefix and --output-file'],
    [[...base, '-d', 'x', '-R', '-I', '-u'], 'nothing to back up'],
    [[...base, '-e', '--no-config-file', '--only-config-file', 'f'], '--no-config-file and --only-config-file'],
  ];
  for (const [argv, ...fragments] of bad) rejects(() => parseBackupArgs(argv, noConf), ...fragments);
  // -Z skips validation (usage is printed before anything is checked).
  assert.equal(parseBackupArgs(['-Z'], noConf).options.usage, true);
  rejects(() => validateBackupOptions({ ...parseBackupArgs(['-n', 't', '-e'], noConf).options, host: 'h:x:y:z' } as BackupOptions), '--host');
});

test('validateRestoreOptions: cross-option rules', () => {
  const { options } = parseRestoreArgs(['-d', 'x', '-n', 'a,b', '-N', '5,100', '-r', '-g', '-t', '8', '-w', '-L'], noConf);
  assert.deepEqual(options.namespace, { source: 'a', target: 'b' });
  assert.deepEqual(options.nice, { bandwidth: 5, tps: 100 });
  assert.equal(options.parallel, 8);
  assert.ok(options.wait && options.indexesLast && options.replace && options.noGeneration);
  assert.equal(parseRestoreArgs(['-i', '-'], noConf).options.inputFile, '-');
  const bad: [string[], ...string[]][] = [
    [[], 'one of --directory (-d), --input-file (-i) or --directory-list is required'],
    [['-d', 'x', '--directory-list', 'y'], '--directory and --directory-list are mutually exclusive'],
    [['-d', 'x', '--parent-directory', 'y'], '--parent-directory needs --directory-list'],
    [['-d', 'x', '--retry-scale-factor', '-5'], '--retry-scale-factor'],
    [['-d', 'x', '-i', 'y'], '--directory and --input-file are mutually exclusive'],
    [['-d', 'x', '-u', '-r'], '--unique and --replace'],
    [['-d', 'x', '-u', '-g'], '--unique and --no-generation'],
    [['-d', 'x', '-R', '-I', '-F'], 'nothing to restore'],
    [['-d', 'x', '-l', 'h:3000'], 'unknown option -l'],
    [['-d', 'x', '-N', '5'], '--nice', '<MiB/s>,<TPS>'],
    [['-d', 'x', '-t', '0'], '--parallel', '1..4096'],
    [['-d', 'x', '--extra-ttl', '-1'], '--extra-ttl'],
  ];
  for (const [argv, ...fragments] of bad) rejects(() => parseRestoreArgs(argv, noConf), ...fragments);
});

test('docs/options.md lists every option and alias of both programs', () => {
  const doc = readFileSync(new URL('../../../docs/options.md', import.meta.url), 'utf8');
  for (const table of [asbackupOptions, asrestoreOptions]) {
    for (const o of table) {
      for (const name of [o.long, ...(o.aliases ?? [])]) assert.ok(doc.includes(`\`--${name}\``), `--${name}`);
      if (o.short) assert.ok(doc.includes(`\`-${o.short}\``), `-${o.short}`);
    }
  }
});
