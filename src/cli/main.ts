/**
 * The `diffuseq` command (bin/diffuseq.js). Every failure is one line on stderr and a non-zero exit code, never a
 * stack trace (set DIFFUSEQ_DEBUG=1 to see one).
 */
import { type CliIo, UsageError } from './common';

export const MAIN_HELP = `usage: diffuseq <command> [options]

commands:
  rewrite   rewrite a text (paraphrase or simplify) with the local model      diffuseq rewrite --help
  eval      evaluate the model on a .jsonl file (BLEU, ROUGE-L, SARI, ...)    diffuseq eval --help
  prepare   tokenize training data for the trainer                           diffuseq prepare --help
  train     train a model (Python/PyTorch trainer)                           diffuseq train --help
  export    export a trained checkpoint as a model package                    diffuseq export --help

The model is --model DIR, else $DIFFUSEQ_MODEL, else models/default in this package.
`;

type Entry = (argv: string[], io: CliIo, signal?: AbortSignal) => Promise<number>;

/** Commands implemented by the trainer (src/trainer): module, exported function. */
const TRAINER_COMMANDS: Record<string, { module: string; fn: string }> = {
  prepare: { module: '../trainer/prepare', fn: 'prepareMain' },
  train: { module: '../trainer/runner', fn: 'trainMain' },
  export: { module: '../trainer/export', fn: 'exportMain' },
};

function loadTrainerCommand(command: string): Entry {
  const spec = TRAINER_COMMANDS[command];
  let mod: Record<string, unknown>;
  try {
    // Loaded lazily: `rewrite` and `eval` must not pay for (or depend on) the trainer's modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(spec.module) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((e as Error).message).includes(spec.module.slice(3))) {
      throw new CliFailure(`diffuseq ${command} is not available in this build (${spec.module.slice(3)}.ts is missing)`, 1);
    }
    throw e;
  }
  const fn = mod[spec.fn] ?? mod.main;
  if (typeof fn !== 'function') {
    throw new CliFailure(`diffuseq ${command} is not available in this build (${spec.module.slice(3)} has no ${spec.fn})`, 1);
  }
  return (argv) => (fn as (argv: string[]) => Promise<number>)(argv);
}

class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Runs `diffuseq <argv>` and returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo(), signal?: AbortSignal): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(MAIN_HELP);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.stdout.write(`${version()}\n`);
        return 0;
      case 'rewrite':
        return await (await import('./rewrite')).rewriteMain(rest, io, signal);
      case 'eval':
        return await (await import('./eval')).evalMain(rest, io, signal);
      case 'prepare':
      case 'train':
      case 'export':
        return await loadTrainerCommand(command)(rest, io, signal);
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (rewrite, eval, prepare, train, export; see diffuseq --help)`);
    }
  } catch (e) {
    return reportError(e, io);
  }
}

/** One line for the user; the exit code. */
export function reportError(e: unknown, io: CliIo): number {
  const env = io.env ?? process.env;
  if (env.DIFFUSEQ_DEBUG && e instanceof Error && e.stack) {
    io.stderr.write(`${e.stack}\n`);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  const oneLine = (s: string) => s.split('\n')[0].trim();
  let msg = oneLine(err.message);
  let code = 1;
  if (err.name === 'AbortError') {
    msg = 'cancelled';
    code = 130;
  } else if (typeof (err as { exitCode?: unknown }).exitCode === 'number') {
    code = (err as unknown as { exitCode: number }).exitCode;
  }
  if (!msg.startsWith('diffuseq')) {
    msg = `diffuseq: ${msg}`;
  }
  io.stderr.write(`${msg}\n`);
  return code;
}

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { packageRoot } = require('./common') as typeof import('./common');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${packageRoot()}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Entry point of bin/diffuseq.js: Ctrl-C cancels a running rewrite/eval cleanly (exit 130). */
export function run(argv: string[] = process.argv.slice(2)): void {
  const ac = new AbortController();
  // The trainer's commands handle SIGINT themselves (the trainer writes a checkpoint first).
  const ours = argv[0] === 'rewrite' || argv[0] === 'eval';
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) {
      process.exit(130);
    }
    interrupted = true;
    ac.abort();
  };
  if (ours) {
    process.on('SIGINT', onSigint);
  }
  main(argv, defaultIo(), ac.signal)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((e) => {
      process.exitCode = reportError(e, defaultIo());
    })
    .finally(() => {
      process.off('SIGINT', onSigint);
    });
}
