// Streaming `.asb` decoder: input chunks -> a header event, then one event per block with
// its byte range in the input. Memory stays at one chunk plus the largest block, whatever
// the file size.
import { ParseError } from '../errors.js';
import type { OpsRecordItem, StreamItem } from '../records/types.js';
import { ABORTED_PREFIX, HASH, LF, MAX_META_LINE, VERSION_3_0, VERSION_3_1, VERSION_LINE_SIZE, VERSION_PREFIX } from './constants.js';
import { abortedLine, OpsArena, parseBlock } from './decode-block.js';
import { AsbCursor, NEED } from './decode-cursor.js';
import { unescape } from './escape.js';

/** AsbHeader: the facts of the version line and the meta lines. */
export interface AsbHeader {
  kind: 'header';
  /** '3.0' (legacy: no escaping, no `*` lines) or '3.1'. */
  version: string;
  /** From `# namespace <ns>` (unescaped in 3.1 files); undefined when the line is absent. */
  namespace?: string;
  /** True when `# first-file` is present. */
  firstFile: boolean;
  /** Byte range of the header in the input (start is 0) and its first line (1). */
  start: number;
  end: number;
  line: number;
}

/** DecodedItem: one block and where it is in the input: bytes [start, end), first line. */
export interface DecodedItem<T = StreamItem> {
  kind: 'item';
  item: T;
  start: number;
  end: number;
  line: number;
}

/** AsbEvent: what decodeAsb yields: one AsbHeader first, then DecodedItems. */
export type AsbEvent = AsbHeader | DecodedItem;

/** AsbOpsEvent: what decodeAsbOpsBatches yields: records may be OpsRecordItems. */
export type AsbOpsEvent = AsbHeader | DecodedItem<StreamItem | OpsRecordItem>;

type Source = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Blocks per batch of decodeAsbBatches. */
const BATCH_EVENTS = 256;

/** Bytes of the next chunk a block cut by a chunk's end is finished in (decodeBatches). */
const BRIDGE = 16 * 1024;

/**
 * decodeAsb: decodes one `.asb` file from its chunks, strictly as asrestore reads it. Yields
 * the AsbHeader, then a DecodedItem per block. Any violation throws ParseError with `file`,
 * the line (LFs inside values count), the 1-based column and the line's text.
 */
export async function* decodeAsb(chunks: Source, fileName: string): AsyncGenerator<AsbEvent> {
  for await (const batch of decodeAsbBatches(chunks, fileName)) {
    for (const ev of batch) yield ev;
  }
}

/**
 * decodeAsbBatches: decodeAsb's events in arrays: the header alone, then up to 256 blocks,
 * and whatever is decoded whenever more input must be awaited (a slow pipe's records go on
 * as they come). One async step per batch, not per block: at ~380 B a record, a step per
 * block cost more than decoding it. When the input breaks, the complete blocks before the
 * break are yielded first, then the error is thrown: a file cut short gives every record
 * it holds.
 */
export function decodeAsbBatches(chunks: Source, fileName: string): AsyncGenerator<AsbEvent[]> {
  return decodeBatches(chunks, fileName, undefined) as AsyncGenerator<AsbEvent[]>;
}

/**
 * decodeAsbOpsBatches: decodeAsbBatches for a restore: each record is decoded straight into
 * the WRITE ops of its bins (OpsRecordItem), but for the rare one in another form (a repeated
 * bin name, over 64 bins, escaped or non-ASCII names, signed or empty numbers: a RecordItem).
 * Same checks and errors.
 */
export function decodeAsbOpsBatches(chunks: Source, fileName: string): AsyncGenerator<AsbOpsEvent[]> {
  return decodeBatches(chunks, fileName, new OpsArena());
}

async function* decodeBatches(chunks: Source, fileName: string, ops: OpsArena | undefined): AsyncGenerator<AsbOpsEvent[]> {
  const it = Symbol.asyncIterator in chunks
    ? (chunks as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
    : (chunks as Iterable<Uint8Array>)[Symbol.iterator]();
  const c = new AsbCursor(fileName);

  // A block cut by a chunk's end is finished in a small bridge (its start and the next
  // chunk's first BRIDGE bytes); then the chunk itself is read where it is. Joining the two
  // instead copied every chunk once more: garbage that lifted a restore's peak of
  // ArrayBuffers from 21 to 27 MiB. `rest` is the chunk the bridge leads into, `restAt`
  // where it begins in the bridge.
  let rest: Buffer | undefined;
  let restAt = 0;
  const toRest = (): void => {
    c.base += restAt;
    c.p -= restAt;
    c.blockStart -= restAt;
    c.b = rest!;
    rest = undefined;
  };

  // fill: keeps the current block's bytes and appends input until `need` bytes from the
  // block start are there (or the input ends). One concat per refill; with `bridge`, a
  // chunk longer than BRIDGE is bridged to (above) when its first bytes are enough.
  const fill = async (need: number, bridge = false): Promise<void> => {
    if (rest !== undefined && c.blockStart >= restAt) toRest();
    const parts: Buffer[] = [];
    let total = c.b.length - c.blockStart;
    if (rest !== undefined) { // the bridge was too short for the block: join after all
      parts.push(c.b.subarray(c.blockStart, restAt), rest);
      total = restAt - c.blockStart + rest.length;
      rest = undefined;
    } else if (total > 0) parts.push(c.b.subarray(c.blockStart));
    while (total < need) {
      const r = await it.next();
      if (r.done) {
        c.eof = true;
        break;
      }
      const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      if (chunk.length === 0) continue;
      if (bridge && parts.length === 1 && chunk.length > BRIDGE && total + BRIDGE >= need) {
        rest = chunk;
        restAt = total;
        parts.push(chunk.subarray(0, BRIDGE));
        total += BRIDGE;
        break;
      }
      parts.push(chunk);
      total += chunk.length;
    }
    c.base += c.blockStart;
    c.p -= c.blockStart;
    c.b = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
    c.blockStart = 0;
  };

  // The header is a batch of its own: a reader of the header alone decodes no block.
  yield [await readHeader(c, fill)];

  let batch: AsbOpsEvent[] = [];
  try {
    for (;;) {
      let item: StreamItem | OpsRecordItem;
      const start = c.p;
      try {
        if (start >= c.b.length) {
          if (c.eof) break;
          NEED.need = 1;
          throw NEED;
        }
        item = parseBlock(c, ops);
      } catch (e) {
        if (e !== NEED) throw e;
        c.p = c.blockStart;
        c.nl = 0;
        if (batch.length > 0) {
          yield batch;
          batch = [];
        }
        await fill(NEED.need, true);
        continue;
      }
      batch.push({ kind: 'item', item, start: c.base + start, end: c.base + c.p, line: c.line });
      c.line += c.nl;
      c.nl = 0;
      c.blockStart = c.p;
      if (rest !== undefined && c.p >= restAt) toRest();
      if (batch.length >= BATCH_EVENTS) {
        yield batch;
        batch = [];
      }
    }
  } catch (e) {
    if (batch.length > 0) yield batch;
    throw e;
  }
  if (batch.length > 0) yield batch;
}

/** decodeItems: the items of a `.asb` file (decodeAsb without header and positions). */
export async function* decodeItems(chunks: Source, fileName: string): AsyncGenerator<StreamItem> {
  for await (const ev of decodeAsb(chunks, fileName)) if (ev.kind === 'item') yield ev.item;
}

/** readHeader: the version line and the meta lines, like restore.c open_file(). */
async function readHeader(c: AsbCursor, fill: (need: number) => Promise<void>): Promise<AsbHeader> {
  await fill(VERSION_LINE_SIZE);
  const fail = (msg: string, line: number, col: number, text: Buffer): never => {
    throw new ParseError(msg, c.file, line, col, text.toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
  };
  if (c.b.length === 0) fail(`Error while reading version from backup file ${c.file}`, 1, 1, c.b);
  const aborted = abortedLine(c, 0); // a writer that stopped before its first byte
  if (aborted !== undefined) throw aborted;
  // The C reader reads at most 12 bytes, stopping after an LF.
  const lf = c.b.indexOf(LF);
  const v = c.b.subarray(0, lf >= 0 && lf < VERSION_LINE_SIZE ? lf + 1 : VERSION_LINE_SIZE);
  if (v.length !== VERSION_LINE_SIZE || v.toString('latin1', 0, 8) !== VERSION_PREFIX || v[11] !== LF) {
    fail(`Invalid version line in backup file ${c.file}`, 1, 1, v.subarray(0, lf >= 0 ? lf : v.length));
  }
  const version = v.toString('latin1', 8, 11);
  if (version !== VERSION_3_0 && version !== VERSION_3_1) {
    fail(`Invalid backup file version ${version} in backup file ${c.file}`, 1, 9, v.subarray(0, 11));
  }
  c.legacy = version === VERSION_3_0;
  const h: AsbHeader = { kind: 'header', version, firstFile: false, start: 0, end: 0, line: 1 };
  c.p = c.blockStart = VERSION_LINE_SIZE;
  c.line = 2;
  // Meta lines: `#` directly after the version line only; the C reader reads each with a
  // fixed buffer (MAX_META_LINE).
  for (;;) {
    if (c.p >= c.b.length) {
      if (c.eof) break;
      await fill(1);
      continue;
    }
    if (c.b[c.p] !== HASH) break;
    const end = c.b.indexOf(LF, c.p);
    if (end < 0 || end - c.p > MAX_META_LINE) {
      if (!c.eof && c.b.length - c.p <= MAX_META_LINE) {
        await fill(c.b.length - c.p + 1);
        continue;
      }
      const text = c.b.subarray(c.p, Math.min(c.b.length, c.p + MAX_META_LINE));
      fail(end < 0 && c.eof ? 'Unexpected end of file in meta data line' : `Meta data line ${text.toString('latin1', 0, 40)}... too long`, c.line, 1, text);
    }
    const meta = c.b.toString('utf8', c.p + 1, end);
    if (meta === ' first-file') {
      h.firstFile = true;
    } else if (meta.startsWith(' namespace')) {
      // The C reader only compares the prefix; `# namespace` + SP + value names it.
      if (meta[10] === ' ') h.namespace = c.legacy ? meta.slice(11) : unescape(meta.slice(11));
    } else {
      // (the check first: the cursor may not hold the prefix's length past a short last line)
      const aborted = `#${meta}\n`.startsWith(ABORTED_PREFIX) ? abortedLine(c, c.p) : undefined;
      if (aborted !== undefined) throw aborted;
      fail(`Invalid meta data line "#${meta}" in backup file ${c.file}:${c.line}`, c.line, 1, c.b.subarray(c.p, end));
    }
    c.line++;
    c.p = c.blockStart = end + 1;
  }
  h.end = c.base + c.p;
  return h;
}
