import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  DEFAULT_TARGET_BUDGET,
  cleanDecoded,
  normalizeForCompare,
  restoreCase,
  shortenForMessage,
  stripControlChars,
  targetBudget,
} from '../../src/engine/text';

describe('engine/text', () => {
  describe('targetBudget', () => {
    it('is min(maxTarget, ceil(ratio·n) + extra)', () => {
      assert.equal(targetBudget(10, 64, { ratio: 1.5, extra: 6 }), 21);
      assert.equal(targetBudget(11, 64, { ratio: 1.5, extra: 6 }), 23); // ceil(16.5) = 17
      assert.equal(targetBudget(62, 64, { ratio: 1.5, extra: 6 }), 64);
      assert.equal(targetBudget(0, 64, { ratio: 1.5, extra: 6 }), 6);
      assert.equal(targetBudget(0, 64, { ratio: 1, extra: 0 }), 1);
    });
    it('gives every case of the fixture the Python trainer runs too (test/fixtures/target-budget.json)', () => {
      const fx = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'target-budget.json'), 'utf8')) as {
        default: { ratio: number; extra: number };
        cases: { n: number; maxTarget: number; ratio: number; extra: number; budget: number }[];
      };
      assert.deepEqual(DEFAULT_TARGET_BUDGET, fx.default);
      assert.ok(fx.cases.length >= 10);
      for (const c of fx.cases) assert.equal(targetBudget(c.n, c.maxTarget, c), c.budget, JSON.stringify(c));
    });
  });

  describe('stripControlChars / shortenForMessage', () => {
    it('removes C0/C1 controls but keeps tab, newline and carriage return', () => {
      assert.deepEqual(stripControlChars('a\u0000b\tc\nd\r\u001b\u007f\u0085e'), { text: 'ab\tc\nd\re', removed: 4 });
      assert.deepEqual(stripControlChars('plain text'), { text: 'plain text', removed: 0 });
      // A colour code goes whole (it used to leave "[31m"), as do OSC titles and the one-byte CSI; one count each.
      assert.deepEqual(stripControlChars('red \u001b[31mword\u001b[0m.'), { text: 'red word.', removed: 2 });
      assert.deepEqual(stripControlChars('\u001b]0;title\u0007a \u009b1;2Hb \u001b]8;;x\u001b\\c'), { text: 'a b c', removed: 3 });
      assert.deepEqual(stripControlChars('x\u001bMy'), { text: 'xy', removed: 1 });
    });
    it('shortens long words to 24 characters with their length', () => {
      assert.equal(shortenForMessage('short'), 'short');
      assert.equal(shortenForMessage('x'.repeat(24)), 'x'.repeat(24));
      assert.equal(shortenForMessage('x'.repeat(30)), 'x'.repeat(23) + '… (30 characters)');
    });
  });

  describe('cleanDecoded', () => {
    it('strips special tokens and joins word pieces', () => {
      assert.equal(cleanDecoded('[CLS] the un ##believ ##able story [SEP] [PAD] [PAD]'), 'the unbelievable story');
      assert.equal(cleanDecoded('[PARA] hello [MASK] world [UNK]'), 'hello world');
      assert.equal(cleanDecoded('##ing starts'), 'ing starts');
    });
    it('removes spaces before closing punctuation and after opening brackets', () => {
      assert.equal(cleanDecoded('how are you ? fine , thanks !'), 'how are you? fine, thanks!');
      assert.equal(cleanDecoded('a list : one ; two .'), 'a list: one; two.');
      assert.equal(cleanDecoded('the city ( in sudan ) and [ more ]'), 'the city (in sudan) and [more]');
    });
    it('rejoins contractions', () => {
      assert.equal(cleanDecoded("i don ' t know"), "i don't know");
      assert.equal(cleanDecoded("i do n't know"), "i don't know");
      assert.equal(cleanDecoded("it ' s mecca ' s gateway"), "it's mecca's gateway");
      assert.equal(cleanDecoded("we ' re sure they ' ll come , i ' m told"), "we're sure they'll come, i'm told");
      assert.equal(cleanDecoded("the students ' books"), "the students' books");
    });
    it('collapses whitespace', () => {
      assert.equal(cleanDecoded('  a \n  b\t c  '), 'a b c');
      assert.equal(cleanDecoded('[PAD] [SEP]'), '');
    });
    it('removes extra special strings given by the caller', () => {
      assert.equal(cleanDecoded('<x> hi', ['<x>']), 'hi');
    });
  });

  describe('restoreCase', () => {
    it('capitalises the first letter like the source and keeps names', () => {
      assert.equal(
        restoreCase('jeddah is the gateway to mecca.', 'Jeddah is the principal gateway to Mecca, in Saudi Arabia.'),
        'Jeddah is the gateway to Mecca.',
      );
    });
    it('does not spread sentence-initial capitals', () => {
      assert.equal(restoreCase('a view of the city.', 'The view of the city.'), 'A view of the city.');
    });
    it('keeps acronyms and upper-cases a lone i', () => {
      assert.equal(restoreCase('i think nasa is right', 'Is NASA right?'), 'I think NASA is right');
      assert.equal(restoreCase("i'm here", 'here'), "I'm here");
    });
    it('leaves a lower-case source lower case', () => {
      assert.equal(restoreCase('how do i learn', 'how can one learn'), 'how do I learn');
    });
  });

  it('normalizeForCompare lower-cases and collapses whitespace', () => {
    assert.equal(normalizeForCompare('  Hello   World '), 'hello world');
  });
});
