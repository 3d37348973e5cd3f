/** Errors the engine reports to its callers (the CLI prints their message as one line; the extension shows it). */

/** The request itself is wrong: empty text, a task the model does not know, an option out of range. */
export class RewriteInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RewriteInputError';
  }
}

/** A model package that cannot be used: the message names the folder and what is missing or wrong. */
export class ModelPackageError extends Error {
  constructor(
    readonly dir: string,
    /** What is wrong, without the folder. */
    readonly detail: string,
  ) {
    super(`${dir}: ${detail}`);
    this.name = 'ModelPackageError';
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

/**
 * The useful part of an error for a one-line message: its first line, without onnxruntime's source paths and C++
 * function names, at most 200 characters.
 */
export function firstLine(e: unknown): string {
  let msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  msg = msg.replace(/\/onnxruntime_src\/\S+\s+/g, '').replace(/(?:[\w:]+::)+\w+\([^)]*\)(?:::<lambda\(\)>)?\s*/g, '');
  const wgpu = /Failed to get a WebGPU adapter[^.]*/.exec(msg);
  if (wgpu) {
    msg = wgpu[0];
  }
  msg = msg.trim();
  return msg.length > 200 ? `${msg.slice(0, 199)}…` : msg;
}
