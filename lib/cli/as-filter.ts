// as-filter: keeps the records of a record stream that a selection asks for. Built with
// stream-chain: each stage is a plain function, and `none` drops an item.
import { pipeline } from 'node:stream/promises';
import chain, { none } from 'stream-chain';
import split2 from 'split2';
import { run } from './run.js';
import { parseArgs, usage, type OptionTable } from './options.js';
import { selectionOptions, filterOptionsOf } from './stage-options.js';
import { openInput } from './io.js';
import { filterItems } from '../stages/filter.js';
import { parse, stringify } from '../records/jsonl.js';
import { AsError, ParseError } from '../errors.js';
import type { StreamItem } from '../records/types.js';

const table: OptionTable = [
  ...selectionOptions,
  { long: 'help', short: 'Z', aliases: ['usage'], type: 'boolean', group: 'Other', describe: 'Print this help and exit.' },
];

run('as-filter', async (argv) => {
  const { values, positionals } = parseArgs(table, argv, 'as-filter', { positionals: true });
  if (values.help) {
    process.stdout.write(usage(table, 'as-filter', '[options] [file.jsonl] < records > records'));
    return 0;
  }
  const input = openInput(positionals[0]);
  const keep = filterItems(filterOptionsOf(values));
  let line = 0;
  await pipeline(
    input.stream,
    split2(),
    chain([
      (text: string) => {
        line++;
        if (text.length === 0) return none;
        try {
          return parse(text);
        } catch (e) {
          if (e instanceof AsError && e.code === 'STREAM') throw new ParseError(e.message, input.name, line, 1);
          throw e;
        }
      },
      (item: StreamItem) => keep(item) ?? none,
      (item: StreamItem) => stringify(item),
    ]),
    process.stdout,
  );
  return 0;
});
