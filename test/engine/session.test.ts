import * as assert from 'node:assert/strict';
import { loadModelPackage } from '../../src/engine/package';
import { createSessions, planProviders } from '../../src/engine/session';
import { requireTestModel } from '../cli/testModel';

const none = { cpu: { listed: true, present: true }, cuda: { listed: true, present: false } };
const withCuda = { cpu: { listed: true, present: true }, cuda: { listed: true, present: true } };

describe('engine/session', () => {
  describe('planProviders', () => {
    it('cpu is just cpu; an explicit GPU provider falls back to cpu', () => {
      assert.deepEqual(planProviders('cpu', 'linux', none).order, ['cpu']);
      for (const ep of ['cuda', 'dml', 'webgpu', 'coreml'] as const) {
        const p = planProviders(ep, 'linux', none);
        assert.deepEqual(p.order, [ep, 'cpu']);
        assert.equal(p.reason, `asked for ${ep}`);
      }
    });
    it('auto: CUDA on Linux and Windows when its binaries are installed', () => {
      assert.deepEqual(planProviders('auto', 'linux', withCuda).order, ['cuda', 'cpu']);
      assert.deepEqual(planProviders('auto', 'win32', withCuda).order, ['cuda', 'dml', 'cpu']);
    });
    it('auto: DirectML on Windows, CoreML on macOS, else CPU with the reason', () => {
      assert.deepEqual(planProviders('auto', 'win32', none).order, ['dml', 'cpu']);
      assert.deepEqual(planProviders('auto', 'darwin', none).order, ['coreml', 'cpu']);
      const linux = planProviders('auto', 'linux', none);
      assert.deepEqual(linux.order, ['cpu']);
      assert.match(linux.reason, /no CUDA provider binaries installed/);
      assert.deepEqual(planProviders('auto', 'freebsd', none).order, ['cpu']);
    });
  });

  describe('createSessions (real package)', function () {
    this.timeout(60000);
    let model: string;
    before(async function () {
      model = await requireTestModel(this);
    });

    it('creates the denoiser and rounding sessions on the CPU with the package interface', async () => {
      const p = loadModelPackage(model);
      const logs: string[] = [];
      const s = await createSessions(p.paths.denoiser, p.paths.rounding, {
        executionProvider: 'cpu',
        threads: 1,
        log: (m) => logs.push(m),
      });
      try {
        assert.equal(s.executionProvider, 'cpu');
        assert.ok(s.denoiser.inputNames.includes('x_t') && s.denoiser.inputNames.includes('t'));
        assert.deepEqual(s.denoiser.outputNames, ['x0']);
        assert.deepEqual(s.rounding.outputNames, ['tokens']);
        assert.match(logs.join('\n'), /execution provider: cpu \(asked for cpu\)/);
        assert.deepEqual(s.warnings, []);
      } finally {
        await s.denoiser.release();
        await s.rounding.release();
      }
    });

    it('falls back to the CPU, with the reason logged, when a provider cannot be used', async function () {
      if (process.platform === 'win32' || process.platform === 'darwin') {
        this.skip(); // there 'coreml'/'dml' may well work
      }
      const p = loadModelPackage(model);
      const logs: string[] = [];
      const s = await createSessions(p.paths.denoiser, p.paths.rounding, { executionProvider: 'coreml', log: (m) => logs.push(m) });
      try {
        assert.equal(s.executionProvider, 'cpu');
        assert.match(logs.join('\n'), /coreml is not available \(.+\), falling back/);
        assert.match(s.reason, /asked for coreml; coreml is not available/);
        assert.equal(logs.filter((l) => /coreml is not available/.test(l)).length, 1, 'the failure is logged once');
        assert.equal(s.warnings.length, 1);
        assert.match(s.warnings[0], /^asked for coreml, running on cpu: coreml is not available \(.+\)/);
      } finally {
        await s.denoiser.release();
        await s.rounding.release();
      }
    });
  });
});
