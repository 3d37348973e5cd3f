/**
 * Entry of the engine process (webpack bundles it as dist/engineHost.js; under tsc it is
 * out/src/extension/engineHostMain.js). Forked by EngineClient with an IPC channel.
 */
import { EngineLike, processPort, runHost } from './engineHost';

process.title = 'diffuseq-engine';

runHost(processPort(), async (dir, options) => {
  // Required on first load, not at start: the host says `ready` at once, and an engine that fails to
  // load (a missing native binary, say) is reported as a load error instead of a crash at start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engine = require('../engine') as typeof import('../engine');
  const loaded: EngineLike = await engine.RewriteEngine.load(dir, options);
  return loaded;
});
