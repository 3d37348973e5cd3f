import * as assert from 'node:assert/strict';
import { parseCommentBlock, type RewriteResult } from '../../src/engine';
import { commentSpan, engineInput, restoreResult } from '../../src/extension/commentSelection';

const DOC = [
  'export function index(): void {',
  '  // The cache is invalidated whenever the',
  '  // configuration file changes.',
  '  rebuild();',
  '}',
];
const lineText = (l: number) => DOC[l];
const sel = (sl: number, sc: number, el: number, ec: number) => ({ start: { line: sl, character: sc }, end: { line: el, character: ec } });

describe('extension/commentSelection', () => {
  it('a selection of part of a comment takes the comment’s whole lines', () => {
    const c = commentSpan(lineText, DOC.length, sel(1, 10, 2, 12), 'typescript');
    assert.ok(c);
    assert.deepEqual([c.startLine, c.endLine], [1, 2]);
    assert.equal(
      engineInput({ original: 'ignored', comment: c.block }),
      'The cache is invalidated whenever the configuration file changes.',
    );
  });

  it('a selection of one line of a wrapped paragraph takes the whole paragraph, and stops at a blank comment line', () => {
    const c = commentSpan(lineText, DOC.length, sel(2, 4, 2, 10), 'typescript');
    assert.ok(c);
    assert.deepEqual([c.startLine, c.endLine], [1, 2]);
    const doc = ['# First paragraph', '# goes on here.', '#', '# Second one', '# too.', 'x = 1'];
    const at = (line: number) => commentSpan((l) => doc[l], doc.length, sel(line, 2, line, 5), 'python');
    assert.deepEqual([at(1)?.startLine, at(1)?.endLine], [0, 1]);
    assert.deepEqual([at(3)?.startLine, at(3)?.endLine], [3, 4]);
    assert.deepEqual(at(3)?.block.lines, ['# Second one', '# too.']);
    // A bullet starts its own paragraph: selecting it does not take the line above.
    const list = ['// Steps:', '// - run the', '//   tests', '// - tag'];
    const li = commentSpan((l) => list[l], list.length, sel(2, 5, 2, 7), 'go');
    assert.deepEqual([li?.startLine, li?.endLine], [1, 2]);
  });

  it('a selection ending at column 0 of the next line does not take that line', () => {
    const c = commentSpan(lineText, DOC.length, sel(1, 0, 3, 0), 'typescript');
    assert.ok(c);
    assert.deepEqual([c.startLine, c.endLine], [1, 2]);
  });

  it('code in the selection, or a language without comments: no comment (the selection is rewritten as it is)', () => {
    assert.equal(commentSpan(lineText, DOC.length, sel(1, 0, 3, 5), 'typescript'), undefined);
    assert.equal(commentSpan(lineText, DOC.length, sel(1, 0, 2, 5), 'markdown'), undefined);
    assert.equal(engineInput({ original: 'Plain text.' }), 'Plain text.');
  });

  it('restoreResult puts every candidate back inside the markers; scores and the rest are kept', () => {
    const block = parseCommentBlock('# Old one.\n#\n# Old two.', 'python')!;
    const result = {
      candidates: [
        { text: 'New one.\nNew two.', mbrScore: 0.5 },
        { text: 'Other one.\nOther two.', mbrScore: 0.25 },
      ],
      mbrIndex: 0,
      segments: 2,
    } as unknown as RewriteResult;
    const r = restoreResult({ comment: block }, result);
    assert.deepEqual(
      r.candidates.map((c) => [c.text, c.mbrScore]),
      [
        ['# New one.\n#\n# New two.', 0.5],
        ['# Other one.\n#\n# Other two.', 0.25],
      ],
    );
    assert.equal(r.mbrIndex, 0);
    assert.equal(restoreResult({}, result), result);
  });
});
