// The registry of programs: npm run build bundles each of them for its bin/ shim
// (scripts/bundle.ts), the docs are made from their tables. Modules load on demand, so
// loading one program does not load the others.
import { UsageError } from '../errors.js';
import type { Program } from './program.js';

/** PROGRAMS: every program of the toolkit and where its module is, in the README's order. */
export const PROGRAMS = {
  'asbackup': () => import('./asbackup.js'),
  'asrestore': () => import('./asrestore.js'),
  'as-scan': () => import('./as-scan.js'),
  'as-filter': () => import('./as-filter.js'),
  'as-encode-asb': () => import('./as-encode-asb.js'),
  'as-decode-asb': () => import('./as-decode-asb.js'),
  'as-split-files': () => import('./as-split-files.js'),
  'as-throttle': () => import('./as-throttle.js'),
  'as-write': () => import('./as-write.js'),
  'as-devserver': () => import('./as-devserver.js'),
} as const satisfies Record<string, () => Promise<{ program: Program }>>;

/** ProgramName: a key of PROGRAMS. */
export type ProgramName = keyof typeof PROGRAMS;

/** loadProgram: the program of that name. */
export async function loadProgram(name: string): Promise<Program> {
  const load = (PROGRAMS as Record<string, () => Promise<{ program: Program }>>)[name];
  if (load === undefined) throw new UsageError(`no program ${JSON.stringify(name)}`, name);
  return (await load()).program;
}

/** allPrograms: every program, loaded (for the docs). */
export async function allPrograms(): Promise<Program[]> {
  return Promise.all(Object.keys(PROGRAMS).map(loadProgram));
}
