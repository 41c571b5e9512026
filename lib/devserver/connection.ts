// One client connection of a dev node: frame reassembly, requests handled strictly in
// order, replies written with backpressure. Garbage closes only this connection.
import type { Socket } from 'node:net';
import { FrameReader, frame, type Frame } from '../protocol/frame.js';
import { ProtoType, ResultCode } from '../protocol/constants.js';
import { decodeAdmin, encodeAdmin, type AdminMessage } from '../protocol/admin.js';
import { refuseInfo } from './security.js';
import { encodeMessage } from '../protocol/message.js';
import { answerInfo, type InfoConnState } from './info.js';
import { handleDataMessage } from './data.js';
import type { Cluster, NodeState } from './cluster.js';

const MAX_QUEUED_BYTES = 256 * 1024 * 1024;

export class Connection implements InfoConnState {
  private readonly reader = new FrameReader();
  private readonly queue: Frame[] = [];
  private queuedBytes = 0;
  private busy = false;
  closed = false;
  userAgent?: string;
  /**
   * True while the connection may run data and info commands: always without security,
   * after a successful LOGIN or AUTHENTICATE with it.
   */
  authenticated: boolean;
  /** The user logged in on this connection (security on). */
  user?: string;
  readonly remote: string;

  constructor(readonly cluster: Cluster, readonly node: NodeState, readonly socket: Socket) {
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.authenticated = cluster.security === undefined;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => { /* reset by peer and the like: 'close' follows */ });
    socket.on('close', () => { this.closed = true; });
  }

  destroy(): void {
    this.closed = true;
    // What was already sent stays sent, as on a real dropped connection.
    while (this.socket.writableCorked > 0) this.socket.uncork();
    this.socket.destroy();
  }

  /** fail: logs why and closes this connection only. */
  fail(reason: string): void {
    if (this.closed) return;
    this.cluster.log(`node ${this.node.id}: closing connection from ${this.remote}: ${reason}`);
    this.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.body.length;
    }
    if (this.queuedBytes > MAX_QUEUED_BYTES) {
      this.fail('too many pipelined requests');
      return;
    }
    if (!this.busy && this.queue.length > 0) void this.pump();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    // Replies to pipelined requests leave in as few writes as possible.
    this.socket.cork();
    try {
      while (this.queue.length > 0 && !this.closed) {
        const f = this.queue.shift()!;
        this.queuedBytes -= f.body.length;
        await this.handle(f);
      }
    } catch (e) {
      this.fail(`internal error: ${(e as Error).stack ?? e}`);
    } finally {
      if (this.socket.writableCorked > 0) this.socket.uncork();
      this.busy = false;
    }
  }

  private async handle(f: Frame): Promise<void> {
    switch (f.type) {
      case ProtoType.INFO: {
        const body = this.authenticated ? answerInfo(this.cluster, this.node, this, f.body) : refuseInfo(f.body);
        await this.send(frame(ProtoType.INFO, body));
        return;
      }
      case ProtoType.ADMIN:
        await this.handleAdmin(f.body);
        return;
      case ProtoType.MSG:
        await handleDataMessage(this, f.body);
        return;
      case ProtoType.MSG_COMPRESSED:
        // Community Edition: compressed requests are an enterprise feature (result 25).
        if (f.body.length < 8) return this.fail('compressed message too short');
        await this.send(encodeMessage({ resultCode: ResultCode.ENTERPRISE_ONLY }));
        return;
      default:
        this.fail(`unexpected proto type ${f.type}`);
    }
  }

  /**
   * Admin protocol (proto type 2). Without security every command, LOGIN included,
   * answers 52 SECURITY_NOT_ENABLED (clients then run without auth); with it, LOGIN and
   * AUTHENTICATE drive `authenticated` (security.ts).
   */
  private async handleAdmin(body: Buffer): Promise<void> {
    let msg: AdminMessage;
    try {
      msg = decodeAdmin(body);
    } catch (e) {
      return this.fail((e as Error).message);
    }
    const security = this.cluster.security;
    await this.send(security ? security.admin(msg, this) : encodeAdmin(msg.command, [], ResultCode.SECURITY_NOT_ENABLED));
  }

  /** send: writes a reply (after the slow-reply delay); waits while the socket is full. */
  async send(buf: Buffer): Promise<void> {
    const slow = this.cluster.faultState.slowMs;
    if (slow > 0) await new Promise((r) => setTimeout(r, slow));
    await this.write(buf);
  }

  /** write: like send, without the delay (stream frames after the first). */
  async write(buf: Buffer): Promise<void> {
    if (this.closed) return;
    if (this.socket.write(buf)) return;
    // A corked socket never drains: let the buffered replies go before waiting.
    while (this.socket.writableCorked > 0) this.socket.uncork();
    await new Promise<void>((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }
}

