// The WebAssembly .asb writer (wasm/wire-writer.ts, compiled by `npm run build` into
// dist/wasm/): its module loaded once per thread, its tables filled from the JS writer's
// (the base64 alphabet, the bin prefixes, the powers of ten), a frame copied in and its text
// copied out. encode-wire.ts drives it and writes the records it leaves with its own JS writer.
import { readFileSync } from 'node:fs';
import { AsError } from '../errors.js';
import { POW10 } from './double.js';
import { B64, PREFIX, PREFIX_BANG } from './writer.js';

interface WireWriterExports {
  memory: WebAssembly.Memory;
  run(body: number, bodyLen: number, offsets: number, n: number, i0: number, ends: number, text: number, from: number, limit: number, compact: number): number;
  setHead(len: number): void;
  textEnd: WebAssembly.Global;
  stopped: WebAssembly.Global;
  T_B64: WebAssembly.Global;
  T_PAIR: WebAssembly.Global;
  T_PREFIX: WebAssembly.Global;
  T_PREFIX_BANG: WebAssembly.Global;
  T_DIGITS: WebAssembly.Global;
  T_POW10: WebAssembly.Global;
  T_HEAD: WebAssembly.Global;
  FREE: WebAssembly.Global;
}

/** run() stopped at a record for the JS writer (its other stops are handled here). */
const LEFT_TO_JS = 2;
const OUT_OF_ROOM = 1;
const PAGE = 65536;
const MAX_HEAD = 1024;

/** WasmWireWriter: one instance of the module and the frame loaded into its memory (state, hence a class). */
export class WasmWireWriter {
  private readonly x: WireWriterExports;
  private bytes: Uint8Array;
  private head: Buffer | undefined;
  private n = 0;
  private bodyLen = 0;
  private offsetsAt = 0;
  private endsAt = 0;
  private textAt = 0;
  /** The text of the last run(): [textAt, textAt + textLength) of memory, ends at ends(). */
  textLength = 0;

  constructor(module: WebAssembly.Module) {
    this.x = new WebAssembly.Instance(module, {}).exports as unknown as WireWriterExports;
    this.bytes = new Uint8Array(this.x.memory.buffer);
    this.reserve(this.x.FREE.value as number);
    const v = new DataView(this.x.memory.buffer);
    const at = (g: WebAssembly.Global): number => g.value as number;
    this.bytes.set(B64, at(this.x.T_B64));
    for (let i = 0; i < 4096; i++) v.setUint16(at(this.x.T_PAIR) + 2 * i, B64[i >> 6]! | (B64[i & 63]! << 8), true);
    PREFIX.forEach((b, t) => v.setUint32(at(this.x.T_PREFIX) + 4 * t, b.readUInt32LE(0), true));
    PREFIX_BANG.forEach((b, t) => v.setUint32(at(this.x.T_PREFIX_BANG) + 4 * t, b.readUInt32LE(0), true));
    for (let i = 0; i < 100; i++) v.setUint16(at(this.x.T_DIGITS) + 2 * i, (48 + ((i / 10) | 0)) | ((48 + (i % 10)) << 8), true);
    POW10.forEach((x, k) => v.setFloat64(at(this.x.T_POW10) + 8 * k, x, true));
  }

  /** load: a frame (its body and record offsets) and the records' head line into memory; false when the head is too long for it. */
  load(body: Buffer, offsets: ArrayLike<number>, head: Buffer): boolean {
    if (head.length > MAX_HEAD) return false;
    if (this.head !== head) {
      this.head = head;
      this.bytes.set(head, this.x.T_HEAD.value as number);
      this.x.setHead(head.length);
    }
    const n = offsets.length;
    const bodyAt = this.x.FREE.value as number;
    // The base64 writer loads 4 bytes for the last 3 of a value: a few spare bytes after the body.
    this.offsetsAt = (bodyAt + body.length + 8 + 7) & ~7;
    this.endsAt = this.offsetsAt + 4 * n;
    this.textAt = this.endsAt + 4 * n;
    this.reserve(this.textAt + 3 * body.length + n * (head.length + 64) + 64);
    this.bytes.set(body, bodyAt);
    new Uint32Array(this.x.memory.buffer, this.offsetsAt, n).set(offsets);
    this.n = n;
    this.bodyLen = body.length;
    return true;
  }

  /** reserve: memory of at least `size` bytes. */
  private reserve(size: number): void {
    const have = this.x.memory.buffer.byteLength;
    if (size > have) this.x.memory.grow(Math.ceil((size - have) / PAGE));
    if (this.bytes.buffer !== this.x.memory.buffer) this.bytes = new Uint8Array(this.x.memory.buffer);
  }

  /**
   * run: the loaded frame's records from i0 on as text, up to the first one it leaves to the
   * JS writer; returns the index of that record (n when all are written). The text is
   * text(), record i's end in it ends()[i - i0].
   */
  run(i0: number, compact: boolean): number {
    const x = this.x;
    const bodyAt = x.FREE.value as number;
    let i = i0;
    let from = this.textAt;
    for (;;) {
      i = x.run(bodyAt, this.bodyLen, this.offsetsAt, this.n, i, this.endsAt, this.textAt, from, this.bytes.length, compact ? 1 : 0);
      from = x.textEnd.value as number;
      if (x.stopped.value !== OUT_OF_ROOM) break;
      this.reserve(2 * this.bytes.length);
    }
    this.textLength = from - this.textAt;
    return i;
  }

  /** text: the last run's text (a view of memory, valid until the next load). */
  text(): Uint8Array {
    return this.bytes.subarray(this.textAt, this.textAt + this.textLength);
  }

  /** ends: the ends of records i0..i1-1 in the last run's text. */
  ends(i0: number, i1: number): Uint32Array {
    return new Uint32Array(this.x.memory.buffer, this.endsAt + 4 * i0, i1 - i0);
  }

  /** Whether run() stopped at a record for the JS writer. */
  get leftToJs(): boolean {
    return this.x.stopped.value === LEFT_TO_JS;
  }
}

const MODULE = new URL('../../wasm/wire-writer.wasm', import.meta.url); // dist/wasm, from dist/lib/asb and dist/bundle/<program>
let writer: WasmWireWriter | null | undefined;
let enabled = true;

/**
 * wasmWireWriter: this thread's WebAssembly writer, or undefined where there is none: the
 * module was not built (tsc alone, without `npm run build`), Node runs without WebAssembly
 * (`--jitless`), or it is switched off. The JS writer then does the work, slower.
 */
export function wasmWireWriter(): WasmWireWriter | undefined {
  if (!enabled) return undefined;
  if (writer === undefined) {
    if (typeof WebAssembly !== 'object') {
      writer = null;
      return undefined;
    }
    let bytes: Buffer<ArrayBuffer>;
    try {
      bytes = readFileSync(MODULE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      writer = null;
      return undefined;
    }
    try {
      writer = new WasmWireWriter(new WebAssembly.Module(bytes));
    } catch (e) {
      throw new AsError('INTERNAL', `internal: the .asb writer's WebAssembly module ${MODULE.pathname} does not load: ${(e as Error).message}`, { cause: e });
    }
  }
  return writer ?? undefined;
}

/** useWasmWireWriter: on (the default) or off, for this thread (the tests compare both writers). */
export function useWasmWireWriter(on: boolean): void {
  enabled = on;
}
