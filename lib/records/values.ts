// How one value looks in a JSON line: particle type names, integers and doubles. Shared by
// bins (jsonl.ts) and by the view of lists and maps (view.ts), so a value reads the same
// wherever it sits.
import { ParticleType as P } from '../protocol/constants.js';

/** Particle type names used in the JSON form. */
export const TYPE_NAMES: Record<number, string> = {
  [P.NULL]: 'nil', [P.INTEGER]: 'integer', [P.FLOAT]: 'double', [P.STRING]: 'string',
  [P.BLOB]: 'blob', [P.JAVA_BLOB]: 'java-blob', [P.CSHARP_BLOB]: 'csharp-blob',
  [P.PYTHON_BLOB]: 'python-blob', [P.RUBY_BLOB]: 'ruby-blob', [P.PHP_BLOB]: 'php-blob',
  [P.ERLANG_BLOB]: 'erlang-blob', [P.VECTOR]: 'vector', [P.BOOL]: 'bool', [P.HLL]: 'hll',
  [P.MAP]: 'map', [P.LIST]: 'list', [P.GEOJSON]: 'geojson',
};

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** integerJson: a number when jq can hold it exactly (|v| <= 2^53-1), else a decimal string. */
export function integerJson(v: bigint): number | string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
}

/** doubleJson: a number; NaN (by sign bit), the infinities and -0 as strings jq keeps. */
export function doubleJson(d: number, signBit: boolean): number | string {
  if (Number.isNaN(d)) return signBit ? '-nan' : 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0 && signBit) return '-0';
  return d;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** utf8Text: the bytes as text, or undefined when they are not valid UTF-8. */
export function utf8Text(data: Uint8Array): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}
