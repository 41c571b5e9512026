// Typed errors: raised where a problem is detected, turned into one line by lib/cli/run.ts.
// Every code is declared once, in ERRORS below; docs/errors.md is generated from it
// (`npm run docs`), and a test keeps the two equal.

/** ErrorInfo: what a user needs to know about one error code. */
export interface ErrorInfo {
  /** What went wrong, in a few words (the heading in docs/errors.md). */
  title: string;
  /** Why it happens. */
  cause: string;
  /** What to do about it, naming the option that changes the behaviour where one does. */
  remedy: string;
  /** Exit code: 2 for usage errors, 1 for everything else. */
  exit: 1 | 2;
}

/** ERRORS: every error code of every program. */
export const ERRORS = {
  // --- the command line and the configuration
  USAGE: {
    title: 'A bad option or argument',
    cause: 'An unknown option, a missing or malformed value, options that exclude each other, or a required option left out.',
    remedy: 'Correct the command line; `<program> --help` lists the options.',
    exit: 2,
  },
  CONFIG: {
    title: 'A configuration file cannot be used',
    cause: 'An astools.conf file named by --config-file or --only-config-file is missing or not valid TOML, or holds an unknown key or a bad value.',
    remedy: 'Correct the file at the line named, or leave it out with --no-config-file.',
    exit: 2,
  },
  SECRET: {
    title: 'A password or key passphrase cannot be read',
    cause: 'A bare -P or --tls-keyfile-password needs a terminal to prompt on; env:VAR names an unset variable; file:PATH cannot be read.',
    remedy: 'Give the secret as -P<password>, env:<VAR> or file:<path>, or run where a terminal is available.',
    exit: 1,
  },
  // --- reading input
  INPUT: {
    title: 'An input file or directory cannot be read',
    cause: 'The path named by -i, -d or a positional argument does not exist, is not the kind of thing expected, or may not be read.',
    remedy: 'Check the path and its permissions.',
    exit: 2,
  },
  NO_BACKUP_FILES: {
    title: 'No backup files in the directory',
    cause: 'The directory given with -d holds no *.asb files (perhaps only .part files of a backup that did not finish).',
    remedy: 'Name the directory that holds the backup; a backup that left .part files is incomplete and must be taken again.',
    exit: 2,
  },
  PARSE: {
    title: 'A backup file is malformed',
    cause: 'The .asb text breaks the format (version 3.1) at the file, line and column named; the file is damaged, cut short or not an .asb file.',
    remedy: 'Check the file at that position; a file cut short means the backup that wrote it did not finish.',
    exit: 1,
  },
  STREAM: {
    title: 'A record-stream line is malformed',
    cause: 'A JSON line between the programs is not a valid item (docs/record-stream.md): bad JSON, a missing field, or a value of the wrong type.',
    remedy: 'Fix the program or jq filter that wrote the line named.',
    exit: 1,
  },
  // --- writing output
  OUTPUT: {
    title: 'An output file or directory cannot be written',
    cause: 'Creating, writing or renaming a backup file failed (no space, no permission, a bad path).',
    remedy: 'Check the path named, its permissions and the free space.',
    exit: 1,
  },
  OUTPUT_EXISTS: {
    title: 'The output already holds a backup',
    cause: 'The directory given with -d already holds .asb files, or the file given with -o exists.',
    remedy: 'Choose another path, or add -r (--remove-files) to replace the old backup.',
    exit: 2,
  },
  ASB_ENCODE: {
    title: 'A value cannot be written to an .asb file',
    cause: 'A record holds something the .asb format cannot represent (a key or bin of an unknown particle type, a bin name over 15 bytes, an index type outside N/L/K/V).',
    remedy: 'Leave the record or bin out of the backup (--bin-list, as-filter), or fix the stream that produced it.',
    exit: 1,
  },
  ENCODER: {
    title: 'An encoder thread failed',
    cause: 'A worker thread formatting .asb text (--encoder-threads) stopped unexpectedly.',
    remedy: 'Run again; with --encoder-threads 0 the text is formatted on the main thread.',
    exit: 1,
  },
  // --- the cluster
  CONNECT: {
    title: 'A node cannot be reached',
    cause: 'A seed host or node refused the connection, timed out, or closed it.',
    remedy: 'Check -h/-p, that the node is up, and the network; raise --socket-timeout for a slow network.',
    exit: 1,
  },
  TLS: {
    title: 'TLS cannot be set up or the server is not trusted',
    cause: 'A certificate, key, CA or CRL file cannot be read, or the server certificate fails verification (name, chain, blacklist, revocation).',
    remedy: 'Check the --tls-* options named in the message.',
    exit: 1,
  },
  SERVER: {
    title: 'The server refused a command',
    cause: 'A node answered with an error result code (named in the message), for example a failed login, a missing namespace, or a refused index or UDF.',
    remedy: 'The message names the result code; check the user (-U) and its roles for login and permission errors.',
    exit: 1,
  },
  NAMESPACE_NOT_FOUND: {
    title: 'The namespace is not on the cluster',
    cause: 'The namespace named by -n does not exist on the cluster connected to.',
    remedy: 'Check -n, and -h for the cluster.',
    exit: 1,
  },
  RECORD_REJECTED: {
    title: 'The server rejected a record',
    cause: 'A write of one record was refused with a record-level result code (too big, bad bin name, key mismatch...).',
    remedy: 'Add --ignore-record-error to count such records and go on.',
    exit: 1,
  },
  PROTOCOL: {
    title: 'A peer broke the wire protocol',
    cause: 'Bytes from a node (or a proxy in between) are not a valid Aerospike message.',
    remedy: 'Check that -h/-p point at an Aerospike node and that --tls-enable matches the server.',
    exit: 1,
  },
  INCOMPLETE: {
    title: 'The run could not cover everything it was asked to',
    cause: 'Partitions could not be read after every retry, or the cluster changed under --no-cluster-change.',
    remedy: 'Run again when the cluster is stable; raise --max-retries for a cluster that is re-forming.',
    exit: 1,
  },
  INTERNAL: {
    title: 'A bug',
    cause: 'The program reached a state it should never be in.',
    remedy: 'Report it with the message and, run again with AS_DEBUG=1, the stack trace.',
    exit: 1,
  },
} as const satisfies Record<string, ErrorInfo>;

/** ErrorCode: a key of ERRORS. */
export type ErrorCode = keyof typeof ERRORS;

/** AsError: base of every error we raise. `code` is stable; `value` is the offending thing. */
export class AsError extends Error {
  readonly code: ErrorCode;
  readonly value?: unknown;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; value?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.value !== undefined) this.value = options.value;
  }
}

/** UsageError: a bad option or argument (exit code 2). */
export class UsageError extends AsError {
  constructor(message: string, value?: unknown, code: ErrorCode = 'USAGE') {
    super(code, message, { value });
  }
}

/** ParseError: bad input data, with its position. */
export class ParseError extends AsError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(message: string, file: string, line: number, column: number, readonly excerpt?: string, code: ErrorCode = 'PARSE') {
    super(code, message, { value: `${file}:${line}:${column}` });
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** ServerError: the server answered with a result code. */
export class ServerError extends AsError {
  constructor(readonly resultCode: number, message: string, readonly host?: string, code: ErrorCode = 'SERVER') {
    super(code, message, { value: resultCode });
  }
}

/** ConnectError: a socket could not be opened or broke; names host:port. */
export class ConnectError extends AsError {
  constructor(readonly host: string, message: string, cause?: unknown) {
    super('CONNECT', message, { cause, value: host });
  }
}

/** ProtocolError: bytes from a peer that break the protocol. */
export class ProtocolError extends AsError {
  constructor(message: string, value?: unknown) {
    super('PROTOCOL', message, { value });
  }
}

/** IncompleteError: the run could not cover everything it was asked to (exit 1). */
export class IncompleteError extends AsError {
  constructor(message: string, value?: unknown) {
    super('INCOMPLETE', message, { value });
  }
}

/** exitCodeOf: the exit code an error ends a program with. */
export function exitCodeOf(e: unknown): number {
  return e instanceof AsError ? ERRORS[e.code].exit : 1;
}
