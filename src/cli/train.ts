/**
 * `diffuseq train`: its usage, its parser and its entry point, which starts the runner (src/trainer/runner.ts),
 * shows the progress (src/trainer/trainProgress.ts) and turns Ctrl-C, SIGTERM and the abort signal into a stop
 * that writes a checkpoint first.
 */
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
import { type TrainOptions, startTraining } from '../trainer/runner';
import { ProgressDisplay, quoteArg } from '../trainer/trainProgress';
import type { TrainEvent } from '../trainer/trainProtocol';

export const TRAIN_USAGE = `usage: diffuseq train --config FILE.json [--data DIR] [--out DIR] [--resume CKPT | --init PACKAGE] [--overwrite] [--max-steps N] [--max-minutes M] [--gpus N] [--verbose]
  An --out folder that already holds a checkpoint is refused: --resume DIR/ckpt.pt continues that run, --overwrite
  replaces it. --verbose prints the trainer's traceback of a failure.
  --init models/default starts from a model package's weights (the data must be prepared with its tokenizer:
  diffuseq prepare --tokenizer models/default …).
  Ctrl-C (or SIGTERM) stops the run after writing a checkpoint; the command to resume is printed.
  DIFFUSEQ_PYTHON=/path/to/python picks the Python (it must have torch).`;

const TRAIN_OPTIONS = {
  config: { type: 'string' },
  data: { type: 'string' },
  out: { type: 'string' },
  resume: { type: 'string' },
  init: { type: 'string' },
  'max-steps': { type: 'string' },
  'max-minutes': { type: 'string' },
  gpus: { type: 'string' },
  overwrite: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses `diffuseq train` arguments into the runner's TrainOptions. */
export function parseTrainArgs(argv: string[]): TrainOptions {
  const { values: v, positionals } = parseCommandLine('train', argv, TRAIN_OPTIONS);
  if (positionals.length) throw usageError('train', `unexpected argument ${JSON.stringify(positionals[0])} (see diffuseq train --help)`);
  const config = stringFlag('train', 'config', v.config);
  if (!config) throw usageError('train', '--config FILE.json is required\n' + TRAIN_USAGE);
  const init = stringFlag('train', 'init', v.init);
  const resume = stringFlag('train', 'resume', v.resume);
  if (init && resume) throw usageError('train', '--init starts a new run from a package and --resume continues a run: give one');
  return {
    init,
    config,
    data: stringFlag('train', 'data', v.data),
    out: stringFlag('train', 'out', v.out),
    resume,
    maxSteps: intFlag('train', 'max-steps', v['max-steps'], 1, Number.MAX_SAFE_INTEGER),
    maxMinutes: numberFlag('train', 'max-minutes', v['max-minutes'], 0),
    gpus: intFlag('train', 'gpus', v.gpus, 1, 1024),
    ...(v.overwrite === true ? { overwrite: true } : {}),
    ...(v.verbose === true ? { verbose: true } : {}),
  };
}

/** The `diffuseq train …` command line without --resume (for the resume hint). */
function resumeCommandOf(argv: string[]): string {
  const out: string[] = ['diffuseq', 'train'];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--resume') {
      i++;
      continue;
    }
    if (argv[i].startsWith('--resume=')) continue;
    out.push(quoteArg(argv[i]));
  }
  return out.join(' ');
}

/**
 * `diffuseq train …`; returns the exit code (130 when stopped by a signal). Ctrl-C, SIGTERM and `signal` stop
 * the run the same way: the trainer writes a checkpoint first.
 */
export async function trainMain(
  argv: string[],
  io: CommandIo & { trainerRoot?: string } = processIo(),
  signal?: AbortSignal,
): Promise<number> {
  return reportingErrors(io, () => trainBody(argv, io, signal));
}

async function trainBody(argv: string[], io: CommandIo & { trainerRoot?: string }, signal?: AbortSignal): Promise<number> {
  const { stdout, stderr } = io;
  if (argv.includes('--help') || argv.includes('-h')) {
    stdout.write(TRAIN_USAGE + '\n');
    return 0;
  }
  const opts = parseTrainArgs(argv);
  opts.trainerRoot = io.trainerRoot ?? opts.trainerRoot;
  opts.env = io.env ?? process.env;
  const run = startTraining(opts);
  const display = new ProgressDisplay(
    (s) => stdout.write(s),
    {
      tty: !!stdout.isTTY && opts.env.DIFFUSEQ_PROGRESS !== 'lines',
      columns: stdout.columns,
      resumeCommand: resumeCommandOf(argv),
    },
    (s) => stderr.write(s),
  );
  run.on('event', (ev: TrainEvent) => display.handle(ev));
  const onSignal = (sig: NodeJS.Signals) => run.stop(sig === 'SIGHUP' ? 'SIGTERM' : sig);
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of sigs) process.on(s, onSignal);
  const onAbort = () => run.stop('SIGINT');
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const summary = await run.result;
    if (summary.status === 'done') return 0;
    if (summary.status === 'stopped') return 130;
    return summary.exitCode && summary.exitCode !== 0 ? summary.exitCode : 1;
  } finally {
    for (const s of sigs) process.off(s, onSignal);
    signal?.removeEventListener('abort', onAbort);
  }
}
