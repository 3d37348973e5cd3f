import * as assert from 'node:assert/strict';
import {
  displayOrder,
  focusedCandidate,
  PanelAction,
  PanelState,
  positions,
  reducePanel,
  runProgress,
} from '../../src/extension/panelState';
import { fakeResult } from './fixtures/fakeEngine';

const settings = { candidates: 3, steps: 10, order: 2, seed: 42 };

function started(originals = ['the cat sat on the mat']): PanelState {
  const s = reducePanel(undefined, { type: 'start', runId: 1, task: 'paraphrase', originals, settings, documentName: 'a.txt' });
  assert.ok(s);
  return s;
}

function done(originals = ['the cat sat on the mat', 'a dog ran']): PanelState {
  const s = reducePanel(started(originals), {
    type: 'results',
    runId: 1,
    results: originals.map((o) => fakeResult(o, { task: 'paraphrase', candidates: 3 })),
    elapsedMs: 1234,
    model: { name: 'fake', executionProvider: 'cpu' },
  });
  assert.ok(s);
  return s;
}

describe('extension/panelState', () => {
  it('actions before any start are ignored', () => {
    const acts: PanelAction[] = [
      { type: 'move', delta: 1 },
      { type: 'progress', runId: 1, progress: 0.5, label: 'x' },
      { type: 'refused', message: 'x' },
    ];
    for (const a of acts) assert.equal(reducePanel(undefined, a), undefined);
  });

  it('start: running, one item per selection, no candidates yet', () => {
    const s = started(['a', 'b']);
    assert.equal(s.status, 'running');
    assert.deepEqual(
      s.items.map((i) => [i.original, i.candidates.length, i.mbrIndex, i.order]),
      [
        ['a', 0, -1, []],
        ['b', 0, -1, []],
      ],
    );
    assert.equal(s.progress, 0);
  });

  it('progress is clamped and only for the current run', () => {
    const s = started();
    assert.equal(reducePanel(s, { type: 'progress', runId: 1, progress: 1.7, label: 'step' })!.progress, 1);
    assert.equal(reducePanel(s, { type: 'progress', runId: 2, progress: 0.5, label: 'old' }), s);
  });

  it('results: diffs computed, focus on the first MBR choice, done', () => {
    const s = done();
    assert.equal(s.status, 'done');
    assert.equal(s.items[0].candidates.length, 3);
    assert.equal(s.items[0].mbrIndex, 1);
    assert.deepEqual(s.focus, { item: 0, candidate: 1 });
    assert.deepEqual(s.items[0].candidates[0].diff, [{ kind: 'same', text: 'the cat sat on the mat', space: false }]);
    assert.deepEqual(s.items[0].candidates[1].diff, [
      { kind: 'same', text: 'the cat sat on the', space: false },
      { kind: 'removed', text: 'mat', space: true },
      { kind: 'added', text: 'variant1', space: true },
    ]);
    assert.equal(s.elapsedMs, 1234);
    assert.deepEqual(s.model, { name: 'fake', executionProvider: 'cpu' });
    assert.equal(focusedCandidate(s)?.text, 'the cat sat on the variant1');
  });

  it('results for a stale run or the wrong count do not replace the state', () => {
    const s = started(['a']);
    assert.equal(reducePanel(s, { type: 'results', runId: 7, results: [], elapsedMs: 1 }), s);
    const bad = reducePanel(s, { type: 'results', runId: 1, results: [], elapsedMs: 1 })!;
    assert.equal(bad.status, 'error');
  });

  it('display order: the MBR choice first, then by score, ties in sampling order', () => {
    assert.deepEqual(displayOrder([{ mbrScore: 0.5 }, { mbrScore: 0.8 }, { mbrScore: 0.6 }], 1), [1, 2, 0]);
    assert.deepEqual(displayOrder([{ mbrScore: 0.5 }, { mbrScore: 0.5 }, { mbrScore: 0.5 }], 2), [2, 0, 1]);
    assert.deepEqual(displayOrder([], -1), []);
    // fakeResult with 3 candidates: scores 0.5, 0.8 (MBR), 0.567
    assert.deepEqual(done().items[0].order, [1, 2, 0]);
  });

  it('each item carries how many candidates the engine dropped for losing a protected span', () => {
    const s = reducePanel(started(['a `b` c']), {
      type: 'results',
      runId: 1,
      results: [{ ...fakeResult('a `b` c', { task: 'paraphrase', candidates: 2 }), droppedCandidates: 6 }],
      elapsedMs: 1,
    })!;
    assert.equal(s.items[0].droppedCandidates, 6);
    assert.equal(s.items[0].candidates.length, 2);
  });

  it('move walks all candidates in display order, item-major, and stops at the ends', () => {
    let s = done();
    assert.deepEqual(positions(s), [
      { item: 0, candidate: 1 },
      { item: 0, candidate: 2 },
      { item: 0, candidate: 0 },
      { item: 1, candidate: 1 },
      { item: 1, candidate: 2 },
      { item: 1, candidate: 0 },
    ]);
    s = reducePanel(s, { type: 'move', delta: 1 })!;
    assert.deepEqual(s.focus, { item: 0, candidate: 2 });
    s = reducePanel(s, { type: 'move', delta: 2 })!;
    assert.deepEqual(s.focus, { item: 1, candidate: 1 });
    const end = reducePanel(s, { type: 'move', delta: 100 })!;
    assert.deepEqual(end.focus, { item: 1, candidate: 0 });
    assert.equal(reducePanel(end, { type: 'move', delta: 1 }), end, 'no change at the end');
    const start = reducePanel(end, { type: 'move', delta: -100 })!;
    assert.deepEqual(start.focus, { item: 0, candidate: 1 });
  });

  it('focus validates indices', () => {
    const s = done();
    assert.deepEqual(reducePanel(s, { type: 'focus', item: 1, candidate: 2 })!.focus, { item: 1, candidate: 2 });
    assert.equal(reducePanel(s, { type: 'focus', item: 5, candidate: 0 }), s);
    assert.equal(reducePanel(s, { type: 'focus', item: 0, candidate: 3 }), s);
  });

  it('applied marks the candidate; refused marks the panel stale with the message', () => {
    const s = reducePanel(done(), { type: 'applied', item: 0, candidate: 2 })!;
    assert.equal(s.items[0].applied, 2);
    assert.equal(s.items[1].applied, undefined);
    assert.equal(s.message?.kind, 'info');
    const r = reducePanel(s, { type: 'refused', message: 'The selected text was edited' })!;
    assert.equal(r.stale, true);
    assert.deepEqual(r.message, { kind: 'warning', text: 'The selected text was edited' });
    const again = reducePanel(r, { type: 'applied', item: 0, candidate: 0 })!;
    assert.equal(again.stale, false);
  });

  describe('taking part of a candidate (accepted chunks make a mix)', () => {
    const original = 'the cat sat on the mat';
    function withCandidates(texts: string[]): PanelState {
      const s = reducePanel(started([original]), {
        type: 'results',
        runId: 1,
        results: [
          {
            ...fakeResult(original, { task: 'paraphrase', candidates: texts.length }),
            candidates: texts.map((text) => ({ text, mbrScore: 0.5 })),
          },
        ],
        elapsedMs: 1,
      });
      assert.ok(s);
      return s;
    }

    it('each candidate carries its chunks as edits of the original', () => {
      const s = withCandidates(['the dog sat on the rug', 'a cat sat on the mat']);
      assert.deepEqual(s.items[0].candidates[0].hunks, [
        { from: 4, to: 7, text: 'dog' },
        { from: 19, to: 22, text: 'rug' },
      ]);
      assert.deepEqual(s.items[0].candidates[1].hunks, [{ from: 0, to: 3, text: 'a' }]);
    });

    it('chunks from two candidates make one mixed text; the same chunk again takes it back; clearMix drops the mix', () => {
      let s = withCandidates(['the dog sat on the rug', 'a cat sat on the mat', 'the fox sat on the mat']);
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 1 })!;
      assert.deepEqual(s.items[0].mix, { picks: [{ candidate: 0, hunk: 1 }], text: 'the cat sat on the rug' });
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 1, hunk: 0 })!;
      assert.equal(s.items[0].mix?.text, 'a cat sat on the rug');
      // 'fox' replaces the same word as 'dog' would: it is taken alongside the others.
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 2, hunk: 0 })!;
      assert.equal(s.items[0].mix?.text, 'a fox sat on the rug');
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 0 })!;
      assert.equal(s.items[0].mix?.text, 'a dog sat on the rug', 'dog replaced fox (same words)');
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 1, hunk: 0 })!;
      assert.equal(s.items[0].mix?.text, 'the dog sat on the rug', 'toggled off');
      assert.equal(reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 9 }), s, 'no such chunk');
      const cleared = reducePanel(s, { type: 'clearMix', item: 0 })!;
      assert.equal(cleared.items[0].mix, undefined);
      assert.equal(reducePanel(cleared, { type: 'clearMix', item: 0 }), cleared);
    });

    it('the last chunk taken back leaves no mix; appliedMix marks the item and clears a candidate’s applied mark', () => {
      let s = withCandidates(['the dog sat on the rug']);
      s = reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 0 })!;
      assert.equal(reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 0 })!.items[0].mix, undefined);
      s = reducePanel(s, { type: 'applied', item: 0, candidate: 0 })!;
      s = reducePanel(s, { type: 'appliedMix', item: 0 })!;
      assert.equal(s.items[0].appliedMix, true);
      assert.equal(s.items[0].applied, undefined);
      assert.match(s.message?.text ?? '', /Applied the mix/);
      assert.equal(reducePanel(s, { type: 'applied', item: 0, candidate: 0 })!.items[0].appliedMix, false);
    });

    it('chunks are only taken from a finished run', () => {
      const s = started([original]);
      assert.equal(reducePanel(s, { type: 'toggleChunk', item: 0, candidate: 0, hunk: 0 }), s);
    });
  });

  it('failed and cancelled end a running run only', () => {
    const s = started();
    const f = reducePanel(s, { type: 'failed', runId: 1, message: 'boom' })!;
    assert.equal(f.status, 'error');
    assert.deepEqual(f.message, { kind: 'error', text: 'boom' });
    const c = reducePanel(s, { type: 'cancelled', runId: 1 })!;
    assert.equal(c.status, 'cancelled');
    // A failed run (say, a broken package that would not load) no longer shows the last run's model as in use.
    const withModel = reducePanel(done(), { type: 'start', runId: 3, task: 'paraphrase', originals: ['x'], settings, documentName: 'a' })!;
    assert.ok(withModel.model);
    assert.equal(reducePanel(withModel, { type: 'failed', runId: 3, message: 'manifest.json is not valid JSON' })!.model, undefined);
    assert.equal(reducePanel(done(), { type: 'cancelled', runId: 1 })!.status, 'done');
  });

  it('a new start replaces everything but keeps the model', () => {
    const s = reducePanel(done(), { type: 'start', runId: 2, task: 'simplify', originals: ['x'], settings, documentName: 'b.md' })!;
    assert.equal(s.runId, 2);
    assert.equal(s.task, 'simplify');
    assert.equal(s.items.length, 1);
    assert.equal(s.stale, undefined);
    assert.deepEqual(s.model, { name: 'fake', executionProvider: 'cpu' });
  });

  it('state is plain JSON (it goes through postMessage and setState)', () => {
    const s = done();
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
  });

  it('runProgress combines selections, segments and steps', () => {
    assert.equal(runProgress(0, 1, undefined), 0);
    assert.equal(runProgress(0, 1, { segment: 0, segments: 1, step: 5, steps: 10 }), 0.5);
    assert.equal(runProgress(1, 2, { segment: 1, segments: 2, step: 10, steps: 10 }), 1);
    assert.equal(runProgress(0, 2, { segment: 1, segments: 2, step: 5, steps: 10 }), 0.375);
    assert.equal(runProgress(0, 0, undefined), 0);
  });
});
