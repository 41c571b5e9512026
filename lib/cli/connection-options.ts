// Options shared by asbackup and asrestore: connection, TLS, config files and the general
// ones (-v, -Z, --version). Both tables are built from these rows so the two programs spell
// and document them identically.
import type { OptionSpec } from './options.js';
import { helpOptions } from './program.js';
import { intRange, nonEmpty, oneOf, parseHostList, parsePort } from './parse-values.js';

/** connectionOptions: -h -p -U -P -A, alternate services and TLS; all live in [cluster]. */
export const connectionOptions: readonly OptionSpec[] = [
  {
    long: 'host', short: 'h', type: 'string', default: '127.0.0.1', group: 'Connection', arg: '<host[:tlsname][:port][,...]>',
    describe: 'Seed host(s) of the cluster; the other nodes are discovered. IPv6 addresses in [brackets].',
    // Syntax only here: the port default comes from -p, applied by parseHostList later.
    validate: (v: string, label: string) => (parseHostList(v, 3000, label), v),
  },
  { long: 'port', short: 'p', type: 'number', default: 3000, group: 'Connection', arg: '<port>', describe: 'Port for hosts given without one.', validate: parsePort },
  { long: 'user', short: 'U', type: 'string', group: 'Connection', arg: '<user>', describe: 'User name (mandatory if the server has security enabled).', validate: nonEmpty },
  {
    long: 'password', short: 'P', type: 'optional-string', group: 'Connection', arg: '<password>',
    describe: 'Password: -P<password> or --password=<password>; -P or --password alone prompts for it.',
  },
  {
    long: 'auth', short: 'A', type: 'string', default: 'INTERNAL', group: 'Connection', arg: '<mode>',
    describe: 'Authentication mode: INTERNAL, EXTERNAL, EXTERNAL_INSECURE or PKI.',
    validate: oneOf('INTERNAL', 'EXTERNAL', 'EXTERNAL_INSECURE', 'PKI'),
  },
  {
    long: 'service-alternate', short: 'S', aliases: ['services-alternate'], configAliases: ['use-services-alternate'],
    type: 'boolean', group: 'Connection', describe: 'Connect to the nodes\' alternate-access-address instead of access-address.',
  },
  { long: 'tls-enable', type: 'boolean', group: 'Connection', describe: 'Use TLS connections.' },
  { long: 'tls-name', type: 'string', group: 'TLS', arg: '<name>', describe: 'TLS name for hosts given without one.', validate: nonEmpty },
  { long: 'tls-cafile', type: 'string', group: 'TLS', arg: '<path>', describe: 'Trusted CA certificate file.' },
  { long: 'tls-capath', type: 'string', group: 'TLS', arg: '<dir>', describe: 'Directory of trusted CA certificates.' },
  {
    long: 'tls-protocols', type: 'string', group: 'TLS', arg: '<protocols>',
    describe: 'Allowed TLS protocols, Apache SSLProtocol syntax (default \'-all +TLSv1.2\').',
  },
  { long: 'tls-cipher-suite', type: 'string', group: 'TLS', arg: '<ciphers>', describe: 'Allowed ciphers, OpenSSL cipher list format.' },
  { long: 'tls-keyfile', type: 'string', group: 'TLS', arg: '<path>', describe: 'Client key for mutual authentication.' },
  {
    long: 'tls-keyfile-password', type: 'optional-string', group: 'TLS', arg: '<password>',
    describe: 'Password of the key file: env:<VAR>, file:<path> or the password; given bare it prompts.',
  },
  { long: 'tls-certfile', type: 'string', group: 'TLS', arg: '<path>', describe: 'Client certificate chain for mutual authentication.' },
  { long: 'tls-cert-blacklist', type: 'string', group: 'TLS', arg: '<path>', describe: 'File of blacklisted certificate serial numbers (one per line, optional issuer).' },
  { long: 'tls-crl-check', type: 'boolean', group: 'TLS', describe: 'Check the CRL of the leaf certificate (CRLs from --tls-capath).' },
  { long: 'tls-crl-checkall', aliases: ['tls-crl-check-all'], type: 'boolean', group: 'TLS', describe: 'Check the CRLs of the whole certificate chain.' },
];

/** configFileOptions: which astools.conf files are read; command line only. */
export const configFileOptions: readonly OptionSpec[] = [
  { long: 'no-config-file', type: 'boolean', group: 'Configuration file', configKey: false, describe: 'Read no configuration file (excludes --only-config-file).' },
  { long: 'instance', type: 'string', group: 'Configuration file', configKey: false, arg: '<name>', describe: 'Read sections [cluster_<name>] and [<program>_<name>].', validate: nonEmpty },
  { long: 'config-file', type: 'string', group: 'Configuration file', configKey: false, arg: '<path>', describe: 'Read this file after the default ones.' },
  { long: 'only-config-file', type: 'string', group: 'Configuration file', configKey: false, arg: '<path>', describe: 'Read only this configuration file (excludes --no-config-file).' },
];

/** generalOptions: -v, -Z/--usage/--help, -V/--version. */
export const generalOptions: readonly OptionSpec[] = [
  { long: 'verbose', short: 'v', type: 'boolean', group: 'Other', describe: 'Print much more about the run.' },
  ...helpOptions,
];

/** A seed time-out of 0 means this (the official asbackup's fixed connect time-out). */
export const DEFAULT_SEED_TIMEOUT_MS = 10_000;

/**
 * timeoutOptions: per-command client policy (scan for asbackup, writes for asrestore).
 * `seeds`: --socket-timeout is also the time each seed host has to answer (programs
 * without -T). `total`: what --total-timeout does, when more than its name says.
 */
export function timeoutOptions(what: string, opts: { seeds?: boolean; total?: string } = {}): OptionSpec[] {
  const seedText = opts.seeds ? `; also the time a seed host has to answer (0 = ${DEFAULT_SEED_TIMEOUT_MS / 1000} s)` : '';
  return [
    { long: 'socket-timeout', type: 'number', default: 10000, group: 'Other', arg: '<ms>', describe: `Socket idle timeout of ${what} in ms (0 = none)${seedText}.`, validate: intRange(0) },
    { long: 'total-timeout', type: 'number', default: 0, group: 'Other', arg: '<ms>', describe: opts.total ?? `Total timeout of ${what} in ms (0 = none).`, validate: intRange(0) },
    { long: 'max-retries', type: 'number', default: 5, group: 'Other', arg: '<n>', describe: `Retries of ${what}.`, validate: intRange(0) },
  ];
}

/** ConnectionValues: the resolved shared options (camelCase), part of both programs' options. */
export interface ConnectionValues {
  host: string;
  port: number;
  user?: string;
  /** `true` = prompt for it (bare -P / --password). */
  password?: string | true;
  auth: 'INTERNAL' | 'EXTERNAL' | 'EXTERNAL_INSECURE' | 'PKI';
  serviceAlternate: boolean;
  tlsEnable: boolean;
  tlsName?: string;
  tlsCafile?: string;
  tlsCapath?: string;
  tlsProtocols?: string;
  tlsCipherSuite?: string;
  tlsKeyfile?: string;
  /** `true` = prompt for it. */
  tlsKeyfilePassword?: string | true;
  tlsCertfile?: string;
  tlsCertBlacklist?: string;
  tlsCrlCheck: boolean;
  tlsCrlCheckall: boolean;
  noConfigFile: boolean;
  instance?: string;
  configFile?: string;
  onlyConfigFile?: string;
  verbose: boolean;
  usage: boolean;
  version: boolean;
  socketTimeout: number;
  totalTimeout: number;
  maxRetries: number;
}
