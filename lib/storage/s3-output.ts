// Backups into S3: a prefix as the directory of `-d` (objects `<prefix>/<name>_NNNNN.asb`)
// or one object for `-o`. Each file is a multipart upload: closed (every part stored) when
// the next file starts, completed with the others once the whole backup is written, and
// aborted if the run fails, so no object of a failed backup is ever visible. Loaded by
// lib/stages/destination.ts only for s3:// paths.
import { AsError, UsageError } from '../errors.js';
import type { Removed } from '../stages/files.js';
import type { Destination, DestinationSettings } from '../stages/destination.js';
import type { DirectoryPlace, Target } from '../stages/output.js';
import { abortUploads, deleteObjects, findBackup, listBackupObjects, openUploadsOf, removeBackup } from './s3-prefix.js';
import { statS3Object } from './s3-reader.js';
import { S3Store } from './s3-store.js';
import { keyIn, parseS3Url, s3Url, type S3Location } from './s3-url.js';
import { S3ObjectWriter, type WriterOptions } from './s3-writer.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_MAX_ASYNC_DOWNLOADS, DEFAULT_MAX_ASYNC_UPLOADS, MiB, type S3Settings } from './options.js';

// A file may pass -F by its last record and what zstd holds back: part sizes allow for it.
const LIMIT_SLACK = 16 * MiB;

/** openS3Store: the run's S3 client for these settings (defaults of the C tool where unset). */
export function openS3Store(s: S3Settings | undefined, log?: (line: string) => void): Promise<S3Store> {
  return S3Store.open({
    maxAsyncUploads: DEFAULT_MAX_ASYNC_UPLOADS, maxAsyncDownloads: DEFAULT_MAX_ASYNC_DOWNLOADS, connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
    ...s,
    log,
  });
}

/** s3ObjectTarget: an output file that is one S3 object, visible only once committed. */
export function s3ObjectTarget(store: S3Store, loc: S3Location, o: WriterOptions = {}): Target {
  // sendOnEnd: a closed file waits for its commit without holding its bytes in memory.
  const w = new S3ObjectWriter(store, loc, { ...o, sendOnEnd: true });
  return {
    name: w.url,
    async write(parts) {
      for (const p of parts) await w.write(p);
    },
    close: () => w.end(),
    async commit() {
      await w.complete();
    },
    uncommit: () => deleteObjects(store, loc.bucket, [loc.key]),
    abort: () => w.abort(),
  };
}

/** s3Directory: the files of a directory backup as objects under a prefix. */
export function s3Directory(store: S3Store, prefix: S3Location, fileLimit?: number): DirectoryPlace {
  const expectedBytes = fileLimit === undefined ? undefined : fileLimit + LIMIT_SLACK;
  return {
    name: s3Url(prefix),
    create: async (fileName) => s3ObjectTarget(store, { bucket: prefix.bucket, key: keyIn(prefix.key, fileName) }, { expectedBytes }),
  };
}

/** openS3Destination: see lib/stages/destination.ts. */
export async function openS3Destination(s: DestinationSettings, log?: (line: string) => void): Promise<Destination> {
  const store = await openS3Store(s.s3, log);
  const list = { namePrefix: s.outputFilePrefix };
  const common = {
    s3: true,
    abandon: () => store.abortAll(),
    close: () => store.close(),
  };
  if (s.directory !== undefined) {
    const prefix = parseS3Url(s.directory, 'prefix', '--directory');
    return {
      ...common,
      name: s3Url(prefix),
      // Also the run's first request: a wrong endpoint, credentials or bucket fail here.
      async check() {
        const found = await findBackup(store, prefix, list);
        if (s.removeFiles) return;
        const what = found.object !== undefined ? `already holds a backup (such as ${found.object})` : found.upload !== undefined ? `holds an unfinished backup upload (${found.upload})` : undefined;
        if (what !== undefined) throw new UsageError(`${s3Url(prefix)} ${what}; use -r/--remove-files to clear it`, s3Url(prefix), 'OUTPUT_EXISTS');
      },
      async prepare(l) {
        if (!s.removeFiles) return;
        const { deleted, aborted } = await removeBackup(store, prefix, list);
        if (deleted + aborted > 0) l?.(`Removed ${deleted} .asb object(s) and ${aborted} unfinished upload(s) from ${s3Url(prefix)}`);
      },
      place: s3Directory(store, prefix, s.fileLimit),
    };
  }
  const loc = parseS3Url(s.outputFile!, 'object', '--output-file');
  return {
    ...common,
    name: s3Url(loc),
    async check() {
      const exists = await statS3Object(store, loc).then(() => true, (e: unknown) => {
        if (e instanceof AsError && e.code === 'S3_NO_KEY') return false;
        throw e;
      });
      if (exists && !s.removeFiles) throw new UsageError(`output object ${s3Url(loc)} already exists; use -r/--remove-files to replace it`, s3Url(loc), 'OUTPUT_EXISTS');
    },
    // -r: the old object stays until the new one completes and replaces it, so a failed
    // backup leaves the previous one whole; only unfinished uploads of the key go.
    async prepare() {
      if (s.removeFiles) await abortUploads(store, loc.bucket, await openUploadsOf(store, loc));
    },
    target: async () => s3ObjectTarget(store, loc),
  };
}

/** removeS3Artifacts: --remove-artifacts for an s3:// path: objects and unfinished uploads. */
export async function removeS3Artifacts(s: DestinationSettings, log?: (line: string) => void): Promise<Removed> {
  const store = await openS3Store(s.s3, log);
  try {
    if (s.directory !== undefined) {
      const prefix = parseS3Url(s.directory, 'prefix', '--directory');
      const list = { namePrefix: s.outputFilePrefix };
      const objects = await listBackupObjects(store, prefix, list);
      const { aborted } = await removeBackup(store, prefix, list);
      return { files: objects.map((o) => o.url), directory: false, aborted };
    }
    const loc = parseS3Url(s.outputFile!, 'object', '--output-file');
    const exists = await statS3Object(store, loc).then(() => true, (e: unknown) => {
      if (e instanceof AsError && e.code === 'S3_NO_KEY') return false;
      throw e;
    });
    if (exists) await deleteObjects(store, loc.bucket, [loc.key]);
    const uploads = await openUploadsOf(store, loc);
    await abortUploads(store, loc.bucket, uploads);
    return { files: exists ? [s3Url(loc)] : [], directory: false, aborted: uploads.length };
  } finally {
    store.close();
  }
}
