/**
 * Is there a Python with PyTorch? The one probe of the project: the CLI's training commands (synchronously,
 * `probePythonSync`, through src/trainer/pythonEnv.ts) and the extension before it launches training (`probePython`,
 * asynchronous so the extension host never blocks) try the same Pythons with the same script and describe a
 * failure the same way. Tries $DIFFUSEQ_PYTHON alone when set, else python3 then /usr/bin/python3 (python and py
 * on Windows). No vscode: the caller shows the message.
 */
import { execFile, spawnSync } from 'node:child_process';

export interface ProbeAttempt {
  python: string;
  ok: boolean;
  /** Why it failed: not found, no torch, timeout… (one line). */
  error?: string;
}

export interface ProbeOk {
  ok: true;
  python: string;
  pythonVersion: string;
  torch: string;
  cuda: boolean;
  attempts: ProbeAttempt[];
}

export interface ProbeFailed {
  ok: false;
  attempts: ProbeAttempt[];
  /** The message to show: what was tried and the install line. */
  message: string;
}

export type ProbeResult = ProbeOk | ProbeFailed;

export type ExecFn = (
  file: string,
  args: string[],
  opts: { timeoutMs: number; env: NodeJS.ProcessEnv },
) => Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException }>;

export const PROBE_SCRIPT =
  'import json, sys\n' +
  'import torch\n' +
  'print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "cuda": bool(torch.cuda.is_available())}))\n';

export const INSTALL_LINE = 'python3 -m pip install torch numpy';
export const INSTALL_LINE_APT = 'sudo apt-get install python3-torch python3-numpy';

/** The Pythons to try, in order. */
export function pythonCandidates(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string[] {
  const fromEnv = (env.DIFFUSEQ_PYTHON ?? '').trim();
  if (fromEnv) return [fromEnv];
  return platform === 'win32' ? ['python3', 'python', 'py'] : ['python3', '/usr/bin/python3'];
}

export const defaultExec: ExecFn = (file, args, opts) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: opts.timeoutMs, env: opts.env, windowsHide: true, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), error: (error ?? undefined) as NodeJS.ErrnoException | undefined });
    });
  });

function oneLine(s: string): string {
  const lines = s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

type ExecResult = Awaited<ReturnType<ExecFn>>;

/** One candidate's outcome from what running the probe script gave. */
export function judgeAttempt(
  python: string,
  r: ExecResult,
): { attempt: ProbeAttempt; info?: { python: string; torch: string; cuda: boolean } } {
  if (r.code === 0) {
    try {
      const info = JSON.parse(oneLine(r.stdout)) as { python: string; torch: string; cuda: boolean };
      return { attempt: { python, ok: true }, info };
    } catch {
      return { attempt: { python, ok: false, error: `unexpected output: ${oneLine(r.stdout) || '(none)'}` } };
    }
  }
  let error: string;
  if (r.error?.code === 'ENOENT') error = 'not found';
  else if ((r.error as { killed?: boolean } | undefined)?.killed || r.error?.code === 'ETIMEDOUT') error = 'timed out';
  else if (/No module named ['"]?torch/.test(r.stderr)) error = 'PyTorch is not installed';
  else error = oneLine(r.stderr) || `exit code ${r.code}`;
  return { attempt: { python, ok: false, error } };
}

/** The synchronous probe (the CLI: it has nothing else to do meanwhile). */
export function probePythonSync(opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): ProbeResult {
  const env = opts.env ?? process.env;
  const attempts: ProbeAttempt[] = [];
  for (const python of pythonCandidates(env)) {
    const r = spawnSync(python, ['-c', PROBE_SCRIPT], {
      env: { ...env, PYTHONWARNINGS: 'ignore' },
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
    });
    const j = judgeAttempt(python, {
      code: r.error ? null : r.status,
      stdout: r.stdout ?? '',
      stderr: r.stderr ?? '',
      error: r.error as NodeJS.ErrnoException | undefined,
    });
    attempts.push(j.attempt);
    if (j.info) return { ok: true, python, pythonVersion: j.info.python, torch: j.info.torch, cuda: j.info.cuda, attempts };
  }
  return failed(attempts);
}

export async function probePython(opts: { env?: NodeJS.ProcessEnv; exec?: ExecFn; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const env = opts.env ?? process.env;
  const exec = opts.exec ?? defaultExec;
  const attempts: ProbeAttempt[] = [];
  for (const python of pythonCandidates(env)) {
    const j = judgeAttempt(python, await exec(python, ['-c', PROBE_SCRIPT], { timeoutMs: opts.timeoutMs ?? 60_000, env }));
    attempts.push(j.attempt);
    if (j.info) return { ok: true, python, pythonVersion: j.info.python, torch: j.info.torch, cuda: j.info.cuda, attempts };
  }
  return failed(attempts);
}

function failed(attempts: ProbeAttempt[]): ProbeFailed {
  const tried = attempts.map((a) => `${a.python}: ${a.error}`).join('; ');
  return {
    ok: false,
    attempts,
    message:
      `Training needs Python 3 with PyTorch, and none was found (${tried || 'no Python to try'}). ` +
      `Install it with \`${INSTALL_LINE}\` (Debian/Ubuntu: \`${INSTALL_LINE_APT}\`), or point DIFFUSEQ_PYTHON at a Python that has it. See docs/training.md.`,
  };
}
