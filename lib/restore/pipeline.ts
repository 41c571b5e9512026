// Pipelined single-record commands on one connection: requests go out back to back
// (coalesced into one socket write per tick), answers come back in the same order (the
// server handles one connection's requests strictly in order), so the n-th answer frame
// belongs to the n-th request. One reader loop per connection matches them up.
import type { Connection } from '../cluster/connection.js';
import type { Node } from '../cluster/node.js';
import { MSG_HEADER_SIZE, ProtoType } from '../protocol/constants.js';
import { MsgOffset } from '../protocol/layout.js';
import { ConnectError, ProtocolError } from '../errors.js';

interface Pending {
  resolve: (resultCode: number) => void;
  reject: (e: Error) => void;
}

/**
 * AnswerLost: the request was written and its connection failed before the answer came:
 * the server may have applied it. Sending it again makes its record "re-sent".
 */
export class AnswerLost extends ConnectError {}

/**
 * Lane: one pipelined connection to a node. `send` resolves with the answer's result code,
 * or rejects with the connection's error (every request still waiting on a broken
 * connection is rejected, with AnswerLost when it had been written; the caller decides
 * whether to retry). The next send reconnects.
 */
export class Lane {
  private conn: Connection | undefined;
  private connecting: Promise<Connection> | undefined;
  private pending: Pending[] = [];
  private out: Buffer[] = [];
  private flushScheduled = false;
  private reading = false;

  constructor(private readonly node: Node, private readonly timeoutMs: number) {}

  /** Requests sent and not answered yet. */
  get inFlight(): number {
    return this.pending.length + this.out.length;
  }

  /** send: queues one request frame; resolves with its result code. */
  send(frame: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.out.push(frame);
      this.pending.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  // Writes everything queued as one buffer (one syscall for many puts), then makes sure
  // the reader loop runs.
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    let conn: Connection;
    try {
      conn = await this.connection();
    } catch (e) {
      this.failAll(e as Error);
      return;
    }
    if (this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    try {
      conn.write(data);
    } catch (e) {
      this.broken(conn, e as Error);
      return;
    }
    if (!this.reading) void this.readLoop(conn);
  }

  private connection(): Promise<Connection> {
    if (this.conn !== undefined) return Promise.resolve(this.conn);
    this.connecting ??= this.node.acquire(`connecting to write records`).then(
      (c) => { this.conn = c; this.connecting = undefined; return c; },
      (e: unknown) => { this.connecting = undefined; throw e; },
    );
    return this.connecting;
  }

  private async readLoop(conn: Connection): Promise<void> {
    this.reading = true;
    try {
      // Only requests already written are waited for: `pending` minus the queued `out`.
      while (this.pending.length > this.out.length) {
        const f = await conn.readFrame('waiting for write results', this.timeoutMs);
        if (f.type !== ProtoType.MSG || f.body.length < MSG_HEADER_SIZE) {
          throw new ProtocolError(`${this.node.address}: unexpected answer (proto type ${f.type}, ${f.body.length} bytes) to a write`);
        }
        this.pending.shift()!.resolve(f.body[MsgOffset.RESULT_CODE]!);
      }
    } catch (e) {
      this.broken(conn, e as Error);
    } finally {
      this.reading = false;
    }
    // A flush may have written more while the last answer was being read.
    if (this.conn === conn && this.pending.length > this.out.length) void this.readLoop(conn);
  }

  // The connection is unusable: drop it and fail what was sent on it (the server may have
  // applied those requests: their answers are lost).
  private broken(conn: Connection, e: Error): void {
    if (this.conn === conn) this.conn = undefined;
    this.node.release(conn, false);
    const sent = this.pending.splice(0, this.pending.length - this.out.length);
    const lost = e instanceof ConnectError ? new AnswerLost(e.host, e.message, e.cause ?? e) : e;
    for (const p of sent) p.reject(lost);
  }

  private failAll(e: Error): void {
    const all = this.pending;
    this.pending = [];
    this.out = [];
    for (const p of all) p.reject(e);
  }

  /** close: gives the connection back to the node's pool (it is idle by then). */
  close(): void {
    if (this.conn !== undefined) this.node.release(this.conn, this.pending.length === 0);
    this.conn = undefined;
  }
}
