// Batch writes: records go to their partition's master in batch-index commands
// (lib/protocol/batch.ts) of up to --batch-size rows, at most --max-async-batches in flight,
// as the official asrestore 4.x sends them (aerospike_batch.c: one write row per record,
// with the same write attributes, generation, TTL, fields and ops as a put). Each row's
// answer is counted as a put's would be (writer.ts judge). A batch that fails as a whole
// (timeout, lost connection, a refusal of the batch such as "queues full") is sent again
// with back-off, and only the rows that got no answer go again: no row is counted twice,
// and none is dropped.
import type { Cluster } from '../cluster/cluster.js';
import type { Node } from '../cluster/node.js';
import type { Connection } from '../cluster/connection.js';
import { AsError, ConnectError, ProtocolError } from '../errors.js';
import { Info2, ProtoType, ResultCode } from '../protocol/constants.js';
import {
  BATCH_FLAGS_DEFAULT, BATCH_HEAD_SIZE, BATCH_OPEN, batchRowDigest, BATCH_WRITE_ROW, BATCH_WRITE_ROW_HEAD_SIZE, readBatchAnswers, setBatchRowIndex, writeBatchHead, writeBatchRow,
} from '../protocol/batch.js';
import { partitionId } from '../protocol/digest.js';
import { isTransient, resultName } from '../protocol/result-codes.js';
import type { WriteItem } from '../records/types.js';
import { AnswerLost } from './pipeline.js';
import {
  binCount, digestBuffer, digestOffset, eachAdmitted, fieldCount, judge, recordParts, retryDelayMs, Window, writeRecordParts, type WriteContext,
} from './writer.js';

/** Default rows per batch command (the official asrestore's --batch-size with batch writes). */
export const DEFAULT_BATCH_SIZE = 128;
/** Default batch commands in flight (the official --max-async-batches). */
export const DEFAULT_MAX_ASYNC_BATCHES = 32;

/** One record on its way: where it goes and what happened to it so far. */
interface Row {
  /** The record's namespace, set, generation and void time (what an error names; its digest is in the row's bytes). */
  namespace: string;
  set: string;
  generation: number;
  voidTime: number;
  /** The batch command holding the row's bytes, encoded once when it was admitted. */
  command: BatchCommand;
  /** Where its bytes are in the command's buffer. */
  at: number;
  size: number;
  ns: string;
  pid: number;
  /** Sends that failed so far (answers with a transient code, batches that failed as a whole). */
  attempt: number;
  /** An earlier send may have been applied (its answer was lost, or the server timed it out). */
  mayHaveApplied: boolean;
  /** Counted once in `resent` when sent again after such an attempt. */
  resent: boolean;
  /** The node it was last sent to. */
  last?: Node;
  /** Since when it rides out a lost node without using retries (monotonic ms). */
  lostSince?: number;
}

/** A batch being gathered for one node: its command and its rows. */
interface Gathered {
  command: BatchCommand;
  rows: Row[];
}

/** Room a new batch command starts with: 128 rows of ~450 B. */
const COMMAND_START_SIZE = 64 * 1024;
/** Buffers kept for reuse are at most this big (a batch of large records gets its own). */
const COMMAND_KEEP_SIZE = 1024 * 1024;

/**
 * BatchCommand: one batch-index command, filled row by row as records are admitted: each
 * row is encoded once, straight into the buffer that goes on the wire, so that neither the
 * decoded record (its bins, one object and Buffer each) nor a copy of its bytes is held
 * while up to --batch-size x --max-async-batches rows wait for their answers. The buffer
 * is reused for a later batch once this one is answered.
 */
export class BatchCommand {
  buf: Buffer;
  used = BATCH_HEAD_SIZE;
  rows = 0;

  constructor(buf?: Buffer) {
    this.buf = buf ?? Buffer.allocUnsafe(COMMAND_START_SIZE);
  }

  /**
   * add: appends a record's row, numbered in order: its digest, a write row type byte
   * (INFO|GEN|TTL), info1 0, info2 WRITE|RESPOND_ALL_OPS and the policy bits, info3, the
   * backed-up generation (with GENERATION_GT), the TTL, then the fields and ops of a put (no
   * DIGEST field: the row carries it). Returns where the row starts (it ends at `used`).
   */
  add(r: WriteItem, ns: string, ttl: number, bits: WriteContext['bits']): number {
    const parts = recordParts(r, ns);
    const size = BATCH_WRITE_ROW_HEAD_SIZE + parts.size;
    const at = this.used;
    if (at + size > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, at + size));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    const end = writeRecordParts(this.buf, writeBatchRow(
      this.buf, at, this.rows, digestBuffer(r), digestOffset(r), BATCH_WRITE_ROW, 0, bits.info2 | Info2.RESPOND_ALL_OPS, bits.info3, 0, bits.sendGeneration ? r.generation : 0, ttl,
      fieldCount(r, false), binCount(r),
    ), r, parts, false);
    if (end !== at + size) throw new ProtocolError(`batch row measured ${size} bytes, wrote ${end - at}`);
    this.used = end;
    this.rows++;
    return at;
  }

  /** frame: the whole command of the rows added, as sent. */
  frame(transactionTtl = 0): Buffer {
    writeBatchHead(this.buf, this.used, this.rows, BATCH_FLAGS_DEFAULT, transactionTtl);
    return this.buf.subarray(0, this.used);
  }

  /** row: the bytes of a row added at `at` (for a command of some of the rows: batchFrame). */
  row(at: number, size: number): Buffer {
    return this.buf.subarray(at, at + size);
  }
}

/** batchFrame: a batch-index command of rows taken from other commands, numbered anew in order. */
export function batchFrame(rows: ReadonlyArray<Buffer>, transactionTtl = 0): Buffer {
  let total = BATCH_HEAD_SIZE;
  for (const row of rows) total += row.length;
  const buf = Buffer.allocUnsafe(total);
  let at = writeBatchHead(buf, total, rows.length, BATCH_FLAGS_DEFAULT, transactionTtl);
  for (let i = 0; i < rows.length; i++) {
    rows[i]!.copy(buf, at);
    setBatchRowIndex(buf, at, i);
    at += rows[i]!.length;
  }
  return buf;
}

/** What one batch command got back: a code per row (-1: no answer), and how it ended. */
interface BatchResult {
  codes: Int16Array;
  /** The LAST message's result code; undefined when the batch did not end. */
  batchCode?: number;
  /** Why the batch did not end (the connection failed, or no answer in time). */
  error?: Error;
  /** True once the request was written (its rows may have been applied). */
  written: boolean;
}

/** sendBatch: one batch command on a pooled connection of the node, read to its LAST message. */
async function sendBatch(node: Node, frame: Buffer, n: number, timeoutMs: number): Promise<BatchResult> {
  const res: BatchResult = { codes: new Int16Array(n).fill(-1), written: false };
  let conn: Connection;
  try {
    conn = await node.acquire('connecting to write records');
  } catch (e) {
    res.error = e as Error;
    return res;
  }
  let ok = false;
  try {
    conn.write(frame);
    res.written = true;
    const onRow = (index: number, code: number): void => {
      if (index >= n) throw new ProtocolError(`${node.address}: batch answer for row ${index} of ${n}`, index);
      res.codes[index] = code;
    };
    for (;;) {
      const f = await conn.readFrame('waiting for batch write results', timeoutMs);
      if (f.type !== ProtoType.MSG) throw new ProtocolError(`${node.address}: unexpected answer (proto type ${f.type}) to a batch write`);
      const code = readBatchAnswers(f.body, onRow);
      if (code !== BATCH_OPEN) {
        res.batchCode = code;
        ok = true;
        return res;
      }
    }
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    res.error = res.written && e instanceof ConnectError ? new AnswerLost(e.host, e.message, e.cause ?? e) : (e as Error);
    return res;
  } finally {
    node.release(conn, ok);
  }
}

/**
 * writeBatches: the batch mode of writeRecords. Resolves with the first failure (after
 * every batch in flight has been answered, so the counts are true), or undefined.
 */
export async function writeBatches(ctx: WriteContext, batches: AsyncIterable<WriteItem[]>): Promise<Error | undefined> {
  const { cluster, o, counts } = ctx;
  const batchSize = Math.max(1, o.batchSize ?? DEFAULT_BATCH_SIZE);
  const limit = Math.max(1, o.maxAsyncBatches ?? DEFAULT_MAX_ASYNC_BATCHES);
  // Rows gathered per master until a batch is full, each batch in its command.
  const gathering = new Map<Node, Gathered>();
  // Buffers of answered commands, for the next ones.
  const spare: Buffer[] = [];
  const window = new Window();
  let failure: Error | undefined;
  const fail = (e: unknown, rows: number): void => {
    counts.failed += rows;
    failure ??= e as Error;
  };
  // True while the input is awaited (everything it gave so far has been gathered).
  let awaitingInput = false;
  const start = (g: Gathered): void => {
    window.size++;
    void writeRows(ctx, g.rows, fail, g.command.frame(ctx.txnTtl)).then((clean) => {
      // Its buffer is free once every send of it was answered (a broken connection may
      // still hold what it was writing).
      if (clean && g.command.buf.length <= COMMAND_KEEP_SIZE && spare.length <= limit) spare.push(g.command.buf);
      window.done();
      if (awaitingInput) flushIdle();
    });
  };
  // Starts a full batch, or says to wait (returns a promise) while the window is full.
  const launch = (g: Gathered): Promise<void> | undefined => {
    if (window.size < limit) {
      start(g);
      return undefined;
    }
    return window.until(() => window.size < limit).then(() => start(g));
  };
  // Nothing in flight while the input is awaited: the input is slower than the cluster
  // (a slow pipe, -N). What is gathered goes now rather than wait for a full batch; the
  // batches then grow to what arrives during one round trip.
  const flushIdle = (): void => {
    if (window.size > 0) return;
    for (const g of gathering.values()) start(g);
    gathering.clear();
  };
  const onInputWait = (): void => {
    awaitingInput = true;
    flushIdle();
  };
  const gather = (node: Node, r: WriteItem, ns: string, ttl: number, pid: number): Promise<void> | undefined => {
    let g = gathering.get(node);
    if (g === undefined) gathering.set(node, (g = { command: new BatchCommand(spare.pop()), rows: [] }));
    const at = g.command.add(r, ns, ttl, ctx.bits);
    const size = g.command.used - at;
    // The record itself is let go: its bins, key and digest live on in the row's bytes.
    g.rows.push({
      namespace: r.namespace, set: r.set, generation: r.generation, voidTime: r.voidTime, command: g.command, at, size, ns, pid, attempt: 0, mayHaveApplied: false, resent: false,
    });
    if (g.rows.length < batchSize) return undefined;
    gathering.delete(node);
    return launch(g);
  };

  try {
    const refused = await eachAdmitted(ctx, batches, () => failure !== undefined, (r, ns, ttl) => {
      awaitingInput = false;
      const pid = partitionId(digestBuffer(r), digestOffset(r));
      const node = cluster.masterOf(ns, pid);
      if (node !== undefined) return gather(node, r, ns, ttl, pid);
      return ctx.wait.master(ns, pid).then((n) => gather(n, r, ns, ttl, pid), (e: unknown) => fail(e, 1));
    }, onInputWait);
    failure ??= refused;
  } finally {
    awaitingInput = false;
    // Every row admitted is written and counted, whatever stopped the input (a failure, a
    // bad file, a signal).
    for (const g of gathering.values()) await launch(g);
    gathering.clear();
    await window.until(() => window.size === 0);
  }
  return failure;
}

/**
 * writeRows: sends rows (grouped by their partition's current master) until every one has
 * its answer counted, or has failed. A row answered with a transient code, or whose batch
 * failed as a whole, goes again after the back-off of its attempt. `fail` takes each row's
 * final failure. `frame` is the rows' command as gathered, sent as it is while they all
 * still go to one node. Resolves true when every send was answered to its end (nothing
 * still reads the rows' buffer).
 */
async function writeRows(ctx: WriteContext, rows: Row[], fail: (e: unknown, rows: number) => void, frame: Buffer): Promise<boolean> {
  const { cluster, o, counts, maxRetries } = ctx;
  let pending = rows;
  let clean = true;
  while (pending.length > 0) {
    const groups = new Map<Node, Row[]>();
    const route = (row: Row, node: Node, waited: boolean): void => {
      if (waited || (row.last !== undefined && row.last !== node)) ctx.moved.add(`${row.ns}:${row.pid}`);
      row.last = node;
      let g = groups.get(node);
      if (g === undefined) groups.set(node, (g = []));
      g.push(row);
    };
    // Rows without a master wait for the cluster to re-form, all at once (no failed attempt).
    const waits: Array<Promise<void>> = [];
    for (const row of pending) {
      const node = cluster.masterOf(row.ns, row.pid);
      if (node !== undefined) route(row, node, false);
      else waits.push(ctx.wait.master(row.ns, row.pid).then((n) => route(row, n, true), (e: unknown) => fail(e, 1)));
    }
    await Promise.all(waits);
    const again: Row[] = [];
    let why = '';
    await Promise.all([...groups].map(async ([node, group]) => {
      for (const row of group) {
        if (row.mayHaveApplied && !row.resent) {
          row.resent = true;
          counts.resent++;
        }
      }
      let res: BatchResult;
      try {
        const command = group.length === rows.length ? frame : batchFrame(group.map((row) => row.command.row(row.at, row.size)), ctx.txnTtl);
        res = await sendBatch(node, command, group.length, ctx.timeoutMs);
      } catch (e) {
        // A broken answer: nothing of it can be trusted, and sending again would not help.
        clean = false;
        fail(e, group.length);
        return;
      }
      if (res.error !== undefined) clean = false;
      // The batch as a whole: refused before any row ran, or cut short by the connection.
      const batchCode = res.batchCode;
      // Its node went away (the tend drops it): its rows go to the nodes that take their
      // partitions over, riding out node loss rather than failing attempts, within the
      // partition wait's budget.
      const lost = res.error instanceof ConnectError && (await ctx.nodeLost(node));
      for (let i = 0; i < group.length; i++) {
        const row = group[i]!;
        let code = res.codes[i]!;
        if (code < 0) {
          if (res.error !== undefined) {
            // No answer: the whole batch failed; this row goes again (its attempt counts).
            if (res.error instanceof AnswerLost) row.mayHaveApplied = true;
            if (lost) {
              row.lostSince ??= ctx.monotonic();
              if (ctx.monotonic() - row.lostSince < ctx.budgetMs) {
                again.push(row);
                why = res.error.message;
                continue;
              }
            }
            if (row.attempt >= maxRetries) fail(res.error, 1);
            else {
              row.attempt++;
              again.push(row);
              why = res.error.message;
            }
            continue;
          }
          // The batch ended without this row's answer: refused as a whole (its code says
          // why), or a server that broke the protocol.
          if (batchCode === ResultCode.OK || batchCode === undefined) {
            fail(new ProtocolError(`${node.address}: a batch write ended without the answer of row ${i} of ${group.length}`, i), 1);
          } else if (isTransient(batchCode) && row.attempt < maxRetries) {
            row.attempt++;
            again.push(row);
            why = `${node.address} answered ${resultName(batchCode)} (${batchCode}) to the batch`;
          } else {
            fail(batchRejected(node, batchCode, group.length, o.batchSize), 1);
          }
          continue;
        }
        try {
          if (judge(ctx, row, rowRecord, code, node, row.resent, row.attempt)) continue;
        } catch (e) {
          fail(e, 1);
          continue;
        }
        // A write the server timed out may have been applied on its master.
        if (code === ResultCode.TIMEOUT) row.mayHaveApplied = true;
        row.attempt++;
        again.push(row);
        why = `${node.address} answered ${resultName(code)} (${code})`;
      }
      if (batchCode !== undefined && batchCode !== ResultCode.OK && isTransient(batchCode)) await cluster.refresh().catch(() => undefined);
    }));
    if (again.length === 0) return clean;
    const attempt = Math.max(...again.map((r) => r.attempt));
    // The puts' wording (a write, its attempt, the wait), then how many rows go again.
    if (attempt === 0) o.log?.(`sending ${again.length} record(s) of a batch again, to the nodes that take their partitions over: ${why}`);
    else {
      o.log?.(`retrying a write (${attempt}/${maxRetries}) after ${retryDelayMs(attempt, ctx.scaleUs)} ms for ${again.length} record(s) of a batch: ${why}`);
      await ctx.pause(attempt - 1);
    }
    if (why !== '') await cluster.refresh().catch(() => undefined);
    pending = again;
  }
  return clean;
}

/** rowRecord: a row's record as an error names it (its digest copied out of the command, whose buffer is reused). */
function rowRecord(row: Row): WriteItem {
  const digest = Buffer.from(batchRowDigest(row.command.buf, row.at));
  return { kind: 'record', namespace: row.namespace, set: row.set, digest, generation: row.generation, voidTime: row.voidTime, bins: [] };
}

/** batchRejected: a batch the node refused as a whole, and kept refusing through the retries. */
function batchRejected(node: Node, code: number, rows: number, batchSize: number | undefined): AsError {
  const hint = code === ResultCode.BATCH_MAX_REQUESTS
    ? `: --batch-size ${batchSize ?? DEFAULT_BATCH_SIZE} is more than the node's batch-max-requests`
    : code === ResultCode.BATCH_DISABLED ? ': the node has batch-index-threads 0 now; --disable-batch-writes writes with puts' : '';
  return new AsError('BATCH_REJECTED', `${node.address} refused a batch write of ${rows} record(s): ${resultName(code)} (${code})${hint}`, { value: code });
}

/**
 * batchWriteSupport: whether every node takes batch writes, as the official asrestore
 * decides: build >= 6.0 and batch-index-threads > 0 (get-config:context=service). Returns
 * undefined when they all do, else why not (for the info line).
 */
export async function batchWriteSupport(cluster: Cluster): Promise<string | undefined> {
  for (const node of cluster.nodes) {
    let info: Map<string, string>;
    try {
      info = await node.info(['build', 'get-config:context=service'], { check: false, what: 'asking whether it takes batch writes' });
    } catch (e) {
      return `${node.address}: ${(e as Error).message}`;
    }
    const build = info.get('build') ?? '';
    const major = Number(/^(\d+)\./.exec(build)?.[1] ?? NaN);
    if (!(major >= 6)) return `node ${node} runs build ${build || '(unknown)'}, before 6.0`;
    const config = info.get('get-config:context=service') ?? '';
    const m = /(?:^|;)batch-index-threads=(\d+)(?:;|$)/.exec(config);
    if (m === null) return `node ${node} does not say its batch-index-threads`;
    if (Number(m[1]) === 0) return `node ${node} has batch-index-threads 0`;
  }
  return undefined;
}

/**
 * chooseBatchWrites: true when records go in batch writes: not disabled, and every node
 * takes them. Says which way records go, and why not in batches, on `info`.
 */
export async function chooseBatchWrites(cluster: Cluster, o: { disableBatchWrites?: boolean; batchSize?: number }, info: (msg: string) => void): Promise<boolean> {
  if (o.disableBatchWrites) {
    info('Writing records with single puts (--disable-batch-writes)');
    return false;
  }
  const why = await batchWriteSupport(cluster);
  if (why !== undefined) {
    info(`Writing records with single puts: ${why}`);
    return false;
  }
  info(`Writing records in batch writes of up to ${o.batchSize ?? DEFAULT_BATCH_SIZE} records`);
  return true;
}
