// as-filter: keeps the records of a record stream that a selection asks for.
import { run } from './run.js';
import { parseArgs, usage, type OptionTable } from './options.js';
import { selectionOptions, filterOptionsOf } from './stage-options.js';
import { readItems, writeItems, openInput } from './io.js';
import { filterStage } from '../stages/filter.js';

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
  await writeItems(filterStage(readItems(input.stream, input.name), filterOptionsOf(values)));
  return 0;
});
