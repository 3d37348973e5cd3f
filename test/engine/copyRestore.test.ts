import * as assert from 'node:assert/strict';
import { preTokenize, renderCandidate, sourceWords, type RenderContext, type SourceWord } from '../../src/engine/copyRestore';
import { cleanDecoded } from '../../src/engine/text';

/**
 * A small uncased WordPiece like the shipped one (lower case, accents stripped, longest match first, `##` pieces),
 * so the expected outputs below can be worked out by hand.
 */
const VOCAB = (
  '[PAD] [UNK] [SEP] rose 12 . 5 % to $ 4 , 25 ##0 e g in zurich cafe the ' +
  'at prices went up sk ##oda see and run guide install i think now ph pi po city'
).split(' ');
const ID = new Map(VOCAB.map((t, i) => [t, i]));
const id = (t: string): number => {
  const i = ID.get(t);
  assert.ok(i !== undefined, t);
  return i;
};
const ids = (s: string): number[] => s.split(' ').map(id);

function encodeWord(word: string): number[] {
  const w = word
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
  const out: number[] = [];
  let at = 0;
  while (at < w.length) {
    let end = w.length;
    while (end > at && !ID.has((at > 0 ? '##' : '') + w.slice(at, end))) end--;
    if (end === at) return [id('[UNK]')];
    out.push(id((at > 0 ? '##' : '') + w.slice(at, end)));
    at = end;
  }
  return out;
}

const PLACEHOLDERS = [id('ph'), id('pi'), id('po')];

function ctx(words: readonly SourceWord[], kinds: string[] = []): RenderContext {
  return {
    decode: (x) => cleanDecoded(x.map((i) => VOCAB[i]).join(' '), ['[PAD]', '[UNK]', '[SEP]']),
    isContinuation: (i) => VOCAB[i].startsWith('##'),
    spanOf: (i) => {
      const k = PLACEHOLDERS.indexOf(i);
      return k >= 0 && words.some((w) => w.span === k) ? k : -1;
    },
    kinds,
    unkId: id('[UNK]'),
  };
}

function render(source: string, out: string, spans: string[] = [], kinds: string[] = []) {
  const words = sourceWords(source, encodeWord, spans, PLACEHOLDERS);
  return renderCandidate(ids(out), words, ctx(words, kinds));
}

describe('engine/copyRestore', () => {
  it("preTokenize cuts as BERT's pre-tokenizer does: at spaces, around every punctuation mark, markers alone", () => {
    const t = 'Zürich, e.g. 12.5% \uE000x';
    assert.deepEqual(preTokenize(t), [
      [0, 6],
      [6, 7],
      [8, 9],
      [9, 10],
      [10, 11],
      [11, 12],
      [13, 15],
      [15, 16],
      [16, 17],
      [17, 18],
      [19, 20],
      [20, 21],
    ]);
    assert.deepEqual(preTokenize('  '), []);
  });

  it('sourceWords keeps each word as written, the gap before it, sentence starts, and placeholders as their span', () => {
    const w = sourceWords('Prices rose. See \uE000 now', encodeWord, ['`x`'], PLACEHOLDERS);
    assert.deepEqual(
      w.map((x) => [x.form, x.gap, x.ids, x.span, x.sentenceInitial]),
      [
        ['Prices', '', [id('prices')], undefined, true],
        ['rose', ' ', [id('rose')], undefined, false],
        ['.', '', [id('.')], undefined, false],
        ['See', ' ', [id('see')], undefined, true],
        ['`x`', ' ', [id('ph')], 0, false],
        ['now', ' ', [id('now')], undefined, false],
      ],
    );
  });

  it('a copied stretch comes back with the source spacing exactly (`12.5%`, `$4,250`, `e.g.`)', () => {
    const source = 'rose 12.5% to $4,250, e.g. in';
    const out = 'rose 12 . 5 % to $ 4 , 25 ##0 , e . g . in';
    // What the whole-string decoding made of it before:
    assert.equal(cleanDecoded(out.split(' ').join(' ')), 'rose 12. 5 % to $ 4, 250, e. g. in');
    assert.deepEqual(render(source, out), { text: 'rose 12.5% to $4,250, e.g. in' });
    // Pieces copied from two places join by the usual rule; each piece keeps its own inner spacing.
    assert.deepEqual(render(source, 'e . g . rose 12 . 5 %'), { text: 'e.g. rose 12.5%' });
  });

  it('a copied word keeps its accents and case; a sentence-initial capital moved inside is lowered', () => {
    const source = 'Prices went up in Zürich, at the Škoda café.';
    assert.deepEqual(render(source, 'in zurich the prices went up'), { text: 'In Zürich the prices went up' });
    assert.deepEqual(render(source, 'prices at the cafe , sk ##oda'), { text: 'Prices at the café, Škoda' });
    // A word the model wrote itself stays as written; a lone "i" is "I".
    assert.deepEqual(render(source, 'i think the city went up'), { text: 'I think the city went up' });
  });

  it('puts protected spans back; repeats and pieces glued to a placeholder are removed', () => {
    const source = 'see \uE000 and run \uE001.';
    const spans = ['`npm ci`', '2.4.1'];
    assert.deepEqual(render(source, 'see ph and run pi .', spans), { text: 'see `npm ci` and run 2.4.1.' });
    assert.deepEqual(render(source, 'see ph ph and pi run pi ##0', spans), { text: 'see `npm ci` and 2.4.1 run' });
    // The model's own words next to a span take the usual spacing.
    assert.deepEqual(render(source, 'install ph , guide pi', spans), { text: 'install `npm ci`, guide 2.4.1' });
  });

  it('drops a candidate that lost a span, has them out of order, or emptied a link', () => {
    const spans = ['`npm ci`', '2.4.1'];
    assert.deepEqual(render('see \uE000 and run \uE001.', 'see ph and run', spans), {
      dropped: 'protected span 2 of 2 is missing or out of order',
    });
    assert.deepEqual(render('see \uE000 and run \uE001.', 'see pi and run ph', spans), {
      dropped: 'protected span 2 of 2 is missing or out of order',
    });
    const link = ['[', '](x.md)'];
    const kinds = ['link-open', 'link-target'];
    assert.deepEqual(render('see \uE000the guide\uE001 now', 'see ph install guide pi now', link, kinds), {
      text: 'see [install guide](x.md) now',
    });
    assert.deepEqual(render('see \uE000the guide\uE001 now', 'see ph the guide pi now', link, kinds), {
      text: 'see [the guide](x.md) now',
    });
    assert.deepEqual(render('see \uE000the guide\uE001 now', 'see ph pi now', link, kinds), { dropped: 'a link lost its text' });
  });

  it('does not capitalise inside a span that opens the text', () => {
    assert.deepEqual(render('\uE000 now see', 'ph now see', ['`npm`']), { text: '`npm` now see' });
  });
});
