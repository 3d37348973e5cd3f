/** Errors the engine reports to its callers (the CLI prints their message as one line; the extension shows it). */

/** The request itself is wrong: empty text, a task the model does not know, an option out of range. */
export class RewriteInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RewriteInputError';
  }
}

/** An evaluation data file could not be read or has a malformed line. */
export class EvalDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalDataError';
  }
}

/** Rejection value when an AbortSignal fires (name 'AbortError', like fetch and DOM APIs). */
export class AbortError extends Error {
  constructor(message = 'The rewrite was cancelled') {
    super(message);
    this.name = 'AbortError';
  }
}

export function isAbortError(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/** Throws an AbortError when `signal` has fired. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new AbortError();
  }
}
