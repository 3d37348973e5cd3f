/**
 * When the extension's bundle began to evaluate, for the activation log. It is extension.ts's first import:
 * under ES module semantics (what webpack bundles) every import is evaluated before the importing module's own
 * body, so a clock read in extension.ts's body would start after all its imports; the first import runs first.
 */
export const moduleLoadedAt = performance.now();
