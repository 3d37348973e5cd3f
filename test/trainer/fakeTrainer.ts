/**
 * A fake "python" for the runner's and `diffuseq train`'s tests: answers the torch probe, and for
 * `-m diffuseq_trainer.train` prints protocol lines.
 */
import * as fs from 'fs';
import * as path from 'path';

/**
 * FAKE_MODE=normal: a short run that ends with done; FAKE_MODE=sigint: steps until SIGINT, then a checkpoint
 * and exit 130 (like the real trainer); FAKE_MODE=crash: an error event and exit 1.
 */
export const FAKE_PYTHON = `#!${process.execPath}
const fs = require('fs');
const args = process.argv.slice(2);
if (args[0] === '-c') { console.log(JSON.stringify({ torch: '0.0-fake', version: '3.99', cuda: false })); process.exit(0); }
if (process.env.FAKE_ARGS_FILE) fs.writeFileSync(process.env.FAKE_ARGS_FILE, JSON.stringify({ args, pythonpath: process.env.PYTHONPATH, preload: process.env.LD_PRELOAD ?? null, tunables: process.env.GLIBC_TUNABLES ?? null }));
const emit = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const mode = process.env.FAKE_MODE || 'normal';
emit({ event: 'start', config: { name: 'fake' }, device: 'cpu', parameters: 12345, world: 1 });
process.stderr.write('some warning on stderr\\n');
console.log('stray stdout text');
if (mode === 'normal') {
  for (let s = 10; s <= 100; s += 10) emit({ event: 'step', step: s, steps: 100, loss: 2 - s / 100, mse: 1, tT: 0.1, nll: 0.5, lr: 1e-3, tokensPerSec: 1000 + s, elapsed: s / 10, eta: (100 - s) / 10 });
  emit({ event: 'eval', step: 100, validLoss: 0.9, validBleu: 12.5 });
  emit({ event: 'checkpoint', step: 100, path: '/tmp/fake-run/ckpt.pt' });
  emit({ event: 'done', step: 100, checkpoint: '/tmp/fake-run/ckpt.pt' });
  process.exit(0);
} else if (mode === 'crash') {
  emit({ event: 'error', message: 'CUDA out of memory (fake)' });
  process.exit(1);
} else {
  let step = 0, sigints = 0, stopping = false;
  const timer = setInterval(() => { step++; emit({ event: 'step', step, steps: 100000, loss: 1, tokensPerSec: 10, elapsed: step, eta: 1e5 - step }); }, 20);
  process.on('SIGINT', () => {
    sigints++;
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    setTimeout(() => {
      emit({ event: 'checkpoint', step, path: '/tmp/fake run/ckpt.pt', sigints });
      process.stderr.write('sigints received: ' + sigints + '\\n');
      process.exit(130);
    }, 400);
  });
  process.on('SIGTERM', () => process.exit(143));
}
`;

/** Writes the fake python (executable) and a config file into `dir`. */
export function writeFakeTrainer(dir: string): { fake: string; config: string } {
  const fake = path.join(dir, 'fake-python');
  fs.writeFileSync(fake, FAKE_PYTHON, { mode: 0o755 });
  const config = path.join(dir, 'cfg.json');
  fs.writeFileSync(config, JSON.stringify({ name: 'fake' }));
  return { fake, config };
}
