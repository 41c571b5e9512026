// Splits an .asb byte stream into its header and blocks, as the original bytes: the decoder
// finds the boundaries (and rejects bad input), the bytes themselves are copied, never
// re-encoded.
import { decodeAsb, type AsbHeader } from '../asb/decode.js';
import type { AsbChunk } from './files.js';

/** What asbBlocks yields: the header once, then one chunk per block. */
export type AsbPiece = { kind: 'header'; header: AsbHeader; bytes: Buffer } | AsbChunk;

/** asbBlocks: the raw bytes of the header and of every block of an .asb stream. */
export async function* asbBlocks(chunks: AsyncIterable<Buffer>, fileName: string): AsyncGenerator<AsbPiece> {
  const held: Buffer[] = []; // chunks not yet wholly handed out
  let heldStart = 0; // stream offset of held[0]
  async function* tee(): AsyncGenerator<Buffer> {
    for await (const c of chunks) {
      held.push(c);
      yield c;
    }
  }
  const slice = (start: number, end: number): Buffer => {
    // Drop chunks that end before `start`; then copy [start, end).
    while (held.length > 0 && heldStart + held[0]!.length <= start) heldStart += held.shift()!.length;
    const parts: Buffer[] = [];
    let at = heldStart;
    for (const c of held) {
      const from = Math.max(start, at);
      const to = Math.min(end, at + c.length);
      if (from < to) parts.push(c.subarray(from - at, to - at));
      at += c.length;
      if (at >= end) break;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  for await (const ev of decodeAsb(tee(), fileName)) {
    if (ev.kind === 'header') yield { kind: 'header', header: ev, bytes: Buffer.from(slice(ev.start, ev.end)) };
    else yield { kind: ev.item.kind, bytes: Buffer.from(slice(ev.start, ev.end)) };
  }
}
