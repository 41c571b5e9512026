// Secondary indexes and UDF modules of a restore, as asrestore applies them: an identical
// index is left alone ("matched"), a different one of the same name is dropped and created
// again ("mismatched"), a missing one is created; UDFs are always (re)registered. With
// wait, both are polled until every node has them.
import type { Cluster } from '../cluster/cluster.js';
import { ServerError } from '../errors.js';
import { infoError } from '../protocol/info.js';
import type { SindexItem, UdfItem } from '../records/types.js';
import { checkUdf } from '../records/jsonl.js';

/** Options of the metadata steps. */
export interface MetadataOptions {
  /** -n src,dst: indexes of src are created in dst. */
  namespace?: { source: string; target: string };
  /** Wait until every node has built the index / holds the module. */
  wait?: boolean;
  /** How long to wait (ms, default 10 minutes; the C tool waits forever, we give up with an error). */
  waitTimeoutMs?: number;
  log?: (msg: string) => void;
}

/** What applySindex did. */
export type SindexOutcome = 'created' | 'matched' | 'replaced';

/** Counts of the metadata steps for the summary. */
export interface MetadataCounts {
  indexes: number;
  matched: number;
  replaced: number;
  udfs: number;
}

/** newMetadataCounts: all zero. */
export function newMetadataCounts(): MetadataCounts {
  return { indexes: 0, matched: 0, replaced: 0, udfs: 0 };
}

const INDEX_TYPE: Record<string, SindexItem['indexType']> = { default: 'N', none: 'N', list: 'L', mapkeys: 'K', mapvalues: 'V' };
const INDEX_TYPE_NAME: Record<SindexItem['indexType'], string | undefined> = { N: undefined, L: 'LIST', K: 'MAPKEYS', V: 'MAPVALUES' };
const BIN_TYPE: Record<string, SindexItem['binType']> = { numeric: 'N', integer: 'N', string: 'S', geo2dsphere: 'G', geojson: 'G', blob: 'B' };
const BIN_TYPE_NAME: Record<SindexItem['binType'], string> = { N: 'NUMERIC', S: 'STRING', G: 'GEO2DSPHERE', B: 'BLOB' };

/** ExistingSindex: an index as `sindex-list` describes it. */
export interface ExistingSindex extends Omit<SindexItem, 'kind'> {
  state: string;
}

/**
 * parseSindexList: the bin indexes of a `sindex-list:ns=<ns>;b64=true` answer (8.1 and 6.x/7.x
 * forms; set indexes and expression indexes, which have no bin, are left out).
 */
export function parseSindexList(value: string): ExistingSindex[] {
  const out: ExistingSindex[] = [];
  for (const entry of value.split(';')) {
    if (entry === '') continue;
    const kv = new Map<string, string>();
    for (const part of entry.split(':')) {
      const eq = part.indexOf('=');
      if (eq > 0) kv.set(part.slice(0, eq), part.slice(eq + 1));
    }
    const bin = kv.get('bin') ?? kv.get('path');
    const binType = BIN_TYPE[(kv.get('type') ?? '').toLowerCase()];
    const indexType = INDEX_TYPE[(kv.get('indextype') ?? 'default').toLowerCase()];
    if (bin === undefined || bin === 'null' || binType === undefined || indexType === undefined) continue;
    const set = kv.get('set');
    const context = kv.get('context');
    out.push({
      namespace: kv.get('ns') ?? '',
      name: kv.get('indexname') ?? '',
      set: set === undefined || set === 'null' || set === 'NULL' ? '' : set,
      bin,
      binType,
      indexType,
      ...(context !== undefined && context !== 'null' && context !== 'NULL' ? { context } : {}),
      state: kv.get('state') ?? 'RW',
    });
  }
  return out;
}

/** sindexCreateCommand: the 8.1 `sindex-create` request for an index definition. */
export function sindexCreateCommand(s: SindexItem, ns: string): string {
  let cmd = `sindex-create:namespace=${ns}`;
  if (s.set !== '') cmd += `;set=${s.set}`;
  cmd += `;indexname=${s.name}`;
  if (s.context !== undefined) cmd += `;context=${s.context}`;
  const it = INDEX_TYPE_NAME[s.indexType];
  if (it !== undefined) cmd += `;indextype=${it}`;
  return `${cmd};bin=${s.bin};type=${BIN_TYPE_NAME[s.binType]}`;
}

function sameIndex(a: Omit<SindexItem, 'kind'>, b: Omit<SindexItem, 'kind'>): boolean {
  return a.set === b.set && a.bin === b.bin && a.binType === b.binType && a.indexType === b.indexType && (a.context ?? '') === (b.context ?? '');
}

/** targetNamespace: where an item of namespace `ns` goes under -n. */
export function targetNamespace(ns: string, mapping?: { source: string; target: string }): string {
  return mapping !== undefined && ns === mapping.source ? mapping.target : ns;
}

/** applySindex: creates (or replaces, or keeps) one secondary index; waits with `wait`. */
export async function applySindex(cluster: Cluster, s: SindexItem, o: MetadataOptions = {}): Promise<SindexOutcome> {
  const ns = targetNamespace(s.namespace, o.namespace);
  const existing = parseSindexList(await cluster.infoOne(`sindex-list:ns=${ns};b64=true`)).find((e) => e.name === s.name);
  let outcome: SindexOutcome = 'created';
  if (existing !== undefined) {
    if (sameIndex(existing, s)) {
      o.log?.(`secondary index ${s.name} already exists with the same definition`);
      return 'matched';
    }
    o.log?.(`secondary index ${s.name} exists with another definition; replacing it`);
    await cluster.infoOne(`sindex-delete:namespace=${ns};indexname=${s.name}`);
    // The drop travels to every node first; a create racing it would be refused.
    await pollUntil(async () => !parseSindexList(await cluster.infoOne(`sindex-list:ns=${ns};b64=true`)).some((e) => e.name === s.name), o.waitTimeoutMs ?? 60_000, `removal of index ${s.name}`);
    outcome = 'replaced';
  }
  const answer = await cluster.infoOne(sindexCreateCommand(s, ns));
  if (answer.toLowerCase() !== 'ok') throw new ServerError(1, `creating secondary index ${s.name}: ${answer}`);
  if (o.wait) {
    await pollUntil(async () => {
      const all = await cluster.infoAll(`sindex/${ns}/${s.name}`);
      return [...all.values()].every((v) => /(?:^|;)load_pct=100(?:;|$)/.test(v));
    }, o.waitTimeoutMs ?? 600_000, `build of index ${s.name}`);
  }
  return outcome;
}

/** udfPutCommand: the `udf-put` request for a module. */
export function udfPutCommand(u: UdfItem): string {
  const b64 = u.content.toString('base64');
  return `udf-put:filename=${u.name};content=${b64};content-len=${b64.length};udf-type=LUA;`;
}

/** applyUdf: registers one UDF module; with `wait`, until udf-list shows it on every node. */
export async function applyUdf(cluster: Cluster, u: UdfItem, o: MetadataOptions = {}): Promise<void> {
  checkUdf(u); // before anything is sent: an empty module would break every later backup
  // infoOne turns `error=...` answers into a ServerError naming the node and command.
  const answer = await cluster.infoOne(udfPutCommand(u));
  const err = infoError(answer);
  if (err) throw new ServerError(err.code, `registering UDF ${u.name}: ${err.message}`);
  if (o.wait) {
    const needle = `filename=${u.name},`;
    await pollUntil(async () => {
      const all = await cluster.infoAll('udf-list');
      return [...all.values()].every((v) => v.split(';').some((e) => e.startsWith(needle)));
    }, o.waitTimeoutMs ?? 600_000, `propagation of UDF ${u.name}`);
  }
}

async function pollUntil(done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let delay = 20; !(await done()); delay = Math.min(1000, delay * 2)) {
    if (Date.now() > end) throw new ServerError(9, `timed out after ${timeoutMs} ms waiting for the ${what}`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
