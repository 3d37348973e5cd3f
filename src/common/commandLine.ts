/**
 * What every command shares — `diffuseq rewrite/eval/prepare/train/export` (src/cli) and the benchmarks
 * (bench/): one argument parser on node:util's parseArgs, one user-error type, one IO type.
 * Node built-ins only, so every room may import it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit code of a bad command line (found before anything is loaded or after: one rule). */
export const USAGE_EXIT = 2;

/**
 * An error whose message is meant for the user as is: printed without a stack trace, then the process exits
 * with `exitCode` (1 = the command failed, USAGE_EXIT = the command line was wrong).
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** `rewrite` → `diffuseq rewrite`; a name with a space (`npm run bench --`) is used as it is. */
export function commandName(command: string): string {
  return command.includes(' ') ? command : `diffuseq ${command}`;
}

/** A bad command line: one line, exit code 2. */
export function usageError(command: string, message: string): UserError {
  return new UserError(`${commandName(command)}: ${message}`, USAGE_EXIT);
}

/** Where a command reads and writes; tests pass their own. */
export interface CommandIo {
  stdout: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Standard input (default process.stdin). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type FlagValue = string | boolean | undefined;

export interface CommandLine {
  /** Each option's value (its last occurrence). */
  values: Record<string, FlagValue>;
  positionals: string[];
  /**
   * Every option occurrence in order, with the arguments that follow an option named in `grouped`
   * (`--data a b --task t` gives data: [a, b], task: [t]) — for commands whose options come in sequences.
   */
  occurrences: { name: string; values: string[] }[];
}

/** `-1`, `-0.5`: a value, not an option (parseArgs would call `--n -1` ambiguous). */
const NEGATIVE_NUMBER = /^-\d/;

/**
 * Parses `argv` strictly against `options`: an unknown option, a missing value or a value given to a boolean is
 * a usageError. `grouped` names the options that collect the plain arguments after them.
 */
export function parseCommandLine(
  command: string,
  argv: readonly string[],
  options: OptionSpec,
  grouped: readonly string[] = [],
): CommandLine {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else {
      args.push(argv[i]);
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (e) {
    // node's wording, without its hint on `--x=-1` (negative numbers are taken above), plus where help is.
    throw usageError(command, `${(e as Error).message.split('. To specify')[0]} (see ${commandName(command)} --help)`);
  }
  const occurrences: CommandLine['occurrences'] = [];
  const positionals: string[] = [];
  let open: { name: string; values: string[] } | undefined;
  for (const tok of parsed.tokens ?? []) {
    if (tok.kind === 'option') {
      // `--candidates 3 … --candidates 5` silently took the last: a value option may be given once.
      const spec = options[tok.name];
      if (spec?.type === 'string' && !spec.multiple && occurrences.some((o) => o.name === tok.name)) {
        throw usageError(command, `--${tok.name} is given more than once (see ${commandName(command)} --help)`);
      }
      const o = { name: tok.name, values: tok.value === undefined ? [] : [tok.value] };
      occurrences.push(o);
      open = grouped.includes(tok.name) ? o : undefined;
    } else if (tok.kind === 'positional') {
      if (open) open.values.push(tok.value);
      else positionals.push(tok.value);
    } else {
      open = undefined; // `--`: everything after it is positional
    }
  }
  return { values: parsed.values as Record<string, FlagValue>, positionals, occurrences };
}

/** The value of a string option, or undefined; an empty string is a usage error. */
export function stringFlag(command: string, name: string, v: FlagValue): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.trim() === '') throw usageError(command, `--${name} needs a value`);
  return v;
}

// Plain decimal, as written: no sign but a minus, no spaces (`" 3"` and `"+3"` are refused like `0x3`).
const DECIMAL_INTEGER = /^-?\d+$/;
const DECIMAL_NUMBER = /^-?(\d+\.?\d*|\.\d+)$/;

/** An integer option in [min, max], written in decimal digits (`0x2` and `1e1` are refused). */
export function intFlag(command: string, name: string, v: FlagValue, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const n = Number(s);
  if (!DECIMAL_INTEGER.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(command, `--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
  }
  return n;
}

/** A decimal number option in [min, max]. */
export function numberFlag(command: string, name: string, v: FlagValue, min: number, max = Infinity): number | undefined {
  if (v === undefined) return undefined;
  const s = String(v);
  const n = Number(s);
  if (!DECIMAL_NUMBER.test(s) || n < min || n > max) {
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
    throw usageError(command, `--${name} must be a number ${range} (got ${JSON.stringify(v)})`);
  }
  return n;
}

export function choiceFlag<T extends string>(command: string, name: string, v: FlagValue, choices: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!choices.includes(v as T)) {
    throw usageError(command, `--${name} must be one of ${choices.join(', ')} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

/**
 * Prints an error for the user and returns the exit code: a UserError whole (it may carry install lines or
 * parity numbers), anything else as its first line; the stack only with DIFFUSEQ_DEBUG=1. Never a trace.
 */
export function reportError(e: unknown, io: Pick<CommandIo, 'stderr' | 'env'>): number {
  const env = io.env ?? process.env;
  if (env.DIFFUSEQ_DEBUG && e instanceof Error && e.stack) {
    io.stderr.write(`${e.stack}\n`);
  }
  const err = e instanceof Error ? e : new Error(String(e));
  let msg = err instanceof UserError ? err.message.trimEnd() : err.message.split('\n')[0].trim();
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

/** Runs a command body; an error becomes its message on stderr (reportError) and the exit code. */
export async function reportingErrors(io: Pick<CommandIo, 'stderr' | 'env'>, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    return reportError(e, io);
  }
}

/**
 * How a child process ended, for a message: `exit code 3`, `signal SIGKILL`, or — neither known (it could not be
 * started, or its end was not seen) — never the bare `exit code null`.
 */
export function describeExit(code: number | null | undefined, signal?: string | null): string {
  if (signal) return `was stopped by signal ${signal}`;
  if (typeof code === 'number') return `exited with code ${code}`;
  return 'ended without an exit code (it could not be started, or was killed)';
}
