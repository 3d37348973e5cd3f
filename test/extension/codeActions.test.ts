import * as assert from 'node:assert/strict';
import { CODE_ACTION_KIND, rewriteActionsFor } from '../../src/extension/codeActions';

describe('extension/codeActions', () => {
  it('a non-empty selection gets Paraphrase and Simplify, running the context-menu commands', () => {
    assert.deepEqual(rewriteActionsFor('Any text at all.'), [
      { title: 'Paraphrase selection', command: 'diffuseq.paraphrase' },
      { title: 'Simplify selection', command: 'diffuseq.simplify' },
    ]);
  });

  it('an empty or whitespace-only selection gets none', () => {
    assert.deepEqual(rewriteActionsFor(''), []);
    assert.deepEqual(rewriteActionsFor(' \n\t'), []);
  });

  it('the kind is a refactor.rewrite sub-kind (shown in the lightbulb and the Refactor… menu)', () => {
    assert.match(CODE_ACTION_KIND, /^refactor\.rewrite\./);
  });
});
