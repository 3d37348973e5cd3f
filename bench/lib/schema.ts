/**
 * The result file of the benchmarks: `bench/results/<date>-<machine>.json`, one per machine and day, holding the
 * latest `speed` (npm run bench) and `quality` (npm run bench:quality) sections. Running either command again on
 * the same day replaces its own section and keeps the other.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { MachineInfo } from './machine';
import type { Summary } from './stats';

export const SCHEMA_VERSION = 1;

/** Overhead target of the issue: everything that is not the network ≤ 10 % of a rewrite. */
export const OVERHEAD_TARGET = 0.1;

export interface ModelInfo {
  dir: string;
  name: string;
  description?: string;
  /** Diffusion steps T the model was trained with (the DDPM reference runs all of them). */
  diffusionSteps?: number;
  parameters?: number;
  layers?: number;
  width?: number;
  dim?: number;
  vocabSize?: number;
  embeddingDtype?: string;
  selfConditioning?: boolean;
  denoiserBytes?: number;
  createdAt?: string;
  note?: string;
}

export type Stage = 'tokenize' | 'network' | 'solver' | 'rounding' | 'mbr' | 'total';
export const STAGES: readonly Stage[] = ['tokenize', 'network', 'solver', 'rounding', 'mbr', 'total'];

export interface RssInfo {
  /** RSS of the bare worker process before the engine was loaded (Node itself). */
  baselineMiB: number;
  /** RSS right after RewriteEngine.load. */
  afterLoadMiB: number;
  /** process.resourceUsage().maxRSS at the end of the worker: the peak over load and all rewrites. */
  peakMiB: number;
}

/** One measured configuration of the latency grid (or the DDPM reference). */
export interface ConfigResult {
  id: string;
  axes: string[];
  words: number;
  candidates: number;
  steps: number;
  sampler: 'dpm' | 'ddpm';
  order?: number;
  task: string;
  warmup: number;
  /** Wall-clock milliseconds per rewrite, measured around engine.rewrite(). */
  wallMs: Summary;
  /** Process CPU milliseconds (user + system, all threads) per rewrite: ≈ wall × threads when nothing competes. */
  cpuMs: Summary;
  /** Median of each stage of the engine's own timings (milliseconds). */
  stagesMs: Record<Stage, number>;
  /** Engine overhead per rewrite: 1 − network / total (everything but the denoiser network). */
  overhead: Summary;
  segments: number;
  executionProvider: string;
  /** Model load time of this configuration's worker (each configuration runs in a fresh process). */
  loadMs: number;
  rss: RssInfo;
  /** The raw per-rewrite samples the summaries were made from (rounded to 0.01 ms / 0.0001). */
  samples: { wallMs: number[]; cpuMs: number[]; overhead: number[]; network: number[]; total: number[] };
  /** How many worker processes the samples come from (`--rounds`). */
  workers?: number;
  warnings?: string[];
}

export interface ActivationResult {
  status: 'ok' | 'skipped' | 'failed';
  reason?: string;
  bundle?: { path: string; bytes: number; modified: string };
  /** The extension host it was measured in (bench/lib/activation.ts), e.g. "code-server 1.100.3". */
  host?: string;
  /** Evaluating dist/extension.js's entry module in the host (the extension's own marks). */
  moduleMs?: Summary;
  /** VS Code preparing the extension context between the module's evaluation and activate(): the host's work. */
  contextMs?: Summary;
  /** Time of activate(context). */
  activateMs?: Summary;
  /** The extension's own cost: module evaluation + activate() (results before 2026-12-06: require + activate). */
  totalMs?: Summary;
  /** Results before 2026-12-06, measured in plain Node with a stub `vscode`: time to require() dist/extension.js. */
  requireMs?: Summary;
  /** Results before 2026-12-06: what the stub saw the extension register (commands, etc.). */
  registered?: string[];
}

export interface SpeedResult {
  kind: 'speed';
  createdAt: string;
  durationS: number;
  command: string;
  model: ModelInfo;
  provider: string;
  executionProvider: string;
  threads?: number;
  settings: {
    task: string;
    warmup: number;
    minRepeats: number;
    maxRepeats: number;
    budgetPerConfigS: number;
    noisySpread: number;
    grid: string;
    rounds: number;
  };
  machine: MachineInfo;
  /** Model load time over all workers (one per configuration). */
  loadMs: Summary;
  activation: ActivationResult;
  configs: ConfigResult[];
  defaultId: string;
  overhead: {
    target: number;
    /** Median overhead at the default configuration. */
    atDefault: number;
    /** Largest median overhead over the grid and the configuration it belongs to. */
    worst: number;
    worstId: string;
    pass: boolean;
  };
  reference?: {
    /** The same input, DPM-Solver++ at the default steps and DDPM at T steps, measured in one worker. */
    words: number;
    candidates: number;
    dpm: ConfigResult;
    ddpm: ConfigResult;
    /** ddpm median / dpm median, and the bounds from the two min–max ranges. */
    speedup: { ratio: number; low: number; high: number };
    /** The same from process CPU time, which other work on a shared machine disturbs less than wall time. */
    speedupCpu?: { ratio: number; low: number; high: number };
  };
  throughput?: {
    file: string;
    sentences: number;
    candidates: number;
    steps: number;
    /** One engine.rewrite() per sentence, one after another (as the editor does); model load excluded. */
    sequential: { seconds: number; sentencesPerSecond: number };
    /** rewriteBatch() on 16 sources at a time, sorted by length, as the eval command does (equal-length sources share
     *  network calls); load excluded. */
    batch?: { seconds: number; sentencesPerSecond: number };
    peakRssMiB: number;
  };
  /** The eval command over the same sentences, timed from outside: process start, model load and scoring included. */
  evalThroughput?: {
    command: string;
    sentences: number;
    /** Whole command. */
    seconds: number;
    sentencesPerSecond: number;
    /** The report's own timing.wallSeconds: rewriting only (no process start, load or scoring). */
    rewriteSeconds?: number;
    rewriteSentencesPerSecond?: number;
    status: 'ok' | 'failed' | 'skipped';
    reason?: string;
  };
  /** Peak RSS over all workers. */
  peakRssMiB: number;
  notes: string[];
}

export interface QualityRun {
  task: string;
  sampler: 'dpm' | 'ddpm';
  steps: number;
  candidates: number;
  /** Sentences evaluated (the --limit actually used). */
  limit: number;
  /** 'sweep': the steps × candidates grid; 'reference': DPM and DDPM on the smaller reference subset. */
  set: 'sweep' | 'reference';
  bleu?: number;
  /** Self-BLEU among the candidates of a source, averaged (only meaningful with ≥ 2 candidates). */
  selfBleu?: number;
  /** Any further metrics the eval command reports (rouge, sari, div4, length…). */
  metrics: Record<string, number>;
  seconds: number;
  sentencesPerSecond?: number;
  status: 'ok' | 'failed';
  error?: string;
}

export interface QualityResult {
  kind: 'quality';
  createdAt: string;
  durationS: number;
  command: string;
  model: ModelInfo;
  provider: string;
  machine: MachineInfo;
  settings: {
    limit: number;
    referenceLimit: number;
    steps: number[];
    candidates: number[];
    referenceCandidates: number;
    tasks: Record<string, string>;
  };
  runs: QualityRun[];
  notes: string[];
}

export interface ResultFile {
  schemaVersion: number;
  date: string;
  machine: string;
  speed?: SpeedResult;
  quality?: QualityResult;
}

export function resultFileName(date: string, machineSlug: string): string {
  return `${date}-${machineSlug}.json`;
}

/** Reads a result file, or an empty one for that date and machine when it does not exist. */
export function readResultFile(file: string, date: string, machine: string): ResultFile {
  if (!fs.existsSync(file)) {
    return { schemaVersion: SCHEMA_VERSION, date, machine };
  }
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ResultFile;
  validateResultFile(parsed, file);
  return parsed;
}

/** Writes the `speed` or `quality` section into the day's file for the machine; returns the file path. */
export function writeSection(dir: string, date: string, machine: string, section: SpeedResult | QualityResult): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, resultFileName(date, machine));
  const current = readResultFile(file, date, machine);
  const next: ResultFile = { ...current, schemaVersion: SCHEMA_VERSION, date, machine };
  if (section.kind === 'speed') {
    next.speed = section;
  } else {
    next.quality = section;
  }
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/** Throws with the file name and the first problem when `x` is not a result file this code can read. */
export function validateResultFile(x: unknown, where = 'result file'): asserts x is ResultFile {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof x !== 'object' || x === null) fail('not a JSON object');
  const o = x as Record<string, unknown>;
  if (o.schemaVersion !== SCHEMA_VERSION) fail(`schemaVersion ${String(o.schemaVersion)} (this code reads ${SCHEMA_VERSION})`);
  if (typeof o.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(o.date)) fail('date must be YYYY-MM-DD');
  if (typeof o.machine !== 'string' || !o.machine) fail('machine missing');
  if (o.speed !== undefined) {
    const s = o.speed as Record<string, unknown>;
    if (s.kind !== 'speed') fail('speed.kind must be "speed"');
    if (!Array.isArray(s.configs)) fail('speed.configs must be an array');
    if (typeof s.defaultId !== 'string') fail('speed.defaultId missing');
  }
  if (o.quality !== undefined) {
    const q = o.quality as Record<string, unknown>;
    if (q.kind !== 'quality') fail('quality.kind must be "quality"');
    if (!Array.isArray(q.runs)) fail('quality.runs must be an array');
  }
}

/** All result files in `dir`, newest date first (unreadable or foreign JSON files are skipped with a warning). */
export function listResultFiles(dir: string, warn: (m: string) => void = () => {}): Array<{ file: string; data: ResultFile }> {
  if (!fs.existsSync(dir)) {
    return [];
  }
  const out: Array<{ file: string; data: ResultFile }> = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!/^\d{4}-\d{2}-\d{2}-.+\.json$/.test(name)) continue;
    const file = path.join(dir, name);
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8'));
      validateResultFile(data, name);
      out.push({ file, data });
    } catch (e) {
      warn(`skipping ${name}: ${(e as Error).message}`);
    }
  }
  return out.sort((a, b) => (a.data.date < b.data.date ? 1 : a.data.date > b.data.date ? -1 : a.file.localeCompare(b.file)));
}
