// formatDouble against the table of the spec (§7) and against glibc printf("%.17g") itself
// on millions of doubles; parseDouble against the C reader's rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decimalAt, formatDouble, parseDouble } from '../../lib/asb/double.js';

function bits(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

const TABLE: [number | Buffer, string][] = [
  [0.1, '0.10000000000000001'], [1.5, '1.5'], [3, '3'], [-0, '-0'], [0, '0'],
  [1e-5, '1.0000000000000001e-05'], [0.0001, '0.0001'], [1234567, '1234567'],
  [2 ** 53, '9007199254740992'], [1e16, '10000000000000000'], [1e17, '1e+17'], [1e21, '1e+21'],
  [1.2345678901234568e17, '1.2345678901234568e+17'], [5e-324, '4.9406564584124654e-324'],
  [Number.MAX_VALUE, '1.7976931348623157e+308'], [Infinity, 'inf'], [-Infinity, '-inf'],
  [NaN, 'nan'], [bits('7ff8000000000000'), 'nan'], [bits('fff8000000000000'), '-nan'],
  [2 ** 53 + 2, '9007199254740994'], [1e100, '1e+100'],
  [1e308, '1e+308'], [-1.5, '-1.5'], [123456789012345680, '1.2345678901234568e+17'],
  // Exact ties at the 17th digit: glibc rounds half to even, toExponential rounds up.
  [2251799813685246.25, '2251799813685246.2'], [2251799813685246.75, '2251799813685246.8'],
];

test('positive: formatDouble gives the %.17g bytes of the spec table', () => {
  for (const [v, want] of TABLE) assert.equal(formatDouble(v), want, `value ${String(v)}`);
  // 2^53 + 1 is not a double: it rounds to 2^53.
  assert.equal(formatDouble(2 ** 53 + 1), '9007199254740992');
  const b = Buffer.alloc(8);
  b.writeDoubleBE(-0);
  assert.equal(formatDouble(b), '-0');
});

test('positive: formatDouble equals glibc printf("%.17g") on random doubles', (t) => {
  const cc = spawnSync('cc', ['--version']);
  if (cc.error || cc.status !== 0) return t.skip('no C compiler (cc) on this machine');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asb-dbl-'));
  try {
    const src = path.join(dir, 'g17.c');
    writeFileSync(src, `#include <stdio.h>
#include <stdint.h>
#include <string.h>
int main(void) {
  char line[64]; uint64_t u; double d;
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%lx", &u) != 1) return 1;
    memcpy(&d, &u, 8);
    printf("%.17g\\n", d);
  }
  return 0;
}
`);
    execFileSync('cc', ['-O2', '-o', path.join(dir, 'g17'), src]);
    const N = 1_500_000;
    const buf = Buffer.alloc(8 * N);
    let seed = 0x9e3779b9;
    const rnd = (): number => {
      seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
      seed >>>= 0;
      return seed;
    };
    for (let i = 0; i < N; i++) {
      let hi = rnd();
      const lo = rnd();
      const kind = i % 5;
      if (kind === 4) hi = (hi & 0x800fffff) | ((1023 - 22 + (rnd() % 80)) << 20); // |x| around 2^-22..2^57
      if (kind === 1) hi = (hi & 0x800fffff) | ((1023 + (rnd() % 60) - 10) << 20); // |x| around 1e-3..1e15
      if (kind === 2) hi = (hi & 0x800fffff) | ((1023 + 40 + (rnd() % 20)) << 20); // around 2^40..2^60
      if ((hi & 0x7ff00000) === 0x7ff00000) hi &= 0xbfffffff; // finite only
      buf.writeUInt32BE(hi >>> 0, 8 * i);
      buf.writeUInt32BE(kind === 3 ? (lo & 0xffffff00) >>> 0 : lo, 8 * i + 4); // kind 3: short mantissas (ties)
    }
    // Doubles that are ties at 17 digits: k / 4 just below 2^51 and friends.
    const extra: number[] = [];
    for (let k = 0; k < 2000; k++) extra.push((2 ** 51 - 1 - k) / 4, (2 ** 50 + k) / 8, (10 ** 15 + k) / 16);
    // The exact fast path (1e-6 <= |x| < 1e17): around every power of ten it starts from,
    // and the everyday values (thirds, sevenths, prices) of real data.
    const f = new Float64Array(1);
    const u = new BigUint64Array(f.buffer);
    for (let k = -8; k <= 18; k++) {
      f[0] = 10 ** k;
      const base = u[0]!;
      for (let d = -40n; d <= 40n; d++) {
        u[0] = base + d;
        extra.push(f[0]!, -f[0]!);
      }
    }
    for (let i = 1; i < 30000; i++) extra.push(i / 3, i / 7, i / 100, (i * 1e11) / 3, i / 3e6, 1e17 - i * 16, 1e16 + i * 2);
    // Whole numbers (written as integers below 2^53), around 2^31 and 2^53.
    for (let i = 1; i < 30000; i++) extra.push(i, i * 977, i * 1e9 + 1, 2 ** 31 - i, 2 ** 31 + i, 2 ** 53 - i, 2 ** 53 + 2 * i);
    const all = Buffer.concat([buf, Buffer.from(new Float64Array(extra).buffer).swap64()]);
    const n = all.length / 8;
    let input = '';
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(all.toString('hex', 8 * i, 8 * i + 8));
    input = lines.join('\n') + '\n';
    const out = execFileSync(path.join(dir, 'g17'), { input, maxBuffer: 256 * 1024 * 1024 }).toString('latin1').split('\n');
    let bad = 0;
    for (let i = 0; i < n; i++) {
      const got = formatDouble(all.subarray(8 * i, 8 * i + 8));
      if (got !== out[i]) {
        if (bad++ < 5) assert.fail(`${lines[i]}: formatDouble ${got}, printf ${out[i]}`);
      }
    }
    assert.equal(bad, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('positive: parseDouble accepts what the C reader accepts', () => {
  const ok: [string, string][] = [
    ['0.10000000000000001', '3fb999999999999a'], ['-0', '8000000000000000'], ['inf', '7ff0000000000000'],
    ['-inf', 'fff0000000000000'], ['nan', '7ff8000000000000'], ['-nan', 'fff8000000000000'], ['NaN', '7ff8000000000000'],
    ['Infinity', '7ff0000000000000'], ['1e+308', '7fe1ccf385ebc8a0'], ['4.9406564584124654e-324', '0000000000000001'],
    ['', '0000000000000000'], ['1.', '3ff0000000000000'], ['.5', '3fe0000000000000'], ['+2', '4000000000000000'], ['1e5', '40f86a0000000000'],
  ];
  for (const [tok, hex] of ok) assert.equal(parseDouble(tok)?.toString('hex'), hex, tok);
  for (const tok of ['1E5', '0x10', '1e', '-', '.', 'nanx', 'inff', '1.2.3', '1e5e5', ' 1', '1_0', 'e5']) {
    assert.equal(parseDouble(tok), undefined, tok);
  }
});

test('positive: decimalAt reads back every %.17g it writes, and any decimal as Number() does', () => {
  let seed = 0x2545f491;
  const rnd = (): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>>= 0);
  };
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const read = (s: string): number => {
    const b = Buffer.from(`x${s}\n`); // the token inside a larger buffer, as the decoder sees it
    return decimalAt(b, 1, b.length - 1);
  };
  let taken = 0;
  for (let i = 0; i < 400_000; i++) {
    u[0] = rnd();
    u[1] = rnd();
    if (i % 3 === 1) u[1] = (u[1] & 0x800fffff) | ((1023 + (rnd() % 80) - 25) << 20); // around 1e-8..1e16
    if (i % 3 === 2) f[0] = rnd() / (1 + (rnd() % 1000)); // prices, ratios
    const v = f[0]!;
    if (!Number.isFinite(v)) continue;
    const s = formatDouble(v);
    const got = read(s);
    const a = Math.abs(v);
    // The writer's own doubles between 1e-6 and 1e17 never need the slow path.
    if (a === 0 || (a >= 1e-6 && a < 1e17)) assert.ok(got === got, `${s} left to Number()`);
    if (got === got) {
      taken++;
      assert.ok(Object.is(got, v), `${s}: decimalAt ${got}, wrote ${v}`);
    }
    // Decimals of any length and exponent: taken or not, never a different double.
    let t = '';
    for (let n = 1 + (rnd() % 22); n > 0; n--) t += String(rnd() % 10);
    const point = rnd() % (t.length + 1);
    if (point < t.length) t = `${t.slice(0, point) || '0'}.${t.slice(point)}`;
    if (rnd() % 3 === 0) t += `e${rnd() % 2 ? '-' : '+'}${rnd() % 30}`;
    for (const tok of [t, `-${t}`]) {
      const r = read(tok);
      if (r === r) assert.ok(Object.is(r, Number(tok)), `${tok}: decimalAt ${r}, Number ${Number(tok)}`);
    }
  }
  assert.ok(taken > 250_000, `only ${taken} doubles took the fast path`);
  for (const tok of ['0', '-0', '0.000', '1', '9007199254740993', '9007199254740995', '9007199254740993e-5', '1e22', '1e23', '0.30000000000000004',
    '2251799813685246.2', '2251799813685246.25', '123456789012345678', '12345678901234567800', '99999999999999999', '0.99999999999999999',
    '1.7976931348623157e+308', '4.9406564584124654e-324', '1.0000000000000001e-05', '1e-7', '1.5e+16', '5e-324', '1e-400', '1e+400']) {
    const r = read(tok);
    if (r === r) assert.ok(Object.is(r, Number(tok)), `${tok}: decimalAt ${r}, Number ${Number(tok)}`);
  }
  assert.ok(Object.is(read('-0'), -0));
  assert.equal(read('0.33333333333333331'), 1 / 3);
});
