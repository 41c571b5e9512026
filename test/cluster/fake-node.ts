// A tiny one-node server for client tests that need exact control over the bytes: it
// answers the info commands a client needs and serves partition scans from a record list.
import net from 'node:net';
import { FieldType, Info3, PROTO_HEADER_SIZE, ProtoType } from '../../lib/protocol/constants.js';
import { frame, FrameReader, writeProtoHeader } from '../../lib/protocol/frame.js';
import { decodeMessage, field, messageSize, writeMessage, type MessageSpec } from '../../lib/protocol/message.js';
import { parseInfo } from '../../lib/protocol/info.js';
import { partitionId } from '../../lib/protocol/digest.js';
import type { RecordItem } from '../../lib/records/types.js';

export interface FakeNodeOptions {
  records?: RecordItem[];
  /** Close the scan socket after this many records (once, then serve normally). */
  dropAfterRecords?: number;
  /** Answer scans with these raw bytes instead (then close). */
  garbage?: Buffer;
  /** Records per frame (default 50). */
  perFrame?: number;
  /** Partition-done result 11 for these partitions (first scan only, or always). */
  unavailable?: number[];
  alwaysUnavailable?: boolean;
  namespaces?: string[];
  /** Extra info answers. */
  info?: Record<string, string>;
}

const ALL = '////'.repeat(170) + '//8=';

/** A running fake node: `port`, `scans` (requests seen), `close()`. */
export interface FakeNode {
  port: number;
  scans: Array<{ pids: number[]; digests: Buffer[] }>;
  close(): Promise<void>;
}

function recordSpec(r: RecordItem): MessageSpec {
  const fields: Array<{ type: number; data: Buffer }> = [{ type: FieldType.NAMESPACE, data: Buffer.from(r.namespace) }, { type: FieldType.DIGEST, data: r.digest }];
  if (r.set !== '') fields.push({ type: FieldType.SET, data: Buffer.from(r.set) });
  if (r.key) fields.push({ type: FieldType.KEY, data: Buffer.concat([Buffer.from([r.key.type]), r.key.data]) });
  return { generation: r.generation, recordTtl: r.voidTime, fields, ops: r.bins.map((b) => ({ op: 1, type: b.type, name: b.name, data: b.data })) };
}

/** encodeFrame: one type-3 frame of several messages. */
export function encodeFrame(specs: MessageSpec[]): Buffer {
  const size = specs.reduce((n, s) => n + messageSize(s), 0);
  const buf = Buffer.allocUnsafe(PROTO_HEADER_SIZE + size);
  writeProtoHeader(buf, 0, ProtoType.MSG, size);
  let at = PROTO_HEADER_SIZE;
  for (const s of specs) at = writeMessage(buf, at, s);
  return buf;
}

/** startFakeNode: listens on 127.0.0.1, a random port. */
export async function startFakeNode(opts: FakeNodeOptions = {}): Promise<FakeNode> {
  const records = [...(opts.records ?? [])].sort((a, b) => Buffer.compare(b.digest, a.digest));
  const byPid = new Map<number, RecordItem[]>();
  for (const r of records) {
    const pid = partitionId(r.digest);
    if (!byPid.has(pid)) byPid.set(pid, []);
    byPid.get(pid)!.push(r);
  }
  const namespaces = opts.namespaces ?? ['test'];
  const scans: FakeNode['scans'] = [];
  let dropAfter = opts.dropAfterRecords;
  let unavailable = opts.unavailable;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    const reader = new FrameReader();
    sock.on('data', (chunk) => {
      for (const f of reader.push(chunk)) {
        if (f.type === ProtoType.INFO) {
          const cmds = parseInfo(f.body).map(([c]) => c);
          const answer = cmds.map((c) => `${c}\t${infoAnswer(c)}\n`).join('');
          sock.write(frame(ProtoType.INFO, Buffer.from(answer)));
        } else serveScan(sock, f.body);
      }
    });
  });
  const infoAnswer = (c: string): string => {
    if (opts.info?.[c] !== undefined) return opts.info[c]!;
    switch (c) {
      case 'node': return 'BB9FA4E000001';
      case 'partition-generation': case 'peers-generation': return '1';
      case 'build': return '8.1.2.0';
      case 'peers-clear-std': case 'peers-clear-alt': return '1,3000,[]';
      case 'replicas': return namespaces.map((n) => `${n}:0,1,${ALL}`).join(';');
      default: return 'ERROR:4:unrecognized command';
    }
  };
  const serveScan = (sock: net.Socket, body: Buffer): void => {
    if (opts.garbage) {
      sock.end(opts.garbage);
      return;
    }
    const { msg } = decodeMessage(body);
    const ns = field(msg, FieldType.NAMESPACE)!.toString();
    if (!namespaces.includes(ns)) {
      sock.write(encodeFrame([{ resultCode: 20 }]));
      return;
    }
    const pidsBuf = field(msg, FieldType.PID_ARRAY) ?? Buffer.alloc(0);
    const pids: number[] = [];
    for (let i = 0; i < pidsBuf.length; i += 2) pids.push(pidsBuf.readUInt16LE(i));
    const dBuf = field(msg, FieldType.DIGEST_ARRAY) ?? Buffer.alloc(0);
    const digests: Buffer[] = [];
    for (let i = 0; i < dBuf.length; i += 20) digests.push(dBuf.subarray(i, i + 20));
    scans.push({ pids, digests });
    const want = new Map<number, Buffer | null>(pids.map((p) => [p, null]));
    for (const d of digests) want.set(partitionId(d), d);
    const specs: MessageSpec[] = [];
    const done: MessageSpec[] = [];
    const bad = new Set(unavailable ?? []);
    if (!opts.alwaysUnavailable) unavailable = undefined;
    for (const pid of [...want.keys()].sort((a, b) => a - b)) {
      if (bad.has(pid)) {
        done.push({ info3: Info3.PARTITION_DONE, resultCode: 11, generation: pid });
        continue;
      }
      const after = want.get(pid);
      for (const r of byPid.get(pid) ?? []) {
        if (after && Buffer.compare(r.digest, after) >= 0) continue;
        specs.push(recordSpec(r));
      }
    }
    const per = opts.perFrame ?? 50;
    for (let i = 0; i < specs.length; i += per) {
      if (dropAfter !== undefined && i + per > dropAfter) {
        const n = dropAfter - i;
        if (n > 0) sock.write(encodeFrame(specs.slice(i, i + n)));
        dropAfter = undefined;
        sock.end();
        sock.destroy();
        return;
      }
      sock.write(encodeFrame(specs.slice(i, i + per)));
    }
    if (done.length > 0) sock.write(encodeFrame(done));
    sock.write(encodeFrame([{ info3: Info3.LAST }]));
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    scans,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
