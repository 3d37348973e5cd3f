/** `diffuseq prepare`: its usage, its parser (pairs of --data/--task, per-dataset --limit) and its entry point. */
import { DEFAULT_TARGET_BUDGET, TASKS, type Task } from '../engine';
import {
  type CommandIo,
  intFlag,
  numberFlag,
  parseCommandLine,
  processIo,
  reportingErrors,
  stringFlag,
  usageError,
} from '../common/commandLine';
import { type DataSpec, type PrepareOptions, TASK_CHOICES, prepare } from '../trainer/prepare';

export const PREPARE_USAGE = `usage: diffuseq prepare --data DIR_OR_FILE… --task paraphrase|simplify [--limit N] [--data … --task …]… --out DIR
       [--vocab-size N] [--max-source N] [--max-target N] [--limit N] [--valid-fraction F] [--both-directions]
       [--tokenizer DIR]   (encode with DIR's tokenizer.json, e.g. models/default, instead of training one)
       [--budget-ratio R] [--budget-extra E]   (target budget min(maxTarget, ceil(R·n)+E), default 1.5 and 6: recorded in
                                                meta.json, used by the trainer when its config has none)
  --data/--task come in pairs; a --limit right after a --data/--task pair applies to that dataset only,
  one before the first --data applies to every dataset (first N pairs of each train and valid file).`;

const PREPARE_OPTIONS = {
  data: { type: 'string', multiple: true },
  task: { type: 'string', multiple: true },
  limit: { type: 'string', multiple: true },
  out: { type: 'string' },
  'vocab-size': { type: 'string' },
  'max-source': { type: 'string' },
  'max-target': { type: 'string' },
  'valid-fraction': { type: 'string' },
  'both-directions': { type: 'boolean' },
  'budget-ratio': { type: 'string' },
  'budget-extra': { type: 'string' },
  tokenizer: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `diffuseq prepare` arguments into PrepareOptions. */
export function parsePrepareArgs(argv: string[]): PrepareOptions {
  const cmd = 'prepare';
  // --data takes every plain argument after it; --data/--task/--limit are read in their order.
  const { values: v, positionals, occurrences } = parseCommandLine(cmd, argv, PREPARE_OPTIONS, ['data']);
  if (positionals.length) throw usageError(cmd, `unexpected argument ${JSON.stringify(positionals[0])} (see diffuseq prepare --help)`);
  const data: DataSpec[] = [];
  let pending: string[] | undefined;
  let globalLimit: number | undefined;
  for (const f of occurrences) {
    if (f.name === 'data') {
      if (pending) throw usageError(cmd, `--data ${pending.join(' ')} has no --task (${TASK_CHOICES})`);
      pending = f.values;
    } else if (f.name === 'task') {
      if (!pending) throw usageError(cmd, '--task must follow a --data');
      const t = f.values[0];
      if (!TASKS.includes(t as Task)) throw usageError(cmd, `--task must be ${TASK_CHOICES} (got ${t})`);
      data.push({ paths: pending, task: t as Task });
      pending = undefined;
    } else if (f.name === 'limit') {
      const n = intFlag(cmd, 'limit', f.values[0], 1, Number.MAX_SAFE_INTEGER)!;
      if (pending) throw usageError(cmd, '--limit between --data and --task: put it after --task');
      if (data.length) data[data.length - 1].limit = n;
      else globalLimit = n;
    }
  }
  if (pending) throw usageError(cmd, `--data ${pending.join(' ')} has no --task (${TASK_CHOICES})`);
  const out = stringFlag(cmd, 'out', v.out);
  if (!out) throw usageError(cmd, '--out DIR is required');
  return {
    data,
    out,
    vocabSize: intFlag(cmd, 'vocab-size', v['vocab-size'], 16, 1 << 20),
    maxSource: intFlag(cmd, 'max-source', v['max-source'], 3, 4096),
    maxTarget: intFlag(cmd, 'max-target', v['max-target'], 2, 4096),
    limit: globalLimit,
    validFraction: numberFlag(cmd, 'valid-fraction', v['valid-fraction'], 0, 0.99),
    bothDirections: v['both-directions'] === true,
    tokenizerFrom: stringFlag(cmd, 'tokenizer', v.tokenizer),
    budget: {
      ratio: numberFlag(cmd, 'budget-ratio', v['budget-ratio'], 0.1, 10) ?? DEFAULT_TARGET_BUDGET.ratio,
      extra: intFlag(cmd, 'budget-extra', v['budget-extra'], 0, 64) ?? DEFAULT_TARGET_BUDGET.extra,
    },
  };
}

/** `diffuseq prepare …`; returns the exit code. */
export async function prepareMain(argv: string[], io: CommandIo = processIo(), signal?: AbortSignal): Promise<number> {
  return reportingErrors(io, async () => {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(PREPARE_USAGE + '\n');
      return 0;
    }
    const opts = parsePrepareArgs(argv);
    signal?.throwIfAborted();
    await prepare({ ...opts, log: (l) => io.stdout.write(l + '\n') });
    return 0;
  });
}
