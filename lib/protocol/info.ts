// The info protocol (proto type 1): `cmd\n` requests, `cmd\tvalue\n` answers.
import { ProtoType } from './constants.js';
import { frame } from './frame.js';

/** infoRequest: one frame asking for every command, each ended by a newline. */
export function infoRequest(commands: string[]): Buffer {
  return frame(ProtoType.INFO, Buffer.from(commands.map((c) => c + '\n').join(''), 'utf8'));
}

/**
 * parseInfo: the answers of an info body as [name, value] pairs in order. When the
 * commands sent are given, answers are matched by their echo, which keeps values that
 * hold raw newlines (set names may) intact; otherwise every line is one answer.
 */
export function parseInfo(body: Buffer | string, commands?: string[]): Array<[string, string]> {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const out: Array<[string, string]> = [];
  if (commands && commands.length > 0) {
    let at = 0;
    for (let i = 0; i < commands.length; i++) {
      const cmd = commands[i]!;
      if (!text.startsWith(cmd + '\t', at)) return parseInfo(text);
      const from = at + cmd.length + 1;
      let end = text.length;
      if (i + 1 < commands.length) {
        const next = text.indexOf('\n' + commands[i + 1] + '\t', from - 1);
        if (next >= 0) end = next + 1;
      }
      const value = text.slice(from, end).replace(/\n$/, '');
      out.push([cmd, value]);
      at = end;
    }
    return out;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const tab = line.indexOf('\t');
    out.push(tab < 0 ? [line, ''] : [line.slice(0, tab), line.slice(tab + 1)]);
  }
  return out;
}

/** infoError: the in-band error of a value (`ERROR:code:msg`, `FAIL:`, `error=`), if any. */
export function infoError(value: string): { code: number; message: string } | undefined {
  const m = /^(?:ERROR|FAIL)(?::(-?\d+))?(?::(.*))?$/s.exec(value);
  if (m) return { code: m[1] !== undefined ? Number(m[1]) : 1, message: m[2] ?? value };
  if (value.startsWith('error=')) return { code: 100, message: value.slice(6) };
  return undefined;
}

/** parseKeyValues: `k=v;k=v` (or another separator) into an object; items without `=` are skipped. */
export function parseKeyValues(value: string, sep = ';', eq = '='): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of value.split(sep)) {
    const i = item.indexOf(eq);
    if (i > 0) out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}
