/**
 * Before launching training: is there a Python with PyTorch? Tries $DIFFUSEQ_PYTHON, python3 and
 * /usr/bin/python3 in that order with `import torch`. No vscode: the caller shows the message.
 */
import { execFile } from 'node:child_process';

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

/**
 * The Pythons to try, in the same order as the CLI (src/trainer/common.ts findPythonWithTorch), so the
 * probe and the training run agree: $DIFFUSEQ_PYTHON alone when it is set, else python3 then
 * /usr/bin/python3 (python and py on Windows).
 */
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
  const lines = s.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return (lines[lines.length - 1] ?? '').slice(0, 300);
}

export async function probePython(opts: { env?: NodeJS.ProcessEnv; exec?: ExecFn; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const env = opts.env ?? process.env;
  const exec = opts.exec ?? defaultExec;
  const attempts: ProbeAttempt[] = [];
  for (const python of pythonCandidates(env)) {
    const r = await exec(python, ['-c', PROBE_SCRIPT], { timeoutMs: opts.timeoutMs ?? 60_000, env });
    if (r.code === 0) {
      try {
        const info = JSON.parse(oneLine(r.stdout)) as { python: string; torch: string; cuda: boolean };
        attempts.push({ python, ok: true });
        return { ok: true, python, pythonVersion: info.python, torch: info.torch, cuda: info.cuda, attempts };
      } catch {
        attempts.push({ python, ok: false, error: `unexpected output: ${oneLine(r.stdout) || '(none)'}` });
        continue;
      }
    }
    let error: string;
    if (r.error?.code === 'ENOENT') error = 'not found';
    else if ((r.error as { killed?: boolean } | undefined)?.killed) error = 'timed out';
    else if (/No module named ['"]?torch/.test(r.stderr)) error = 'PyTorch is not installed';
    else error = oneLine(r.stderr) || `exit code ${r.code}`;
    attempts.push({ python, ok: false, error });
  }
  const tried = attempts.map((a) => `${a.python}: ${a.error}`).join('; ');
  return {
    ok: false,
    attempts,
    message:
      `Training needs Python 3 with PyTorch, and none was found (${tried || 'no Python to try'}). ` +
      `Install it with \`${INSTALL_LINE}\` (Debian/Ubuntu: \`${INSTALL_LINE_APT}\`), or point DIFFUSEQ_PYTHON at a Python that has it. See docs/training.md.`,
  };
}
