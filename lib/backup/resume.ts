// A resumable backup's journal (the state file, lib/backup/state.ts) and the resume of an
// interrupted one: its checks before anything is touched, the cut back to the last durable
// point once the cluster answered, and the manifest when the backup is whole.
import { existsSync, openSync, readSync, closeSync, readdirSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { AsError } from '../errors.js';
import { fsReason } from '../paths.js';
import { wallClock } from '../clock.js';
import { checkFileHead } from '../codec/head.js';
import { decryptHeader, AES_HEADER_SIZE } from '../codec/aes.js';
import { FileEncoder } from '../codec/encoder.js';
import { PLAIN } from '../codec/codec.js';
import { isS3Url } from '../storage/s3-url.js';
import { OutputFile, PART, localFileTarget } from '../stages/output.js';
import { inlineHash } from '../stages/file-hash.js';
import { isFileOf, isSpecialFile, type AsbBatch, type Checkpoints, type DurableFile, type WriteResult } from '../stages/files.js';
import type { Logger } from '../log.js';
import type { EncodeCounts } from './encode.js';
import type { BackupSettings } from './settings.js';
import {
  MANIFEST_FORMAT, PartitionProgress, STATE_FORMAT, STATE_VERSION, checkFile, checkSettings, manifestPathOf, readState, removeIfThere,
  settingsDigest, stateSettingsOf, statePathOf, writeJsonAtomically, type BackupState, type Counters,
} from './state.js';

/** -o: KiB stored between durable points unless --checkpoint-interval says otherwise. */
export const DEFAULT_CHECKPOINT_KIB = 64 * 1024;

/**
 * isResumable: a backup that keeps a state file: to a local directory or file. Not stdout
 * (nothing can be cut back), not S3 (a failed run's uploads are aborted), not /dev/null.
 */
export function isResumable(s: Pick<BackupSettings, 'directory' | 'outputFile'>): boolean {
  const path = s.directory ?? s.outputFile;
  return path !== undefined && path !== '-' && !isS3Url(path) && !(s.outputFile !== undefined && isSpecialFile(s.outputFile));
}

function nowIso(): string {
  return new Date(wallClock()).toISOString();
}

/** Journal: the state of one resumable backup, written at each durable point. */
export class Journal {
  private constructor(readonly path: string, readonly doc: BackupState, readonly progress: PartitionProgress) {}

  /** fresh: a new backup's journal: the partitions its scan reads, nothing durable yet. */
  static fresh(s: BackupSettings, plan: { partitions: number[]; resume: Map<number, Buffer> }): Journal {
    const settings = stateSettingsOf(s);
    const progress = PartitionProgress.planned(plan.partitions, plan.resume);
    const now = nowIso();
    const doc: BackupState = {
      format: STATE_FORMAT, version: STATE_VERSION, settings, settingsDigest: settingsDigest(settings), started: now, updated: now, runs: 1,
      metadata: false, partitions: progress.toJSON(), files: [], counters: { records: 0, bytes: 0, stored: 0, indexes: 0, udfs: 0 },
    };
    return new Journal(statePathOf(s, s.stateFileDst), doc, progress);
  }

  /** resumed: the journal of an interrupted backup, going on for another run. */
  static resumed(path: string, doc: BackupState): Journal {
    doc.runs++;
    return new Journal(path, doc, PartitionProgress.fromState(doc.partitions));
  }

  get counters(): Counters {
    return this.doc.counters;
  }

  /** write: the state file as it is now (or with the partitions of a durable point), atomically. */
  write(partitions = this.progress.toJSON()): void {
    this.doc.updated = nowIso();
    this.doc.partitions = partitions;
    writeJsonAtomically(this.path, this.doc);
  }

  /** checkpoints: what the sink tells as it writes; each durable point rewrites the state. */
  checkpoints(counts: EncodeCounts, interval: number, directory: boolean): Checkpoints {
    return {
      interval,
      wrote: (b: AsbBatch, from: number, to: number) => {
        if (b.marks !== undefined) this.progress.wrote(b.marks, from, to);
      },
      ended: (b: AsbBatch) => {
        if (b.marks !== undefined) this.progress.ended(b.marks);
      },
      point: (file: DurableFile, r: WriteResult) => {
        // Taken now: records may go on into the next file before this point is saved.
        const partitions = this.progress.toJSON();
        const counters = { records: r.records, bytes: r.bytes, stored: r.stored ?? r.bytes, indexes: counts.indexes, udfs: counts.udfs };
        return async () => {
          if (directory) this.doc.files.push(file);
          else this.doc.files = [file];
          this.doc.counters = counters;
          this.doc.metadata = true;
          this.write(partitions);
        };
      },
    };
  }

  /**
   * finish: the backup is whole and visible: its manifest goes beside it and the state
   * file is removed. Returns the manifest's path.
   */
  finish(s: BackupSettings): string {
    const manifest: BackupState = { ...this.doc, format: MANIFEST_FORMAT, updated: nowIso(), ended: nowIso(), partitions: this.progress.toJSON() };
    const path = manifestPathOf(s);
    writeJsonAtomically(path, manifest);
    removeIfThere(this.path);
    return path;
  }
}

/** What a resume found: a finished backup, or what to go on from. */
export interface GoingOn { complete: false; journal: Journal; state: BackupState; at?: string; hash?: Hash }
export type ResumePlan = { complete: true; manifest: BackupState; manifestPath: string } | GoingOn;

/**
 * planResume: --continue: reads and checks the state file against the options and the
 * files on disk. Changes nothing: every refusal leaves the backup as it was.
 */
export async function planResume(s: BackupSettings, log: Logger): Promise<ResumePlan> {
  const path = s.continue!;
  const now = stateSettingsOf(s);
  if (!existsSync(path)) {
    // A backup that finished removed its state file and left its manifest.
    const manifestPath = manifestPathOf(s);
    if (existsSync(manifestPath)) {
      const manifest = readState(manifestPath, MANIFEST_FORMAT);
      checkSettings(manifest.settings, now, manifestPath);
      return { complete: true, manifest, manifestPath };
    }
  }
  const state = readState(path);
  checkSettings(state.settings, now, path);
  if (s.directory !== undefined) {
    const at: string[] = [];
    for (const f of state.files) at.push(await checkFile(join(s.directory, f.name), f, `--continue ${path}`));
    // The same key (never saved) and codec as the files written: a resumed backup is one backup.
    if (at.length > 0) await checkFileHead(at[0]!, s.codec ?? PLAIN);
    return { complete: false, journal: Journal.resumed(path, state), state };
  }
  // -o: the file as far as the last durable point: it may hold more (written after it).
  const f = state.files[0];
  if (f === undefined || f.size === 0) return { complete: false, journal: Journal.resumed(path, state), state };
  const file = s.outputFile!;
  const at = [file + PART, file].find((p) => existsSync(p));
  if (at === undefined) throw new AsError('BACKUP_FILE_MISSING', `--continue ${path}: ${file + PART} is missing`, { value: file + PART });
  const size = statSync(at).size;
  if (size < f.size) throw new AsError('BACKUP_FILE_SIZE', `--continue ${path}: ${at} holds ${size} byte(s), fewer than the ${f.size} of its last durable point (cut short)`, { value: at });
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(at, { end: f.size - 1 })) hash.update(chunk as Buffer);
  if (hash.copy().digest('hex') !== f.sha256) throw new AsError('BACKUP_FILE_ALTERED', `--continue ${path}: ${at} was altered: its first ${f.size} byte(s) are not the ones written`, { value: at });
  log.verbose(`${at}: the first ${f.size} byte(s) are as written`);
  await checkFileHead(at, s.codec ?? PLAIN);
  return { complete: false, journal: Journal.resumed(path, state), state, at, hash };
}

/**
 * cutBack: -d: removes the files of this backup the state does not list (written after
 * the last durable point). Called once the run is under way.
 */
export function dropUnlisted(dir: string, prefix: string, state: BackupState, log: Logger): void {
  const keep = new Set(state.files.flatMap((f) => [f.name, f.name + PART]));
  const drop = readdirSync(dir).filter((n) => isFileOf(n, prefix) && (n.endsWith('.asb') || n.endsWith('.asb' + PART)) && !keep.has(n));
  for (const n of drop) {
    try {
      rmSync(join(dir, n));
    } catch (e) {
      throw new AsError('OUTPUT', `cannot remove ${join(dir, n)}: ${fsReason(e)}`, { cause: e, value: join(dir, n) });
    }
  }
  if (drop.length > 0) log.info(`Removed ${drop.length} file(s) written after the last durable point: ${drop.join(', ')}`);
}

/**
 * reopenFile: -o: the .part file cut back to its last durable point and opened for
 * appending, its codec going on where it stopped (a fresh zstd frame, the AES keystream at
 * its position); undefined when nothing was durable (the file is written anew).
 */
export async function reopenFile(s: BackupSettings, plan: GoingOn, log: Logger): Promise<OutputFile | undefined> {
  const file = s.outputFile!;
  const f = plan.state.files[0];
  if (f === undefined || f.size === 0 || plan.at === undefined) {
    removeIfThere(file + PART);
    return undefined;
  }
  const part = file + PART;
  try {
    if (plan.at !== part) renameSync(plan.at, part);
    const size = statSync(part).size;
    if (size > f.size) {
      truncateSync(part, f.size);
      log.info(`Cut ${part} back from ${size} to ${f.size} byte(s), its last durable point`);
    }
  } catch (e) {
    throw new AsError('OUTPUT', `cannot cut back ${part}: ${fsReason(e)}`, { cause: e, value: part });
  }
  const codec = s.codec ?? PLAIN;
  let iv0: Buffer | undefined;
  if (codec.encrypt) {
    const head = Buffer.alloc(AES_HEADER_SIZE);
    const fd = openSync(part, 'r');
    try {
      readSync(fd, head, 0, AES_HEADER_SIZE, 0);
    } finally {
      closeSync(fd);
    }
    iv0 = decryptHeader(codec.encrypt.algorithm, codec.encrypt.key, head);
  }
  const encoder = codec.compress || codec.encrypt ? new FileEncoder(codec, iv0, { stored: f.size }) : undefined;
  return new OutputFile(await localFileTarget(file, { append: true }), codec, { hash: plan.hash === undefined ? undefined : inlineHash(plan.hash), encoder, stored: f.size });
}
