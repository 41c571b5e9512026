// Value parsers for option arguments. Each takes the raw value and a `label` naming where it
// came from (`--port` on the command line, `/etc/aerospike/astools.conf: [cluster] port` in a
// config file) and throws a UsageError that starts with that label and says the expected form.
import { UsageError } from '../errors.js';
import type { PartitionFilter } from '../backup/settings.js';
import type { NamespaceMapping, RestoreNice } from '../restore/settings.js';

/** HostSpec: one seed host or node address; tlsName only when written in the list. */
export interface HostSpec {
  host: string;
  port: number;
  tlsName?: string;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** parseNumber: a decimal number written in full (no hex, no blanks, no trailing junk). */
export function parseNumber(value: string, label: string): number {
  if (!DECIMAL.test(value)) throw new UsageError(`${label}: expected a number, got ${JSON.stringify(value)}`, value);
  return Number(value);
}

/** intRange: validator for an integer in [min, max]; accepts a number or its text. */
export function intRange(min: number, max = Number.MAX_SAFE_INTEGER): (value: unknown, label: string) => number {
  return (value, label) => {
    const n = typeof value === 'number' ? value : INTEGER.test(String(value)) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
      throw new UsageError(`${label}: expected an integer ${range}, got ${JSON.stringify(value)}`, value);
    }
    return n;
  };
}

/** parsePort: 1..65535. */
export const parsePort = intRange(1, 65535);

/** parsePriority: the seed's scan priority, 0 (auto), 1 (low), 2 (medium), 3 (high). */
export const parsePriority = intRange(0, 3);

/**
 * parsePercent: the seed's `-%`: greater than 0 and at most 100, in steps of 0.01 (the
 * server samples by digest_modulo(10000)). A value with more decimals would be rounded
 * (0.001 to nothing at all), so it is refused rather than silently changed.
 */
export function parsePercent(value: unknown, label: string): number {
  const n = typeof value === 'number' ? value : DECIMAL.test(String(value)) ? Number(value) : NaN;
  if (!(n > 0 && n <= 100)) {
    throw new UsageError(`${label}: expected a percentage greater than 0 and at most 100, got ${JSON.stringify(value)}`, value);
  }
  const hundredths = Math.round(n * 100);
  if (Math.abs(n * 100 - hundredths) > 1e-6) {
    const became = hundredths === 0 ? 'nothing' : `${(hundredths / 100).toFixed(2)}`;
    throw new UsageError(`${label}: ${JSON.stringify(value)} has more than two decimals; records are sampled in steps of 0.01 %, so it would become ${became} (use 0.01 to 100)`, value);
  }
  return n;
}

/** oneOf: validator for a fixed set of words, matched case-insensitively, returned as listed. */
export function oneOf(...words: string[]): (value: unknown, label: string) => string {
  return (value, label) => {
    const hit = words.find((w) => w.toLowerCase() === String(value).toLowerCase());
    if (hit === undefined) throw new UsageError(`${label}: expected one of ${words.join(', ')}, got ${JSON.stringify(value)}`, value);
    return hit;
  };
}

/** nonEmpty: validator for a string that must not be empty. */
export function nonEmpty(value: unknown, label: string): string {
  const s = String(value);
  if (s.length === 0) throw new UsageError(`${label}: expected a non-empty value`, value);
  return s;
}

/**
 * parseFilePrefix: --output-file-prefix, a file-name prefix: the files are
 * `<prefix>_NNNNN.asb` inside the directory, so a path separator (which would put them
 * elsewhere, beyond the directory's -r rules) is refused.
 */
export function parseFilePrefix(value: unknown, label: string): string {
  const s = nonEmpty(value, label);
  if (s.includes('/') || s.includes('\0')) {
    throw new UsageError(`${label}: ${JSON.stringify(s)} holds a "/", but it is a file-name prefix; to write the files elsewhere, change --directory`, s);
  }
  return s;
}

// One list element `host[:tlsname][:port]` or `[v6][:tlsname][:port]`. `portRequired` is the
// node-list form `addr[:tlsname]:port`.
function parseHostItem(item: string, label: string, form: string, defaultPort: number | undefined): HostSpec {
  const bad = (why: string): never => {
    throw new UsageError(`${label}: ${why} in ${JSON.stringify(item)}, expected ${form}`, item);
  };
  let host: string;
  let rest: string;
  if (item.startsWith('[')) {
    const close = item.indexOf(']');
    if (close < 0) bad('missing "]"');
    host = item.slice(1, close);
    if (!/^[0-9A-Fa-f:.]+(%[\w.-]+)?$/.test(host) || !host.includes(':')) bad('bad IPv6 address');
    rest = item.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) bad('unexpected text after "]"');
    rest = rest.slice(1);
  } else {
    if (item.includes('::') || item.split(':').length > 4) bad('IPv6 address without [brackets]');
    const colon = item.indexOf(':');
    host = colon < 0 ? item : item.slice(0, colon);
    rest = colon < 0 ? '' : item.slice(colon + 1);
  }
  if (host === '') bad('empty host');
  const parts = rest === '' && !item.endsWith(':') ? [] : rest.split(':');
  if (parts.length > 2) bad('too many fields');
  if (parts.some((p) => p === '')) bad('empty field');
  let tlsName: string | undefined;
  let portText: string | undefined;
  if (parts.length === 2) [tlsName, portText] = parts;
  else if (parts.length === 1) {
    // `host:x` is a port when x is all digits, otherwise a TLS name (as the C tools decide).
    if (/^\d+$/.test(parts[0])) portText = parts[0];
    else tlsName = parts[0];
  }
  if (portText === undefined && defaultPort === undefined) bad('missing port');
  let port = defaultPort as number;
  if (portText !== undefined) {
    port = INTEGER.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) bad(`bad port ${JSON.stringify(portText)} (1..65535)`);
  }
  return tlsName === undefined ? { host, port } : { host, port, tlsName };
}

/** parseHostList: `-h host[:tlsname][:port][,...]`; hosts without a port get `defaultPort` (-p). */
export function parseHostList(value: string, defaultPort: number, label = '--host'): HostSpec[] {
  const form = 'host[:tlsname][:port][,...]';
  if (value.trim() === '') throw new UsageError(`${label}: expected ${form}, got an empty value`, value);
  return value.split(',').map((item) => parseHostItem(item.trim(), label, form, defaultPort));
}

/** parseNodeList: `-l addr[:tlsname]:port[,...]`; the port is required; `;` also separates (C). */
export function parseNodeList(value: string, label = '--node-list'): HostSpec[] {
  const form = 'addr[:tlsname]:port[,...]';
  if (value.trim() === '') throw new UsageError(`${label}: expected ${form}, got an empty value`, value);
  return value.split(/[,;]/).map((item) => parseHostItem(item.trim(), label, form, undefined));
}

/**
 * parseLocalDateTime: `YYYY-MM-DD_HH:MM:SS` in the local time zone (the seed's form only).
 * Impossible dates (2024-02-30, 25:00:00) are rejected rather than rolled over by Date.
 */
export function parseLocalDateTime(value: unknown, label: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})_(\d{2}):(\d{2}):(\d{2})$/.exec(String(value));
  const bad = (): never => {
    throw new UsageError(`${label}: expected YYYY-MM-DD_HH:MM:SS (local time), got ${JSON.stringify(value)}`, value);
  };
  if (m === null) return bad();
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  const date = new Date(y, mo - 1, d, h, mi, s);
  // Round trip: Date silently normalises 2024-02-30 to March 1st; a mismatch means impossible.
  // Hours are not compared: a time inside a DST gap (02:30 on spring-forward day) is real
  // input that local clocks skip, so it is accepted as the instant Date picks.
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return bad();
  if (h > 23 || mi > 59 || s > 59) return bad();
  return date;
}

/**
 * parseNameList: comma list as the C tools read set lists: an item may be quoted with ' or "
 * to contain commas (`'a,b',c` = ["a,b", "c"]); empty items are an error; `maxBytes` caps
 * each name (63 for sets, 15 for bins).
 */
export function parseNameList(value: unknown, label: string, maxBytes = Infinity): string[] {
  const text = String(value);
  const names: string[] = [];
  let i = 0;
  for (;;) {
    let name = '';
    if (text[i] === "'" || text[i] === '"') {
      const q = text[i];
      const end = text.indexOf(q, i + 1);
      if (end < 0) throw new UsageError(`${label}: unterminated ${q} in ${JSON.stringify(text)}`, text);
      name = text.slice(i + 1, end);
      i = end + 1;
      if (i < text.length && text[i] !== ',') {
        throw new UsageError(`${label}: expected "," after a quoted name in ${JSON.stringify(text)}`, text);
      }
    } else {
      const end = text.indexOf(',', i);
      name = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    if (name === '') throw new UsageError(`${label}: empty name in ${JSON.stringify(text)}`, text);
    if (Buffer.byteLength(name) > maxBytes) {
      throw new UsageError(`${label}: name ${JSON.stringify(name)} is longer than ${maxBytes} bytes`, text);
    }
    names.push(name);
    if (i >= text.length) return names;
    i++; // skip the comma
    if (i >= text.length) throw new UsageError(`${label}: empty name in ${JSON.stringify(text)}`, text);
  }
}

/** setList / binList: validators for -s (sets, <= 63 bytes) and -B (bins, <= 15 bytes). */
export const setList = (value: unknown, label: string): string[] => parseNameList(value, label, 63);
export const binList = (value: unknown, label: string): string[] => parseNameList(value, label, 15);

/** parseNamespace: a namespace name, 1..31 bytes. */
export function parseNamespace(value: unknown, label: string): string {
  const s = String(value);
  if (s.length === 0 || Buffer.byteLength(s) > 31 || s.includes(',')) {
    throw new UsageError(`${label}: expected a namespace name of 1..31 bytes, got ${JSON.stringify(s)}`, s);
  }
  return s;
}

/** parseNamespaceMapping: asrestore `-n ns` or `-n src,dst` (no blank after the comma needed). */
export function parseNamespaceMapping(value: unknown, label: string): NamespaceMapping {
  const parts = String(value).split(',').map((p) => p.trim());
  if (parts.length > 2) throw new UsageError(`${label}: expected <ns> or <source>,<target>, got ${JSON.stringify(value)}`, value);
  const [source, target] = parts.map((p) => parseNamespace(p, label));
  return { source, target: target ?? source };
}

/** parseRestoreNice: asrestore `-N <MiB/s>,<TPS>`, both integers >= 0 (0 = no limit). */
export function parseRestoreNice(value: unknown, label: string): RestoreNice {
  const m = /^\s*(\d+)\s*,\s*(\d+)\s*$/.exec(String(value));
  if (m === null) throw new UsageError(`${label}: expected <MiB/s>,<TPS> (integers >= 0), got ${JSON.stringify(value)}`, value);
  return { bandwidth: Number(m[1]), tps: Number(m[2]) };
}

export type { PartitionFilter, NamespaceMapping, RestoreNice };

/** parseDigest: a 20-byte record digest in base64 (as printed by the tools). */
export function parseDigest(value: unknown, label: string): Buffer {
  const s = String(value);
  const buf = /^[A-Za-z0-9+/]+={0,2}$/.test(s) ? Buffer.from(s, 'base64') : Buffer.alloc(0);
  if (buf.length !== 20 || buf.toString('base64').replace(/=+$/, '') !== s.replace(/=+$/, '')) {
    throw new UsageError(`${label}: expected a 20-byte digest in base64, got ${JSON.stringify(s)}`, s);
  }
  return buf;
}

/**
 * parsePartitionList: `begin[-count]` or base64 digest, comma separated (count, not end:
 * `1000-1000` is partitions 1000..1999). Begins 0..4095, begin+count <= 4096, no overlaps.
 */
export function parsePartitionList(value: unknown, label: string): PartitionFilter[] {
  const form = 'begin[-count] or a base64 digest, comma separated (partitions 0..4095)';
  const filters = String(value).split(',').map((item): PartitionFilter => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (m === null) {
      if (/^\d/.test(item.trim()) || item.trim() === '') throw new UsageError(`${label}: bad item ${JSON.stringify(item)}, expected ${form}`, value);
      return { digest: parseDigest(item.trim(), label) };
    }
    const begin = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (begin > 4095 || count < 1 || begin + count > 4096) {
      throw new UsageError(`${label}: bad range ${JSON.stringify(item)}, expected ${form} with begin+count <= 4096`, value);
    }
    return { begin, count };
  });
  const ranges = filters.filter((f): f is { begin: number; count: number } => 'begin' in f).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < ranges.length; i++) {
    const p = ranges[i - 1];
    if (ranges[i].begin < p.begin + p.count) throw new UsageError(`${label}: ranges overlap at partition ${ranges[i].begin}`, value);
  }
  return filters;
}

/** The largest rack id a server accepts (and the C asbackup's MAX_RACKID). */
export const MAX_RACK_ID = 1000000;

/** parseRackList: `--prefer-racks id[,id...]`, each 0..1000000, in order of preference. */
export function parseRackList(value: unknown, label: string): number[] {
  return String(value).split(',').map((item) => {
    const t = item.trim();
    if (!/^\d+$/.test(t) || Number(t) > MAX_RACK_ID) throw new UsageError(`${label}: expected rack ids 0..${MAX_RACK_ID}, comma separated, got ${JSON.stringify(String(value))}`, value);
    return Number(t);
  });
}

/** parseBase64: a non-empty base64 string (e.g. --filter-exp), returned as given. */
export function parseBase64(value: unknown, label: string): string {
  const s = String(value);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 === 1) throw new UsageError(`${label}: expected base64 text, got ${JSON.stringify(s)}`, s);
  return s;
}
