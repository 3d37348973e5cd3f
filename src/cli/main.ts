/**
 * The `diffuseq` command (bin/diffuseq.js). Every failure is one line on stderr and a non-zero exit code, never a
 * stack trace (set DIFFUSEQ_DEBUG=1 to see one).
 */
import { type CommandIo, USAGE_EXIT, UserError, processIo, reportError } from '../common/commandLine';
import { guardStandardStreams } from '../common/outputFile';

export const MAIN_HELP = `usage: diffuseq <command> [options]

commands:
  rewrite   rewrite a text (paraphrase or simplify) with the local model      diffuseq rewrite --help
  eval      evaluate the model on a .jsonl file (BLEU, ROUGE-L, SARI, ...)    diffuseq eval --help
  prepare   tokenize training data for the trainer                           diffuseq prepare --help
  train     train a model (Python/PyTorch trainer)                           diffuseq train --help
  export    export a trained checkpoint as a model package                    diffuseq export --help

The model is --model DIR, else $DIFFUSEQ_MODEL, else models/default in this package.
`;

type Entry = (argv: string[], io: CommandIo, signal?: AbortSignal) => Promise<number>;

/**
 * The commands, each loaded when it runs: `rewrite` and `eval` must not pay for (or depend on) the trainer's
 * modules, nor the trainer's commands for the engine.
 */
const COMMANDS: Record<string, () => Promise<Entry>> = {
  rewrite: async () => (await import('./rewrite')).rewriteMain,
  eval: async () => (await import('./eval')).evalMain,
  prepare: async () => (await import('./prepare')).prepareMain,
  train: async () => (await import('./train')).trainMain,
  export: async () => (await import('./export')).exportMain,
};

/** Runs `diffuseq <argv>` and returns the exit code. */
export async function main(argv: string[], io: CommandIo = processIo(), signal?: AbortSignal): Promise<number> {
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
      default: {
        const load = COMMANDS[command];
        if (!load) {
          throw new UserError(
            `diffuseq: unknown command ${JSON.stringify(command)} (${Object.keys(COMMANDS).join(', ')}; see diffuseq --help)`,
            USAGE_EXIT,
          );
        }
        return await (
          await load()
        )(rest, io, signal);
      }
    }
  } catch (e) {
    return reportError(e, io);
  }
}

function version(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { packageRoot } = require('./loadModel') as typeof import('./loadModel');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`${packageRoot()}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Entry point of bin/diffuseq.js: Ctrl-C cancels a running rewrite/eval cleanly (exit 130). */
export function run(argv: string[] = process.argv.slice(2)): void {
  guardStandardStreams();
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
  main(argv, processIo(), ac.signal)
    .then((code) => {
      process.exitCode = code;
    })
    .catch((e) => {
      process.exitCode = reportError(e, processIo());
    })
    .finally(() => {
      process.off('SIGINT', onSigint);
    });
}
