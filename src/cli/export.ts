/** `diffuseq export`: its usage, its parser and its entry point (export, or --verify-only the parity check). */
import * as path from 'path';
import { type CommandIo, numberFlag, parseCommandLine, processIo, reportingErrors, stringFlag, usageError } from '../common/commandLine';
import { TOLERANCE_FLOAT16, TOLERANCE_FLOAT32, exportModel, verifyAndRecordParity } from '../trainer/export';

export const EXPORT_USAGE = `usage: diffuseq export --checkpoint RUN_DIR|CKPT --out models/NAME [--fp16] [--tolerance X] [--name N] [--description D] [--note N] [--data PREP_DIR]
       diffuseq export --verify-only --out models/NAME      (re-run the parity check on an exported folder with parity/)
  float32 tolerance ${TOLERANCE_FLOAT32}, fp16 ${TOLERANCE_FLOAT16} (max abs diff of the denoiser's x0); rounding tokens must agree exactly.`;

const EXPORT_OPTIONS = {
  checkpoint: { type: 'string' },
  out: { type: 'string' },
  fp16: { type: 'boolean' },
  tolerance: { type: 'string' },
  'verify-only': { type: 'boolean' },
  name: { type: 'string' },
  description: { type: 'string' },
  note: { type: 'string' },
  data: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function exportMain(argv: string[], io: CommandIo = processIo(), signal?: AbortSignal): Promise<number> {
  return reportingErrors(io, () => exportBody(argv, io, signal));
}

async function exportBody(argv: string[], io: CommandIo, signal?: AbortSignal): Promise<number> {
  const log = (s: string) => io.stdout.write(s + '\n');
  if (argv.includes('--help') || argv.includes('-h')) {
    log(EXPORT_USAGE);
    return 0;
  }
  const cmd = 'export';
  const { values: v, positionals } = parseCommandLine(cmd, argv, EXPORT_OPTIONS);
  if (positionals.length) throw usageError(cmd, `unexpected argument ${JSON.stringify(positionals[0])} (see diffuseq export --help)`);
  // Passed to the Python exporter as is.
  const extraArgs: string[] = [];
  for (const k of ['name', 'description', 'note', 'data'] as const) {
    const val = stringFlag(cmd, k, v[k]);
    if (val !== undefined) extraArgs.push(`--${k}`, k === 'data' ? path.resolve(val) : val);
  }
  const out = stringFlag(cmd, 'out', v.out);
  if (!out) throw usageError(cmd, '--out DIR is required\n' + EXPORT_USAGE);
  const tolerance = numberFlag(cmd, 'tolerance', v.tolerance, 0);
  if (v['verify-only'] === true) {
    await verifyAndRecordParity(out, { tolerance, log });
    return 0;
  }
  const checkpoint = stringFlag(cmd, 'checkpoint', v.checkpoint);
  if (!checkpoint) throw usageError(cmd, '--checkpoint CKPT is required\n' + EXPORT_USAGE);
  signal?.throwIfAborted();
  await exportModel({ checkpoint, out, fp16: v.fp16 === true, tolerance, log, env: io.env, extraArgs });
  log(`exported ${out} (parity recorded in manifest.json)`);
  return 0;
}
