/**
 * A tiny command-line parser for the benchmark scripts: `--key value`, `--key=value`, `--flag`, `--no-flag`.
 */

export type ArgValue = string | boolean;

export interface ParsedArgs {
  options: Map<string, ArgValue>;
  positional: string[];
}

/**
 * Parses `argv`. `flags` names the options that take no value (`--quick`); every other `--x` takes the next
 * argument as its value. `--no-x` sets x to false. Unknown options are an error when `known` is given.
 */
export function parseArgs(argv: readonly string[], flags: readonly string[], known?: readonly string[]): ParsedArgs {
  const options = new Map<string, ArgValue>();
  const positional: string[] = [];
  const isKnown = (k: string) => !known || known.includes(k) || flags.includes(k);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (eq < 0 && key.startsWith('no-') && flags.includes(key.slice(3))) {
      options.set(key.slice(3), false);
      continue;
    }
    if (!isKnown(key)) {
      throw new Error(`unknown option --${key}`);
    }
    if (flags.includes(key)) {
      if (eq >= 0) {
        const v = a.slice(eq + 1).toLowerCase();
        options.set(key, !(v === 'false' || v === '0' || v === 'no'));
      } else {
        options.set(key, true);
      }
      continue;
    }
    if (eq >= 0) {
      options.set(key, a.slice(eq + 1));
    } else {
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) {
        throw new Error(`option --${key} needs a value`);
      }
      options.set(key, argv[++i]);
    }
  }
  return { options, positional };
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
  const n = Number(v);
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new Error(`--${key}: expected ${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}, got "${v}"`);
  }
  return n;
}

export function flag(args: ParsedArgs, key: string, dflt = false): boolean {
  const v = args.options.get(key);
  return typeof v === 'boolean' ? v : dflt;
}
