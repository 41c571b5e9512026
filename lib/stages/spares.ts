// Memory a stage hands back once nothing reads it, taken again for the next array of at most
// its size. asbackup's per-frame arrays (each record's partition and digest for the state,
// each record's end in the text) live until the frame's text is in its file: across a few
// collections of the young generation, so new ones reach the old one, and their memory,
// outside the JS heap, waits for a full collection. Measured on a backup of 3 M records from
// a real server: RSS crept from ~90 to ~130 MiB with new arrays per frame, to ~110 reused.

/** Spares: arrays of one kind, lent by take() and given back by give() (state, hence a class). */
export class Spares<T extends ArrayBufferView> {
  private readonly free: ArrayBuffer[] = [];
  // Only memory lent here comes back, each only once: anything else given is ignored.
  private readonly lent = new WeakSet<ArrayBuffer>();

  /** `view`: n elements over the start of an ArrayBuffer; `bytesPer` bytes an element; at most `keep` kept. */
  constructor(private readonly view: (ab: ArrayBuffer, n: number) => T, private readonly bytesPer: number, private readonly keep = 4) {}

  /** take: an array of n elements (contents undefined), reused when one given back is big enough. */
  take(n: number): T {
    const bytes = n * this.bytesPer;
    const i = this.free.findIndex((ab) => ab.byteLength >= bytes);
    // Sizes vary from frame to frame: room for a quarter more, so the next fits.
    const ab = i >= 0 ? this.free.splice(i, 1)[0]! : new ArrayBuffer(Math.ceil(bytes * 1.25) + 64);
    this.lent.add(ab);
    return this.view(ab, n);
  }

  /** give: an array from take() that nothing reads any more. */
  give(a: ArrayBufferView): void {
    const ab = a.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.lent.delete(ab)) return;
    if (this.free.length < this.keep) this.free.push(ab);
  }
}
