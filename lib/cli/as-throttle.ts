// as-throttle: passes any stream (record lines or .asb bytes) at a limited rate.
import split2 from 'split2';
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { intRange } from './parse-values.js';
import { writeChunk } from './io.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { UsageError } from '../errors.js';
import { throttle } from '../stages/throttle.js';

const positive = intRange(1);

/** program: as-throttle. */
export const program: Program = {
  name: 'as-throttle',
  summary: 'Pass any stream (record lines or .asb bytes) on at a limited rate.',
  synopsis: ['[--nice MiB/s | --bytes-per-second N] [--records-per-second N] < in > out'],
  options: [
    {
      long: 'nice', short: 'N', type: 'number', group: 'Other', arg: '<MiB/s>', describe: 'Bytes per second limit, in MiB/s (may be fractional).',
      validate: (v: number, l: string) => { if (!(v > 0)) throw new UsageError(`${l}: expected a positive number, got ${v}`, v); return v; },
    },
    { long: 'bytes-per-second', type: 'number', group: 'Other', arg: '<n>', describe: 'Bytes per second limit.', validate: positive },
    { long: 'records-per-second', type: 'number', group: 'Other', arg: '<n>', describe: 'Lines (records) per second limit; the input is read line by line.', validate: positive },
    ...helpOptions,
  ],
  async main(argv, io) {
    const { values } = parseArgs(program.options, argv, program.name);
    if (answeredHelp(program, values, io)) return EXIT_OK;
    const bytesPerSecond = values.nice !== undefined ? (values.nice as number) * 1024 * 1024 : (values.bytesPerSecond as number | undefined);
    const itemsPerSecond = values.recordsPerSecond as number | undefined;
    if (!bytesPerSecond && !itemsPerSecond) throw new UsageError('give --nice, --bytes-per-second or --records-per-second');
    // Per line when counting records, otherwise in whatever chunks arrive.
    const source: AsyncIterable<Buffer | string> = itemsPerSecond
      ? (io.stdin.pipe(split2((l: string) => l + '\n')) as AsyncIterable<string>)
      : (io.stdin as AsyncIterable<Buffer>);
    // Whatever passes is a stream of one of the two formats: a run that fails later ends it
    // with the abort line of that format, on a line of its own.
    let last = 0x0a;
    let first = true;
    for await (const chunk of throttle(source, (c) => (typeof c === 'string' ? Buffer.byteLength(c) : c.length), { bytesPerSecond, itemsPerSecond })) {
      if (chunk.length === 0) continue;
      if (first) {
        first = false;
        const head = typeof chunk === 'string' ? chunk.slice(0, 8) : chunk.toString('latin1', 0, 8);
        io.dataOut?.(head.startsWith('Version') ? 'asb' : 'jsonl', () => last === 0x0a);
      }
      await writeChunk(io.stdout, chunk);
      last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1]!;
    }
    return EXIT_OK;
  },
};
