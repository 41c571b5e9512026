// A "directory" in S3: the `.asb` objects under a key prefix. Listed as the C tool does
// (ListObjectsV2 without a delimiter, so nested keys count too, every key ending in .asb),
// but under `<prefix>/` so `s3://b/backup` never takes `backup-old/...`; sorted by key.
import {
  AbortMultipartUploadCommand, DeleteObjectsCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { AsError, UsageError } from '../errors.js';
import { isFileOf } from '../stages/files.js';
import { statS3Object } from './s3-reader.js';
import type { S3Store } from './s3-store.js';
import { isBackupKey, listPrefix, s3Url, type S3Location } from './s3-url.js';

/** S3BackupObject: one listed .asb object. */
export interface S3BackupObject {
  key: string;
  url: string;
  size: number;
  etag: string;
}

/** S3OpenUpload: a multipart upload of an .asb key never completed nor aborted. */
export interface S3OpenUpload {
  key: string;
  uploadId: string;
}

/** Listing options; pageSize is ListObjectsV2's MaxKeys (the server's default: 1000). */
export interface ListOptions {
  pageSize?: number;
  /** Only the files of one backup slice: `<namePrefix>_*.asb` (--output-file-prefix). */
  namePrefix?: string;
}

// A listed key counts: an .asb key, of the slice asked for if one is.
const wanted = (key: string, o: ListOptions): boolean =>
  isBackupKey(key) && (o.namePrefix === undefined || isFileOf(key.slice(key.lastIndexOf('/') + 1), o.namePrefix));

/** backupObjectPages: the .asb objects under a prefix, one page of the listing at a time. */
export async function* backupObjectPages(store: S3Store, prefix: S3Location, o: ListOptions = {}): AsyncGenerator<S3BackupObject[]> {
  let token: string | undefined;
  do {
    const r = await store.call({ op: 'ListObjectsV2', ...prefix }, (signal) => store.client.send(new ListObjectsV2Command({
      Bucket: prefix.bucket, Prefix: listPrefix(prefix.key), ContinuationToken: token, MaxKeys: o.pageSize,
    }), { abortSignal: signal }));
    yield (r.Contents ?? []).filter((c) => c.Key !== undefined && wanted(c.Key, o)).map((c) => ({
      key: c.Key!, url: s3Url({ bucket: prefix.bucket, key: c.Key! }), size: c.Size ?? 0, etag: c.ETag ?? '',
    }));
    // A server that says "truncated" without a token would loop forever: stop instead.
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
}

/** listBackupObjects: every .asb object under a prefix, sorted by key (empty if none). */
export async function listBackupObjects(store: S3Store, prefix: S3Location, o: ListOptions = {}): Promise<S3BackupObject[]> {
  const all: S3BackupObject[] = [];
  for await (const page of backupObjectPages(store, prefix, o)) all.push(...page);
  return all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// The unfinished multipart uploads of keys starting with `keyPrefix` (a raw S3 prefix).
async function openUploads(store: S3Store, bucket: string, keyPrefix: string, o: ListOptions): Promise<S3OpenUpload[]> {
  const out: S3OpenUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const r = await store.call({ op: 'ListMultipartUploads', bucket, key: keyPrefix }, (signal) => store.client.send(new ListMultipartUploadsCommand({
      Bucket: bucket, Prefix: keyPrefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker, MaxUploads: o.pageSize,
    }), { abortSignal: signal }));
    for (const u of r.Uploads ?? []) if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId });
    // A server that says "truncated" without moving its markers would loop forever: stop instead.
    if (!r.IsTruncated || (r.NextKeyMarker === keyMarker && r.NextUploadIdMarker === uploadIdMarker)) return out;
    keyMarker = r.NextKeyMarker;
    uploadIdMarker = r.NextUploadIdMarker;
  }
}

/** openBackupUploads: the unfinished multipart uploads of .asb keys under a prefix. */
export async function openBackupUploads(store: S3Store, prefix: S3Location, o: ListOptions = {}): Promise<S3OpenUpload[]> {
  return (await openUploads(store, prefix.bucket, listPrefix(prefix.key), o)).filter((u) => wanted(u.key, o));
}

/** openUploadsOf: the unfinished multipart uploads of exactly this key. */
export async function openUploadsOf(store: S3Store, loc: S3Location): Promise<S3OpenUpload[]> {
  return (await openUploads(store, loc.bucket, loc.key, {})).filter((u) => u.key === loc.key);
}

/** S3Existing: what a prefix already holds of a backup. */
export interface S3Existing {
  /** The first .asb object found, if any. */
  object?: string;
  /** The first unfinished .asb upload found (a backup that was interrupted), if any. */
  upload?: string;
}

/** findBackup: whether a prefix already holds .asb objects or unfinished .asb uploads (stops at the first). */
export async function findBackup(store: S3Store, prefix: S3Location, o: ListOptions = {}): Promise<S3Existing> {
  for await (const page of backupObjectPages(store, prefix, o)) {
    if (page.length > 0) return { object: page[0]!.url };
  }
  const uploads = await openBackupUploads(store, prefix, o);
  return uploads.length > 0 ? { upload: s3Url({ bucket: prefix.bucket, key: uploads[0]!.key }) } : {};
}

/** deleteObjects: DeleteObjects in batches of 1000 (the S3 limit); any key it could not delete is an error. */
export async function deleteObjects(store: S3Store, bucket: string, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const batch = keys.slice(i, i + 1000);
    const r = await store.call({ op: 'DeleteObjects', bucket, key: batch[0]! }, (signal) => store.client.send(new DeleteObjectsCommand({
      Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
    }), { abortSignal: signal }));
    const failed = r.Errors?.[0];
    if (failed) {
      const url = s3Url({ bucket, key: failed.Key ?? '' });
      const code = failed.Code === 'AccessDenied' ? 'S3_ACCESS_DENIED' : 'S3_REQUEST';
      throw new AsError(code, `cannot delete ${url}: ${failed.Code ?? 'error'} (${failed.Message ?? ''}); ${r.Errors!.length} object(s) of this batch were not deleted; check that the credentials may delete in bucket ${bucket}`, { value: url });
    }
  }
}

/** abortUploads: aborts multipart uploads; one already gone is fine. */
export async function abortUploads(store: S3Store, bucket: string, uploads: S3OpenUpload[]): Promise<void> {
  for (const u of uploads) {
    await store.call({ op: 'AbortMultipartUpload', bucket, key: u.key }, (signal) => store.client.send(new AbortMultipartUploadCommand({
      Bucket: bucket, Key: u.key, UploadId: u.uploadId,
    }), { abortSignal: signal })).catch((e: unknown) => {
      if (!(e instanceof AsError && e.code === 'S3_UPLOAD_GONE')) throw e;
    });
  }
}

/**
 * removeBackup: -r: deletes the .asb objects under a prefix (of one slice with
 * o.namePrefix) and aborts their unfinished uploads.
 */
export async function removeBackup(store: S3Store, prefix: S3Location, o: ListOptions = {}): Promise<{ deleted: number; aborted: number }> {
  const objects = await listBackupObjects(store, prefix, o);
  await deleteObjects(store, prefix.bucket, objects.map((x) => x.key));
  const uploads = await openBackupUploads(store, prefix, o);
  await abortUploads(store, prefix.bucket, uploads);
  return { deleted: objects.length, aborted: uploads.length };
}

/**
 * prepareS3Directory: asbackup -d s3://...: refuses a prefix that already holds a backup
 * (objects or unfinished uploads; of one slice with o.namePrefix) unless removeFiles, which
 * clears it. Also the first request of a run, so a wrong endpoint, bucket or credentials
 * fail here.
 */
export async function prepareS3Directory(store: S3Store, prefix: S3Location, removeFiles: boolean, log?: (line: string) => void, o: ListOptions = {}): Promise<void> {
  if (removeFiles) {
    const { deleted, aborted } = await removeBackup(store, prefix, o);
    if (deleted + aborted > 0) log?.(`Removed ${deleted} .asb object(s) and ${aborted} unfinished upload(s) from ${s3Url(prefix)}`);
    return;
  }
  const found = await findBackup(store, prefix, o);
  if (found.object !== undefined) {
    throw new UsageError(`${s3Url(prefix)} already holds a backup (such as ${found.object}); use -r/--remove-files to clear it`, s3Url(prefix), 'OUTPUT_EXISTS');
  }
  if (found.upload !== undefined) {
    throw new UsageError(`${s3Url(prefix)} holds an unfinished backup upload (${found.upload}); use -r/--remove-files to clear it`, s3Url(prefix), 'OUTPUT_EXISTS');
  }
}

/**
 * prepareS3Object: asbackup -o s3://...: refuses an existing object unless removeFiles,
 * which deletes it and aborts unfinished uploads of that key. A missing bucket fails here.
 */
export async function prepareS3Object(store: S3Store, loc: S3Location, removeFiles: boolean): Promise<void> {
  const exists = await statS3Object(store, loc).then(() => true, (e: unknown) => {
    if (e instanceof AsError && e.code === 'S3_NO_KEY') return false;
    throw e;
  });
  if (exists && !removeFiles) throw new UsageError(`output object ${s3Url(loc)} already exists; use -r/--remove-files to replace it`, s3Url(loc), 'OUTPUT_EXISTS');
  if (!removeFiles) return;
  if (exists) await deleteObjects(store, loc.bucket, [loc.key]);
  await abortUploads(store, loc.bucket, await openUploadsOf(store, loc));
}
