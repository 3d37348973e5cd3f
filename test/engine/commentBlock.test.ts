import * as assert from 'node:assert/strict';
import {
  commentParagraphs,
  commentProse,
  commentSyntax,
  parseCommentBlock,
  restoreCommentBlock,
  restoreCommentProse,
  wrapWords,
} from '../../src/engine/commentBlock';

function parse(lines: string[], languageId: string) {
  const block = parseCommentBlock(lines.join('\n'), languageId);
  assert.ok(block, `not read as a ${languageId} comment:\n${lines.join('\n')}`);
  return block;
}

describe('engine/commentBlock', () => {
  it('language ids: C-like, Python, shell, SQL, LaTeX have comment syntax; Markdown and plain text none', () => {
    assert.deepEqual(commentSyntax('typescript')?.line, ['///', '//!', '//']);
    assert.equal(commentSyntax('typescript')?.block, true);
    assert.deepEqual(commentSyntax('python'), { line: ['#'], block: false, docstring: true });
    assert.deepEqual(commentSyntax('shellscript')?.line, ['#']);
    assert.deepEqual(commentSyntax('sql')?.line, ['--']);
    assert.deepEqual(commentSyntax('latex')?.line, ['%']);
    assert.equal(commentSyntax('markdown'), undefined);
    assert.equal(commentSyntax('plaintext'), undefined);
  });

  it('wrapWords: greedy, a long word alone, width 0 = one line, a narrower width after the first line', () => {
    assert.deepEqual(wrapWords('aa bb cc dd', 5), ['aa bb', 'cc dd']);
    assert.deepEqual(wrapWords('aa bb cc dd', 4), ['aa', 'bb', 'cc', 'dd']);
    assert.deepEqual(wrapWords('a verylongword b', 5), ['a', 'verylongword', 'b']);
    assert.deepEqual(wrapWords(' aa   bb\tcc ', 0), ['aa bb cc']);
    assert.deepEqual(wrapWords('aa bb cc dd ee', 8, 5), ['aa bb cc', 'dd ee']);
    assert.deepEqual(wrapWords('', 10), ['']);
  });

  it('// block: strip → one paragraph; restore re-wraps to the longest original line with the indentation', () => {
    const lines = [
      '  // The cache is invalidated whenever the',
      '  // configuration file changes, which forces',
      '  // a full rebuild of the index.',
    ];
    const b = parse(lines, 'typescript');
    assert.deepEqual(commentParagraphs(b), [
      'The cache is invalidated whenever the configuration file changes, which forces a full rebuild of the index.',
    ]);
    assert.equal(b.width, 45); // the second line
    // 45 − len('  // ') = 40 characters of text per line.
    assert.equal(
      restoreCommentBlock(b, ['When the configuration file changes the cache is dropped and the whole index is built again.']),
      ['  // When the configuration file changes the', '  // cache is dropped and the whole index is', '  // built again.'].join('\n'),
    );
  });

  it('the unchanged paragraphs restore the block exactly when it was wrapped greedily', () => {
    const lines = ['# One two three four five', '# six seven eight nine.', '#', '# Ten eleven.'];
    const b = parse(lines, 'python');
    assert.deepEqual(commentParagraphs(b), ['One two three four five six seven eight nine.', 'Ten eleven.']);
    assert.equal(restoreCommentBlock(b, commentParagraphs(b)), lines.join('\n'));
  });

  it('blank comment lines and list bullets keep their place; bullets get a hanging indent', () => {
    const lines = [
      '// Steps to take before a release:',
      '//',
      '// - run the whole test suite on a',
      '//   clean checkout',
      '// 2. tag the commit',
      '',
      '// Then publish.',
    ];
    const b = parse(lines, 'go');
    assert.equal(b.width, 34); // 29 characters after '// - ' and after '//   '
    assert.deepEqual(commentParagraphs(b), [
      'Steps to take before a release:',
      'run the whole test suite on a clean checkout',
      'tag the commit',
      'Then publish.',
    ]);
    assert.equal(commentProse(b), commentParagraphs(b).join('\n'));
    assert.equal(
      restoreCommentBlock(b, ['Before you release:', 'run all of the tests in a fresh clone of the repo', 'tag it', 'Publish next.']),
      [
        '// Before you release:',
        '//',
        '// - run all of the tests in a',
        '//   fresh clone of the repo',
        '// 2. tag it',
        '',
        '// Publish next.',
      ].join('\n'),
    );
  });

  it('an unwrapped block (one line per paragraph) stays one line per paragraph', () => {
    const b = parse(['/// Returns the index.'], 'rust');
    assert.equal(b.width, 0);
    assert.equal(
      restoreCommentBlock(b, ['Gives back the position of the item in the list.']),
      '/// Gives back the position of the item in the list.',
    );
  });

  it('/** … */ with leading stars: opener and closer lines kept, JSDoc tags kept verbatim', () => {
    const lines = [
      '    /**',
      '     * Reads the manifest of a package and checks',
      '     * every field.',
      '     *',
      '     * @param dir the package folder',
      '     */',
    ];
    const b = parse(lines, 'typescript');
    assert.equal(b.style, 'block');
    assert.equal(b.width, 49); // 42 characters after '     * '
    assert.deepEqual(commentParagraphs(b), ['Reads the manifest of a package and checks every field.']);
    assert.equal(
      restoreCommentBlock(b, ['Loads a package manifest and validates all of its fields one by one.']),
      [
        '    /**',
        '     * Loads a package manifest and validates all',
        '     * of its fields one by one.',
        '     *',
        '     * @param dir the package folder',
        '     */',
      ].join('\n'),
    );
  });

  it('/* text */ on one line keeps both markers; a selection inside a JSDoc (only * lines) is a block too', () => {
    const one = parse(['/* Old value. */'], 'c');
    assert.deepEqual(commentParagraphs(one), ['Old value.']);
    assert.equal(restoreCommentBlock(one, ['Previous value.']), '/* Previous value. */');
    const inner = parse([' * First sentence here.', ' * Second one.'], 'java');
    assert.deepEqual(commentParagraphs(inner), ['First sentence here. Second one.']);
    assert.equal(restoreCommentBlock(inner, ['One two three four five six']), [' * One two three four', ' * five six'].join('\n'));
  });

  it('Python docstring: quotes stay on their lines; continuation lines at the docstring indentation', () => {
    const lines = ['    """Return the number of tokens in the', '    text, counting word pieces."""'];
    const b = parse(lines, 'python');
    assert.equal(b.style, 'docstring');
    assert.deepEqual(commentParagraphs(b), ['Return the number of tokens in the text, counting word pieces.']);
    // width 42: 35 characters after '    """', 38 after '    '.
    assert.equal(
      restoreCommentBlock(b, ['Count the word pieces of the text and give back how many there are.']),
      ['    """Count the word pieces of the text', '    and give back how many there are."""'].join('\n'),
    );
  });

  it('-- (SQL) and % (LaTeX) comments', () => {
    const sql = parse(['-- Keep only active users.'], 'sql');
    assert.equal(restoreCommentBlock(sql, ['Only users who are active.']), '-- Only users who are active.');
    const tex = parse(['% TODO: shorten this section.'], 'latex');
    assert.deepEqual(commentParagraphs(tex), ['TODO: shorten this section.']);
    assert.equal(restoreCommentBlock(tex, ['TODO: make this part shorter.']), '% TODO: make this part shorter.');
  });

  it('CRLF line breaks are kept', () => {
    const b = parseCommentBlock('# aaa bbb\r\n# ccc', 'python');
    assert.ok(b);
    assert.equal(restoreCommentBlock(b, ['xxx yyy zzz']), '# xxx yyy\r\n# zzz');
  });

  it('not a comment block: code lines, a comment that ends before the selection does, Markdown, no prose', () => {
    assert.equal(parseCommentBlock('// a comment\nconst x = 1;', 'typescript'), undefined);
    assert.equal(parseCommentBlock('/* done */\nconst x = 1;', 'typescript'), undefined);
    assert.equal(parseCommentBlock('# Title\n\nSome text.', 'markdown'), undefined);
    assert.equal(parseCommentBlock('// ----------', 'typescript'), undefined);
    assert.equal(parseCommentBlock('"""Open docstring\nnot closed', 'python'), undefined);
  });

  it('restore never drops text: a missing paragraph keeps its original, extra ones join the last', () => {
    const b = parse(['# One.', '#', '# Two.'], 'python');
    assert.equal(restoreCommentBlock(b, ['Uno.']), ['# Uno.', '#', '# Two.'].join('\n'));
    assert.equal(restoreCommentBlock(b, ['Uno.', 'Dos.', 'Tres.']), ['# Uno.', '#', '# Dos. Tres.'].join('\n'));
    // The engine's output: one paragraph per line.
    assert.equal(restoreCommentProse(b, 'Uno.\nDos.'), ['# Uno.', '#', '# Dos.'].join('\n'));
  });
});
