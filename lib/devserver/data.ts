// AS_MSG (proto type 3) commands of a dev node: single-record reads, writes, deletes,
// touch and operate by DIGEST, batch-index commands (rows of those), and partition scans /
// primary-index queries.
import { BIN_NAME_MAX, DIGEST_SIZE, FieldType, Info1, Info2, Info3, MSG_HEADER_SIZE, OpType, PARTITIONS, PROTO_HEADER_SIZE, ParticleType, ProtoType, ResultCode } from '../protocol/constants.js';
import { writeProtoHeader } from '../protocol/frame.js';
import { MsgOffset, writeMsgHeader } from '../protocol/layout.js';
import { decodeMessage, encodeMessage, type Message, type MsgHeader, type Op } from '../protocol/message.js';
import { BatchFlag, decodeBatchField, type BatchRequest } from '../protocol/batch.js';
import { partitionId } from '../protocol/digest.js';
import type { Unpacked } from '../protocol/msgpack.js';
import { matches, parseFilter } from './expr.js';
import { binsSize, clepochSeconds, isExpired, writeBinOp, type Rec, type StoredBin } from './store.js';
import type { Connection } from './connection.js';
import { hllModify, hllRead } from './hll.js';

/** Largest TTL the server accepts other than -1 / -2 (10 years). */
const MAX_TTL = 315360000;
/** Target size of a scan reply frame. */
const SCAN_FRAME_BYTES = 64 * 1024;
/** A batch answer's buffer (the server's BATCH_BLOCK_SIZE): rows are sent in frames of about this size. */
const BATCH_FRAME_BYTES = 128 * 1024;
/** The server's default transaction-max-ms: how long a command proxied to a node that is gone waits. */
const TRANSACTION_MAX_MS = 1000;

class Reply extends Error {
  constructor(readonly code: number) {
    super(`result ${code}`);
  }
}

/** What a single-record command answers: a result code, the record's generation and void time, bins. */
interface Answer {
  code: number;
  generation: number;
  voidTime: number;
  bins: StoredBin[];
}

function answer(code: number, generation = 0, voidTime = 0, bins: StoredBin[] = []): Answer {
  return { code, generation, voidTime, bins };
}

function answerSize(a: Answer): number {
  return MSG_HEADER_SIZE + binsSize(a.bins);
}

// One answer message at `at`; transaction_ttl carries a batch row's index (0 for singles).
function writeAnswer(buf: Buffer, at: number, a: Answer, transactionTtl = 0): number {
  let o = writeMsgHeader(buf, at, 0, 0, 0, 0, a.code, a.generation, a.voidTime, transactionTtl, 0, a.bins.length);
  for (const b of a.bins) o = writeBinOp(buf, o, b);
  return o;
}

function reply(conn: Connection, a: Answer): Promise<void> {
  const size = answerSize(a);
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
  writeProtoHeader(buf, 0, ProtoType.MSG, size);
  writeAnswer(buf, PROTO_HEADER_SIZE, a);
  return conn.send(buf);
}

/** handleDataMessage: one type-3 request. */
export async function handleDataMessage(conn: Connection, body: Buffer): Promise<void> {
  let msg: Message;
  let end: number;
  try {
    ({ msg, end } = decodeMessage(body, 0));
  } catch (e) {
    return conn.fail(`bad message: ${(e as Error).message}`);
  }
  if (end !== body.length) return reply(conn, answer(ResultCode.PARAMETER));
  if (!conn.authenticated) return reply(conn, answer(ResultCode.NOT_AUTHENTICATED));
  const fields = fieldsOf(msg);
  // A batch is checked row by row (each row is a command of its own).
  const batchField = fields.get(FieldType.BATCH_INDEX) ?? fields.get(FieldType.BATCH_INDEX_WITH_SET);
  if (batchField !== undefined) return batch(conn, msg, batchField);
  const denied = conn.cluster.security?.permits(conn, msg.info1, msg.info2) ?? ResultCode.OK;
  if (denied !== ResultCode.OK) return reply(conn, answer(denied));
  const digest = fields.get(FieldType.DIGEST);
  if (digest !== undefined) {
    const a = await singleRecord(conn, msg, fields, digest);
    if (a === GONE) {
      await goneWait(msg.transactionTtl);
      return reply(conn, answer(ResultCode.TIMEOUT));
    }
    return reply(conn, a);
  }
  try {
    await scan(conn, msg, fields);
  } catch (e) {
    if (e instanceof Reply) return reply(conn, answer(e.code));
    throw e;
  }
}

function fieldsOf(msg: { fields: Array<{ type: number; data: Buffer }> }): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  for (const f of msg.fields) if (!fields.has(f.type)) fields.set(f.type, f.data);
  return fields;
}

function namespaceOf(conn: Connection, fields: Map<number, Buffer>) {
  const nsField = fields.get(FieldType.NAMESPACE);
  if (nsField === undefined) throw new Reply(ResultCode.NAMESPACE_NOT_FOUND);
  const space = conn.cluster.namespace(nsField.toString('utf8'));
  if (!space) throw new Reply(ResultCode.NAMESPACE_NOT_FOUND);
  return space;
}

function filterOf(fields: Map<number, Buffer>): Unpacked | undefined {
  const f = fields.get(FieldType.FILTER);
  if (f === undefined) return undefined;
  try {
    return parseFilter(f);
  } catch {
    throw new Reply(ResultCode.PARAMETER);
  }
}

function binIndex(bins: StoredBin[], name: string): number {
  for (let i = 0; i < bins.length; i++) if (bins[i]!.name === name) return i;
  return -1;
}

/**
 * GONE: the command's partition has a master that stopped and that the other nodes have
 * not noticed yet (DevServerOptions.nodeTimeoutMs): a real node proxies the command to it,
 * and the proxy times out.
 */
const GONE = Symbol('proxied to a node that is gone');

// The wait of a command proxied to a gone node: its own timeout, else transaction-max-ms.
function goneWait(transactionTtl: number): Promise<void> {
  return new Promise((r) => setTimeout(r, transactionTtl > 0 ? Math.min(transactionTtl, TRANSACTION_MAX_MS) : TRANSACTION_MAX_MS));
}

/** singleRecord: a read, write, delete or touch of one record (also a batch row). */
async function singleRecord(conn: Connection, msg: MsgHeader & { ops: Op[] }, fields: Map<number, Buffer>, digest: Buffer): Promise<Answer | typeof GONE> {
  try {
    return runSingle(conn, msg, fields, digest);
  } catch (e) {
    if (e instanceof Reply) return answer(e.code);
    throw e;
  }
}

function runSingle(conn: Connection, msg: MsgHeader & { ops: Op[] }, fields: Map<number, Buffer>, digest: Buffer): Answer | typeof GONE {
  const cluster = conn.cluster;
  const space = namespaceOf(conn, fields);
  if (digest.length !== DIGEST_SIZE) throw new Reply(ResultCode.PARAMETER);
  const pid = partitionId(digest);
  if (cluster.faultState.unavailablePid === pid) throw new Reply(ResultCode.UNAVAILABLE);
  if (cluster.masterGone(pid)) return GONE;
  const set = fields.get(FieldType.SET)?.toString('utf8') ?? '';
  const keyField = fields.get(FieldType.KEY);
  const filter = filterOf(fields);
  const now = cluster.now();
  const existing = cluster.getLive(space, digest);

  if (!(msg.info2 & Info2.WRITE)) {
    if (!(msg.info1 & Info1.READ)) throw new Reply(ResultCode.PARAMETER);
    if (!existing) return answer(ResultCode.KEY_NOT_FOUND);
    if (!matches(filter, existing, now)) return answer(ResultCode.FILTERED_OUT, existing.generation, existing.voidTime);
    if (msg.info1 & Info1.GET_NO_BINS) return answer(ResultCode.OK, existing.generation, existing.voidTime);
    let out: StoredBin[] = [];
    if (msg.info1 & Info1.GET_ALL || msg.ops.length === 0) out = existing.bins;
    else {
      for (const op of msg.ops) {
        if (op.op === OpType.READ) {
          if (op.name === '') out.push(...existing.bins);
          else {
            const i = binIndex(existing.bins, op.name);
            if (i >= 0) out.push(existing.bins[i]!);
          }
        } else if (op.op === OpType.HLL_READ) {
          const i = binIndex(existing.bins, op.name);
          const r = hllRead(i >= 0 ? existing.bins[i]! : undefined, op);
          if (typeof r === 'number') throw new Reply(r);
          out.push({ name: op.name, type: r.type, data: r.data });
        } else throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
      }
    }
    return answer(ResultCode.OK, existing.generation, existing.voidTime, out);
  }

  // Writes.
  if (existing) {
    if (msg.info2 & Info2.CREATE_ONLY) return answer(ResultCode.KEY_EXISTS, existing.generation, existing.voidTime);
    if (msg.info2 & Info2.GENERATION && msg.generation !== existing.generation) return answer(ResultCode.GENERATION, existing.generation, existing.voidTime);
    if (msg.info2 & Info2.GENERATION_GT && !(msg.generation > existing.generation)) return answer(ResultCode.GENERATION, existing.generation, existing.voidTime);
    if (set !== '' && existing.set !== set) throw new Reply(ResultCode.PARAMETER);
    if (!matches(filter, existing, now)) return answer(ResultCode.FILTERED_OUT, existing.generation, existing.voidTime);
  } else if (msg.info3 & (Info3.UPDATE_ONLY | Info3.REPLACE_ONLY)) {
    return answer(ResultCode.KEY_NOT_FOUND);
  }
  if (keyField !== undefined) {
    if (keyField.length < 1 || (keyField[0] === ParticleType.INTEGER && keyField.length !== 9)) throw new Reply(ResultCode.PARAMETER);
    if (existing?.key !== undefined && !existing.key.equals(keyField)) return answer(ResultCode.KEY_MISMATCH, existing.generation, existing.voidTime);
  }

  if (msg.info2 & Info2.DELETE) {
    if (!existing) return answer(ResultCode.KEY_NOT_FOUND);
    space.partitionOf(digest).delete(existing.id);
    return answer(ResultCode.OK);
  }
  if (msg.ops.length === 0) throw new Reply(ResultCode.PARAMETER);

  let voidTime: number;
  const ttl = msg.recordTtl >>> 0;
  if (ttl === 0 || ttl === 0xffffffff) voidTime = 0;
  else if (ttl === 0xfffffffe) voidTime = existing ? existing.voidTime : 0;
  else if (ttl > MAX_TTL) throw new Reply(ResultCode.PARAMETER);
  else voidTime = clepochSeconds(now) + ttl;
  // A namespace without nsup never expires records, so it refuses records that would
  // (allow-ttl-without-nsup is false here).
  if (voidTime !== 0 && ttl !== 0xfffffffe && conn.cluster.nsupPeriod === 0) throw new Reply(ResultCode.FORBIDDEN);

  const replace = (msg.info3 & (Info3.REPLACE_ONLY | Info3.CREATE_OR_REPLACE)) !== 0;
  let bins: StoredBin[] = existing && !replace ? existing.bins.slice() : [];
  const results: StoredBin[] = [];
  const respondAll = (msg.info2 & Info2.RESPOND_ALL_OPS) !== 0;
  for (const op of msg.ops) {
    applyOp(op, existing, () => bins, (b) => { bins = b; }, results, respondAll);
  }
  if (bins.length === 0) {
    // The last bin is gone: the record is deleted (or never created).
    if (existing) space.partitionOf(digest).delete(existing.id);
    return answer(ResultCode.OK, 0, 0, results);
  }
  const generation = existing ? (existing.generation % 0xffff) + 1 : 1;
  // Views of the request are fine here: the stored record is a fresh wire copy.
  const rec = cluster.storeRecord(space, {
    digest,
    set: existing ? existing.set : set,
    key: keyField ?? existing?.key,
    generation,
    voidTime,
    lastUpdate: now,
    bins,
  });
  return answer(ResultCode.OK, rec.generation, rec.voidTime, results);
}

// ---------------------------------------------------------------------------------------
// Batch-index commands (lib/protocol/batch.ts): every row runs as a single-record command;
// the answers go out in frames of about BATCH_FRAME_BYTES, then the LAST message.

// Rows whose result does not end a batch that does not report every error (server batch.c).
function quietCode(code: number): boolean {
  return code === ResultCode.OK || code === ResultCode.KEY_NOT_FOUND || code === ResultCode.FILTERED_OUT;
}

async function batch(conn: Connection, msg: Message, data: Buffer): Promise<void> {
  const cluster = conn.cluster;
  const stats = conn.node.batchIndex;
  stats.initiate++;
  const last = (code: number): Promise<void> => {
    stats.error++;
    return conn.send(encodeMessage({ info3: Info3.LAST, resultCode: code }));
  };
  // Refusals of the whole batch come before any row runs.
  if (cluster.batchIndexThreads === 0) return last(ResultCode.BATCH_DISABLED);
  let req: BatchRequest;
  try {
    req = decodeBatchField(data);
  } catch {
    return last(ResultCode.PARAMETER);
  }
  if (req.count === 0) return last(ResultCode.PARAMETER);
  if (req.count > cluster.batchMaxRequests) return last(ResultCode.BATCH_MAX_REQUESTS);
  const fault = cluster.faultState.batch.shift();
  if (fault?.kind === 'refuse') return last(fault.code);
  const reportAll = (req.flags & BatchFlag.REPORT_ALL_ERRORS) !== 0;
  const reportErrorRow = (req.flags & BatchFlag.REPORT_ERROR_REC) !== 0;
  const answers: Array<{ index: number; a: Answer }> = [];
  const gone: number[] = [];
  let batchCode: number = ResultCode.OK;
  // Every row runs, whatever the rows before it answered; only the answers may be cut.
  let stopped = req.stopped;
  for (const row of req.rows) {
    // The server reads a row's first field as its namespace, whatever its type, and stops
    // reading rows at one it does not know (the batch then ends with PARAMETER).
    const nsField = row.fields[0]?.data;
    if (nsField === undefined || cluster.namespace(nsField.toString('utf8')) === undefined) {
      stopped = `row ${row.index} names an unknown namespace`;
      break;
    }
    const fields = fieldsOf(row);
    fields.set(FieldType.NAMESPACE, nsField);
    const rowMsg = { ...row, resultCode: 0, transactionTtl: msg.transactionTtl };
    const denied = cluster.security?.permits(conn, row.info1, row.info2) ?? ResultCode.OK;
    const a = denied !== ResultCode.OK ? answer(denied) : await singleRecord(conn, rowMsg, fields, row.digest);
    if (a === GONE) { gone.push(row.index); continue; }
    if (batchCode !== ResultCode.OK) continue;
    if (!reportAll && !quietCode(a.code)) {
      batchCode = a.code;
      if (!reportErrorRow) continue;
    }
    answers.push({ index: row.index, a });
  }
  if (gone.length > 0) {
    await goneWait(msg.transactionTtl);
    for (const index of gone) {
      if (batchCode !== ResultCode.OK) break;
      answers.push({ index, a: answer(ResultCode.TIMEOUT) });
      if (!reportAll) batchCode = ResultCode.TIMEOUT;
    }
  }
  if (stopped !== undefined && batchCode === ResultCode.OK) batchCode = ResultCode.PARAMETER;
  if (fault?.kind === 'cut') {
    // The rows ran; their answers are lost after the first afterRows.
    answers.length = Math.min(answers.length, fault.afterRows);
    if (answers.length > 0) {
      const size = answers.reduce((n, x) => n + answerSize(x.a), 0);
      const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
      writeProtoHeader(buf, 0, ProtoType.MSG, size);
      let at = PROTO_HEADER_SIZE;
      for (const x of answers) at = writeAnswer(buf, at, x.a, x.index);
      await conn.send(buf);
    }
    // end, not destroy: the answers written go out before the connection closes.
    conn.closed = true;
    conn.socket.end();
    return;
  }
  let first = true;
  for (let i = 0; i < answers.length;) {
    let size = 0;
    let j = i;
    while (j < answers.length && (j === i || size + answerSize(answers[j]!.a) <= BATCH_FRAME_BYTES)) size += answerSize(answers[j++]!.a);
    const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
    writeProtoHeader(buf, 0, ProtoType.MSG, size);
    let at = PROTO_HEADER_SIZE;
    for (; i < j; i++) at = writeAnswer(buf, at, answers[i]!.a, answers[i]!.index);
    if (first) await conn.send(buf);
    else await conn.write(buf);
    first = false;
    if (conn.closed) return;
  }
  if (batchCode === ResultCode.OK) stats.complete++;
  else stats.error++;
  const end = encodeMessage({ info3: Info3.LAST, resultCode: batchCode });
  if (first) await conn.send(end);
  else await conn.write(end);
}

function numericAdd(old: StoredBin | undefined, op: Op): StoredBin {
  if (op.type === ParticleType.INTEGER) {
    if (op.data.length !== 8) throw new Reply(ResultCode.PARAMETER);
    const add = op.data.readBigInt64BE(0);
    if (old && old.type !== ParticleType.INTEGER) throw new Reply(ResultCode.INCOMPATIBLE_TYPE);
    const cur = old ? old.data.readBigInt64BE(0) : 0n;
    const data = Buffer.allocUnsafe(8);
    data.writeBigInt64BE(BigInt.asIntN(64, cur + add));
    return { name: op.name, type: ParticleType.INTEGER, data };
  }
  if (op.type === ParticleType.FLOAT) {
    if (op.data.length !== 8) throw new Reply(ResultCode.PARAMETER);
    if (old && old.type !== ParticleType.FLOAT) throw new Reply(ResultCode.INCOMPATIBLE_TYPE);
    const data = Buffer.allocUnsafe(8);
    data.writeDoubleBE((old ? old.data.readDoubleBE(0) : 0) + op.data.readDoubleBE(0));
    return { name: op.name, type: ParticleType.FLOAT, data };
  }
  throw new Reply(ResultCode.INCOMPATIBLE_TYPE);
}

function applyOp(op: Op, existing: Rec | undefined, get: () => StoredBin[], put: (b: StoredBin[]) => void, results: StoredBin[], respondAll: boolean): void {
  const bins = get();
  const nullResult = () => { if (respondAll) results.push({ name: op.name, type: ParticleType.NULL, data: Buffer.alloc(0) }); };
  const setBin = (b: StoredBin) => {
    const i = binIndex(bins, b.name);
    if (i >= 0) bins[i] = b;
    else bins.push(b);
  };
  if (Buffer.byteLength(op.name) > BIN_NAME_MAX) throw new Reply(ResultCode.BIN_NAME);
  switch (op.op) {
    case OpType.WRITE: {
      if (op.type === ParticleType.NULL) {
        const i = binIndex(bins, op.name);
        if (i >= 0) bins.splice(i, 1);
      } else {
        setBin({ name: op.name, type: op.type, data: op.data }); // copied when stored
      }
      nullResult();
      return;
    }
    case OpType.READ: {
      if (op.name === '') results.push(...bins);
      else {
        const i = binIndex(bins, op.name);
        if (i >= 0) results.push(bins[i]!);
        else if (respondAll) nullResult();
      }
      return;
    }
    case OpType.TOUCH:
      if (!existing) throw new Reply(ResultCode.KEY_NOT_FOUND);
      nullResult();
      return;
    case OpType.DELETE:
      put([]);
      nullResult();
      return;
    case OpType.INCR: {
      const i = binIndex(bins, op.name);
      setBin(numericAdd(i >= 0 ? bins[i] : undefined, op));
      nullResult();
      return;
    }
    case OpType.APPEND: case OpType.PREPEND: {
      if (op.type !== ParticleType.STRING && op.type !== ParticleType.BLOB) throw new Reply(ResultCode.INCOMPATIBLE_TYPE);
      const i = binIndex(bins, op.name);
      const old = i >= 0 ? bins[i]! : undefined;
      if (old && old.type !== op.type) throw new Reply(ResultCode.INCOMPATIBLE_TYPE);
      const data = old ? (op.op === OpType.APPEND ? Buffer.concat([old.data, op.data]) : Buffer.concat([op.data, old.data])) : Buffer.from(op.data);
      setBin({ name: op.name, type: op.type, data });
      nullResult();
      return;
    }
    case OpType.HLL_MODIFY: {
      const i = binIndex(bins, op.name);
      const r = hllModify(i >= 0 ? bins[i] : undefined, op);
      if (typeof r === 'number') throw new Reply(r);
      setBin({ name: op.name, type: ParticleType.HLL, data: r.bin });
      results.push({ name: op.name, type: r.result.type, data: r.result.data });
      return;
    }
    case OpType.HLL_READ: {
      const i = binIndex(bins, op.name);
      const r = hllRead(i >= 0 ? bins[i] : undefined, op);
      if (typeof r === 'number') throw new Reply(r);
      results.push({ name: op.name, type: r.type, data: r.data });
      return;
    }
    default:
      throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
  }
}

// ---------------------------------------------------------------------------------------
// Scans and primary-index queries.

function partitionDone(pid: number, code: number): Buffer {
  const b = Buffer.allocUnsafe(MSG_HEADER_SIZE);
  writeMsgHeader(b, 0, 0, 0, Info3.PARTITION_DONE, 0, code, pid, 0, 0, 0, 0); // the generation carries the partition id
  return b;
}

async function scan(conn: Connection, msg: Message, fields: Map<number, Buffer>): Promise<void> {
  const cluster = conn.cluster;
  if (!(msg.info3 & Info3.PARTITION_DONE)) throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
  const pidField = fields.get(FieldType.PID_ARRAY);
  const digField = fields.get(FieldType.DIGEST_ARRAY);
  if (pidField === undefined && digField === undefined) throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
  const space = namespaceOf(conn, fields);
  if (fields.has(FieldType.UDF_OP) || fields.has(FieldType.INDEX_RANGE) || fields.has(FieldType.INDEX_EXPRESSION)) {
    throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
  }
  const resume = new Map<number, Buffer | null>();
  if (pidField !== undefined) {
    if (pidField.length % 2 !== 0) throw new Reply(ResultCode.PARAMETER);
    for (let i = 0; i < pidField.length; i += 2) {
      const pid = pidField.readUInt16LE(i);
      if (pid >= PARTITIONS || resume.has(pid)) throw new Reply(ResultCode.PARAMETER);
      resume.set(pid, null);
    }
  }
  if (digField !== undefined) {
    if (digField.length % DIGEST_SIZE !== 0) throw new Reply(ResultCode.PARAMETER);
    for (let i = 0; i < digField.length; i += DIGEST_SIZE) {
      const d = digField.subarray(i, i + DIGEST_SIZE);
      const pid = partitionId(d);
      if (resume.has(pid)) throw new Reply(ResultCode.PARAMETER);
      resume.set(pid, d);
    }
  }
  const maxField = fields.get(FieldType.MAX_RECORDS);
  const maxRecords = maxField !== undefined && maxField.length === 8 ? Number(maxField.readBigUInt64BE(0)) : 0;
  const rpsField = fields.get(FieldType.RPS);
  const rps = rpsField !== undefined && rpsField.length === 4 ? rpsField.readUInt32BE(0) : 0;
  const setName = fields.get(FieldType.SET)?.toString('utf8') ?? '';
  const filter = filterOf(fields);
  const noBins = (msg.info1 & Info1.GET_NO_BINS) !== 0;
  let select: string[] | null = null;
  if (!noBins && msg.ops.length > 0) {
    select = [];
    for (const op of msg.ops) {
      if (op.op !== OpType.READ) throw new Reply(ResultCode.UNSUPPORTED_FEATURE);
      select.push(op.name);
    }
  }

  const faults = cluster.faultState;
  let dropAfter = faults.dropAfterRecords;
  if (dropAfter !== null) faults.dropAfterRecords = null; // one-shot: the next scan stream
  const pids = [...resume.keys()].sort((a, b) => a - b);
  const node = conn.node;
  const now = cluster.now();
  const started = Date.now();

  let pieces: Buffer[] = [];
  let bytes = 0;
  let inBatch = 0;
  let sent = 0;
  let firstFrame = true;
  const rpsBatch = rps > 0 ? Math.max(1, Math.floor(rps / 10)) : Infinity;

  const flush = async () => {
    if (pieces.length === 0) return;
    const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + bytes);
    writeProtoHeader(buf, 0, ProtoType.MSG, bytes);
    let at = PROTO_HEADER_SIZE;
    for (const p of pieces) at += p.copy(buf, at);
    pieces = [];
    bytes = 0;
    inBatch = 0;
    if (firstFrame) {
      firstFrame = false;
      await conn.send(buf);
    } else await conn.write(buf);
    if (rps > 0) {
      const due = started + (sent * 1000) / rps;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  };
  const push = (b: Buffer) => {
    pieces.push(b);
    bytes += b.length;
  };

  outer: for (const pid of pids) {
    if (conn.closed) return;
    if (faults.unavailablePid === pid || cluster.replicaIndex(node, pid) < 0) {
      push(partitionDone(pid, ResultCode.UNAVAILABLE));
      continue;
    }
    node.scanned[pid]!++;
    const from = resume.get(pid) ?? null;
    const list = space.partitions[pid]!.ordered();
    for (const rec of list) {
      if (from !== null && Buffer.compare(rec.digest, from) >= 0) continue;
      if (isExpired(rec, now)) continue;
      if (setName !== '' && rec.set !== setName) continue;
      if (filter !== undefined && !matches(filter, rec, now)) continue;
      push(scanRecord(rec, noBins, select));
      sent++;
      inBatch++;
      if (dropAfter !== null && sent >= dropAfter) {
        await flush();
        conn.fail(`fault: dropping scan stream after ${sent} records`);
        return;
      }
      if (maxRecords > 0 && sent >= maxRecords) break outer;
      if (bytes >= SCAN_FRAME_BYTES || inBatch >= rpsBatch) {
        await flush();
        if (conn.closed) return;
      }
    }
  }
  await flush();
  if (conn.closed) return;
  const f = Buffer.allocUnsafe(PROTO_HEADER_SIZE + MSG_HEADER_SIZE);
  writeProtoHeader(f, 0, ProtoType.MSG, MSG_HEADER_SIZE);
  writeMsgHeader(f, PROTO_HEADER_SIZE, 0, 0, Info3.LAST, 0, 0, 0, 0, 0, 0, 0);
  if (firstFrame) await conn.send(f);
  else await conn.write(f);
}

/** scanRecord: the as_msg of one record for a scan reply. */
function scanRecord(rec: Rec, noBins: boolean, select: string[] | null): Buffer {
  if (!noBins && select === null) return rec.wire;
  let bins: StoredBin[] = [];
  if (select !== null) {
    for (const name of select) {
      const i = binIndex(rec.bins, name);
      if (i >= 0) bins.push(rec.bins[i]!);
    }
  }
  if (noBins) bins = [];
  const out = Buffer.allocUnsafe(rec.opsAt + binsSize(bins));
  rec.wire.copy(out, 0, 0, rec.opsAt);
  if (noBins) out[MsgOffset.INFO1] = Info1.GET_NO_BINS;
  out.writeUInt16BE(bins.length, MsgOffset.N_OPS);
  let at = rec.opsAt;
  for (const b of bins) at = writeBinOp(out, at, b);
  return out;
}
