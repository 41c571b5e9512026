// Decimal digits of whole numbers, written into a buffer: shared by the .asb writer and the
// double formatter (a whole-number double below 2^53 is its digits under %.17g).

/** putUint: a non-negative safe integer in decimal (at most 16 bytes). */
export function putUint(out: Buffer, p: number, v: number): number {
  if (v < 10) {
    out[p] = 48 + v;
    return p + 1;
  }
  let digits = 2;
  if (v <= 0x7fffffff) {
    // Int32 arithmetic: the common case (lengths, counts, most values) and much cheaper.
    for (let t = (v / 100) | 0; t !== 0; t = (t / 10) | 0) digits++;
    let q = p + digits;
    for (let t = v | 0; q > p; ) {
      const d = (t / 10) | 0;
      out[--q] = 48 + t - d * 10;
      t = d;
    }
    return p + digits;
  }
  for (let t = Math.floor(v / 100); t !== 0; t = Math.floor(t / 10)) digits++;
  let q = p + digits;
  for (let t = v; q > p; t = Math.floor(t / 10)) out[--q] = 48 + (t % 10);
  return p + digits;
}
