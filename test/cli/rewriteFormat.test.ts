import * as assert from 'node:assert/strict';
import { formatHuman, toJson } from '../../src/cli/rewrite';
import { fakeResult } from '../extension/fixtures/fakeEngine';

describe('cli/rewrite output', () => {
  it('says how many candidates were dropped for losing a protected span, in the human output and in --json', () => {
    const r = { ...fakeResult('run `npm ci` now', { task: 'paraphrase', candidates: 2 }), droppedCandidates: 6 };
    assert.match(formatHuman(r), /\n6 candidates dropped: lost a protected span \(link, code, number…\)\n/);
    assert.equal(toJson(r).droppedCandidates, 6);
    const one = { ...r, droppedCandidates: 1 };
    assert.match(formatHuman(one), /\n1 candidate dropped: /);
    assert.doesNotMatch(formatHuman({ ...r, droppedCandidates: 0 }), /dropped/);
  });
});
