/**
 * How a training run looks in a terminal or a log: the step line, the eval/checkpoint lines, and the closing
 * summary. Pure formatting plus `ProgressDisplay`, which writes through the functions it is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { StepEvent, TrainEvent, TrainSummary } from './trainProtocol';

// ---------------------------------------------------------------------------------------------------------------
// Progress display

function fmtNum(x: number | undefined, digits = 4): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return x.toFixed(digits);
}

function fmtRate(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/** `1h05m`, `3m07s`, `42s`; `?` for a negative or unknown time. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m${String(r).padStart(2, '0')}s`;
  return `${r}s`;
}

/** One line describing a step event. */
export function formatStep(e: StepEvent): string {
  const pct = e.steps ? ` ${((100 * e.step) / e.steps).toFixed(0).padStart(3)}%` : '';
  const parts = [`step ${e.step}/${e.steps}${pct}`, `loss ${fmtNum(e.loss)}`];
  const sub: string[] = [];
  if (e.mse !== undefined) sub.push(`mse ${fmtNum(e.mse)}`);
  if (e.tT !== undefined) sub.push(`tT ${fmtNum(e.tT)}`);
  if (e.nll !== undefined) sub.push(`nll ${fmtNum(e.nll)}`);
  if (sub.length) parts[1] += ` (${sub.join(' ')})`;
  if (e.lr !== undefined) parts.push(`lr ${e.lr.toExponential(1)}`);
  if (e.tokensPerSec !== undefined) parts.push(`${fmtRate(e.tokensPerSec)} tok/s`);
  if (e.gflopsPerSec !== undefined) parts.push(`${e.gflopsPerSec.toFixed(0)} GFLOP/s`);
  const time: string[] = [];
  if (e.elapsed !== undefined) time.push(formatDuration(e.elapsed));
  if (e.eta !== undefined) time.push(`ETA ${formatDuration(e.eta)}`);
  if (time.length) parts.push(time.join(' '));
  return parts.join(' | ');
}

export interface ProgressOptions {
  /** Rewrite one line in place (TTY) or print one line per `every` steps. */
  tty: boolean;
  /** Non-TTY: print a step line every this many steps (default: about 100 lines per run). */
  every?: number;
  /** Terminal width for the TTY line (default: the stream's columns or 120). */
  columns?: number;
  /** TTY: at most one redraw per this many milliseconds (default 250). */
  minIntervalMs?: number;
  /** The command to show for resuming (without --resume). */
  resumeCommand?: string;
}

/** Turns TrainEvents into terminal output. */
export class ProgressDisplay {
  private lineShown = false;
  private lastDraw = 0;
  private lastPrintedStep = -1;
  private pendingStep?: StepEvent;

  /**
   * @param write writes to the progress stream (stdout)
   * @param writeErr where the trainer's stderr lines go (default: the progress stream)
   */
  constructor(
    private readonly write: (s: string) => void,
    private readonly opts: ProgressOptions,
    private readonly writeErr: (s: string) => void = write,
  ) {}

  private clearLine(): void {
    if (this.lineShown) {
      this.write('\r\x1b[K');
      this.lineShown = false;
    }
  }

  /** Prints a full line (above the progress line on a TTY). */
  println(s: string, toErr = false): void {
    this.clearLine();
    (toErr ? this.writeErr : this.write)(s + '\n');
    if (this.opts.tty && this.pendingStep) this.draw(this.pendingStep, true);
  }

  private draw(e: StepEvent, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < (this.opts.minIntervalMs ?? 250) && e.step !== e.steps) return;
    this.lastDraw = now;
    const cols = Math.max(20, (this.opts.columns ?? 120) - 1);
    let s = formatStep(e);
    if (s.length > cols) s = s.slice(0, cols - 1) + '…';
    this.write('\r\x1b[K' + s);
    this.lineShown = true;
  }

  handle(ev: TrainEvent): void {
    switch (ev.event) {
      case 'start': {
        const cfg = ev.config as { name?: string; train?: { steps?: number } };
        this.println(
          `training ${cfg?.name ?? ''} on ${ev.device}${ev.world > 1 ? ` ×${ev.world}` : ''}, ${fmtRate(ev.parameters)} parameters`.replace(
            '  ',
            ' ',
          ),
        );
        const how = [
          ev.dtype ? `dtype ${String(ev.dtype)}${ev.dtypeReason ? ` (${String(ev.dtypeReason)})` : ''}` : '',
          ev.allocator ? `allocator ${String(ev.allocator)}` : '',
          ev.threads ? `${String(ev.threads)} threads` : '',
        ].filter(Boolean);
        if (how.length) this.println(`  ${how.join(', ')}`);
        break;
      }
      case 'step': {
        if (this.opts.tty) {
          this.pendingStep = ev;
          this.draw(ev);
        } else {
          const every = this.opts.every ?? Math.max(1, Math.ceil((ev.steps || 100) / 100));
          if (this.lastPrintedStep < 0 || Math.floor(ev.step / every) > Math.floor(this.lastPrintedStep / every) || ev.step === ev.steps) {
            this.lastPrintedStep = ev.step;
            this.write(formatStep(ev) + '\n');
          }
        }
        break;
      }
      case 'eval': {
        const parts = [`eval @ step ${ev.step}:`];
        if (ev.validLoss !== undefined) parts.push(`valid loss ${fmtNum(ev.validLoss)}`);
        if (ev.validBleu !== undefined) parts.push(`valid BLEU ${fmtNum(ev.validBleu)}`);
        for (const [k, v] of Object.entries(ev)) {
          if (!['event', 'step', 'validLoss', 'validBleu'].includes(k) && typeof v === 'number') parts.push(`${k} ${fmtNum(v)}`);
        }
        this.println(parts.join(' '));
        break;
      }
      case 'checkpoint':
        this.println(`checkpoint @ step ${ev.step}: ${ev.path}`);
        break;
      case 'done':
        this.println(`done @ step ${ev.step}: ${ev.checkpoint}`);
        break;
      case 'error':
        this.println(`trainer error: ${ev.message}`);
        break;
      case 'output':
        this.println(ev.line, ev.stream === 'stderr');
        break;
      case 'signal':
        this.println(
          ev.forwarded
            ? `${ev.signal} sent to the trainer; waiting for it to write a checkpoint…${ev.signal === 'SIGKILL' ? ' (killed, no checkpoint)' : ''}`
            : 'still writing the checkpoint; press Ctrl-C again to kill the trainer without one',
        );
        break;
      case 'exit':
        this.pendingStep = undefined;
        this.clearLine();
        for (const l of formatSummary(ev.summary, this.opts.resumeCommand)) this.write(l + '\n');
        break;
    }
  }
}

/** The final lines printed after a run. */
export function formatSummary(s: TrainSummary, resumeCommand?: string): string[] {
  const lines: string[] = [];
  const first = s.firstStep;
  const last = s.lastStep;
  const evalLast = s.evals[s.evals.length - 1];
  const status = s.status === 'done' ? 'finished' : s.status === 'stopped' ? 'stopped' : 'FAILED';
  lines.push(`training ${status} after ${formatDuration(s.wallSeconds)}${last ? ` at step ${last.step}/${last.steps}` : ''}`);
  if (first && last) lines.push(`  loss ${fmtNum(first.loss)} (step ${first.step}) → ${fmtNum(last.loss)} (step ${last.step})`);
  if (s.steps.length) {
    const rates = s.steps.map((e) => e.tokensPerSec).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (rates.length)
      lines.push(`  throughput ${fmtRate(rates.reduce((a, b) => a + b, 0) / rates.length)} tokens/s (mean of ${rates.length} reports)`);
    const flops = s.steps.map((e) => e.gflopsPerSec).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
    if (flops.length)
      lines.push(`  achieved ${(flops.reduce((a, b) => a + b, 0) / flops.length).toFixed(0)} GFLOP/s (model FLOPs, forward + backward)`);
  }
  if (evalLast)
    lines.push(`  last eval @ ${evalLast.step}: valid loss ${fmtNum(evalLast.validLoss)}, valid BLEU ${fmtNum(evalLast.validBleu)}`);
  if (s.error && s.status === 'failed') {
    lines.push(`  error: ${s.error}`);
    const tail = s.stderrTail.slice(-8);
    if (tail.length && !s.error.includes(tail[tail.length - 1])) lines.push('  last trainer output:', ...tail.map((l) => '    ' + l));
  }
  if (s.checkpoint) {
    lines.push(`  checkpoint: ${s.checkpoint}`);
    if (s.status !== 'done') {
      lines.push(`  resume with: ${resumeCommand ?? 'diffuseq train --config CONFIG'} --resume ${quoteArg(s.checkpoint)}`);
    }
    const weights = path.join(path.dirname(s.checkpoint), 'weights.pt');
    const exportFrom = s.status === 'done' && fs.existsSync(weights) ? weights : s.checkpoint;
    lines.push(`  export with: diffuseq export --checkpoint ${quoteArg(exportFrom)} --out models/NAME`);
  } else if (s.status !== 'done') {
    lines.push('  no checkpoint was written');
  }
  return lines;
}

export function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
