// What went wrong with an S3 request, in the user's words: each failure becomes one AsError
// with a stable code, the `s3://bucket/key` at fault as its value, and what to check.
import { AsError, type ErrorCode } from '../errors.js';
import { s3Url } from './s3-url.js';

/** S3Target: the request being made and the object (or prefix) it is about. */
export interface S3Target {
  /** The S3 operation, as AWS names it (UploadPart, GetObject, ...). */
  op: string;
  bucket: string;
  key: string;
  /** A multipart upload part or ranged-download chunk number, for messages. */
  part?: number;
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const NETWORK_TRANSIENT = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET',
]);
const S3_TRANSIENT = new Set(['SlowDown', 'ServiceUnavailable', 'InternalError', 'RequestTimeout', 'Throttling', 'ThrottlingException']);
const CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'TokenRefreshRequired', 'CredentialsProviderError', 'InvalidClientTokenId']);

function statusOf(e: SdkError): number | undefined {
  return e.$metadata?.httpStatusCode;
}

/** networkCode: the socket-level error code of a failed request (ECONNRESET, ...), if any. */
export function networkCode(e: unknown): string | undefined {
  const err = e as SdkError & { cause?: unknown };
  // HPE_*: the answer was not HTTP at all (an endpoint that is some other server).
  if (typeof err?.code === 'string' && /^E[A-Z_]+$|^ERR_|^UND_ERR|^HPE_/.test(err.code)) return err.code;
  if (err?.name === 'TimeoutError') return 'ETIMEDOUT';
  if (/socket hang up/i.test(err?.message ?? '')) return 'ECONNRESET';
  return err?.cause ? networkCode(err.cause) : undefined;
}

/**
 * isTransient: worth another try after a pause: a 5xx or throttling answer, a dropped or
 * refused connection (the server restarting), a timeout, or a short read of a body.
 */
export function isTransient(e: unknown): boolean {
  const err = e as SdkError;
  // Our own S3_UNAVAILABLE: an answer cut short, worth another try like a 5xx.
  if (err instanceof AsError) return err.code === 'S3_UNAVAILABLE';
  if (err?.name === 'AbortError') return false;
  const code = networkCode(e);
  if (code !== undefined) return NETWORK_TRANSIENT.has(code);
  const status = statusOf(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  return S3_TRANSIENT.has(err?.name ?? '');
}

/** errorName: the S3 error code or network code of a failure, for messages. */
export function errorName(e: unknown): string {
  const err = e as SdkError;
  const code = networkCode(e);
  if (code) return code;
  const status = statusOf(err);
  const name = err?.name && err.name !== 'Error' && err.name !== 'UnknownError' && err.name !== 'Unknown' ? err.name : undefined;
  return [status, name].filter((x) => x !== undefined).join(' ') || (err?.message ?? String(e));
}

/** describe: `UploadPart s3://b/k (part 3)`. */
function describe(t: S3Target): string {
  return `${t.op} ${s3Url(t)}${t.part === undefined ? '' : ` (part ${t.part})`}`;
}

/**
 * s3Error: one AsError for a failed request; `tries` is how many attempts were made.
 * Codes: S3_ENDPOINT, S3_CREDENTIALS, S3_ACCESS_DENIED, S3_NO_BUCKET, S3_NO_KEY, S3_CHANGED,
 * S3_UPLOAD_GONE, S3_UNAVAILABLE, S3_REQUEST.
 */
export function s3Error(e: unknown, t: S3Target, endpoint: string, tries: number): AsError {
  if (e instanceof AsError) return e;
  const err = e as SdkError;
  const value = s3Url(t);
  const after = tries > 1 ? ` after ${tries} tries` : '';
  const make = (code: ErrorCode, message: string) => new AsError(code, message, { cause: e, value });
  const net = networkCode(e);
  if (net !== undefined || err?.name === 'TimeoutError') {
    return make('S3_ENDPOINT', `cannot reach the S3 endpoint ${endpoint} for ${describe(t)}${after}: ${net ?? err.message}; check --s3-endpoint-override (or --s3-region) and that the server is up`);
  }
  const name = err?.name ?? '';
  const status = statusOf(err);
  if (CREDENTIALS.has(name) || (status === undefined && /credential/i.test(err?.message ?? ''))) {
    return make('S3_CREDENTIALS', `S3 refused the credentials for ${describe(t)} (${name}: ${err.message}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials file and --s3-profile`);
  }
  if (name === 'AccessDenied' || status === 403) {
    return make('S3_ACCESS_DENIED', `access denied for ${describe(t)}; check that the credentials (--s3-profile, AWS_* variables) may use bucket ${t.bucket}`);
  }
  if (name === 'NoSuchBucket') {
    return make('S3_NO_BUCKET', `bucket ${t.bucket} does not exist at ${endpoint} (${describe(t)}); check the bucket name in the s3:// path and --s3-endpoint-override/--s3-region`);
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchUpload')) {
    return make('S3_NO_KEY', `no object ${value} (${t.op}); check the key in the s3:// path`);
  }
  if (name === 'PreconditionFailed' || status === 412) {
    return make('S3_CHANGED', `${value} changed while it was being read (its ETag no longer matches); another writer replaced it, read it again once it is complete`);
  }
  if (name === 'NoSuchUpload') {
    return make('S3_UPLOAD_GONE', `the multipart upload of ${value} no longer exists (${t.op}); another run (asbackup -r?) or a bucket lifecycle rule aborted it: run the backup again`);
  }
  if (isTransient(e)) {
    return make('S3_UNAVAILABLE', `${describe(t)} failed${after}: ${errorName(e)}${err?.message ? ` (${err.message})` : ''}; the S3 server is down or overloaded, try again later`);
  }
  return make('S3_REQUEST', `${describe(t)} failed: ${errorName(e)}${err?.message && err.message !== name ? ` (${err.message})` : ''}`);
}
