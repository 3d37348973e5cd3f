import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { AbortError } from '../../src/engine';
import { EngineClient } from '../../src/extension/engineClient';
import { EngineCrashedError, EngineError } from '../../src/extension/engineErrors';
import { ClientMessage, HostMessage, isHostMessage } from '../../src/extension/engineProtocol';
import { HostPort, runHost } from '../../src/extension/engineHost';
import { loadFakeEngine } from './fixtures/fakeEngine';

const FAKE_HOST = path.join(__dirname, 'fixtures', 'fakeHost.js');

/** An in-memory port: what the host sends is collected; `deliver` plays the client. */
function memoryPort() {
  const sent: HostMessage[] = [];
  let onMsg: (m: unknown) => void = () => undefined;
  let exited: number | undefined;
  const waiters: Array<() => void> = [];
  const port: HostPort = {
    send: (m) => {
      sent.push(m);
      waiters.splice(0).forEach((w) => w());
    },
    onMessage: (cb) => (onMsg = cb),
    onDisconnect: () => undefined,
    exit: (code) => (exited = code),
  };
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  return { port, sent, deliver: (m: ClientMessage | unknown) => onMsg(m), exited: () => exited, until };
}

describe('extension/engineHost (in-process, fake engine)', () => {
  it('says ready, loads, rewrites with progress, answers each id once', async () => {
    const m = memoryPort();
    runHost(m.port, loadFakeEngine);
    assert.equal(m.sent[0].type, 'ready');
    m.deliver({ type: 'load', id: 1, modelDir: '/models/fake', options: { executionProvider: 'cpu' } });
    await m.until(() => m.sent.some((x) => x.type === 'loaded'));
    const loaded = m.sent.find((x) => x.type === 'loaded');
    assert.deepEqual(loaded, {
      type: 'loaded',
      id: 1,
      model: {
        dir: '/models/fake',
        name: 'fake',
        description: 'fake engine for tests',
        executionProvider: 'cpu',
        tasks: ['paraphrase', 'simplify'],
        note: 'test double',
      },
    });
    m.deliver({ type: 'rewrite', id: 2, text: 'the cat sat', options: { task: 'paraphrase', candidates: 3, steps: 4 } });
    await m.until(() => m.sent.some((x) => x.type === 'result'));
    const progress = m.sent.filter((x) => x.type === 'progress' && x.id === 2);
    assert.equal(progress.length, 4);
    const result = m.sent.find((x) => x.type === 'result');
    assert.ok(result && result.type === 'result');
    assert.equal(result.id, 2);
    assert.equal(result.result.candidates.length, 3);
    assert.ok(m.sent.every(isHostMessage));
  });

  it('reports load and rewrite errors with the request id', async () => {
    const m = memoryPort();
    runHost(m.port, loadFakeEngine);
    m.deliver({ type: 'rewrite', id: 1, text: 'x', options: { task: 'paraphrase' } });
    await m.until(() => m.sent.some((x) => x.type === 'error'));
    const e1 = m.sent.find((x) => x.type === 'error');
    assert.ok(e1 && e1.type === 'error');
    assert.match(e1.error.message, /No model is loaded/);
    m.deliver({ type: 'load', id: 2, modelDir: '/nowhere/missing', options: {} });
    await m.until(() => m.sent.filter((x) => x.type === 'error').length === 2);
    const e2 = m.sent.filter((x) => x.type === 'error')[1];
    assert.ok(e2.type === 'error' && e2.id === 2 && /manifest.json is missing/.test(e2.error.message));
  });

  it('cancels a queued request at once and the running one through its AbortSignal', async () => {
    const m = memoryPort();
    runHost(m.port, loadFakeEngine);
    m.deliver({ type: 'load', id: 1, modelDir: '/m', options: {} });
    m.deliver({ type: 'rewrite', id: 2, text: 'slow', options: { task: 'paraphrase', steps: 5 } });
    m.deliver({ type: 'rewrite', id: 3, text: 'queued', options: { task: 'paraphrase' } });
    m.deliver({ type: 'cancel', id: 3 });
    await m.until(() => m.sent.some((x) => x.type === 'progress' && x.id === 2));
    m.deliver({ type: 'cancel', id: 2 });
    await m.until(() => m.sent.filter((x) => x.type === 'error').length === 2);
    const errs = m.sent.filter((x): x is Extract<HostMessage, { type: 'error' }> => x.type === 'error');
    assert.deepEqual(
      errs.map((e) => [e.id, e.error.cancelled]),
      [
        [3, true],
        [2, true],
      ],
    );
    assert.ok(!m.sent.some((x) => x.type === 'result'));
  });

  it('ignores messages that are not part of the protocol and exits on shutdown', async () => {
    const m = memoryPort();
    runHost(m.port, loadFakeEngine);
    m.deliver({ hello: 1 });
    m.deliver('nonsense');
    assert.equal(m.sent.filter((x) => x.type === 'log').length, 2);
    m.deliver({ type: 'shutdown' });
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(m.exited(), 0);
  });
});

describe('extension/engineClient (forked fake host)', function () {
  this.timeout(20000);
  let client: EngineClient | undefined;
  const logs: string[] = [];
  afterEach(async () => {
    await client?.dispose();
    client = undefined;
  });

  const make = (env: NodeJS.ProcessEnv = {}, onCrash?: (e: EngineCrashedError) => void) =>
    (client = new EngineClient({ hostPath: FAKE_HOST, env: { ...process.env, ...env }, log: (l) => logs.push(l), onCrash }));

  it('loads a model and rewrites, forwarding progress', async () => {
    const c = make();
    const model = await c.load('/models/fake', { executionProvider: 'cpu' });
    assert.equal(model.name, 'fake');
    assert.ok(c.isLoaded('/models/fake', { executionProvider: 'cpu' }));
    assert.ok(!c.isLoaded('/models/other', { executionProvider: 'cpu' }));
    const progress: number[] = [];
    const r = await c.rewrite(
      'the cat sat on the mat',
      { task: 'paraphrase', candidates: 4, steps: 3 },
      { onProgress: (p) => progress.push(p.step) },
    );
    assert.equal(r.candidates.length, 4);
    assert.equal(r.mbrIndex, 1);
    assert.deepEqual(progress, [1, 2, 3]);
    assert.ok(logs.some((l) => l.includes('fake engine loading /models/fake')));
  });

  it('runs concurrent requests one after the other, each answered by id', async () => {
    const c = make();
    await c.load('/m');
    const [a, b] = await Promise.all([
      c.rewrite('first text here', { task: 'paraphrase', candidates: 2 }),
      c.rewrite('second text here', { task: 'simplify', candidates: 3 }),
    ]);
    assert.equal(a.candidates[0].text, 'first text here');
    assert.equal(b.candidates[0].text, 'second text here');
    assert.equal(b.candidates.length, 3);
  });

  it('cancellation: the AbortSignal ends the rewrite with AbortError and the host stays usable', async () => {
    const c = make();
    await c.load('/m');
    const ac = new AbortController();
    let sawProgress = false;
    const p = c.rewrite(
      'slow',
      { task: 'paraphrase', steps: 5 },
      {
        signal: ac.signal,
        onProgress: () => {
          if (!sawProgress) {
            sawProgress = true;
            ac.abort();
          }
        },
      },
    );
    const t0 = Date.now();
    await assert.rejects(p, AbortError);
    assert.ok(Date.now() - t0 < 3000, 'cancel took too long');
    const pid = c.pid;
    const r = await c.rewrite('after cancel works', { task: 'paraphrase', candidates: 2 });
    assert.equal(r.candidates.length, 2);
    assert.equal(c.pid, pid, 'same process after a cancel');
    await assert.rejects(c.rewrite('x', { task: 'paraphrase' }, { signal: AbortSignal.abort() }), AbortError);
  });

  it('engine errors reject with EngineError and keep the process', async () => {
    const c = make();
    await c.load('/m');
    await assert.rejects(
      c.rewrite('fail', { task: 'paraphrase' }),
      (e: unknown) => e instanceof EngineError && /fake engine failed/.test(e.message),
    );
    await assert.rejects(c.load('/x/missing'), EngineError);
  });

  for (const mode of ['crash:kill', 'crash:exit']) {
    it(`a crashed host (${mode}) rejects the request clearly and is restarted on the next one, model reloaded`, async () => {
      const crashes: EngineCrashedError[] = [];
      const c = make({}, (e) => crashes.push(e));
      await c.load('/models/fake');
      const pid1 = c.pid;
      await assert.rejects(c.rewrite(mode, { task: 'paraphrase' }), (e: unknown) => {
        assert.ok(e instanceof EngineCrashedError);
        assert.match(e.message, /stopped unexpectedly \((signal SIGKILL|exit code 3)\)\. It will be restarted on the next request\./);
        return true;
      });
      assert.equal(crashes.length, 1);
      assert.equal(c.running, false);
      assert.ok(c.lastCrash);
      const r = await c.rewrite('works again', { task: 'paraphrase', candidates: 2 });
      assert.equal(r.candidates.length, 2);
      assert.notEqual(c.pid, pid1);
      assert.equal(c.starts, 2);
      assert.equal(c.model?.dir, '/models/fake');
      assert.equal(c.lastCrash, undefined);
    });
  }

  it('a frozen host: the rewrite fails with a clear message instead of waiting forever, the next one restarts it', async () => {
    const c = new EngineClient({ hostPath: FAKE_HOST, env: process.env, log: (l) => logs.push(l), stallMs: 400 });
    client = c;
    await c.load('/models/fake');
    const pid1 = c.pid;
    const t0 = Date.now();
    await assert.rejects(
      c.rewrite('freeze', { task: 'paraphrase' }),
      (e: unknown) =>
        e instanceof EngineCrashedError && /stopped responding \(nothing from it for 0 s\), so it was stopped/.test(e.message),
    );
    assert.ok(Date.now() - t0 < 5000, 'the watchdog fired');
    for (let i = 0; i < 100 && c.running; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.running, false, 'the frozen host was stopped');
    const r = await c.rewrite('works again', { task: 'paraphrase', candidates: 2 });
    assert.equal(r.candidates.length, 2);
    assert.notEqual(c.pid, pid1);
    // A slow but live engine (progress every 20 ms) is not taken for a frozen one.
    const slow = await c.rewrite('slow', { task: 'paraphrase', steps: 5 });
    assert.equal(slow.candidates.length, 8);
  });

  it('a host that cannot start rejects load with its stderr', async () => {
    const c = make({ FAKE_HOST_START_FAIL: '1' });
    await assert.rejects(
      c.load('/m'),
      (e: unknown) => e instanceof EngineCrashedError && /failed to start \(exit code 7\)\. fake host: cannot start/.test(e.message),
    );
  });

  it('rewrite before any load is an error, not a hang', async () => {
    const c = make();
    await assert.rejects(c.rewrite('x', { task: 'paraphrase' }), /No model is loaded/);
  });

  it('dispose stops the process; stop() keeps the client usable', async () => {
    const c = make();
    await c.load('/m');
    await c.stop();
    assert.equal(c.running, false);
    const r = await c.rewrite('restarted after stop', { task: 'paraphrase', candidates: 1 });
    assert.equal(r.candidates.length, 1);
    await c.dispose();
    await assert.rejects(c.load('/m'), /disposed/);
  });
});
