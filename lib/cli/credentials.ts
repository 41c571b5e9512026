// Secrets of the connection options: the login password (-P) and the TLS key passphrase
// (--tls-keyfile-password). Prompts go to the terminal without echo; values never appear
// in a message, and the option object stops showing them once they are taken.
import { openSync, writeSync } from 'node:fs';
import tty from 'node:tty';
import { AsError } from '../errors.js';
import { fsReason } from '../paths.js';

/** SecretError: a secret could not be had (no terminal, unset variable...); exit 1. */
export class SecretError extends AsError {
  constructor(message: string) {
    super('SECRET', message);
  }
}

/** takeSecret: reads `obj[key]` and leaves it in place as a non-enumerable property. */
export function takeSecret<T extends object>(obj: T, key: keyof T & string): unknown {
  const v = obj[key];
  if (v !== undefined) Object.defineProperty(obj, key, { value: v, enumerable: false, writable: true, configurable: true });
  return v;
}

/**
 * askHidden: a line typed on the terminal without echo: /dev/tty first (so stdin can be
 * the data), else stdin when it is a terminal. No terminal: a SecretError naming `option`.
 */
export async function askHidden(prompt: string, option: string, hint: string): Promise<string> {
  let input: tty.ReadStream;
  let write: (s: string) => void;
  let own = false;
  try {
    const fd = openSync('/dev/tty', 'r+');
    input = new tty.ReadStream(fd);
    write = (s) => void writeSync(fd, s);
    own = true;
  } catch {
    if (!process.stdin.isTTY) throw new SecretError(`${option}: a password is needed and there is no terminal to ask on; ${hint}`);
    input = process.stdin as tty.ReadStream;
    write = (s) => void process.stderr.write(s);
  }
  write(prompt);
  input.setRawMode(true);
  try {
    return await new Promise<string>((resolve, reject) => {
      let text = '';
      const onData = (chunk: Buffer): void => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            input.off('data', onData);
            resolve(text);
            return;
          }
          if (ch === '\u0003') {
            input.off('data', onData);
            reject(new SecretError(`${option}: cancelled`));
            return;
          }
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else text += ch;
        }
      };
      input.on('data', onData);
      input.resume();
    });
  } finally {
    input.setRawMode(false);
    write('\n');
    if (own) input.destroy();
    else input.pause();
  }
}

/**
 * loginPassword: the password for -U: the -P / --password value, or asked on the
 * terminal for a bare -P or no -P at all.
 */
export async function loginPassword(value: string | true | undefined, user: string): Promise<string> {
  if (typeof value === 'string') return value;
  return askHidden(`Enter password for ${user}: `, '-P', 'use -P<password> or --password=...');
}

/**
 * keyfilePassword: --tls-keyfile-password as `env:VAR`, `file:PATH` (its first line),
 * the password itself, or (bare) asked on the terminal.
 */
export async function keyfilePassword(value: string | true | undefined): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (value === true) return askHidden('Enter TLS key file password: ', '--tls-keyfile-password', 'use --tls-keyfile-password=env:VAR or file:PATH');
  if (value.startsWith('env:')) {
    const name = value.slice(4);
    const v = process.env[name];
    if (v === undefined) throw new SecretError(`--tls-keyfile-password: environment variable ${name} is not set`);
    return v;
  }
  if (value.startsWith('file:')) {
    const path = value.slice(5);
    const { readFileSync } = await import('node:fs');
    try {
      return readFileSync(path, 'utf8').split(/\r?\n/)[0]!;
    } catch (e) {
      throw new SecretError(`--tls-keyfile-password: cannot read ${path}: ${fsReason(e)}`);
    }
  }
  return value;
}
