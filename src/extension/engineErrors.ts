/**
 * How the engine process fails, as the extension sees it: the process itself ended (or never started), or the
 * engine answered a request with an error. A cancelled rewrite is neither: it rejects with the engine's AbortError
 * (src/engine/errors.ts), one cancellation error across engine, host and extension.
 */

/** The engine process ended while requests were outstanding (or could not start). */
export class EngineCrashedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = 'EngineCrashedError';
  }
}

/** An error the engine reported (bad package, bad input…). */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly remoteName: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}
