// Host lists as asbackup writes them: `host[:tlsname][:port][,...]`, IPv6 in brackets.
// (A stop-gap for as-scan; lib/cli/parse-values.ts will own option parsing.)
import { UsageError } from '../errors.js';

/** One seed host or node address. */
export interface HostAddress {
  host: string;
  port: number;
  tlsName?: string;
}

function parsePort(text: string, label: string, item: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new UsageError(`${label}: bad port ${JSON.stringify(text)} in ${JSON.stringify(item)}`, item);
  return n;
}

/**
 * parseHosts: `host[:tlsname][:port]` items separated by `,` (or `;`). A missing port
 * is `defaultPort`; with two parts the second is a port when it is all digits, otherwise
 * a TLS name. IPv6 addresses must be in brackets: `[::1]:3000`.
 */
export function parseHosts(text: string, defaultPort: number, label = '--host'): HostAddress[] {
  const out: HostAddress[] = [];
  for (const raw of text.split(/[,;]/)) {
    const item = raw.trim();
    if (item === '') continue;
    let host: string;
    let rest: string;
    if (item.startsWith('[')) {
      const end = item.indexOf(']');
      if (end < 0) throw new UsageError(`${label}: unclosed "[" in ${JSON.stringify(item)}`, item);
      host = item.slice(1, end);
      rest = item.slice(end + 1);
      if (rest !== '' && !rest.startsWith(':')) throw new UsageError(`${label}: unexpected text after "]" in ${JSON.stringify(item)}`, item);
      rest = rest.slice(1);
    } else {
      const colon = item.indexOf(':');
      host = colon < 0 ? item : item.slice(0, colon);
      rest = colon < 0 ? '' : item.slice(colon + 1);
    }
    if (host === '') throw new UsageError(`${label}: empty host name in ${JSON.stringify(item)}`, item);
    const parts = rest === '' ? [] : rest.split(':');
    const addr: HostAddress = { host, port: defaultPort };
    if (parts.length === 1) {
      if (/^\d+$/.test(parts[0]!)) addr.port = parsePort(parts[0]!, label, item);
      else addr.tlsName = parts[0]!;
    } else if (parts.length === 2) {
      addr.tlsName = parts[0]!;
      addr.port = parsePort(parts[1]!, label, item);
    } else if (parts.length > 2) {
      throw new UsageError(`${label}: expected host[:tlsname][:port], got ${JSON.stringify(item)} (IPv6 addresses go in brackets)`, item);
    }
    if (addr.tlsName === '') delete addr.tlsName;
    out.push(addr);
  }
  if (out.length === 0) throw new UsageError(`${label}: no host given`, text);
  return out;
}
