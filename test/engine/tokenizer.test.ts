import * as assert from 'node:assert/strict';
import { loadModelPackage } from '../../src/engine/package';
import { Tokenizer, unknownWordsWarning } from '../../src/engine/tokenizer';
import { requireTestModel, vocabWords } from '../cli/testModel';

describe('engine/tokenizer', function () {
  this.timeout(60000);
  let tok: Tokenizer;
  let manifest: ReturnType<typeof loadModelPackage>['manifest'];
  let words: string[];
  before(async function () {
    const model = await requireTestModel(this);
    words = vocabWords(model, 8);
    const p = loadModelPackage(model);
    manifest = p.manifest;
    tok = await Tokenizer.load(p.dir, p.manifest.tokens.unk);
  });

  it('encodes without special tokens', () => {
    const text = words.join(' ');
    const ids = tok.encodeIds(text);
    assert.ok(ids.length >= words.length);
    const special = new Set([manifest.tokens.pad, manifest.tokens.sep, ...Object.values(manifest.tasks).map((t) => t.id)]);
    assert.ok(
      ids.every((id) => !special.has(id)),
      `no special ids in ${ids}`,
    );
    assert.equal(tok.count(text), ids.length);
    assert.equal(tok.count('   '), 0);
  });

  it('decodes back to clean text (uncased)', () => {
    const text = words.slice(0, 6).join(' ');
    assert.equal(tok.decode(tok.encodeIds(text)), text);
    assert.equal(tok.decode(tok.encodeIds(text.toUpperCase())), text);
    assert.equal(tok.decode([]), '');
    // special ids are dropped
    const two = words.slice(0, 2).join(' ');
    const ids = [manifest.tokens.sep, ...tok.encodeIds(two), manifest.tokens.pad];
    assert.equal(tok.decode(ids), two);
  });

  it('names words the vocabulary cannot represent', () => {
    const e = tok.encode(`${words[0]} 😀 ${words[1]} ꙮꙮ.`);
    assert.ok(e.ids.includes(manifest.tokens.unk));
    assert.deepEqual(e.unknownWords, ['😀', 'ꙮꙮ']);
    assert.equal(
      unknownWordsWarning(e.unknownWords),
      `2 words are not in the model's vocabulary ("😀", "ꙮꙮ"); they were replaced by [UNK]`,
    );
    assert.deepEqual(tok.encode(words.join(' ')).unknownWords, []);
    assert.equal(unknownWordsWarning([]), undefined);
    assert.match(unknownWordsWarning(['x'])!, /^1 word is not in the model's vocabulary/);
    // A 5 000-character "word" is quoted short, with its length.
    const long = unknownWordsWarning(['ꙮ'.repeat(5000)])!;
    assert.ok(long.length < 150, long);
    assert.match(long, /\("ꙮ{23}… \(5000 characters\)"\)/);
  });
});
