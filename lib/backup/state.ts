// The state of a resumable backup (docs/asbackup.md, "Resuming"): a versioned JSON file
// written atomically whenever data becomes durable, so a backup stopped in any way
// (kill -9 included) resumes exactly: what the files hold is what the state says, and each
// unfinished partition is scanned again from after its last durable digest. The same
// document, complete, is the manifest beside a finished backup.
import { closeSync, createReadStream, existsSync, fsyncSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { AsError } from '../errors.js';
import { fsReason } from '../paths.js';
import { PARTITIONS } from '../protocol/constants.js';
import { partitionId } from '../protocol/digest.js';
import type { RecordMarks } from '../records/types.js';
import type { BackupSettings, PartitionFilter } from './settings.js';

/** The format's name and version: a reader refuses any other. */
export const STATE_FORMAT = 'asbackup-state';
export const MANIFEST_FORMAT = 'asbackup-manifest';
export const STATE_VERSION = 1;

/**
 * StateSettings: what must not change between the runs of one backup: everything that
 * decides which records are written, and how (never the key).
 */
export interface StateSettings {
  namespace: string;
  set: string[] | null;
  binList: string[] | null;
  excludeSets: string[] | null;
  excludeBins: string[] | null;
  noBins: boolean;
  noRecords: boolean;
  noIndexes: boolean;
  noUdfs: boolean;
  percent: number;
  modifiedAfter: string | null;
  modifiedBefore: string | null;
  noTtlOnly: boolean;
  filterExp: string | null;
  partitionList: string | null;
  afterDigest: string | null;
  nodeList: string | null;
  maxRecords: number;
  compact: boolean;
  compress: 'zstd' | null;
  encrypt: 'aes128' | 'aes256' | null;
  /** MiB, -d only. */
  fileLimit: number | null;
  outputFilePrefix: string | null;
  /** Absolute paths. */
  directory: string | null;
  outputFile: string | null;
}

/** The option each setting comes from, for the refusal that names it. */
const OPTION_OF: Record<keyof StateSettings, string> = {
  namespace: '--namespace', set: '--set', binList: '--bin-list', excludeSets: '--exclude-sets', excludeBins: '--exclude-bins',
  noBins: '--no-bins', noRecords: '--no-records', noIndexes: '--no-indexes', noUdfs: '--no-udfs', percent: '--percent',
  modifiedAfter: '--modified-after', modifiedBefore: '--modified-before', noTtlOnly: '--no-ttl-only', filterExp: '--filter-exp',
  partitionList: '--partition-list', afterDigest: '--after-digest', nodeList: '--node-list', maxRecords: '--max-records',
  compact: '--compact', compress: '--compress', encrypt: '--encrypt', fileLimit: '--file-limit',
  outputFilePrefix: '--output-file-prefix', directory: '--directory', outputFile: '--output-file',
};

function partitionListText(list: PartitionFilter[] | undefined): string | null {
  if (list === undefined) return null;
  return list.map((f) => ('digest' in f ? f.digest.toString('base64') : `${f.begin}-${f.count}`)).join(',');
}

/** stateSettingsOf: the settings of a backup as its state file holds them. */
export function stateSettingsOf(s: BackupSettings): StateSettings {
  const list = (v: string[] | undefined): string[] | null => (v === undefined ? null : [...v]);
  return {
    namespace: s.namespace,
    set: list(s.set),
    binList: list(s.binList),
    excludeSets: list(s.excludeSets),
    excludeBins: list(s.excludeBins),
    noBins: s.noBins === true,
    noRecords: s.noRecords === true,
    noIndexes: s.noIndexes === true,
    noUdfs: s.noUdfs === true,
    percent: s.percent ?? 100,
    modifiedAfter: s.modifiedAfter?.toISOString() ?? null,
    modifiedBefore: s.modifiedBefore?.toISOString() ?? null,
    noTtlOnly: s.noTtlOnly === true,
    filterExp: s.filterExp ?? null,
    partitionList: partitionListText(s.partitionList),
    afterDigest: s.afterDigest?.toString('base64') ?? null,
    nodeList: s.nodeList === undefined ? null : s.nodeList.map((h) => `${h.host}:${h.port}`).join(','),
    maxRecords: s.maxRecords ?? 0,
    compact: s.compact === true,
    compress: s.codec?.compress ? 'zstd' : null,
    encrypt: s.codec?.encrypt?.algorithm ?? null,
    fileLimit: s.directory !== undefined ? s.fileLimit : null,
    outputFilePrefix: s.outputFilePrefix ?? null,
    directory: s.directory !== undefined ? resolve(s.directory) : null,
    outputFile: s.outputFile !== undefined ? resolve(s.outputFile) : null,
  };
}

/** settingsDigest: SHA-256 of the settings in a fixed key order. */
export function settingsDigest(s: StateSettings): string {
  const keys = Object.keys(OPTION_OF) as Array<keyof StateSettings>;
  return createHash('sha256').update(JSON.stringify(keys.map((k) => [k, s[k]]))).digest('hex');
}

/**
 * checkSettings: refuses a resume whose options differ from the saved ones, naming the
 * first option that differs (the namespace first: a state file of another backup).
 */
export function checkSettings(saved: StateSettings, now: StateSettings, statePath: string): void {
  for (const k of Object.keys(OPTION_OF) as Array<keyof StateSettings>) {
    const a = JSON.stringify(saved[k] ?? null);
    const b = JSON.stringify(now[k] ?? null);
    if (a === b) continue;
    throw new AsError('STATE_MISMATCH', `--continue ${statePath}: ${OPTION_OF[k]} is ${b === 'null' ? 'not given' : b} but the interrupted backup had ${a === 'null' ? 'none' : a}; run the command it printed`, { value: OPTION_OF[k] });
  }
}

/** A file of the backup: its name in the directory (or the -o path), size on disk, records, SHA-256. */
export interface FileEntry {
  name: string;
  size: number;
  records: number;
  sha256: string;
}

/** Counts of what the durable data holds. */
export interface Counters {
  records: number;
  /** .asb bytes (before the codec). */
  bytes: number;
  /** Bytes on disk. */
  stored: number;
  indexes: number;
  udfs: number;
}

/**
 * BackupState: the state file (format STATE_FORMAT) and, complete, the manifest (format
 * MANIFEST_FORMAT). Partition ids in `todo` and `done` are ranges ("0-99,200"); `after`
 * holds the partitions begun, each with the last digest in durable data (base64).
 */
export interface BackupState {
  format: string;
  version: number;
  settings: StateSettings;
  settingsDigest: string;
  /** ISO times: the first run's start, the last checkpoint, the end (manifest). */
  started: string;
  updated: string;
  ended?: string;
  /** Runs so far (1 for a backup never resumed). */
  runs: number;
  /** The index definitions and UDF modules are in the durable data. */
  metadata: boolean;
  partitions: { todo: string; done: string; after: Record<string, string> };
  /** -d: the closed files. -o: the one file, as far as it is durable. */
  files: FileEntry[];
  counters: Counters;
}

function rangesOf(pids: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < pids.length;) {
    let j = i;
    while (j + 1 < pids.length && pids[j + 1] === pids[j]! + 1) j++;
    out.push(i === j ? `${pids[i]}` : `${pids[i]}-${pids[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

function parseRanges(text: string): number[] {
  if (text === '') return [];
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new Error(`bad partition range "${part}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b >= PARTITIONS) throw new Error(`bad partition range "${part}"`);
    for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}

const NOT_ASKED = 0;
const TODO = 1;
const BEGUN = 2;
const DONE = 3;

/**
 * PartitionProgress: per partition whether it is part of the backup, begun (with the last
 * digest written) or done, as the sink writes records (wrote, ended). A state lives here.
 */
export class PartitionProgress {
  private readonly status = new Uint8Array(PARTITIONS);
  private readonly last = Buffer.alloc(PARTITIONS * 20);

  /** planned: the partitions a scan reads, with the resume digests it starts from. */
  static planned(pids: Iterable<number>, resume?: ReadonlyMap<number, Buffer>): PartitionProgress {
    const p = new PartitionProgress();
    for (const pid of pids) p.status[pid] = TODO;
    for (const [pid, d] of resume ?? []) {
      p.status[pid] = BEGUN;
      d.copy(p.last, pid * 20);
    }
    return p;
  }

  /** fromState: the progress a state file saved (throws on a malformed one). */
  static fromState(s: BackupState['partitions']): PartitionProgress {
    const p = new PartitionProgress();
    for (const pid of parseRanges(s.todo)) p.status[pid] = TODO;
    for (const pid of parseRanges(s.done)) p.status[pid] = DONE;
    for (const [k, v] of Object.entries(s.after)) {
      const pid = Number(k);
      const d = Buffer.from(v, 'base64');
      if (!Number.isInteger(pid) || pid < 0 || pid >= PARTITIONS || d.length !== 20 || partitionId(d) !== pid) throw new Error(`bad resume digest of partition ${k}`);
      p.status[pid] = BEGUN;
      d.copy(p.last, pid * 20);
    }
    return p;
  }

  /** wrote: records [from, to) of a batch are in the file. */
  wrote(m: RecordMarks, from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const pid = m.pids[i]!;
      if (this.status[pid] === DONE) continue;
      this.status[pid] = BEGUN;
      // Only a partition's last record counts: its digest is copied where its run of
      // records ends (a scan sends a partition's records together), not once per record.
      if (i + 1 === to || m.pids[i + 1] !== pid) m.digests.copy(this.last, pid * 20, i * 20, i * 20 + 20);
    }
  }

  /** ended: the whole batch is in the file: the partitions it finished are done. */
  ended(m: RecordMarks): void {
    for (const pid of m.done) this.status[pid] = DONE;
  }

  /** unfinished: what a resumed scan reads: the partitions left, and where each starts. */
  unfinished(): { partitions: number[]; resume: Map<number, Buffer> } {
    const partitions: number[] = [];
    const resume = new Map<number, Buffer>();
    for (let pid = 0; pid < PARTITIONS; pid++) {
      const s = this.status[pid];
      if (s === TODO || s === BEGUN) partitions.push(pid);
      if (s === BEGUN) resume.set(pid, Buffer.from(this.last.subarray(pid * 20, pid * 20 + 20)));
    }
    return { partitions, resume };
  }

  toJSON(): BackupState['partitions'] {
    const todo: number[] = [];
    const done: number[] = [];
    const after: Record<string, string> = {};
    for (let pid = 0; pid < PARTITIONS; pid++) {
      const s = this.status[pid];
      if (s === TODO) todo.push(pid);
      else if (s === DONE) done.push(pid);
      else if (s === BEGUN) after[pid] = this.last.toString('base64', pid * 20, pid * 20 + 20);
    }
    return { todo: rangesOf(todo), done: rangesOf(done), after };
  }
}

/** statePathOf: where the state file goes: --state-file-dst, `<dir>/<prefix|ns>.asb.state`, `<file>.state`. */
export function statePathOf(s: Pick<BackupSettings, 'directory' | 'outputFile' | 'outputFilePrefix' | 'namespace'>, dst?: string): string {
  if (dst !== undefined) return dst;
  if (s.directory !== undefined) return join(s.directory, `${s.outputFilePrefix ?? s.namespace}.asb.state`);
  return `${s.outputFile!}.state`;
}

/** manifestPathOf: the manifest beside a finished backup: `<dir>/<prefix|ns>.asb.manifest`, `<file>.manifest`. */
export function manifestPathOf(s: Pick<BackupSettings, 'directory' | 'outputFile' | 'outputFilePrefix' | 'namespace'>): string {
  if (s.directory !== undefined) return join(s.directory, `${s.outputFilePrefix ?? s.namespace}.asb.manifest`);
  return `${s.outputFile!}.manifest`;
}

/**
 * writeJsonAtomically: the whole document or nothing: a temporary file beside it, synced,
 * renamed over it, and the directory synced so the rename survives a crash.
 */
export function writeJsonAtomically(path: string, doc: unknown): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(doc, null, 1) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    try {
      const d = openSync(dirname(path), 'r');
      try { fsyncSync(d); } finally { closeSync(d); }
    } catch {
      // not every file system syncs a directory; the rename is still atomic
    }
  } catch (e) {
    throw new AsError('OUTPUT', `cannot write ${path}: ${fsReason(e)}`, { cause: e, value: path });
  }
}

/** removeIfThere: deletes a file that may be missing. */
export function removeIfThere(path: string): void {
  rmSync(path, { force: true });
}

/**
 * readState: a state file (or, with `format`, a manifest), checked in shape; a missing,
 * garbled or foreign file is STATE_INVALID naming it.
 */
export function readState(path: string, format = STATE_FORMAT): BackupState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AsError('STATE_INVALID', `${path}: cannot read it: ${fsReason(e)}`, { cause: e, value: path });
  }
  const bad = (why: string): AsError => new AsError('STATE_INVALID', `${path}: not a usable ${format === STATE_FORMAT ? 'state file' : 'manifest'}: ${why}`, { value: path });
  let doc: BackupState;
  try {
    doc = JSON.parse(text) as BackupState;
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== format) throw bad(`its format is not "${format}"`);
  if (doc.version !== STATE_VERSION) throw bad(`format version ${String(doc.version)}; this program reads version ${STATE_VERSION}`);
  const s = doc.settings;
  if (typeof s !== 'object' || s === null || typeof s.namespace !== 'string') throw bad('no settings');
  if (doc.settingsDigest !== settingsDigest(s)) throw bad('its settings do not match their digest');
  if (!Array.isArray(doc.files) || doc.files.some((f) => typeof f?.name !== 'string' || !Number.isSafeInteger(f.size) || !Number.isSafeInteger(f.records) || !/^[0-9a-f]{64}$/.test(String(f.sha256)))) throw bad('a bad file list');
  const c = doc.counters;
  if (typeof c !== 'object' || c === null || !['records', 'bytes', 'stored', 'indexes', 'udfs'].every((k) => Number.isSafeInteger((c as unknown as Record<string, unknown>)[k]))) throw bad('bad counters');
  try {
    if (typeof doc.partitions?.todo !== 'string' || typeof doc.partitions.done !== 'string' || typeof doc.partitions.after !== 'object') throw new Error('no partitions');
    PartitionProgress.fromState(doc.partitions);
  } catch (e) {
    throw bad((e as Error).message);
  }
  return doc;
}

/** sha256Of: the SHA-256 (hex) of a file's first `size` bytes, and how many there were. */
export async function sha256Of(path: string, size?: number): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  const stream = createReadStream(path, size === undefined ? {} : { end: size - 1 });
  if (size === 0) stream.destroy();
  else for await (const chunk of stream) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

/**
 * checkFile: a file of the backup is there with its recorded size and SHA-256 (at `path`
 * or, for a backup not yet finished, at `path.part`); returns where it is. Reads the file.
 */
export async function checkFile(path: string, f: FileEntry, what: string, orPart = true): Promise<string> {
  const at = (orPart ? [path, `${path}.part`] : [path]).find((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  if (at === undefined) throw new AsError('BACKUP_FILE_MISSING', `${what}: ${path} is missing`, { value: path });
  const size = statSync(at).size;
  if (size !== f.size) throw new AsError('BACKUP_FILE_SIZE', `${what}: ${at} holds ${size} byte(s), not the ${f.size} written${size < f.size ? ' (cut short)' : ''}`, { value: at });
  const { sha256 } = await sha256Of(at);
  if (sha256 !== f.sha256) throw new AsError('BACKUP_FILE_ALTERED', `${what}: ${at} was altered: its SHA-256 is not the one written`, { value: at });
  return at;
}

/** manifestsBeside: the manifests of a backup directory (`*.asb.manifest`), or of one file (`<file>.manifest`). */
export function manifestsBeside(o: { directories?: string[]; file?: string }): Array<{ path: string; dir: string }> {
  const out: Array<{ path: string; dir: string }> = [];
  for (const dir of o.directories ?? []) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // the source reports an unreadable directory
    }
    for (const n of names.filter((n) => n.endsWith('.asb.manifest')).sort()) out.push({ path: join(dir, n), dir });
  }
  if (o.file !== undefined && o.file !== '-' && existsSync(`${o.file}.manifest`)) out.push({ path: `${o.file}.manifest`, dir: dirname(o.file) });
  return out;
}

/**
 * checkManifest: every file a manifest lists is there, under its final name, with its
 * size and SHA-256 (asrestore --validate). Returns the files checked.
 */
export async function checkManifest(path: string, dir: string): Promise<FileEntry[]> {
  const m = readState(path, MANIFEST_FORMAT);
  for (const f of m.files) await checkFile(join(dir, f.name), f, `manifest ${path}`, false);
  return m.files;
}
