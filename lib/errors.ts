// Typed errors: raised where a problem is detected, turned into one line by lib/cli/run.ts.

/** AsError: base of every error we raise. `code` is stable; `value` is the offending thing. */
export class AsError extends Error {
  readonly code: string;
  readonly value?: unknown;
  constructor(code: string, message: string, options?: { cause?: unknown; value?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.value !== undefined) this.value = options.value;
  }
}

/** UsageError: a bad option or argument (exit code 2). */
export class UsageError extends AsError {
  constructor(message: string, value?: unknown) {
    super('USAGE', message, { value });
  }
}

/** ParseError: bad input data, with its position. */
export class ParseError extends AsError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(message: string, file: string, line: number, column: number, readonly excerpt?: string) {
    super('PARSE', message, { value: `${file}:${line}:${column}` });
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/** ServerError: the server answered with a result code. */
export class ServerError extends AsError {
  constructor(readonly resultCode: number, message: string, readonly host?: string) {
    super('SERVER', message, { value: resultCode });
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
