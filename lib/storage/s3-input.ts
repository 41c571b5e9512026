// Backups read from S3: every .asb object under a prefix (asrestore -d s3://...), or one
// object (-i, as-decode-asb). Each is read with ranged GETs in parallel pinned to the
// ETag it had when it was listed, so an object replaced mid-restore is an error. Loaded
// only for s3:// paths.
import { UsageError } from '../errors.js';
import type { BackupInput } from '../stages/input.js';
import { listBackupObjects, openBackupUploads } from './s3-prefix.js';
import { readS3Object, statS3Object, type S3ObjectInfo } from './s3-reader.js';
import type { S3Store } from './s3-store.js';
import { parseS3Url, s3Url, type S3Location } from './s3-url.js';

/** s3Input: one object to read; `info` (size and ETag) from a listing or HeadObject. */
export function s3Input(store: S3Store, loc: S3Location, info: S3ObjectInfo): BackupInput {
  return {
    name: s3Url(loc),
    size: info.size,
    // A small read (a header) is one ranged GET at a time, not a window of 5 MiB ones.
    read: (chunk) => readS3Object(store, loc, chunk === undefined ? { info } : { info, chunkSize: chunk, window: 1 }),
  };
}

/** s3ObjectInput: `-i s3://bucket/key`: S3_NO_KEY, S3_NO_BUCKET... when it cannot be read. */
export async function s3ObjectInput(store: S3Store, url: string, label: string): Promise<BackupInput> {
  const loc = parseS3Url(url, 'object', label);
  return s3Input(store, loc, await statS3Object(store, loc));
}

/**
 * s3DirectoryInputs: `-d s3://bucket/prefix`: every .asb object under it, sorted by key.
 * None is NO_BACKUP_FILES, saying so when only unfinished uploads are there.
 */
export async function s3DirectoryInputs(store: S3Store, url: string, label: string): Promise<BackupInput[]> {
  const prefix = parseS3Url(url, 'prefix', label);
  const objects = await listBackupObjects(store, prefix);
  if (objects.length === 0) {
    const uploads = await openBackupUploads(store, prefix);
    const where = s3Url(prefix);
    if (uploads.length > 0) {
      throw new UsageError(`no backup files (*.asb) under ${where}, only ${uploads.length} unfinished upload(s) such as ${s3Url({ bucket: prefix.bucket, key: uploads[0]!.key })}: the backup that started them did not finish; take it again`, where, 'NO_BACKUP_FILES');
    }
    throw new UsageError(`no backup files (*.asb) found under ${where}`, where, 'NO_BACKUP_FILES');
  }
  return objects.map((o) => s3Input(store, { bucket: prefix.bucket, key: o.key }, { size: o.size, etag: o.etag }));
}
