/**
 * The benchmark scripts' options on the project's one parser (src/common/commandLine.ts): `--key value`,
 * `--key=value`, `--flag`, `--no-flag`; values are read with defaults.
 */
import { type OptionSpec, intFlag, numberFlag, parseCommandLine } from '../../src/common/commandLine';

export type ArgValue = string | boolean;

export interface ParsedArgs {
  options: Map<string, ArgValue>;
  positional: string[];
  /** How the script is run, for its error messages. */
  command: string;
}

/**
 * Parses `argv`. `flags` names the options that take no value (`--quick`, and `--no-quick` sets false); every
 * option in `known` takes a value. Anything else is a usage error.
 */
export function parseArgs(
  argv: readonly string[],
  flags: readonly string[],
  known: readonly string[],
  command = 'npm run bench --',
): ParsedArgs {
  const spec: OptionSpec = {};
  for (const k of known) if (!flags.includes(k)) spec[k] = { type: 'string' };
  for (const f of flags) {
    spec[f] = { type: 'boolean' };
    spec[`no-${f}`] = { type: 'boolean' };
  }
  const { occurrences, positionals } = parseCommandLine(command, argv, spec);
  const options = new Map<string, ArgValue>();
  for (const o of occurrences) {
    if (flags.includes(o.name)) options.set(o.name, true);
    else if (o.name.startsWith('no-') && flags.includes(o.name.slice(3))) options.set(o.name.slice(3), false);
    else options.set(o.name, o.values[0]);
  }
  return { options, positional: positionals, command };
}

export function str(args: ParsedArgs, key: string, dflt: string): string;
export function str(args: ParsedArgs, key: string): string | undefined;
export function str(args: ParsedArgs, key: string, dflt?: string): string | undefined {
  const v = args.options.get(key);
  return typeof v === 'string' ? v : dflt;
}

export function num(args: ParsedArgs, key: string, dflt: number, opts: { min?: number; integer?: boolean } = {}): number {
  const v = args.options.get(key);
  if (v === undefined || typeof v === 'boolean') {
    return dflt;
  }
  const n = opts.integer
    ? intFlag(args.command, key, v, opts.min ?? Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    : numberFlag(args.command, key, v, opts.min ?? -Infinity);
  return n!;
}

export function flag(args: ParsedArgs, key: string, dflt = false): boolean {
  const v = args.options.get(key);
  return typeof v === 'boolean' ? v : dflt;
}
