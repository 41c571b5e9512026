// The paths a program is given, checked before anything starts (before a connection, before
// the first byte of output), with errors that name the path, say what is wrong in words
// rather than a bare errno, and name the option that fixes it. Also the one way a program
// creates a directory (Node's recursive mkdir loops forever on procfs), and where the
// toolkit itself is.
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AsError, type ErrorCode } from './errors.js';

/**
 * packageRoot: the toolkit's directory, the nearest above this file holding package.json
 * (the compiled modules, dist/lib, and the bundles, dist/bundle/<program>, sit at different
 * depths below it).
 */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    if (dirname(d) === d) throw new AsError('INTERNAL', `internal: no package.json above ${fileURLToPath(import.meta.url)}`);
    d = dirname(d);
  }
  return d;
}

// What an errno means to a user.
const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  EXDEV: 'not on the same file system',
};

/** fsReason: a file-system error in words, without Node's `CODE: ..., syscall 'path'` dressing. */
export function fsReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err?.code !== undefined && REASONS[err.code] !== undefined) return REASONS[err.code]!;
  const msg = e instanceof Error ? e.message : String(e);
  // `EXYZ: text, syscall 'path'` -> `text`
  return msg.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+ '.*$/, '');
}

/** statOf: the stats of a path, or undefined when nothing is there; other errors throw. */
export function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * checkInputFile: `path` names something that can be read as a file (a regular file, a pipe,
 * a device). `label` says where it came from (`--input-file`, `input file`); `dirHint` is
 * the remedy when it is a directory (`use -d/--directory to ...`).
 */
export function checkInputFile(path: string, label: string, dirHint?: string, code: ErrorCode = 'INPUT'): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new AsError(code, `${label} ${path}: ${fsReason(e)}`, { value: path });
  }
  if (st.isDirectory()) throw new AsError(code, `${label} ${path} is a directory${dirHint ? `; ${dirHint}` : ''}`, { value: path });
  try {
    accessSync(path, constants.R_OK);
  } catch (e) {
    throw new AsError(code, `${label} ${path}: ${fsReason(e)}`, { value: path });
  }
}

/**
 * checkInputDirectory: `path` names a directory whose entries can be listed; returns them.
 * `fileHint` is the remedy when it is a file.
 */
export function checkInputDirectory(path: string, label: string, fileHint?: string): string[] {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw new AsError('INPUT', `${label} ${path}: ${fsReason(e)}`, { value: path });
  }
  if (!st.isDirectory()) throw new AsError('INPUT', `${label} ${path} is not a directory${fileHint ? `; ${fileHint}` : ''}`, { value: path });
  try {
    return readdirSync(path);
  } catch (e) {
    throw new AsError('INPUT', `${label} ${path}: cannot list it: ${fsReason(e)}`, { value: path });
  }
}

/**
 * makeDirectory: creates `dir` and its missing parents, one level at a time, and says
 * which level failed. (mkdirSync's recursive mode spins forever where a file system
 * refuses new entries with ENOENT, as /proc does.)
 */
export function makeDirectory(dir: string, label = '--directory'): void {
  const fail = (why: string): never => {
    throw new AsError('OUTPUT', `${label} ${dir}: cannot create it: ${why}`, { value: dir });
  };
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statOf(p);
    } catch (e) {
      return fail(`${p}: ${fsReason(e)}`);
    }
    if (st !== undefined) {
      if (!st.isDirectory()) fail(`${p} is not a directory`);
      break;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statOf(m)?.isDirectory()) continue;
      // The parent exists, yet the file system says "no such file": it takes no new entries.
      if (code === 'ENOENT') fail(`the file system of ${dirname(m)} does not allow new directories`);
      fail(`${m}: ${fsReason(e)}`);
    }
  }
}
