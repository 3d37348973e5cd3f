import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExecFn, INSTALL_LINE, probePython, pythonCandidates } from '../../src/trainer/pythonProbe';

describe('trainer/pythonProbe', () => {
  it('candidates: $DIFFUSEQ_PYTHON alone when set (like the CLI), else python3 then /usr/bin/python3', () => {
    assert.deepEqual(pythonCandidates({}, 'linux'), ['python3', '/usr/bin/python3']);
    assert.deepEqual(pythonCandidates({ DIFFUSEQ_PYTHON: ' /opt/py/bin/python ' }, 'linux'), ['/opt/py/bin/python']);
    assert.deepEqual(pythonCandidates({ DIFFUSEQ_PYTHON: '' }, 'win32'), ['python3', 'python', 'py']);
  });

  it('fake exec: the first Python with torch wins; failures are explained', async () => {
    const calls: string[] = [];
    const exec: ExecFn = async (file) => {
      calls.push(file);
      if (file === 'python3') return { code: 1, stdout: '', stderr: "Traceback…\nModuleNotFoundError: No module named 'torch'\n" };
      return { code: 0, stdout: 'noise\n{"python": "3.11.2", "torch": "2.3.0", "cuda": false}\n', stderr: '' };
    };
    const r = await probePython({ env: {}, exec });
    assert.deepEqual(calls, ['python3', '/usr/bin/python3']);
    assert.ok(r.ok);
    assert.equal(r.ok && r.python, '/usr/bin/python3');
    assert.equal(r.ok && r.torch, '2.3.0');
    assert.deepEqual(r.attempts, [
      { python: 'python3', ok: false, error: 'PyTorch is not installed' },
      { python: '/usr/bin/python3', ok: true },
    ]);
  });

  it('fake exec: none found → the message names what was tried, the install line and docs/training.md', async () => {
    const exec: ExecFn = async (file) =>
      file === 'python3'
        ? { code: null, stdout: '', stderr: '', error: Object.assign(new Error('spawn python3 ENOENT'), { code: 'ENOENT' }) }
        : { code: 1, stdout: '', stderr: "ModuleNotFoundError: No module named 'torch'" };
    const r = await probePython({ env: {}, exec });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /python3: not found/);
    assert.match(r.message, /\/usr\/bin\/python3: PyTorch is not installed/);
    assert.ok(r.message.includes(INSTALL_LINE));
    assert.match(r.message, /docs\/training\.md/);
    assert.match(r.message, /DIFFUSEQ_PYTHON/);
  });

  describe('real processes (fake Pythons as scripts)', function () {
    if (process.platform === 'win32') return;
    let tmp: string;
    before(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsq-py-'))));
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const script = (name: string, body: string) => {
      const f = path.join(tmp, name);
      fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return f;
    };

    it('a Python with torch', async () => {
      const py = script('good', 'echo \'{"python": "3.12.1", "torch": "2.5.0+cpu", "cuda": false}\'');
      const r = await probePython({ env: { DIFFUSEQ_PYTHON: py } });
      assert.ok(r.ok);
      assert.equal(r.ok && r.pythonVersion, '3.12.1');
    });

    it('a Python without torch, a missing one, and one that hangs', async () => {
      const noTorch = script('notorch', 'echo "ModuleNotFoundError: No module named \'torch\'" >&2; exit 1');
      const r1 = await probePython({ env: { DIFFUSEQ_PYTHON: noTorch } });
      assert.equal(!r1.ok && r1.attempts[0].error, 'PyTorch is not installed');
      const r2 = await probePython({ env: { DIFFUSEQ_PYTHON: path.join(tmp, 'does-not-exist') } });
      assert.equal(!r2.ok && r2.attempts[0].error, 'not found');
      const hang = script('hang', 'sleep 5');
      const r3 = await probePython({ env: { DIFFUSEQ_PYTHON: hang }, timeoutMs: 200 });
      assert.equal(!r3.ok && r3.attempts[0].error, 'timed out');
    });
  });
});
