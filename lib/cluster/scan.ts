// Partition scans: partitions grouped by the node that serves them (the master, or a
// replica on a preferred rack), one scan command per stream, resume points per partition,
// retry rounds on the refreshed map, and backpressure from the consumer down to the sockets.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIGEST_SIZE, FieldType, Info1, Info3, OpType, PARTITIONS, ProtoType, ResultCode } from '../protocol/constants.js';
import { decompressBody } from '../protocol/compress.js';
import { recycleFrameBody } from '../protocol/frame.js';
import { encodeMessage, Fields, type Field } from '../protocol/message.js';
import { partitionId } from '../protocol/digest.js';
import { isScanRetryable, resultName } from '../protocol/result-codes.js';
import { AsError, ConnectError, IncompleteError, ProtocolError, ServerError, UsageError } from '../errors.js';
import type { RecordBatch, RecordItem, WireBatch } from '../records/types.js';
import type { Cluster } from './cluster.js';
import type { Connection } from './connection.js';
import type { Node } from './node.js';
import { BatchQueue, type Batch } from './batch-queue.js';
import { RecordParser, ScanResultError, type ParseSink } from '../protocol/record-parser.js';

/** retryBackoffMs: the default wait before retry round `round` (2, 3, ...): 100 ms doubling, at most 2 s. */
export function retryBackoffMs(round: number): number {
  return Math.min(2000, 100 * 2 ** (round - 2));
}

/** Options of a partition scan. */
export interface ScanOptions {
  namespace: string;
  set?: string;
  /** Only these bins. */
  bins?: string[];
  /** Metadata only. */
  noBins?: boolean;
  /** Compiled filter expression (lib/protocol/expression.ts compile). */
  filter?: Buffer;
  /** Partitions to scan (default all 4096). */
  partitions?: number[];
  /** Scan each partition on a live replica in the first of these racks that has one, else on its master. */
  preferRacks?: readonly number[];
  /** Resume: records of this digest's partition below it, plus every later partition. */
  afterDigest?: Buffer;
  /**
   * Resume points by partition id (a resumed backup): each of these partitions of
   * `partitions` is scanned from after its digest, on whichever node serves it now.
   */
  resume?: ReadonlyMap<number, Buffer>;
  /** Stop after this many records (exact; 0 = no limit). */
  maxRecords?: number;
  /** Server-side rate limit for the whole scan, split over the streams. */
  recordsPerSecond?: number;
  /** Nodes scanned at once (default 10). */
  parallel?: number;
  /**
   * Scan commands per node at once: 0 auto (2), 1 low (1), 2 medium (2), 3 high (4). The
   * node's partitions are split into that many ranges.
   */
  priority?: number;
  /** Scan commands per node at once, overriding priority's count. */
  scansPerNode?: number;
  /**
   * Server-side socket timeout, and how long we wait for a frame (ms, default 30000; 0 =
   * no limit, or the total timeout when there is one).
   */
  socketTimeoutMs?: number;
  /**
   * The whole scan, retries included, must end within this (ms; 0 = no limit), as the C
   * client's partition tracker counts it: each round sends the time left in the header and
   * caps the socket timeout by it; when it runs out the scan fails with TIMEOUT.
   */
  totalTimeoutMs?: number;
  /** Retry rounds for unfinished partitions (default 5). */
  maxRetries?: number;
  /**
   * ms to wait before each retry round. Default: 100 ms doubling up to 2 s (about 3 s over
   * five rounds), long enough for a cluster to re-form after a node is lost; the C tools
   * retry at once unless told to wait.
   */
  sleepBetweenRetriesMs?: number;
  /** How to wait (tests; default a timer). */
  sleep?: (ms: number) => Promise<unknown>;
  onProgress?: (p: ScanProgress) => void;
  log?: (msg: string) => void;
  /** Info lines: partitions read again on another node after theirs failed (a node left). */
  notice?: (msg: string) => void;
}

/** Progress after each batch of records. */
export interface ScanProgress {
  records: number;
  partitionsDone: number;
  partitionsTotal: number;
  round: number;
}

const STREAMS_PER_NODE = [2, 1, 2, 4];
/** The longest wait a timer allows: what "no limit" waits for a frame. */
const NO_LIMIT_MS = 0x7fffffff;

/** Per-partition state: done, or where to resume and why the last attempt failed. */
interface Part {
  pid: number;
  resume: Buffer;
  hasResume: boolean;
  done: boolean;
  failedRound: number;
  error: string;
  /** The node the last failed attempt was on (a rack-preferring retry goes elsewhere if it can). */
  failedOn?: Node;
}

/** scanPartitions: every record of the selection, each exactly once (see scanBatches). */
export async function* scanPartitions(cluster: Cluster, opts: ScanOptions): AsyncGenerator<RecordItem> {
  for await (const batch of scanBatches(cluster, opts)) yield* batch;
}

/**
 * scanBatches: the records as they arrive, one array per frame. Throws ServerError for an
 * unknown namespace or a non-retryable result, IncompleteError naming the partitions that
 * could not be scanned after `maxRetries` rounds. Stopping the iteration early closes the
 * sockets.
 */
export function scanBatches(cluster: Cluster, opts: ScanOptions): AsyncGenerator<RecordBatch> {
  return scanAny(cluster, opts, false) as AsyncGenerator<RecordBatch>;
}

/**
 * scanWire: scanBatches with the records left in their wire form (WireBatch): the same
 * partition tracking, retries and errors, no object per record. For asbackup's encoder.
 */
export function scanWire(cluster: Cluster, opts: ScanOptions): AsyncGenerator<WireBatch> {
  return scanAny(cluster, opts, true) as AsyncGenerator<WireBatch>;
}

/**
 * splitRanges: a node's partitions (in pid order) as at most k contiguous ranges, one per
 * scan command, their sizes differing by at most one.
 */
export function splitRanges<T>(parts: readonly T[], k: number): T[][] {
  const n = Math.min(k, parts.length);
  return Array.from({ length: n }, (_, i) => parts.slice(Math.floor((i * parts.length) / n), Math.floor(((i + 1) * parts.length) / n)));
}

/**
 * U32List: numbers of one frame (record offsets, digest offsets, partition ids) pushed into
 * a Uint32Array that doubles when full. take() hands out exactly what was pushed and starts
 * the next frame with room for as many again: about one allocation of the right size per
 * frame, where arrays grown by push() made 70-100 bytes of garbage a record (three per
 * record, each allocated about three times over while growing).
 */
class U32List {
  private a = new Uint32Array(256);
  length = 0;

  push(v: number): void {
    if (this.length === this.a.length) {
      const b = new Uint32Array(2 * this.a.length);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = v;
  }

  /** take: the numbers pushed (a view), leaving the list empty with room for as many. */
  take(): Uint32Array {
    const out = this.a.subarray(0, this.length);
    this.a = new Uint32Array(Math.max(256, this.length + (this.length >> 3)));
    this.length = 0;
    return out;
  }
}

/**
 * wireBatch: a frame's records as a WireBatch, every field set (`done` too): batches of one
 * shape keep the code that reads them optimized. A `done` added to some frames only gave
 * them another hidden class, and each reader was compiled again once it met both.
 */
function wireBatch(namespace: string, body: Buffer, offsets: Uint32Array, digestAt: Uint32Array, done: number[] | undefined): WireBatch {
  return { kind: 'wire', namespace, body, offsets, length: offsets.length, digestAt, done };
}

/**
 * FrameSink: what a stream's parser reports of a frame: where each record's digest is and
 * its partition, and the partitions the frame finished (their failures are noted on the
 * partition). A class, so every stream's parser calls the same methods: closures made per
 * stream were a new call target each time, and the parser was compiled again.
 */
class FrameSink implements ParseSink {
  readonly digests = new U32List();
  readonly pids = new U32List();
  doneNow: number[] = [];
  /** Whether the frame just parsed was the stream's last. */
  ended = false;

  constructor(private readonly byPid: Array<Part | undefined>, private readonly round: number, private readonly node: Node) {}

  record(pid: number, _body: Buffer, at: number): void {
    this.digests.push(at);
    this.pids.push(pid);
  }

  partitionDone(pid: number, rc: number): void {
    const p = this.byPid[pid];
    if (p === undefined) return;
    if (rc === 0) {
      if (!p.done && !this.doneNow.includes(pid)) this.doneNow.push(pid);
    } else {
      p.failedRound = this.round;
      p.failedOn = this.node;
      p.error = `${this.node.address}: partition ${pid}: ${resultName(rc)} (${rc})`;
    }
  }
}

function cut(batch: Batch, n: number): Batch {
  if (Array.isArray(batch)) return batch.slice(0, n);
  // The partitions of the frame are not finished by the records kept.
  return wireBatch(batch.namespace, batch.body, batch.offsets.slice(0, n), batch.digestAt!.slice(0, n), undefined);
}

async function* scanAny(cluster: Cluster, opts: ScanOptions, wire: boolean): AsyncGenerator<Batch> {
  const ns = opts.namespace;
  const maxRetries = opts.maxRetries ?? 5;
  const log = opts.log ?? (() => {});
  const parts = planParts(opts);
  const byPid: Array<Part | undefined> = new Array(PARTITIONS);
  for (const p of parts) byPid[p.pid] = p;
  if (!cluster.hasNamespace(ns)) await cluster.refresh();
  if (!cluster.hasNamespace(ns)) throw new ServerError(ResultCode.NAMESPACE_NOT_FOUND, `namespace "${ns}" not found in the cluster`, undefined, 'NAMESPACE_NOT_FOUND');
  const max = opts.maxRecords ?? 0;
  let delivered = 0;
  const total = opts.totalTimeoutMs ?? 0;
  const deadline = total > 0 ? performance.now() + total : 0;
  const timedOut = (): AsError => new AsError('TIMEOUT', `the scan did not end within its total timeout of ${total} ms (${delivered} record(s) read)`, { value: total });
  for (let round = 1; ; round++) {
    const todo = parts.filter((p) => !p.done);
    if (todo.length === 0) return;
    if (round > maxRetries + 1) throw incomplete(todo);
    if (round > 1) {
      const wait = opts.sleepBetweenRetriesMs ?? retryBackoffMs(round);
      log(`retrying ${todo.length} partition(s), round ${round}${wait > 0 ? ` after ${wait} ms` : ''}: ${todo[0]!.error}`);
      if (wait > 0) await (opts.sleep ?? sleep)(wait);
      await cluster.refresh();
    }
    // What is left of the total timeout bounds this round, on both sides.
    let socketMs = opts.socketTimeoutMs ?? 30000;
    let totalMs = 0;
    if (deadline > 0) {
      totalMs = Math.floor(deadline - performance.now());
      if (totalMs <= 0) throw timedOut();
      if (socketMs === 0 || socketMs > totalMs) socketMs = totalMs;
    }
    const groups = groupByNode(cluster, opts, todo, round);
    const round_ = new Round(ns, opts, round, byPid, max === 0 ? 0 : max - delivered, wire, socketMs, totalMs);
    const running = round_.run(groups);
    const timer = totalMs > 0 ? setTimeout(() => round_.fail(timedOut()), totalMs) : undefined;
    try {
      for (;;) {
        const batch = await round_.queue.take();
        if (batch === null) break;
        if (max > 0 && delivered + batch.length >= max) {
          yield cut(batch, max - delivered);
          return;
        }
        delivered += batch.length;
        opts.onProgress?.({ records: delivered, partitionsDone: parts.reduce((n, p) => n + (p.done ? 1 : 0), 0), partitionsTotal: parts.length, round });
        yield batch;
      }
      if (round_.fatal) throw round_.fatal;
    } finally {
      clearTimeout(timer);
      round_.abort();
      await running;
    }
  }
}

/**
 * groupByNode: the partitions of a round by the node to scan them on; those no node holds
 * are failed for this round. Apart from scanAny, which V8 compiles (it resumes once per
 * frame): the round's planning, run once a round, then costs that compile nothing
 * (scanAny took 50-60 ms of the compiler thread a backup with it inside).
 */
function groupByNode(cluster: Cluster, opts: ScanOptions, todo: Part[], round: number): Map<Node, Part[]> {
  const groups = new Map<Node, Part[]>();
  let elsewhere = 0;
  for (const p of todo) {
    const node = cluster.scanNodeOf(opts.namespace, p.pid, opts.preferRacks, p.failedOn);
    if (node !== undefined && p.failedOn !== undefined && node !== p.failedOn) elsewhere++;
    if (node === undefined) {
      p.failedRound = round;
      const none = `no node holds partition ${p.pid}`;
      if (p.error === '') p.error = none;
      else if (!p.error.includes('no node holds')) p.error += ` (then ${none})`;
      continue;
    }
    let g = groups.get(node);
    if (g === undefined) groups.set(node, (g = []));
    g.push(p);
  }
  if (elsewhere > 0) opts.notice?.(`Re-reading ${elsewhere} partition(s) on another node, from where their scan stopped (round ${round})`);
  return groups;
}

/** plannedPartitions: the partitions a scan reads, and the resume digest of those begun. */
export function plannedPartitions(opts: ScanOptions): { partitions: number[]; resume: Map<number, Buffer> } {
  const { wanted, resume } = wantedPartitions(opts);
  const partitions: number[] = [];
  for (let pid = 0; pid < PARTITIONS; pid++) if (wanted[pid] === 1) partitions.push(pid);
  return { partitions, resume };
}

// The partitions asked for (a flag per partition id) and the resume digests of those begun.
// Runs before the scan starts, still in the interpreter: flags, not a Set sorted by a
// comparator (plannedPartitions and planParts took ~3-5 ms each at the start of a run).
function wantedPartitions(opts: ScanOptions): { wanted: Uint8Array; resume: Map<number, Buffer> } {
  const wanted = new Uint8Array(PARTITIONS);
  const resume = new Map<number, Buffer>();
  if (opts.afterDigest !== undefined) {
    if (opts.afterDigest.length !== 20) throw new UsageError('after-digest must be 20 bytes');
    const first = partitionId(opts.afterDigest);
    const allowed = opts.partitions === undefined ? undefined : new Set(opts.partitions);
    for (let p = first; p < PARTITIONS; p++) if (allowed === undefined || allowed.has(p)) wanted[p] = 1;
    if (wanted[first] === 1) resume.set(first, opts.afterDigest);
  } else if (opts.partitions === undefined) {
    wanted.fill(1);
  } else {
    for (const p of opts.partitions) {
      if (!Number.isInteger(p) || p < 0 || p >= PARTITIONS) throw new UsageError(`partition ${p} is not in 0..4095`);
      wanted[p] = 1;
    }
  }
  for (const [pid, d] of opts.resume ?? []) {
    if (d.length !== 20 || partitionId(d) !== pid) throw new UsageError(`resume digest of partition ${pid} is not a digest of that partition`);
    if (wanted[pid] === 1) resume.set(pid, d);
  }
  return { wanted, resume };
}

// The partitions asked for, in pid order, each with its resume digest (one slab holds them all).
function planParts(opts: ScanOptions): Part[] {
  const { wanted, resume } = wantedPartitions(opts);
  let n = 0;
  for (let pid = 0; pid < PARTITIONS; pid++) n += wanted[pid]!;
  const digests = Buffer.alloc(n * DIGEST_SIZE);
  const parts: Part[] = [];
  for (let pid = 0; pid < PARTITIONS; pid++) {
    if (wanted[pid] === 0) continue;
    const at = parts.length * DIGEST_SIZE;
    const own = digests.subarray(at, at + DIGEST_SIZE); // each part writes its own 20 bytes
    const r = resume.get(pid);
    if (r !== undefined) r.copy(own);
    parts.push({ pid, resume: own, hasResume: r !== undefined, done: false, failedRound: 0, error: '' });
  }
  return parts;
}

function incomplete(todo: Part[]): IncompleteError {
  const shown = todo.slice(0, 10).map((p) => p.pid).join(', ');
  const more = todo.length > 10 ? ` (+${todo.length - 10} more)` : '';
  const reason = todo[0]!.error || 'not scanned';
  return new IncompleteError(`partitions ${shown}${more} could not be scanned: ${reason}`, todo.map((p) => p.pid));
}

/** One retry round: the node streams, their shared queue, and the first fatal error. */
class Round {
  readonly queue: BatchQueue;
  fatal: Error | undefined;
  private aborted = false;
  private conns = new Set<Connection>();
  private streams = 0;

  constructor(private ns: string, private opts: ScanOptions, private round: number, private byPid: Array<Part | undefined>, private remaining: number, private wire: boolean,
    private socketMs: number, private totalMs: number) {
    // 16 frames, but no more than 4 MiB of them: a server's scan frames run to 1 MiB each,
    // and 16 of them were the largest part of a backup's memory.
    this.queue = new BatchQueue(16, 4 * 1024 * 1024);
  }

  async run(groups: Map<Node, Part[]>): Promise<void> {
    const list = [...groups];
    const parallel = Math.max(1, this.opts.parallel ?? 10);
    const perNode = this.opts.scansPerNode ?? STREAMS_PER_NODE[this.opts.priority ?? 0] ?? 2;
    this.streams = Math.max(1, Math.min(parallel, list.length) * perNode);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length && !this.aborted) {
        const [node, parts] = list[next++]!;
        const ranges = splitRanges(parts, perNode);
        this.opts.log?.(`scanning ${parts.length} partition(s) on ${node.address} in ${ranges.length} scan command(s)`);
        await Promise.all(ranges.map((range) => this.stream(node, range)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, list.length) }, worker));
    this.queue.finish();
  }

  abort(): void {
    this.aborted = true;
    for (const c of this.conns) c.close();
    this.queue.abort();
  }

  private request(parts: Part[]): Buffer {
    const o = this.opts;
    const fields: Field[] = [Fields.string(FieldType.NAMESPACE, this.ns)];
    if (o.set !== undefined && o.set !== '') fields.push(Fields.string(FieldType.SET, o.set));
    if (o.recordsPerSecond) fields.push(Fields.u32(FieldType.RPS, Math.max(1, Math.floor(o.recordsPerSecond / this.streams))));
    fields.push(Fields.u32(FieldType.SOCKET_TIMEOUT, this.socketMs));
    fields.push(Fields.raw(FieldType.TASK_ID, randomBytes(8)));
    if (o.filter !== undefined) fields.push(Fields.raw(FieldType.FILTER, o.filter));
    const full = parts.filter((p) => !p.hasResume);
    const partial = parts.filter((p) => p.hasResume);
    if (full.length > 0) {
      const a = Buffer.allocUnsafe(full.length * 2);
      full.forEach((p, i) => a.writeUInt16LE(p.pid, i * 2));
      fields.push(Fields.raw(FieldType.PID_ARRAY, a));
    }
    if (partial.length > 0) fields.push(Fields.raw(FieldType.DIGEST_ARRAY, Buffer.concat(partial.map((p) => p.resume))));
    if (this.remaining > 0) fields.push(Fields.u64(FieldType.MAX_RECORDS, BigInt(this.remaining)));
    const ops = o.noBins ? [] : (o.bins ?? []).map((name) => ({ op: OpType.READ, type: 0, name, data: Buffer.alloc(0) }));
    return encodeMessage({ info1: Info1.READ | (o.noBins ? Info1.GET_NO_BINS : 0), info3: Info3.PARTITION_DONE, recordTtl: 0xffffffff, transactionTtl: this.totalMs, fields, ops });
  }

  /**
   * frameBatch: a frame's records as one batch (with the partitions the frame finished), its
   * resume points recorded; `sink.ended` tells whether it was the stream's last. Apart from
   * stream() so that V8 optimizes the per-frame work on its own: the end of a stream runs
   * code no frame ran before, which throws away stream()'s optimized code, and with the
   * frame's work inlined there the other streams' frames (30 % of a backup of 1 M records
   * with 2 streams) ran unoptimized until V8 had compiled it all again.
   */
  private frameBatch(body: Buffer, parser: RecordParser, sink: FrameSink, offsetList: U32List): Batch {
    const byPid = this.byPid;
    let batch: Batch;
    let digestAt: Uint32Array;
    if (this.wire) {
      sink.ended = parser.offsets(body, offsetList);
      digestAt = sink.digests.take();
      batch = wireBatch(this.ns, body, offsetList.take(), digestAt, undefined);
    } else {
      const records: RecordBatch = [];
      sink.ended = parser.parse(body, records);
      batch = records;
      digestAt = sink.digests.take();
    }
    const pidsNow = sink.pids.take();
    const doneNow = sink.doneNow;
    if (doneNow.length > 0) {
      batch.done = doneNow;
      for (const pid of doneNow) byPid[pid]!.done = true;
      sink.doneNow = [];
    }
    for (let i = 0; i < pidsNow.length; i++) {
      // A partition's resume point is its last record in the frame: its records come
      // together, so only where a run of them ends is copied.
      const pid = pidsNow[i]!;
      if (i + 1 < pidsNow.length && pidsNow[i + 1] === pid) continue;
      const p = byPid[pid];
      if (p === undefined) continue;
      // 20 bytes: a loop costs a tenth of a Buffer.copy call.
      const r = p.resume;
      const at = digestAt[i]!;
      for (let k = 0; k < 20; k++) r[k] = body[at + k]!;
      p.hasResume = true;
    }
    return batch;
  }

  // One scan command on one connection; on a retryable failure its unfinished
  // partitions keep their resume digests for the next round.
  private async stream(node: Node, parts: Part[]): Promise<void> {
    const what = `scanning partitions`;
    const byPid = this.byPid;
    const round = this.round;
    let conn: Connection | undefined;
    try {
      conn = await node.acquire(what);
      this.conns.add(conn);
      if (this.aborted) throw new Aborted();
      conn.write(this.request(parts));
      // Per frame: where each record's digest is, and the partitions it finished.
      // A frame's resume points and finished partitions count only once the whole frame
      // parsed and went to the queue: a frame that fails half-way is read again whole.
      const offsetList = new U32List();
      const sink = new FrameSink(byPid, round, node);
      const parser = new RecordParser(this.ns, sink);
      const timeout = this.socketMs > 0 ? this.socketMs + 5000 : NO_LIMIT_MS;
      for (;;) {
        const f = await conn.readFrame(what, timeout);
        if (this.aborted) throw new Aborted();
        let body = f.body;
        if (f.type === ProtoType.MSG_COMPRESSED) {
          body = decompressBody(body);
          recycleFrameBody(f.body); // the records live in the inflated copy
        } else if (f.type !== ProtoType.MSG) throw new ProtocolError(`${node.address}: unexpected proto type ${f.type} while ${what}`);
        const batch = this.frameBatch(body, parser, sink, offsetList);
        if (batch.length > 0 || batch.done !== undefined) {
          this.queue.push(batch);
          if (this.queue.full) await this.queue.waitSpace();
        }
        if (sink.ended) break;
      }
      // A stream that ended well finished its partitions, said or not: the consumer learns
      // it after the stream's last records.
      const unsaid = parts.filter((p) => p.failedRound !== round && !p.done).map((p) => p.pid);
      for (const p of parts) if (p.failedRound !== round) p.done = true;
      if (unsaid.length > 0) this.queue.push(this.wire ? wireBatch(this.ns, Buffer.alloc(0), new Uint32Array(0), new Uint32Array(0), unsaid) : Object.assign([], { done: unsaid }));
      this.conns.delete(conn);
      node.release(conn);
    } catch (e) {
      if (conn) {
        this.conns.delete(conn);
        node.release(conn, false);
      }
      if (this.aborted) return;
      this.failed(node, parts, e);
    }
  }

  private failed(node: Node, parts: Part[], e: unknown): void {
    let reason: string;
    if (e instanceof ScanResultError) {
      const rc = e.resultCode;
      if (rc === ResultCode.NAMESPACE_NOT_FOUND) return this.fail(new ServerError(rc, `namespace "${this.ns}" not found (node ${node.address})`, node.address, 'NAMESPACE_NOT_FOUND'));
      reason = `${node.address}: ${resultName(rc)} (${rc})`;
      if (!isScanRetryable(rc)) return this.fail(new ServerError(rc, `${reason} while scanning namespace "${this.ns}"`, node.address));
    } else if (e instanceof ConnectError || e instanceof ProtocolError) {
      reason = e.message;
      if (!reason.startsWith(node.address)) reason = `${node.address}: ${reason}`;
    } else {
      return this.fail(e instanceof Error ? e : new AsError('INTERNAL', String(e)));
    }
    this.opts.log?.(`scan of ${parts.length} partition(s) on ${node} failed: ${reason}`);
    for (const p of parts) {
      if (p.done) continue;
      p.failedRound = this.round;
      p.error = reason;
      p.failedOn = node;
    }
  }

  /** fail: ends the round with this error (the first one wins). */
  fail(e: Error): void {
    this.fatal ??= e;
    this.abort();
  }
}

class Aborted extends Error {}
