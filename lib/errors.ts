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
  NAMESPACE_MISMATCH: {
    title: 'A backup file holds another namespace',
    cause: 'The `# namespace` line of a file given with -i or -d names another namespace than the source of -n; every file is checked before anything is written.',
    remedy: 'Give -n <namespace in the file>,<target> to restore it into another namespace, or leave out the files of other namespaces.',
    exit: 2,
  },
  PARSE: {
    title: 'A backup file is malformed',
    cause: 'The .asb text breaks the format (version 3.1) at the file, line and column named; the file is damaged, cut short or not an .asb file.',
    remedy: 'Check the file at that position; a file cut short means the backup that wrote it did not finish.',
    exit: 1,
  },
  INPUT_ABORTED: {
    title: 'The input ends with its writer\'s abort line',
    cause: 'The program writing the stream (asbackup -o -, as-scan, another stage) was interrupted or failed, and ended its output with a line that says so (docs/pipelines.md); everything before that line is only part of the data.',
    remedy: 'See the writer\'s own error, fix it and run the whole pipeline again.',
    exit: 1,
  },
  STREAM: {
    title: 'A record-stream line is malformed',
    cause: 'A JSON line between the programs is not a valid item (docs/record-stream.md): bad JSON, a missing field, or a value of the wrong type.',
    remedy: 'Fix the program or jq filter that wrote the line named.',
    exit: 1,
  },
  STREAM_VALUE: {
    title: 'A record-stream field holds a value it cannot hold',
    cause: 'A field of the JSON line named (file:line) is out of range or of the wrong form: an integer 1.5 or -0.9, an integer beyond 2^53 written as a number, generation "x", -1 or 70000, voidTime "abc", indexType "Q", a context that is not a msgpack CDT context. Nothing is rounded or guessed.',
    remedy: 'Fix the program or jq filter that wrote the line; docs/record-stream.md gives the form of each field (integers beyond 2^53 are decimal strings).',
    exit: 1,
  },
  STREAM_BASE64: {
    title: 'A record-stream field is not valid base64',
    cause: 'A digest, base64, context or content field of the JSON line named is not canonical base64 (standard alphabet, = padding, no spaces or line breaks).',
    remedy: 'Write the field with a standard base64 encoder (jq: @base64).',
    exit: 1,
  },
  STREAM_VIEW_MISMATCH: {
    title: 'The view of a list or map differs from its bytes',
    cause: 'A list or map bin carries both its bytes ("base64") and a readable "view" (as-scan --view), and they no longer agree, usually because a jq filter edited the view. The bytes are the data; an edit of the view would be lost.',
    remedy: 'Filter on the view but do not edit it; remove "view" to write the bytes as they are. Lists and maps are changed with a client.',
    exit: 1,
  },
  STREAM_VIEW_WITHOUT_BYTES: {
    title: 'A list or map has no bytes',
    cause: 'A list or map bin of the JSON line named has a "view" or a "value" but no "base64": writers build lists and maps from their bytes only, since JSON cannot tell an integer from a whole double, a string from a blob, or an ordered map from an unordered one.',
    remedy: 'Keep "base64" next to the view (as-scan --view writes both); to leave a bin out, drop the whole bin object.',
    exit: 1,
  },
  UDF_EMPTY: {
    title: 'A UDF module has no content',
    cause: 'A UDF item (record stream or .asb file) has empty content. The server would register it and then refuse to hand it out, so every later backup would fail.',
    remedy: 'Leave the module out (asrestore --no-udfs, or drop the item with jq) or give it its content.',
    exit: 1,
  },
  UDF_UNREADABLE: {
    title: 'A UDF module on the cluster cannot be read',
    cause: 'The cluster lists a UDF module that udf-get cannot return (for example one registered with empty content). The backup stops, as the official asbackup does: a backup without a module it was asked to keep is not whole.',
    remedy: 'Remove the module (asinfo -v "udf-remove:filename=<name>") or register it again, or back up without UDF modules (--no-udfs).',
    exit: 1,
  },
  NO_LAST_UPDATE: {
    title: 'A record has no last-update time to filter on',
    cause: 'as-filter -a/-b met a record without `lastUpdate`: neither a scan nor an .asb file carries a record\'s last-update time, so as-scan and as-decode-asb never set it.',
    remedy: 'Select by time on the server instead: `as-scan -a/-b` (or `asbackup -a/-b`); as-filter -a/-b is for streams that carry `lastUpdate`.',
    exit: 1,
  },
  // --- writing output
  OUTPUT: {
    title: 'An output file or directory cannot be written',
    cause: 'Creating, writing, renaming or removing a backup file failed (no space, no permission, a bad path), or the -m/--machine status file cannot be opened or written.',
    remedy: 'Check the path named, its permissions and the free space.',
    exit: 1,
  },
  OUTPUT_EXISTS: {
    title: 'The output already holds a backup',
    cause: 'The directory given with -d already holds .asb files, or the file given with -o exists.',
    remedy: 'Choose another path, or add -r (--remove-files) to replace the old backup.',
    exit: 2,
  },
  OUTPUT_CLOSED: {
    title: 'The output was closed before the run finished',
    cause: 'The program reading stdout (head, a pipeline stage that failed, a closed socket) stopped reading before everything was written; what it read is only the start of the data.',
    remedy: 'If the reader stopped on purpose (head), nothing else is wrong; otherwise see why the reader stopped. Run pipelines with `set -o pipefail` so that this fails the pipeline.',
    exit: 1,
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
  // --- compressed and encrypted backup files (-z, -y)
  KEY_FILE: {
    title: 'The encryption key file cannot be read',
    cause: 'The file named by --encryption-key-file does not exist, is a directory, or may not be read.',
    remedy: 'Check the path and its permissions.',
    exit: 2,
  },
  KEY_PEM: {
    title: 'The encryption key file holds no usable private key',
    cause: 'The file given with --encryption-key-file is not a PEM private key (perhaps a certificate or a public key), is passphrase-protected, or holds a DSA or DH key, which the official tools derive keys from in a form we cannot reproduce.',
    remedy: 'Give the PEM private key (RSA or EC) the backup was written with; remove a passphrase with `openssl pkey -in KEY -out PLAIN`.',
    exit: 2,
  },
  KEY_ENV: {
    title: 'The encryption key variable cannot be used',
    cause: 'The environment variable named by --encryption-key-env is not set, is empty, or does not hold base64 text.',
    remedy: 'Set the variable to the base64 of the key material the backup was written with.',
    exit: 2,
  },
  ZSTD_UNAVAILABLE: {
    title: 'zstd support is not installed',
    cause: 'The zstd-napi addon that -z zstd needs did not load: npm ci did not finish building it.',
    remedy: 'Run npm ci again and look for errors from node-gyp (python3, make and g++ are needed).',
    exit: 1,
  },
  CODEC_WRONG_KEY: {
    title: 'The backup file does not decrypt with this key',
    cause: 'The first bytes after decryption are neither a zstd frame (with -z) nor .asb text: the key, or the algorithm (aes128 or aes256), is not the one the file was written with, or the file is not encrypted.',
    remedy: 'Give the key file or variable and the --encrypt algorithm the backup was made with.',
    exit: 1,
  },
  CODEC_ENCRYPTED: {
    title: 'The backup file looks encrypted',
    cause: 'The file starts with binary data instead of "Version" (or a zstd frame with -z), and --encrypt was not given.',
    remedy: 'Add --encrypt aes128|aes256 and --encryption-key-file or --encryption-key-env, as for the backup.',
    exit: 1,
  },
  CODEC_NOT_ENCRYPTED: {
    title: 'The backup file is not encrypted',
    cause: '--encrypt was given, but the file starts with .asb text or a zstd frame.',
    remedy: 'Leave out --encrypt and the key options.',
    exit: 1,
  },
  CODEC_COMPRESSED: {
    title: 'The backup file looks zstd-compressed',
    cause: 'The file (or its decrypted data) starts with a zstd frame, and --compress was not given.',
    remedy: 'Add --compress zstd (-z zstd).',
    exit: 1,
  },
  CODEC_NOT_COMPRESSED: {
    title: 'The backup file is not compressed',
    cause: '--compress zstd was given, but the file (or its decrypted data) does not start with a zstd frame.',
    remedy: 'Leave out --compress; if the file is encrypted, add --encrypt and its key instead.',
    exit: 1,
  },
  CODEC_TRUNCATED: {
    title: 'The backup file is cut short',
    cause: 'The file ends inside a zstd frame or inside its 16-byte encryption header, at the byte named: it was not written to the end, or was cut when copied.',
    remedy: 'Use a complete copy of the file; a backup that did not finish must be taken again.',
    exit: 1,
  },
  CODEC_CORRUPT: {
    title: 'The backup file is damaged',
    cause: 'zstd found invalid data, or data that does not match the frame\'s checksum, at the byte range named: the file was changed after it was written, or bytes follow the last frame.',
    remedy: 'Use an undamaged copy of the file.',
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
  CONNECTION_LOST: {
    title: 'The connection to the cluster was lost during the run',
    cause: 'The nodes holding the records\' partitions stopped answering or closed their connections mid-run (a node stopped or restarted, the network failed), and the retries (--max-retries) did not reach them again. Records written before stay written.',
    remedy: 'Check the node named; run again once the cluster is back (a restore may be repeated: records already written are written again).',
    exit: 1,
  },
  BATCH_REJECTED: {
    title: 'A node refused a batch write as a whole',
    cause: 'A node answered a batch write command with an error of the whole batch, not of its records, and kept doing so through --max-retries: batch-max-requests below --batch-size (151), batch commands disabled (150), or batch queues full (152) for longer than the retries wait. The message names the node and the result code; records written before stay written.',
    remedy: 'For 151 give a smaller --batch-size (at most the node\'s batch-max-requests); for 150 give --disable-batch-writes (or set batch-index-threads above 0); for 152 give fewer --max-async-batches or more --max-retries. Then run again (a restore may be repeated).',
    exit: 1,
  },
  PARTITION_UNAVAILABLE: {
    title: 'No node took over a partition whose node left',
    cause: 'A node left during a restore and, within --partition-wait, no other node of the cluster took over a partition it was the master of: the cluster did not re-form (a real one does within its heartbeat timeout, 1.5 s by default), or no node holds a copy of that partition (replication factor 1). The message names the partition, the node lost and the records written before; records written before stay written.',
    remedy: 'Check the node named and the cluster (asadm: info, cluster-stable); raise --partition-wait for a cluster that takes longer to re-form; run again once every partition has a master (a restore may be repeated).',
    exit: 1,
  },
  TIMEOUT: {
    title: 'A time limit ran out',
    cause: 'The scan did not end within --total-timeout.',
    remedy: 'Raise --total-timeout, or give 0 for no limit.',
    exit: 1,
  },
  NAMESPACE_NOT_FOUND: {
    title: 'The namespace is not on the cluster',
    cause: 'The namespace named by -n does not exist on the cluster connected to.',
    remedy: 'Check -n, and -h for the cluster.',
    exit: 1,
  },
  NODE_NOT_FOUND: {
    title: 'A node of --node-list is not in the cluster',
    cause: 'An address given with -l/--node-list is not one of the cluster\'s nodes (the message lists them), or none of the nodes given is the master of a partition of the namespace.',
    remedy: 'Give the nodes as the message lists them (host names are resolved, so either form matches); check -h for the cluster.',
    exit: 1,
  },
  RECORD_REJECTED: {
    title: 'The server rejected a record',
    cause: 'A write of one record was refused with a record-level result code (too big, bad bin name, key mismatch...). "forbidden (22)" for a record that expires: its namespace has nsup-period 0 (and allow-ttl-without-nsup false), so it refuses every record with a TTL.',
    remedy: 'Add --ignore-record-error to count such records and go on; for forbidden (22) with a TTL, give the namespace an nsup-period (or allow-ttl-without-nsup true) first.',
    exit: 1,
  },
  PROTOCOL: {
    title: 'A peer broke the wire protocol',
    cause: 'Bytes from a node (or a proxy in between) are not a valid Aerospike message.',
    remedy: 'Check that -h/-p point at an Aerospike node and that --tls-enable matches the server.',
    exit: 1,
  },
  // --- S3 storage (s3:// paths)
  S3_ENDPOINT: {
    title: 'The S3 endpoint cannot be reached',
    cause: 'The connection to the S3 endpoint was refused, timed out, found no such host, or was answered by something that is not an HTTP server, on every try.',
    remedy: 'Check --s3-endpoint-override (or --s3-region for AWS), that the server is up, and the network; --s3-connect-timeout for a slow one.',
    exit: 1,
  },
  S3_CREDENTIALS: {
    title: 'S3 refused the credentials',
    cause: 'No credentials were found in the AWS chain, or the server does not know the access key, or the secret does not match it.',
    remedy: 'Check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials and config files, and --s3-profile (credentials are never taken from the command line).',
    exit: 1,
  },
  S3_ACCESS_DENIED: {
    title: 'S3 denied access to a bucket or object',
    cause: 'The credentials are valid but may not do what was asked (read, write, list or delete) in the bucket named.',
    remedy: 'Grant the user those rights in the bucket policy or IAM, or use another --s3-profile.',
    exit: 1,
  },
  S3_NO_BUCKET: {
    title: 'The S3 bucket does not exist',
    cause: 'The bucket in the s3:// path is not on the endpoint connected to.',
    remedy: 'Check the bucket name in the s3:// path, --s3-endpoint-override and --s3-region.',
    exit: 1,
  },
  S3_NO_KEY: {
    title: 'The S3 object does not exist',
    cause: 'No object has the key in the s3:// path.',
    remedy: 'Check the key; a backup that did not finish leaves no object (its upload is never completed).',
    exit: 1,
  },
  S3_CHANGED: {
    title: 'An S3 object changed while it was read',
    cause: 'Another writer replaced the object during the read: its ETag or size no longer matches the one the read started with.',
    remedy: 'Read it again once nothing writes to it.',
    exit: 1,
  },
  S3_UPLOAD_GONE: {
    title: 'An S3 multipart upload was aborted by someone else',
    cause: 'The upload of the object named no longer exists: another run (asbackup -r on the same prefix) or a bucket lifecycle rule aborted it.',
    remedy: 'Run the backup again, and only one run per prefix at a time.',
    exit: 1,
  },
  S3_UNAVAILABLE: {
    title: 'S3 kept failing a request',
    cause: 'The server answered 5xx or throttled (SlowDown), or cut answers short, on every try (six tries over about 8 s).',
    remedy: 'Run again when the server is healthy; lower --s3-max-async-uploads or --s3-max-async-downloads for a server that throttles.',
    exit: 1,
  },
  S3_REQUEST: {
    title: 'S3 refused a request',
    cause: 'The server answered an error not listed separately (named in the message with its S3 code).',
    remedy: 'The message names the S3 error code; check the object and the server\'s limits.',
    exit: 1,
  },
  S3_REGION: {
    title: 'No AWS region for an s3:// path',
    cause: 'Neither --s3-region, AWS_REGION, the profile\'s region nor --s3-endpoint-override gives a region.',
    remedy: 'Give --s3-region, set AWS_REGION, or set a region in the profile (--s3-profile).',
    exit: 2,
  },
  S3_TOO_LARGE: {
    title: 'An object would exceed S3\'s limits',
    cause: 'S3 objects hold at most 10000 parts and 5 TiB.',
    remedy: 'Raise --s3-min-part-size, or use -d with a --file-limit to spread the backup over several objects.',
    exit: 1,
  },
  INCOMPLETE: {
    title: 'The run could not cover everything it was asked to',
    cause: 'Partitions could not be read after every retry, or the cluster changed under --no-cluster-change.',
    remedy: 'Run again when the cluster is stable; raise --max-retries for a cluster that is re-forming.',
    exit: 1,
  },
  INTERRUPTED: {
    title: 'The run was stopped by a signal',
    cause: 'SIGINT (Ctrl-C) or SIGTERM (kill) arrived before the run finished. What was written before is reported; files are left as .part, and a stream on stdout ends with an abort line.',
    remedy: 'A backup to a local -d directory or -o file prints the command that resumes it (--continue <state-file>); other runs must be taken again from the start.',
    exit: 1,
  },
  STATE_STDOUT: {
    title: 'A backup to stdout cannot be resumed',
    cause: '--continue or --state-file-dst was given with --output-file - (stdout), or with an s3:// path: a stream cannot be cut back and appended to, and an S3 upload of a failed run is aborted.',
    remedy: 'Back up to a local -d directory or -o file to be able to resume; leave out --continue and --state-file-dst for stdout and S3.',
    exit: 2,
  },
  STATE_INVALID: {
    title: 'A state file or manifest cannot be used',
    cause: 'The state file of --continue (or the manifest beside a backup) is missing, is not valid JSON, is not an asbackup state file, or has a format version this program does not read. Nothing was changed.',
    remedy: 'Name the state file the interrupted backup printed (`<dir>/<prefix|ns>.asb.state` or `<file>.state` by default); if it is lost, take the backup again with -r.',
    exit: 1,
  },
  STATE_MISMATCH: {
    title: 'The options differ from the interrupted backup\'s',
    cause: 'A resumed backup must write exactly what the first run would have: the option named (namespace, sets, bins, filters, time window, compression, encryption, file limit, prefix, place) differs from the value saved in the state file. Nothing was changed.',
    remedy: 'Run the exact command the interrupted backup printed, which ends with --continue <state-file>.',
    exit: 1,
  },
  BACKUP_FILE_MISSING: {
    title: 'A file of the backup is missing',
    cause: 'A file the state file or manifest lists as written is not there (neither under its name nor as .part).',
    remedy: 'Restore the file from where it was moved; otherwise the backup is damaged: take it again with -r.',
    exit: 1,
  },
  BACKUP_FILE_SIZE: {
    title: 'A file of the backup has the wrong size',
    cause: 'A file the state file or manifest lists is shorter (cut short) or longer than when it was written.',
    remedy: 'The file was changed after the backup wrote it; take the backup again with -r.',
    exit: 1,
  },
  BACKUP_FILE_ALTERED: {
    title: 'A file of the backup was altered',
    cause: 'A file the state file or manifest lists has its recorded size but not its recorded SHA-256: its bytes changed after the backup wrote it.',
    remedy: 'Take the backup again with -r; do not restore from the altered file.',
    exit: 1,
  },
  BACKUP_FILE_UNLISTED: {
    title: 'A backup file its directory\'s manifest does not list',
    cause: 'asrestore --validate found an .asb file in a directory whose manifest(s) list the files of the backup there, and none of them lists this one: it is not part of that backup (left from another backup, or copied in), yet a restore of the directory would read it too.',
    remedy: 'Move the file out of the directory, or restore only the files you mean with -i/--input-file.',
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
