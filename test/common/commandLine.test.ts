import * as assert from 'node:assert/strict';
import {
  USAGE_EXIT,
  UserError,
  choiceFlag,
  describeExit,
  intFlag,
  numberFlag,
  parseCommandLine,
  reportError,
  reportingErrors,
  usageError,
} from '../../src/common/commandLine';

const OPTIONS = {
  data: { type: 'string', multiple: true },
  task: { type: 'string', multiple: true },
  candidates: { type: 'string' },
  quick: { type: 'boolean' },
} as const;

function usage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) => e instanceof UserError && e.exitCode === USAGE_EXIT && pattern.test(e.message) && !e.message.includes('\n'),
  );
}

describe('common/commandLine', () => {
  it('groups the plain arguments after a grouped option, in order', () => {
    const r = parseCommandLine(
      'prepare',
      ['--data', 'a', 'b', '--task', 'paraphrase', '--data=c', '--task', 'simplify', '--quick'],
      OPTIONS,
      ['data'],
    );
    assert.deepEqual(r.occurrences, [
      { name: 'data', values: ['a', 'b'] },
      { name: 'task', values: ['paraphrase'] },
      { name: 'data', values: ['c'] },
      { name: 'task', values: ['simplify'] },
      { name: 'quick', values: [] },
    ]);
    assert.deepEqual(r.positionals, []);
    // Not grouped: plain arguments are positionals; after `--` everything is.
    const p = parseCommandLine('rewrite', ['--candidates', '3', 'hello', 'world', '--', '--quick'], OPTIONS);
    assert.equal(p.values.candidates, '3');
    assert.deepEqual(p.positionals, ['hello', 'world', '--quick']);
  });

  it('turns parseArgs errors into one usage line with the help pointer', () => {
    usage(
      () => parseCommandLine('rewrite', ['--bogus'], OPTIONS),
      /^diffuseq rewrite: Unknown option '--bogus'.* \(see diffuseq rewrite --help\)$/,
    );
    usage(() => parseCommandLine('rewrite', ['--candidates'], OPTIONS), /argument missing \(see diffuseq rewrite --help\)$/);
    usage(
      () => parseCommandLine('npm run bench --', ['--x'], OPTIONS),
      /^npm run bench --: Unknown option '--x'.*\(see npm run bench -- --help\)$/,
    );
  });

  it('refuses a value option given twice (it used to take the last silently); repeatable ones collect', () => {
    usage(
      () => parseCommandLine('rewrite', ['--candidates', '3', 'x', '--candidates=5'], OPTIONS),
      /^diffuseq rewrite: --candidates is given more than once \(see diffuseq rewrite --help\)$/,
    );
    assert.deepEqual(parseCommandLine('prepare', ['--task', 'a', '--task', 'b'], OPTIONS).values.task, ['a', 'b']);
    assert.equal(parseCommandLine('rewrite', ['--quick', '--quick'], OPTIONS).values.quick, true);
  });

  it('says how a child process ended, never "exit code null"', () => {
    assert.equal(describeExit(3, null), 'exited with code 3');
    assert.equal(describeExit(null, 'SIGKILL'), 'was stopped by signal SIGKILL');
    assert.equal(describeExit(null, null), 'ended without an exit code (it could not be started, or was killed)');
  });

  it('takes a negative number as a value, so the range check can name it', () => {
    const r = parseCommandLine('rewrite', ['--candidates', '-1'], OPTIONS);
    assert.equal(r.values.candidates, '-1');
    usage(
      () => intFlag('rewrite', 'candidates', r.values.candidates, 1, 64),
      /^diffuseq rewrite: --candidates must be an integer from 1 to 64 \(got "-1"\)$/,
    );
  });

  it('reads integers and numbers in decimal only', () => {
    assert.equal(intFlag('x', 'n', '12', 1, 64), 12);
    assert.equal(intFlag('x', 'n', undefined, 1, 64), undefined);
    for (const bad of ['0x2', '1e1', '2.0', '', ' ', 'ten', '65', '0', ' 3', '3 ', '+3']) {
      usage(() => intFlag('x', 'n', bad, 1, 64), /--n must be an integer from 1 to 64/);
    }
    assert.equal(numberFlag('x', 'f', '0.25', 0, 1), 0.25);
    assert.equal(numberFlag('x', 'f', '.5', 0), 0.5);
    usage(() => numberFlag('x', 'f', '1e-3', 0), /--f must be a number ≥ 0 \(got "1e-3"\)/);
    usage(() => numberFlag('x', 'f', '2', 0, 1), /--f must be a number from 0 to 1/);
    usage(() => numberFlag('x', 'f', '+0.5', 0, 1), /--f must be a number from 0 to 1/);
    usage(() => numberFlag('x', 'f', ' 0.5', 0, 1), /--f must be a number from 0 to 1/);
    assert.equal(choiceFlag('x', 'c', 'b', ['a', 'b'] as const), 'b');
    usage(() => choiceFlag('x', 'c', 'z', ['a', 'b'] as const), /--c must be one of a, b \(got "z"\)/);
  });

  it('reports a UserError whole with its exit code, anything else as one line', async () => {
    let err = '';
    const io = { stderr: { write: (s: string) => (err += s) }, env: {} };
    assert.equal(reportError(new UserError('no Python with PyTorch found.\n  tried python3: no torch'), io), 1);
    assert.equal(err, 'diffuseq: no Python with PyTorch found.\n  tried python3: no torch\n');
    err = '';
    assert.equal(reportError(usageError('train', '--config FILE.json is required'), io), USAGE_EXIT);
    assert.equal(err, 'diffuseq train: --config FILE.json is required\n');
    err = '';
    assert.equal(reportError(new Error('boom\n    at somewhere (x.js:1:1)'), io), 1);
    assert.equal(err, 'diffuseq: boom\n');
    err = '';
    const abort = Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
    assert.equal(await reportingErrors(io, () => Promise.reject(abort)), 130);
    assert.equal(err, 'diffuseq: cancelled\n');
    assert.equal(await reportingErrors(io, () => Promise.resolve(0)), 0);
  });
});
