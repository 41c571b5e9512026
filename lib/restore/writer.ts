// The write stage: every record to the master of its partition, as asrestore does
// (tools-backup batch_uploader.c): in batch-index commands of up to --batch-size rows, many
// in flight (batch-writer.ts), where the cluster takes them, else in single puts on
// pipelined lanes. Both write the same record the same way: fields NAMESPACE, SET (always,
// maybe empty), the digest from the backup, KEY only if the backup has one; one WRITE op
// per bin with its particle type and raw bytes. A bound on the records in flight makes a
// slow cluster slow the reader, so memory stays flat.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster } from '../cluster/cluster.js';
import type { Node } from '../cluster/node.js';
import { AsError, ConnectError, type ErrorCode } from '../errors.js';
import { DIGEST_SIZE, FieldType, MSG_HEADER_SIZE, OpType, ParticleType, PROTO_HEADER_SIZE, ProtoType, ResultCode } from '../protocol/constants.js';
import { writeProtoHeader } from '../protocol/frame.js';
import { fieldSize, keyFieldSize, opSize, writeField, writeKeyField, writeMsgHeader, writeOp } from '../protocol/layout.js';
import { partitionId } from '../protocol/digest.js';
import { isRecordError, isTransient, resultName } from '../protocol/result-codes.js';
import { clientGeojson } from '../protocol/geojson.js';
import type { RecordItem, WriteItem } from '../records/types.js';
import { AnswerLost, Lane } from './pipeline.js';
import { DEFAULT_PARTITION_WAIT_MS, NoMaster, PartitionWait } from './partition-wait.js';
import { wallClock } from '../clock.js';
import { DEFAULT_MAX_ASYNC_BATCHES, writeBatches } from './batch-writer.js';

/** Default puts per group (the official asrestore's --batch-size without batch writes). */
const DEFAULT_PUT_GROUP = 16;
import { nowClSeconds, ttlFor, ttlOverLimit, writeBits, type WritePolicyOptions } from './write-policy.js';

/** What happened to the records of a restore. */
export interface WriteCounts {
  /** Records that reached the write stage (plus, from the caller, those skipped before). */
  read: number;
  inserted: number;
  /** -u: the record was already there. */
  existed: number;
  /** The server holds the record at a higher generation. */
  fresher: number;
  expired: number;
  skippedNoBins: number;
  /** Records of unwanted sets (counted by the caller's filter). */
  skippedSet: number;
  /** Per-record errors skipped with --ignore-record-error. */
  ignored: number;
  failed: number;
  /** Records sent again after an attempt that may have been applied (its answer was lost, or it timed out on the server). */
  resent: number;
  /**
   * Of those, the ones the server then answered "generation" (or "exists" under -u): the
   * first attempt may have written them, or they were there before; no one can tell.
   */
  inDoubt: number;
  /** Partitions whose writes went to another node than before, after their node was lost. */
  partitionsMoved: number;
}

/** newCounts: all zero. */
export function newCounts(): WriteCounts {
  return { read: 0, inserted: 0, existed: 0, fresher: 0, expired: 0, skippedNoBins: 0, skippedSet: 0, ignored: 0, failed: 0, resent: 0, inDoubt: 0, partitionsMoved: 0 };
}

/** Options of writeRecords. */
export interface WriteOptions extends WritePolicyOptions {
  /** Target namespace; default: each record's own. */
  namespace?: string;
  extraTtl?: number;
  ignoreRecordError?: boolean;
  /** Retries of a write whose connection broke or timed out (default 5). */
  maxRetries?: number;
  /**
   * µs: the scale of the backoff before each retry, as the C asrestore's: the first retry at
   * once, then 1, 2, 4, ... times this (default 150000).
   */
  retryScaleFactorUs?: number;
  /** How to wait (tests; default a timer). */
  sleep?: (ms: number) => Promise<unknown>;
  /** Wait for an answer at most this long (ms, default 10000; 0 = 10 minutes). */
  socketTimeoutMs?: number;
  /** Server-side transaction timeout sent in the header (ms, 0 = server default). */
  totalTimeoutMs?: number;
  /** Write in batch-index commands (the caller checked the cluster takes them; default: puts). */
  batchWrites?: boolean;
  /** Records per batch command (default 128), or per group of puts (default 16). */
  batchSize?: number;
  /** Batch commands (or groups of puts) in flight over the whole cluster (default 32). */
  maxAsyncBatches?: number;
  /** Puts in flight over the whole cluster (default batchSize x maxAsyncBatches: 16 x 32). */
  inFlight?: number;
  /** Pipelined connections per node for puts (default 2). */
  lanesPerNode?: number;
  /** Unix ms clock for TTLs (default: wallClock, which AS_CLOCK can set). */
  now?: () => number;
  /** Counts to add to (the caller may share them with a filter and the progress). */
  counts?: WriteCounts;
  /**
   * How long a write whose partition has no master waits for the cluster to hand it to a
   * node (ms, default DEFAULT_PARTITION_WAIT_MS). Waiting uses up no retry.
   */
  partitionWaitMs?: number;
  /** Monotonic ms clock of the partition wait (tests; default performance.now). */
  monotonic?: () => number;
  /** Verbose lines: each retry. */
  log?: (msg: string) => void;
  /** Info lines: a wait for the cluster to re-form begins and ends. */
  notice?: (msg: string) => void;
  /** The progress line's note while writes wait (undefined: no longer). */
  onWait?: (note: string | undefined) => void;
}

/** RecordWriteError: a record the server rejected (file position added by the caller). */
export class RecordWriteError extends AsError {
  constructor(readonly record: WriteItem, readonly resultCode: number, message: string, code: ErrorCode = 'RECORD_REJECTED') {
    super(code, message, { value: resultCode });
  }
}

// UTF-8 bytes of namespace, set and bin names: the same few names on every record.
const nameCache = new Map<string, Buffer>();
function utf8Name(s: string): Buffer {
  let b = nameCache.get(s);
  if (b === undefined) {
    b = Buffer.from(s, 'utf8');
    if (nameCache.size < 4096) nameCache.set(s, b);
  }
  return b;
}

/** binNameBytes: the UTF-8 length of a bin name (the server allows 15). */
export function binNameBytes(name: string): number {
  return utf8Name(name).length;
}

/**
 * RecordParts: what a record's command carries besides its header, measured once: the
 * namespace and set names' bytes, each bin's value as sent (none for a record decoded as
 * ops: its ops are sent as they are), and the bytes of the fields and ops. A put and a
 * batch row carry the same parts (a put adds the DIGEST field).
 */
export interface RecordParts {
  nsBytes: Buffer;
  setBytes: Buffer;
  values: Buffer[];
  /** Bytes of the NAMESPACE, SET and (if any) KEY fields and the ops; no DIGEST field. */
  size: number;
}

const NO_VALUES: Buffer[] = [];

/** digestBuffer: the memory holding a record's digest (the decoder's arena for a record decoded as ops: no view made). */
export function digestBuffer(r: WriteItem): Buffer {
  return r.kind === 'record-ops' ? r.arena : r.digest;
}

/** digestOffset: where the digest starts in digestBuffer(r). */
export function digestOffset(r: WriteItem): number {
  return r.kind === 'record-ops' ? r.digestAt : 0;
}

/** binCount: the bins a record writes. */
export function binCount(r: WriteItem): number {
  return r.kind === 'record' ? r.bins.length : r.binCount;
}

/** recordParts: the parts of a record's write into namespace `ns`. */
export function recordParts(r: WriteItem, ns: string): RecordParts {
  const nsBytes = utf8Name(ns);
  const setBytes = utf8Name(r.set);
  const key = r.key;
  let size = fieldSize(nsBytes.length) + fieldSize(setBytes.length) + (key !== undefined ? keyFieldSize(key.data.length) : 0);
  if (r.kind === 'record-ops') return { nsBytes, setBytes, values: NO_VALUES, size: size + r.ops.length };
  const nBins = r.bins.length;
  const values: Buffer[] = new Array(nBins);
  for (let i = 0; i < nBins; i++) {
    const b = r.bins[i]!;
    // A client sends GeoJSON with flags 0 and no cells (the server computes its own).
    const v = b.type === ParticleType.GEOJSON ? clientGeojson(b.data) : b.data;
    values[i] = v;
    size += opSize(utf8Name(b.name).length, v.length);
  }
  return { nsBytes, setBytes, values, size };
}

/** fieldCount: the fields a record's write sends (NAMESPACE, SET, KEY if any; plus DIGEST in a put). */
export function fieldCount(r: WriteItem, withDigest: boolean): number {
  return 2 + (withDigest ? 1 : 0) + (r.key !== undefined ? 1 : 0);
}

/** writeRecordParts: NAMESPACE, SET, DIGEST (for a put), KEY if any, then one WRITE op per bin. */
export function writeRecordParts(buf: Buffer, at: number, r: WriteItem, p: RecordParts, withDigest: boolean): number {
  at = writeField(buf, at, FieldType.NAMESPACE, p.nsBytes);
  at = writeField(buf, at, FieldType.SET, p.setBytes);
  if (withDigest) at = writeField(buf, at, FieldType.DIGEST, r.digest);
  if (r.key !== undefined) at = writeKeyField(buf, at, r.key.type, r.key.data);
  if (r.kind === 'record-ops') {
    buf.set(r.ops, at); // a plain typed-array copy: cheaper than Buffer.copy's argument handling
    return at + r.ops.length;
  }
  for (let i = 0; i < r.bins.length; i++) {
    const b = r.bins[i]!;
    at = writeOp(buf, at, OpType.WRITE, b.type, utf8Name(b.name), p.values[i]!);
  }
  return at;
}

/**
 * putFrame: the whole proto frame of the put of one record (exported for tests), written
 * in one pass: the same bytes encodeMessage gives for its fields and ops, without an
 * object per field and op.
 */
export function putFrame(r: WriteItem, ns: string, bits: ReturnType<typeof writeBits>, ttl: number, transactionTtl = 0): Buffer {
  const p = recordParts(r, ns);
  const size = MSG_HEADER_SIZE + p.size + fieldSize(DIGEST_SIZE);
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
  writeProtoHeader(buf, 0, ProtoType.MSG, size);
  const at = writeMsgHeader(
    buf, PROTO_HEADER_SIZE, 0, bits.info2, bits.info3, 0, 0, bits.sendGeneration ? r.generation : 0, ttl, transactionTtl, fieldCount(r, true), binCount(r),
  );
  writeRecordParts(buf, at, r, p, true);
  return buf;
}

/**
 * refusal: the error a record would get from the server, found before sending it (a bin
 * name over 15 bytes, a TTL over the server's limit), or undefined.
 */
export function refusal(r: WriteItem, ttl: number, extraTtl: number): RecordWriteError | undefined {
  // (The decoder of an OpsRecordItem refused long names already.)
  const long = r.kind === 'record' ? r.bins.find((b) => binNameBytes(b.name) > 15) : undefined;
  if (long !== undefined) return new RecordWriteError(r, ResultCode.BIN_NAME, `bin name ${JSON.stringify(long.name)} is longer than 15 bytes (record ${r.digest.toString('base64')})`);
  const over = ttlOverLimit(ttl, extraTtl);
  if (over !== undefined) return new RecordWriteError(r, ResultCode.PARAMETER, `record ${r.digest.toString('base64')} (set ${JSON.stringify(r.set)}) ${over}`);
  return undefined;
}

/** What both write modes share: the policy, the counts, the clock, the retries, the wait for masters. */
export interface WriteContext {
  cluster: Cluster;
  o: WriteOptions;
  counts: WriteCounts;
  bits: ReturnType<typeof writeBits>;
  maxRetries: number;
  scaleUs: number;
  /** The answer wait (ms). */
  timeoutMs: number;
  /** The server-side timeout sent with each command (ms). */
  txnTtl: number;
  wait: PartitionWait;
  /** The partition wait's budget (ms) and its clock: also the bound of riding out a lost node. */
  budgetMs: number;
  monotonic: () => number;
  /** Partitions whose writes went to another node than before (ns:pid). */
  moved: Set<string>;
  /** Waits before retry `attempt` + 1. */
  pause(attempt: number): Promise<unknown> | undefined;
  /** nodeLost: the node was dropped from the cluster (asking the nodes again if not yet). */
  nodeLost(node: Node): Promise<boolean>;
  /**
   * admit: counts a record read and says whether it is written, and with what TTL
   * (undefined: skipped and counted); throws the refusal of a record that stops the run.
   * `nowCl`: the clock (seconds since 2010) the TTL is computed from.
   */
  admit(r: WriteItem, nowCl: number): number | undefined;
  /** clock: the time now in seconds since 2010 (read once per run of records taken without a wait). */
  clock(): number;
}

/** Window: the writes (or batches) in flight, and a wait until few enough are. */
export class Window {
  size = 0;
  private wake: (() => void) | undefined;

  /** done: one write in flight less; wakes the waiter. */
  done(): void {
    this.size--;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  /** until: resolves once cond holds (checked each time a write is done). */
  async until(cond: () => boolean): Promise<void> {
    while (!cond()) await new Promise<void>((resolve) => (this.wake = resolve));
  }
}

/**
 * eachAdmitted: calls `each` with every record ctx.admit lets through (its target namespace
 * and TTL), in order, until stop() says so, and waits only when `each` returns a promise
 * (the window is full): a record that goes straight out costs no async step. Returns the
 * refusal that ends the records (a record refused before sending), or undefined.
 * onInputWait: called each time every record of the input so far was taken, before the
 * next input batch is awaited.
 */
export async function eachAdmitted(
  ctx: WriteContext, batches: AsyncIterable<WriteItem[]>, stop: () => boolean,
  each: (r: WriteItem, ns: string, ttl: number) => Promise<void> | undefined, onInputWait?: () => void,
): Promise<Error | undefined> {
  const target = ctx.o.namespace;
  for await (const batch of batches) {
    // The clock is read again after every wait, so no TTL is computed from a stale time.
    let nowCl = ctx.clock();
    for (let i = 0; i < batch.length; i++) { // indexed: see recordsOf
      const r = batch[i]!;
      if (stop()) return undefined;
      let ttl: number | undefined;
      try {
        ttl = ctx.admit(r, nowCl);
      } catch (e) {
        return e as Error;
      }
      if (ttl === undefined) continue;
      const wait = each(r, target ?? r.namespace, ttl);
      if (wait !== undefined) {
        await wait;
        nowCl = ctx.clock();
      }
    }
    onInputWait?.();
  }
  return undefined;
}

/**
 * judge: counts a record's answer and returns true, or returns false to send it again (a
 * transient code with retries left); throws RecordWriteError for a rejection that stops
 * the run. `resent`: an earlier send of it may have been applied.
 */
export function judge<T>(
  ctx: Pick<WriteContext, 'o' | 'counts' | 'maxRetries'>, subject: T, recordOf: (s: T) => WriteItem, code: number, node: Node, resent: boolean, attempt: number,
): boolean {
  const { o, counts } = ctx;
  if (code === ResultCode.OK) {
    counts.inserted++;
    return true;
  }
  if (code === ResultCode.GENERATION || (code === ResultCode.KEY_EXISTS && o.unique)) {
    // After a re-send, the record found may be this restore's own earlier attempt.
    if (resent) counts.inDoubt++;
    else if (code === ResultCode.GENERATION) counts.fresher++;
    else counts.existed++;
    return true;
  }
  if (isTransient(code) && attempt < ctx.maxRetries) return false;
  // Only a record that is not counted is looked at (a batch row's is built for it).
  const r = recordOf(subject);
  // The one refusal a whole backup can meet record after record: a namespace whose records
  // never expire (nsup-period 0) refuses every record with a TTL.
  const why = code === ResultCode.FORBIDDEN && r.voidTime !== 0
    ? ': the record expires, and a namespace with nsup-period 0 (and allow-ttl-without-nsup false) refuses such records; set nsup-period, or restore with --ignore-record-error to skip them'
    : '';
  const what = `record ${r.digest.toString('base64')} (set ${JSON.stringify(r.set)}) rejected by ${node.address}: ${resultName(code)} (${code})${why}`;
  if (isRecordError(code) && o.ignoreRecordError) {
    counts.ignored++;
    o.log?.(`ignored: ${what}`);
    return true;
  }
  throw new RecordWriteError(r, code, what);
}

const itself = (r: WriteItem): WriteItem => r;

/**
 * admitRecord: counts a record read and says whether it is written, and with what TTL
 * (undefined: skipped and counted: no bins, expired, or refused under
 * --ignore-record-error); throws the refusal of a record that stops the run. The writer
 * and --validate judge records alike through it.
 */
export function admitRecord(
  r: WriteItem, nowCl: number, counts: WriteCounts, o: { extraTtl: number; ignoreRecordError?: boolean; log?: (msg: string) => void },
): number | undefined {
  counts.read++;
  // The server would answer PARAMETER to a put with no bins: skip, as asrestore does.
  if (binCount(r) === 0) { counts.skippedNoBins++; return undefined; }
  const ttl = ttlFor(r.voidTime, nowCl, o.extraTtl);
  if (ttl === undefined) { counts.expired++; return undefined; }
  const refused = refusal(r, ttl, o.extraTtl);
  if (refused !== undefined) {
    if (!o.ignoreRecordError) { counts.failed++; throw refused; }
    counts.ignored++;
    o.log?.(`ignored: ${refused.message}`);
    return undefined;
  }
  return ttl;
}

/**
 * writeRecords: writes every record and resolves with the counts once all answers are in.
 * Rejects on the first record that fails (after the writes in flight have finished): a
 * rejected record without --ignore-record-error, an unknown namespace, or a connection
 * that kept failing after maxRetries retries.
 */
export async function writeRecords(cluster: Cluster, batches: AsyncIterable<WriteItem[]>, opts: WriteOptions = {}): Promise<WriteCounts> {
  const counts = opts.counts ?? newCounts();
  const bits = writeBits(opts);
  const now = opts.now ?? wallClock;
  const maxRetries = opts.maxRetries ?? 5;
  const scaleUs = opts.retryScaleFactorUs ?? DEFAULT_RETRY_SCALE_US;
  const pause = (attempt: number): Promise<unknown> | undefined => {
    const ms = retryDelayMs(attempt + 1, scaleUs);
    return ms > 0 ? (opts.sleep ?? sleep)(ms) : undefined;
  };
  const timeoutMs = opts.socketTimeoutMs || 600_000;
  const txnTtl = opts.totalTimeoutMs && opts.socketTimeoutMs ? Math.min(opts.totalTimeoutMs, opts.socketTimeoutMs) : (opts.totalTimeoutMs ?? 0);
  const limit = Math.max(1, opts.inFlight ?? (opts.batchSize ?? DEFAULT_PUT_GROUP) * (opts.maxAsyncBatches ?? DEFAULT_MAX_ASYNC_BATCHES));
  const lanesPerNode = Math.max(1, opts.lanesPerNode ?? 2);
  const lanes = new Map<Node, { lanes: Lane[]; next: number }>();
  const window = new Window();
  let failure: Error | undefined;
  const extraTtl = opts.extraTtl ?? 0;
  const budgetMs = opts.partitionWaitMs ?? DEFAULT_PARTITION_WAIT_MS;
  const monotonic = opts.monotonic ?? (() => performance.now());
  const wait = new PartitionWait(cluster, { budgetMs, sleep: opts.sleep, now: monotonic, log: opts.notice, note: opts.onWait });
  // nodeLost: the node was dropped from the cluster (asking the nodes again if not yet:
  // twice, as the first tend may fail on a pooled connection that the node's death broke,
  // and a node is dropped on a refused connection or on a second failed tend).
  const nodeLost = async (node: Node): Promise<boolean> => {
    for (let i = 0; i < 2 && node.active; i++) await cluster.refresh().catch(() => undefined);
    return !node.active;
  };
  // Partitions whose writes went to another node than before (ns:pid).
  const moved = new Set<string>();
  const ctx: WriteContext = {
    cluster, o: opts, counts, bits, maxRetries, scaleUs, timeoutMs, txnTtl, wait, budgetMs, monotonic, moved, pause, nodeLost,
    clock: () => nowClSeconds(now()),
    admit: (r, nowCl) => admitRecord(r, nowCl, counts, { extraTtl, ignoreRecordError: opts.ignoreRecordError, log: opts.log }),
  };

  const laneFor = (node: Node): Lane => {
    let l = lanes.get(node);
    if (l === undefined) {
      l = { lanes: Array.from({ length: lanesPerNode }, () => new Lane(node, timeoutMs)), next: 0 };
      lanes.set(node, l);
    }
    // The least busy lane, so one slow connection does not hold everything.
    let best = l.lanes[0]!;
    for (const lane of l.lanes) if (lane.inFlight < best.inFlight) best = lane;
    return best;
  };

  const put = async (r: WriteItem, ns: string, frame: Buffer): Promise<void> => {
    const pid = partitionId(digestBuffer(r), digestOffset(r));
    // An earlier attempt may have been applied: its answer was lost, or it timed out.
    let maybeApplied = false;
    let resent = false;
    let last: Node | undefined;
    // Since when this write rides out a lost node without using retries (monotonic ms).
    let lostSince: number | undefined;
    for (let attempt = 0; ; attempt++) {
      let code: number;
      let node: Node | undefined;
      try {
        if (cluster.nodes.length === 0) {
          // No node answers at all: the cluster is lost (or restarting), a matter for the retries.
          const lost = cluster.lost;
          const why = 'no node of the cluster answers';
          throw new ConnectError(lost[0]?.split(': ')[0] ?? '', lost.length > 0 ? `${lost.join('; ')} (${why})` : why);
        }
        // A namespace no node ever had is not there; one whose nodes went away was lost.
        if (!cluster.hasNamespace(ns) && !cluster.hadNamespace(ns)) throw new RecordWriteError(r, ResultCode.NAMESPACE_NOT_FOUND, `namespace ${ns} not found in the cluster`, 'NAMESPACE_NOT_FOUND');
        // A partition without a master waits for the cluster to re-form: no retry used.
        const known = cluster.masterOf(ns, pid);
        node = known ?? (await wait.master(ns, pid));
        if (known === undefined || (last !== undefined && node !== last)) moved.add(`${ns}:${pid}`);
        last = node;
        if (maybeApplied && !resent) {
          resent = true;
          counts.resent++;
        }
        code = await laneFor(node).send(frame);
      } catch (e) {
        if (e instanceof AnswerLost) maybeApplied = true;
        if (!(e instanceof ConnectError)) throw e;
        // The node itself went away (the tend drops it): the write goes to the node that
        // takes its partition over, which is riding out node loss, not a failed attempt;
        // bounded by the partition wait's budget.
        if (node !== undefined && (await nodeLost(node))) {
          lostSince ??= monotonic();
          if (monotonic() - lostSince < budgetMs) {
            opts.log?.(`sending a write again, to the node that takes partition ${pid} over: ${e.message}`);
            attempt--;
            continue;
          }
        }
        if (attempt >= maxRetries) throw e;
        opts.log?.(`retrying a write (${attempt + 1}/${maxRetries}) after ${retryDelayMs(attempt + 1, scaleUs)} ms: ${e.message}`);
        await pause(attempt);
        await cluster.refresh().catch(() => undefined);
        continue;
      }
      if (judge(ctx, r, itself, code, node, resent, attempt)) return;
      // A server timeout may come after the write was applied (a replica was slow).
      if (code === ResultCode.TIMEOUT) maybeApplied = true;
      opts.log?.(`retrying a write (${attempt + 1}/${maxRetries}) after ${retryDelayMs(attempt + 1, scaleUs)} ms: ${node.address} answered ${resultName(code)} (${code})`);
      await pause(attempt);
      if (code === ResultCode.UNAVAILABLE) await cluster.refresh().catch(() => undefined);
    }
  };

  const settle = (p: Promise<void>): void => {
    window.size++;
    // One handler for both outcomes: a promise fewer per record than catch().finally().
    const done = (): void => window.done();
    p.then(done, (e: unknown) => {
      counts.failed++;
      failure ??= e as Error;
      done();
    });
  };

  if (opts.batchWrites) {
    failure = await writeBatches(ctx, batches);
    counts.partitionsMoved += moved.size;
  } else {
    try {
      // Hysteresis: once the window is full, let half of it drain before refilling, so the
      // requests leave in large batches instead of one per answer (each a syscall and a
      // wake-up on both sides).
      const drained = (): boolean => window.size <= limit >> 1;
      const refused = await eachAdmitted(ctx, batches, () => failure !== undefined, (r, ns, ttl) => {
        const full = window.size >= limit ? window.until(drained) : undefined;
        const frame = putFrame(r, ns, bits, ttl, txnTtl);
        if (full === undefined) {
          settle(put(r, ns, frame));
          return undefined;
        }
        return full.then(() => settle(put(r, ns, frame)));
      });
      failure ??= refused;
    } finally {
      // Whatever went wrong, let the writes in flight finish so the counts are true.
      await window.until(() => window.size === 0);
      for (const l of lanes.values()) for (const lane of l.lanes) lane.close();
      counts.partitionsMoved += moved.size;
    }
  }
  if (failure instanceof ConnectError) throw connectionLost(failure, counts.inserted);
  if (failure instanceof NoMaster) throw new AsError('PARTITION_UNAVAILABLE', `${failure.message}; ${counts.inserted} record(s) were written before`, { value: failure.pid, cause: failure });
  if (failure) throw failure;
  return counts;
}

/**
 * connectionLost: a connection that kept failing after every retry, as the user sees it: the
 * cluster was lost (the message names the host and why), after how many records.
 */
function connectionLost(e: ConnectError, written: number): AsError {
  return new AsError('CONNECTION_LOST', `lost the connection to the cluster: ${e.message}; ${written} record(s) were written before`, { cause: e, value: e.host });
}

/** The C asrestore's default --retry-scale-factor, µs. */
export const DEFAULT_RETRY_SCALE_US = 150_000;

/** retryDelayMs: the wait before retry n (1-based): none for the first, then 2^(n-2) x scale. */
export function retryDelayMs(n: number, scaleUs: number): number {
  return n <= 1 ? 0 : (2 ** (n - 2) * scaleUs) / 1000;
}
