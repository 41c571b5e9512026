// Shared helpers of the dev server tests: the official client, raw sockets.
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { FrameReader, type Frame } from '../../lib/protocol/frame.js';
import { infoRequest } from '../../lib/protocol/info.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const Aerospike: any = require('aerospike');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function client(port: number, extra: Record<string, unknown> = {}): Promise<any> {
  return Aerospike.connect({ hosts: [{ addr: '127.0.0.1', port }], log: { level: Aerospike.log.OFF }, ...extra });
}

/** RawConn: a plain socket speaking frames. */
export class RawConn {
  private readonly reader = new FrameReader();
  private frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.frames.push(...this.reader.push(d));
      this.wake();
    });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
  }
  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  static open(port: number): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawConn(s)));
      s.once('error', reject);
    });
  }
  send(b: Buffer): void {
    this.socket.write(b);
  }
  /** next: the next frame, or undefined when the socket closed first. */
  async next(timeoutMs = 5000): Promise<Frame | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.closed) return undefined;
      if (Date.now() > deadline) throw new Error('timeout waiting for a frame');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.frames.shift();
  }
  async info(cmds: string[]): Promise<string> {
    this.send(infoRequest(cmds));
    const f = await this.next();
    if (!f) throw new Error('closed');
    return f.body.toString('utf8');
  }
  close(): void {
    this.socket.destroy();
  }
}

/** infoValue: one info answer's value from a raw connection. */
export async function infoValue(port: number, cmd: string): Promise<string> {
  const c = await RawConn.open(port);
  try {
    const body = await c.info([cmd]);
    const prefix = cmd + '\t';
    if (!body.startsWith(prefix) || !body.endsWith('\n')) throw new Error(`bad answer ${JSON.stringify(body)}`);
    return body.slice(prefix.length, -1);
  } finally {
    c.close();
  }
}
