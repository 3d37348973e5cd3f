/**
 * Which machine a figure was measured on: a short slug for file names and a description for the report.
 */
import * as os from 'os';
import * as fs from 'fs';
import { execFileSync } from 'child_process';

/**
 * A short file-name slug from a CPU model string and a core count, e.g.
 * `"Intel(R) Core(TM) i7-9750H CPU @ 2.60GHz"`, 12 → `"intel-core-i7-9750h-12c"`; `"AMD EPYC"`, 2 → `"amd-epyc-2c"`.
 * Trademark marks, clock speeds and filler words ("CPU", "Processor", "n-Core") are dropped.
 */
export function machineSlug(cpuModel: string, cores: number): string {
  let s = cpuModel.toLowerCase();
  s = s.replace(/\((r|tm|c)\)/g, ' ');
  s = s.replace(/@\s*[\d.]+\s*[gm]hz/g, ' ');
  s = s.replace(/\b[\d.]+\s*[gm]hz\b/g, ' ');
  s = s.replace(/\b(cpu|processor|with radeon graphics|radeon graphics|\d+-core|\w+-core)\b/g, ' ');
  s = s.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (s.length > 32) {
    s = s.slice(0, 32).replace(/-+$/, '');
  }
  if (!s) {
    s = 'cpu';
  }
  return `${s}-${cores}c`;
}

/** The `YYYY-MM-DD` date (local time) used in result file names. */
export function dateStamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export interface MachineInfo {
  /** `machineSlug(cpuModel, cores)`, plus `-<gpu slug>` when the run used a GPU provider. */
  slug: string;
  cpuModel: string;
  cores: number;
  totalMemoryGiB: number;
  platform: string;
  arch: string;
  release: string;
  node: string;
  onnxruntime?: string;
  /** GPU name(s) from nvidia-smi, when present. */
  gpus?: string[];
  /** os.loadavg() when the run started and ended: a load near or above `cores` means other work competed. */
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

/** Names of NVIDIA GPUs via nvidia-smi, or undefined when there is none (or no driver). */
export function nvidiaGpus(): string[] | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    });
    const names = out
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return names.length > 0 ? names : undefined;
  } catch {
    return undefined;
  }
}

function onnxruntimeVersion(root: string): string | undefined {
  try {
    const pkg = JSON.parse(fs.readFileSync(`${root}/node_modules/onnxruntime-node/package.json`, 'utf8'));
    return String(pkg.version);
  } catch {
    return undefined;
  }
}

/** Describes this machine. With a GPU provider the slug gets the GPU's name so CPU and GPU files do not collide. */
export function machineInfo(root: string, provider = 'cpu'): MachineInfo {
  const cpus = os.cpus();
  const cpuModel = cpus.length > 0 ? cpus[0].model.trim() : 'unknown';
  const cores = cpus.length;
  let slug = machineSlug(cpuModel, cores);
  const gpus = provider !== 'cpu' ? nvidiaGpus() : undefined;
  if (provider !== 'cpu') {
    const gpuSlug =
      gpus && gpus.length > 0
        ? gpus[0]
            .toLowerCase()
            .replace(/nvidia|geforce/g, ' ')
            .replace(/[^a-z0-9]+/g, '-')
            .replace(/^-+|-+$/g, '')
            .slice(0, 24)
        : '';
    slug = `${slug}-${provider}${gpuSlug ? `-${gpuSlug}` : ''}`;
  }
  return {
    slug,
    cpuModel,
    cores,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: os.platform(),
    arch: os.arch(),
    release: os.release(),
    node: process.version,
    onnxruntime: onnxruntimeVersion(root),
    gpus,
    loadAverageStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
