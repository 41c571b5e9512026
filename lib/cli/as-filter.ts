// as-filter: keeps the records of a record stream that a selection asks for. Built with
// stream-chain: each stage is a plain function, and `none` drops an item.
import { pipeline } from 'node:stream/promises';
import chain, { none } from 'stream-chain';
import split2 from 'split2';
import { EXIT_OK } from './run.js';
import { parseArgs } from './options.js';
import { selectionOptions, filterOptionsOf } from './stage-options.js';
import { openInput } from './io.js';
import { answeredHelp, helpOptions, type Program } from './program.js';
import { filterItems, narrowSelection } from '../stages/filter.js';
import { parseLine, stringify } from '../records/jsonl.js';
import { AsError, ParseError } from '../errors.js';
import type { StreamItem } from '../records/types.js';

/** program: as-filter. */
export const program: Program = {
  name: 'as-filter',
  summary: 'Keep the items of a record stream that a selection asks for (sets, bins, sampling, time window, TTL).',
  synopsis: ['[options] [file.jsonl] < records > records'],
  options: [...selectionOptions, ...helpOptions],
  async main(argv, io) {
    const { values, positionals } = parseArgs(program.options, argv, program.name, { positionals: true });
    if (answeredHelp(program, values, io)) return EXIT_OK;
    const input = openInput(positionals[0], io.stdin, 'as-filter reads one record stream (JSON lines)');
    const selection = filterOptionsOf(values);
    narrowSelection(selection); // an exclusion that leaves nothing is a usage error
    const keep = filterItems(selection);
    let line = 0;
    await pipeline(
      input.stream,
      split2(),
      chain([
        (text: string) => {
          line++;
          if (text.length === 0) return none;
          return parseLine(text, input.name, line);
        },
        (item: StreamItem) => {
          try {
            return keep(item) ?? none;
          } catch (e) {
            // Name the line, as for a malformed one.
            if (e instanceof AsError && e.code === 'NO_LAST_UPDATE') throw new ParseError(e.message, input.name, line, 1, undefined, 'NO_LAST_UPDATE');
            throw e;
          }
        },
        (item: StreamItem) => stringify(item),
      ]),
      io.stdout,
    );
    return EXIT_OK;
  },
};
