// The codec's error: what went wrong in which file, and where.
import { AsError, type ErrorCode } from '../errors.js';

/** CodecError: a backup file that does not decode as the options say; names file and byte. */
export class CodecError extends AsError {
  readonly file: string;
  readonly offset: number;
  constructor(code: ErrorCode, file: string, offset: number, message: string, cause?: unknown) {
    super(code, `${file}: ${message}`, { value: `${file}:${offset}`, cause });
    this.file = file;
    this.offset = offset;
  }
}
