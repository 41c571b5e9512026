// Escaping of names (namespace, set, bin, index, UDF): a backslash before every `\`, SP and
// LF byte, nothing else. All three are ASCII and never occur inside a multi-byte UTF-8
// sequence, so escaping a JS string char by char gives the same bytes as escaping its UTF-8.

const NEEDS_ESCAPE = /[\\ \n]/;
const ESCAPE_ALL = /[\\ \n]/g;

/** escape: a name as written in a 3.1 file (returns the same string when nothing needs escaping). */
export function escape(name: string): string {
  // The test is cheaper than replace() on the common, clean name.
  return NEEDS_ESCAPE.test(name) ? name.replace(ESCAPE_ALL, '\\$&') : name;
}

/** escapeBytes: the byte-level form of escape(), for names that are not valid UTF-8. */
export function escapeBytes(name: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < name.length; i++) {
    const b = name[i]!;
    if (b === 0x5c || b === 0x20 || b === 0x0a) extra++;
  }
  if (extra === 0) return name;
  const out = Buffer.allocUnsafe(name.length + extra);
  let j = 0;
  for (let i = 0; i < name.length; i++) {
    const b = name[i]!;
    if (b === 0x5c || b === 0x20 || b === 0x0a) out[j++] = 0x5c;
    out[j++] = b;
  }
  return out;
}

/**
 * unescapeBytes: the reader's rule: a backslash makes the next byte literal, whatever it is
 * (`\a` is `a`); a trailing lone backslash is dropped.
 */
export function unescapeBytes(text: Buffer): Buffer {
  const i0 = text.indexOf(0x5c);
  if (i0 < 0) return text;
  const out = Buffer.allocUnsafe(text.length);
  text.copy(out, 0, 0, i0);
  let j = i0;
  for (let i = i0; i < text.length; i++) {
    const b = text[i]!;
    if (b === 0x5c) {
      i++;
      if (i >= text.length) break;
      out[j++] = text[i]!;
    } else {
      out[j++] = b;
    }
  }
  return out.subarray(0, j);
}

/** unescape: string form of unescapeBytes (the reader's rule on a JS string). */
export function unescape(text: string): string {
  return text.indexOf('\\') < 0 ? text : text.replace(/\\([\s\S]?)/g, '$1');
}
