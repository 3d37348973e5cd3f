import * as assert from 'node:assert/strict';
import { confirmApplied, decideApply, decideApplyAll, refuseBlank } from '../../src/extension/applyGuard';

describe('extension/applyGuard', () => {
  const target = { original: 'The cat sat.', runVersion: 5 };

  it('applies when the document is unchanged', () => {
    assert.deepEqual(decideApply(target, { version: 5, textAtRange: 'The cat sat.' }), { kind: 'apply', reason: 'unchanged' });
  });

  it('applies when the version changed but the range still holds the original', () => {
    assert.deepEqual(decideApply(target, { version: 9, textAtRange: 'The cat sat.' }), { kind: 'apply', reason: 'edited-elsewhere' });
  });

  it('refuses when the version changed and the text at the range differs', () => {
    const d = decideApply(target, { version: 6, textAtRange: 'The cat sat!' });
    assert.equal(d.kind, 'refuse');
    assert.equal(d.kind === 'refuse' && d.reason, 'text-changed');
  });

  it('refuses when the text was deleted or the document closed, saying which', () => {
    const gone = decideApply(target, { version: 6, textAtRange: undefined });
    assert.equal(gone.kind === 'refuse' && gone.reason, 'deleted');
    const emptied = decideApply(target, { version: 6, textAtRange: '', deleted: true });
    assert.equal(emptied.kind === 'refuse' && emptied.reason, 'deleted');
    assert.match(emptied.kind === 'refuse' ? emptied.message : '', /was deleted/);
    assert.doesNotMatch(emptied.kind === 'refuse' ? emptied.message : '', /shortened/);
    const closed = decideApply(target, { version: undefined, textAtRange: 'The cat sat.' });
    assert.equal(closed.kind === 'refuse' && closed.reason, 'closed');
  });

  it('refuses a same-version mismatch too (never overwrites text the run did not see)', () => {
    assert.equal(decideApply(target, { version: 5, textAtRange: 'other' }).kind, 'refuse');
  });

  it('compares exactly (whitespace and case matter)', () => {
    assert.equal(decideApply(target, { version: 6, textAtRange: 'The cat sat. ' }).kind, 'refuse');
    assert.equal(decideApply(target, { version: 6, textAtRange: 'the cat sat.' }).kind, 'refuse');
  });

  it('several ranges: all or nothing', () => {
    const ok = decideApplyAll([
      { target, now: { version: 7, textAtRange: 'The cat sat.' } },
      { target: { original: 'B', runVersion: 5 }, now: { version: 7, textAtRange: 'B' } },
    ]);
    assert.deepEqual(ok, { kind: 'apply' });
    const bad = decideApplyAll([
      { target, now: { version: 7, textAtRange: 'The cat sat.' } },
      { target: { original: 'B', runVersion: 5 }, now: { version: 7, textAtRange: 'C' } },
    ]);
    assert.equal(bad.kind, 'refuse');
    assert.deepEqual(bad.kind === 'refuse' && bad.refused, [1]);
    assert.match(bad.kind === 'refuse' ? bad.message : '', /1 of 2 selections changed/);
  });

  it('refuses a blank text for any selection, and only then', () => {
    assert.equal(refuseBlank(['A.', 'B.']), undefined);
    assert.match(refuseBlank(['']) ?? '', /wrote nothing for the selection.*nothing was applied/);
    assert.match(refuseBlank(['A.', ' \n', '']) ?? '', /2 of 3 selections/);
  });

  it('confirms an edit only when the document now holds every candidate (a read-only one does not)', () => {
    assert.equal(confirmApplied(['New A.', 'New B.'], ['New A.', 'New B.']), undefined);
    assert.equal(confirmApplied(['Line one.\nLine two.'], ['Line one.\r\nLine two.']), undefined, 'CRLF document');
    assert.match(confirmApplied(['New A.'], ['Old A.']) ?? '', /read-only.*not applied/);
    assert.match(confirmApplied(['New A.', 'New B.'], ['New A.', undefined]) ?? '', /not applied/);
  });
});
