// `s3://bucket/key` paths, as the official C tools take them wherever a file or directory
// is expected. The scheme is matched without regard to case, as the C tool does.
import { UsageError } from '../errors.js';

/** S3Location: a bucket and a key (an object) or a key prefix (a "directory"). */
export interface S3Location {
  bucket: string;
  key: string;
}

const SCHEME = /^s3:\/\//i;

/** isS3Url: whether a path names S3 storage rather than a local file. */
export function isS3Url(path: string): boolean {
  return SCHEME.test(path);
}

/**
 * parseS3Url: the bucket and key of an `s3://` path. An object needs a key that does not
 * end in `/`; a prefix (`-d s3://bucket/backups`) may be the whole bucket (`s3://bucket`)
 * and loses trailing slashes, so `s3://b/p/` and `s3://b/p` both write `p/<name>.asb`.
 * `label` names where the path came from (`--directory`) in the error.
 */
export function parseS3Url(path: string, what: 'object' | 'prefix' = 'object', label = 'S3 path'): S3Location {
  const expected = what === 'object' ? 's3://<bucket>/<key>' : 's3://<bucket>[/<prefix>]';
  const bad = (why: string): never => {
    throw new UsageError(`${label} ${JSON.stringify(path)}: ${why}; expected ${expected}`, path);
  };
  if (!isS3Url(path)) bad('not an s3:// path');
  const rest = path.replace(SCHEME, '');
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  let key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket.length === 0) bad('no bucket name');
  if (/[\s\\]/.test(bucket)) bad(`bucket name ${JSON.stringify(bucket)} holds a blank or backslash`);
  if (what === 'object') {
    if (key.length === 0) bad('no object key after the bucket');
    if (key.endsWith('/')) bad('an object key cannot end in /');
  } else {
    key = key.replace(/\/+$/, '');
  }
  return { bucket, key };
}

/** s3Url: the `s3://bucket/key` form of a location (for messages and file lists). */
export function s3Url(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}

/** keyIn: the key of a file named `name` under a prefix (the prefix may be the bucket root). */
export function keyIn(prefix: string, name: string): string {
  return prefix.length === 0 ? name : `${prefix}/${name}`;
}

/** listPrefix: what ListObjectsV2 is asked for, so prefix `b` never matches `b-old/...`. */
export function listPrefix(prefix: string): string {
  return prefix.length === 0 ? '' : `${prefix}/`;
}

/** isBackupKey: an `.asb` object key, by the C tool's rule (a name longer than `.asb`). */
export function isBackupKey(key: string): boolean {
  return key.length > 4 && key.endsWith('.asb');
}

/** objectParams: a location as the SDK's request fields. */
export function objectParams(loc: S3Location): { Bucket: string; Key: string } {
  return { Bucket: loc.bucket, Key: loc.key };
}
