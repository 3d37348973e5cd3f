import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  END,
  GROUPS,
  LONG_SENTENCES,
  QUESTIONS,
  START,
  STATEMENTS,
  inputsInData,
  pickOthers,
  renderShowcase,
  replaceSection,
} from '../../bench/showcase';
import { dataDir } from '../../bench/lib/engine';
import { isCI } from '../../src/trainer/pythonTests';

describe('bench/showcase', () => {
  it('has 10 questions, 10 statements and 10 long sentences', () => {
    assert.equal(QUESTIONS.length, 10);
    assert.equal(STATEMENTS.length, 10);
    assert.equal(LONG_SENTENCES.length, 10);
    assert.ok(QUESTIONS.every((q) => q.endsWith('?')));
    assert.ok(STATEMENTS.filter((s) => s.endsWith('?')).length <= 1, 'statements, mostly (one e-mail line asks)');
    assert.deepEqual(
      GROUPS.map((g) => g.inputs.length),
      [10, 10, 10],
    );
    assert.ok(
      LONG_SENTENCES.every((s) => s.split(' ').length >= 20),
      'long enough to simplify',
    );
  });

  it('none of the inputs is in the shared data (train, valid or test)', function () {
    const dir = dataDir();
    if (!fs.existsSync(dir)) {
      if (isCI()) throw new Error(`no data at ${dir}`);
      this.skip();
    }
    assert.deepEqual(
      inputsInData(
        dir,
        GROUPS.flatMap((g) => g.inputs),
      ),
      [],
    );
  });

  it('finds an input that is in the data, whatever its case and punctuation', () => {
    const tmp = fs.mkdtempSync('/tmp/showcase-');
    fs.writeFileSync(`${tmp}/x.jsonl`, JSON.stringify({ src: 'other', refs: ['why do cats sleep so much during the day'] }) + '\n');
    assert.deepEqual(inputsInData(tmp, QUESTIONS), [QUESTIONS[2]]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('picks two other distinct candidates, in order, never the MBR choice', () => {
    assert.deepEqual(pickOthers(['a', 'b', 'a', 'c', 'd'], 0), ['b', 'c']);
    assert.deepEqual(pickOthers(['a', 'b', 'b', 'c'], 1), ['a', 'c']);
    assert.deepEqual(pickOthers(['a', 'a'], 0), []);
  });

  it('replaces only its own section, and inserts one after the title when there is none', () => {
    const sec = renderShowcase(
      [{ group: 'Paraphrase: questions', task: 'paraphrase', input: 'x | y', mbr: 'm', others: ['o1', ''] }],
      'how',
    );
    assert.ok(sec.startsWith(START) && sec.endsWith(END));
    assert.match(sec, /\*\*Paraphrase: questions\*\*/);
    assert.match(sec, /\| x \\\| y \| m \| o1<br>\*\(empty\)\* \|/);
    const doc = `# Title\nbefore\n${START}\nold\n${END}\nafter\n`;
    assert.equal(replaceSection(doc, sec), `# Title\nbefore\n${sec}\nafter\n`);
    assert.equal(replaceSection('# T\nrest\n', 'S'), '# T\n\nS\nrest\n');
  });
});
