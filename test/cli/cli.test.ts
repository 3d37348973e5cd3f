import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT, copyPackage, requireTestModel } from './testModel';

const BIN = path.join(REPO_ROOT, 'bin', 'diffuseq.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function diffuseq(args: string[], opts: { input?: string; model?: string } = {}): Run {
  const env = { ...process.env };
  delete env.DIFFUSEQ_MODEL;
  delete env.DIFFUSEQ_DEBUG;
  if (opts.model) {
    env.DIFFUSEQ_MODEL = opts.model;
  }
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? '', env, encoding: 'utf8', timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A failure: non-zero exit, exactly one line on stderr, no stack trace. */
function assertOneLineError(r: Run, code: number, pattern: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  assert.match(lines[0], pattern);
}

describe('cli: diffuseq', function () {
  this.timeout(120000);

  describe('without a model', () => {
    it('prints help for the command and each subcommand', () => {
      const main = diffuseq(['--help']);
      assert.equal(main.code, 0);
      assert.match(main.stdout, /usage: diffuseq <command>/);
      for (const cmd of ['rewrite', 'eval']) {
        const r = diffuseq([cmd, '--help']);
        assert.equal(r.code, 0);
        assert.match(r.stdout, new RegExp(`usage: diffuseq ${cmd} --task`));
      }
      assert.equal(diffuseq([]).code, 2);
    });

    it('rejects bad flags with one line and exit code 2', () => {
      const cases: [string[], RegExp][] = [
        [
          ['rewrite', '--task', 'paraphrase', '--steps', '0', 'hi'],
          /^diffuseq rewrite: --steps must be an integer from 1 to 50 \(got "0"\)$/,
        ],
        [['rewrite', '--task', 'paraphrase', '--steps', '51', 'hi'], /--steps must be an integer from 1 to 50/],
        [['rewrite', '--task', 'paraphrase', '--steps', 'ten', 'hi'], /--steps must be an integer/],
        [['rewrite', '--task', 'paraphrase', '--order', '4', 'hi'], /--order must be an integer from 1 to 3 \(got "4"\)/],
        [['rewrite', '--task', 'paraphrase', '--candidates', '0', 'hi'], /--candidates must be an integer from 1 to 64/],
        [
          ['rewrite', '--task', 'paraphrase', '--candidates', '-1', 'hi'],
          /^diffuseq rewrite: --candidates must be an integer from 1 to 64 \(got "-1"\)$/,
        ],
        [['rewrite', '--task', 'paraphrase', '--candidates', '0x2', 'hi'], /--candidates must be an integer from 1 to 64 \(got "0x2"\)/],
        [['rewrite', '--task', 'paraphrase', '--steps', '1e1', 'hi'], /--steps must be an integer from 1 to 50 \(got "1e1"\)/],
        [['rewrite', '--task', 'paraphrase', '--candidates', ' 3', 'hi'], /--candidates must be an integer from 1 to 64 \(got " 3"\)/],
        [['rewrite', '--task', 'paraphrase', '--candidates', '+3', 'hi'], /--candidates must be an integer from 1 to 64 \(got "\+3"\)/],
        [['rewrite', '--task', 'paraphrase', '--candidates', '3', '--candidates', '5', 'hi'], /--candidates is given more than once/],
        [['rewrite', '--task', 'paraphrase', '--sampler', 'euler', 'hi'], /--sampler must be one of dpm, ddpm \(got "euler"\)/],
        [['rewrite', '--task', 'paraphrase', '--noise', 'uniform', 'hi'], /--noise must be one of gaussian, absorbing/],
        [['rewrite', '--task', 'paraphrase', '--solver', 'x', 'hi'], /--solver must be one of textbook, x0-reset/],
        [['rewrite', '--task', 'paraphrase', '--provider', 'tpu', 'hi'], /--provider must be one of auto, cpu, cuda, dml, webgpu, coreml/],
        [['rewrite', '--task', 'paraphrase', '--bogus', 'hi'], /^diffuseq rewrite: Unknown option '--bogus'/],
        [['rewrite', '--task', 'paraphrase', '--steps'], /argument missing/],
        [['rewrite', 'hi'], /--task is required/],
        [['rewrite', '--task', 'paraphrase', '   '], /nothing to rewrite: the text is empty/],
        [['eval', '--task', 'paraphrase'], /--data FILE\.jsonl is required/],
        [['eval', '--task', 'paraphrase', '--data', 'x.jsonl', '--limit', '0'], /--limit must be an integer/],
        [['frobnicate'], /unknown command "frobnicate"/],
      ];
      for (const [args, re] of cases) {
        assertOneLineError(diffuseq(args), 2, re);
      }
      // Empty standard input is empty text too.
      assertOneLineError(diffuseq(['rewrite', '--task', 'paraphrase'], { input: '\n' }), 2, /the text is empty/);
    });

    it('says when the model folder is missing', () => {
      assertOneLineError(
        diffuseq(['rewrite', '--task', 'paraphrase', '--model', '/nonexistent/model', 'hi']),
        1,
        /^diffuseq: \/nonexistent\/model: model folder not found \(from --model\)$/,
      );
      assertOneLineError(
        diffuseq(['rewrite', '--task', 'paraphrase', 'hi'], { model: '/nonexistent/env-model' }),
        1,
        /\/nonexistent\/env-model: model folder not found \(from the DIFFUSEQ_MODEL environment variable\)/,
      );
    });

    it('reads the data file before loading the model: unreadable and malformed files', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-cli-'));
      const bad = path.join(dir, 'bad.jsonl');
      fs.writeFileSync(bad, '{"src":"a","trg":"b"}\n{"src": oops}\n');
      assertOneLineError(diffuseq(['eval', '--task', 'paraphrase', '--data', bad]), 1, /bad\.jsonl:2: not valid JSON/);
      assertOneLineError(
        diffuseq(['eval', '--task', 'paraphrase', '--data', path.join(dir, 'missing.jsonl')]),
        1,
        /cannot read .*missing\.jsonl: no such file/,
      );
    });

    it('eval checks --out before any work: a missing or read-only folder, a folder as the file', function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-cli-out-'));
      const data = path.join(dir, 'd.jsonl');
      fs.writeFileSync(data, '{"src":"a b","trg":"c d"}\n');
      // A model that does not exist: the --out check must come first, so the error names --out, not the model.
      const base = ['eval', '--task', 'paraphrase', '--data', data, '--model', '/nonexistent/model', '--out'];
      assertOneLineError(
        diffuseq([...base, path.join(dir, 'no', 'r.json')]),
        1,
        /cannot write --out .*r\.json: its folder does not exist; nothing was run$/,
      );
      assertOneLineError(diffuseq([...base, dir]), 1, /cannot write --out .*: it is a folder; nothing was run$/);
      if (process.getuid?.() !== 0) {
        const ro = path.join(dir, 'ro');
        fs.mkdirSync(ro, { mode: 0o555 });
        assertOneLineError(diffuseq([...base, path.join(ro, 'r.json')]), 1, /cannot write --out .*: permission denied; nothing was run$/);
      }
      assert.deepEqual(fs.readdirSync(dir).sort(), process.getuid?.() !== 0 ? ['d.jsonl', 'ro'] : ['d.jsonl'], 'no temp file left behind');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('a failing standard output (> /dev/full) is one line, not a stack trace', function () {
      if (!fs.existsSync('/dev/full')) this.skip();
      const fd = fs.openSync('/dev/full', 'w');
      try {
        const r = spawnSync(process.execPath, [BIN, 'rewrite', '--help'], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
        assertOneLineError(
          { code: r.status, stdout: '', stderr: r.stderr },
          1,
          /^diffuseq: cannot write the output to stdout: no space left/,
        );
      } finally {
        fs.closeSync(fd);
      }
    });

    it('dispatches prepare to the trainer', () => {
      const r = diffuseq(['prepare', '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /usage: diffuseq prepare/);
    });
  });

  describe("the README's main command", () => {
    it('prints its answer and nothing on stderr, npm warnings included', function () {
      const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
      const m = /&& (npx diffuseq rewrite [^\n]*)\n/.exec(readme);
      assert.ok(m, 'README has the main command');
      if (!fs.existsSync(path.join(REPO_ROOT, 'models', 'default', 'manifest.json'))) this.skip();
      const env = { ...process.env };
      delete env.DIFFUSEQ_MODEL;
      const r = spawnSync(m[1], { cwd: REPO_ROOT, shell: true, env, encoding: 'utf8', timeout: 120000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^\* \[\d\] \S/);
    });
  });

  describe('with a real model package', () => {
    let model: string;
    before(async function () {
      model = await requireTestModel(this);
    });

    it('rewrite --json prints exactly the documented object', () => {
      const r = diffuseq(
        ['rewrite', '--task', 'paraphrase', '--candidates', '3', '--steps', '2', '--seed', '5', '--json', 'How can I be a good geologist?'],
        { model },
      );
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(j), [
        'candidates',
        'mbrIndex',
        'droppedCandidates',
        'diversity',
        'constraints',
        'timings',
        'executionProvider',
        'warnings',
      ]);
      assert.equal(j.droppedCandidates, 0);
      assert.deepEqual(Object.keys(j.constraints), ['inventedWordsReplaced', 'repeatsCollapsed', 'candidatesChanged']);
      assert.equal(j.candidates.length, 3);
      for (const c of j.candidates) {
        assert.deepEqual(Object.keys(c), ['text', 'mbrScore']);
      }
      assert.deepEqual(Object.keys(j.diversity).sort(), ['dist1', 'div4', 'selfBleu']);
      assert.deepEqual(Object.keys(j.timings), ['tokenize', 'network', 'solver', 'rounding', 'mbr', 'total']);
      assert.equal(j.executionProvider, 'cpu');
      // Same seed, same candidates; text from standard input works the same way.
      const s = diffuseq(['rewrite', '--task', 'paraphrase', '--candidates', '3', '--steps', '2', '--seed', '5', '--json'], {
        model,
        input: 'How can I be a good geologist?\n',
      });
      assert.equal(s.code, 0, s.stderr);
      assert.deepEqual(
        JSON.parse(s.stdout).candidates.map((c: { text: string }) => c.text),
        j.candidates.map((c: { text: string }) => c.text),
      );
    });

    it('rewrite --json counts the candidates the constraints changed; --unconstrained changes none', () => {
      const args = ['rewrite', '--task', 'paraphrase', '--candidates', '8', '--steps', '2', '--seed', '3', '--json'];
      const text = 'The committee decided to postpone the annual meeting because several members could not travel.';
      const on = diffuseq([...args, text], { model });
      const off = diffuseq([...args, '--unconstrained', text], { model });
      assert.equal(on.code, 0, on.stderr);
      assert.equal(off.code, 0, off.stderr);
      const a = JSON.parse(on.stdout);
      const b = JSON.parse(off.stdout);
      assert.deepEqual(b.constraints, { inventedWordsReplaced: 0, repeatsCollapsed: 0, candidatesChanged: 0 });
      // The same seed samples the same candidates: exactly the ones the constraints changed differ.
      const differ = a.candidates.filter((c: { text: string }, i: number) => c.text !== b.candidates[i].text).length;
      assert.equal(a.constraints.candidatesChanged, differ);
      assert.ok(a.constraints.inventedWordsReplaced + a.constraints.repeatsCollapsed >= differ);
    });

    it('rewrite prints the MBR choice first, then the others, diversity and timings', () => {
      const r = diffuseq(['rewrite', '--task', 'simplify', '--candidates', '3', '--steps', '2', '--seed', '1', 'Why is the sky blue?'], {
        model,
      });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split('\n');
      assert.match(lines[0], /^\* \[\d\] /);
      assert.match(lines[1], /MBR score [\d.]+ \(chosen\)/);
      assert.match(lines[2], /^ {2}\[\d\] /);
      assert.match(r.stdout, /\ndiversity: self-BLEU [\d.]+ .*div-4 [\d.]+, dist-1 [\d.]+\n/);
      assert.match(r.stdout, /\ntime: [\d.]+ ms on cpu \(network /);
    });

    it("names the model's tasks for an unknown task, with the usage exit code like every bad flag", () => {
      assertOneLineError(
        diffuseq(['rewrite', '--task', 'summarize', 'hi'], { model }),
        2,
        /^diffuseq rewrite: unknown task "summarize": this model supports paraphrase, simplify$/,
      );
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-cli-task-'));
      const data = path.join(dir, 'd.jsonl');
      fs.writeFileSync(data, '{"src":"Why is the sky blue?","trg":"What makes the sky blue?"}\n');
      assertOneLineError(
        diffuseq(['eval', '--task', 'summarize', '--data', data], { model }),
        2,
        /^diffuseq eval: unknown task "summarize"/,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('says once, without --verbose, when the provider asked for is not available', function () {
      if (process.platform === 'win32' || process.platform === 'darwin') {
        this.skip(); // there coreml/dml may well work
      }
      const r = diffuseq(
        ['rewrite', '--task', 'paraphrase', '--provider', 'coreml', '--candidates', '2', '--steps', '2', '--seed', '1', 'hi there'],
        { model },
      );
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^warning: asked for coreml, running on cpu: coreml is not available/);
      const j = JSON.parse(
        diffuseq(['rewrite', '--task', 'paraphrase', '--provider', 'coreml', '--candidates', '2', '--steps', '2', '--json', 'hi there'], {
          model,
        }).stdout,
      );
      assert.equal(j.executionProvider, 'cpu');
      assert.equal(j.warnings.filter((w: string) => /asked for coreml/.test(w)).length, 1);
    });

    it('warns when standard input is not valid UTF-8, and refuses text the model cannot read', () => {
      const env: NodeJS.ProcessEnv = { ...process.env, DIFFUSEQ_MODEL: model };
      delete env.DIFFUSEQ_DEBUG;
      const r = spawnSync(process.execPath, [BIN, 'rewrite', '--task', 'paraphrase', '--candidates', '2', '--steps', '2'], {
        input: Buffer.concat([Buffer.from('Why is the sky blue'), Buffer.from([0xff]), Buffer.from('?\n')]),
        env,
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /^warning: standard input is not valid UTF-8: 1 invalid byte sequence was replaced by "\uFFFD"$/m);
      assertOneLineError(
        diffuseq(['rewrite', '--task', 'paraphrase', '今天天气很好'], { model }),
        1,
        /^diffuseq: the model cannot read this text: none of its words is in the model's vocabulary \("今天天气很好"\), so nothing was rewritten$/,
      );
    });

    it('reports a manifest version mismatch in one line', () => {
      const dir = copyPackage(model, 'cli-v2');
      const p = path.join(dir, 'manifest.json');
      const m = JSON.parse(fs.readFileSync(p, 'utf8'));
      m.formatVersion = 2;
      fs.writeFileSync(p, JSON.stringify(m));
      assertOneLineError(
        diffuseq(['rewrite', '--task', 'paraphrase', '--model', dir, 'hi']),
        1,
        /manifest\.json formatVersion 2 is not supported \(this engine reads 1\)$/,
      );
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('eval --json and --out', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-cli-eval-'));
      const data = path.join(dir, 'd.jsonl');
      fs.writeFileSync(
        data,
        '{"src":"How can I be a good geologist?","trg":"What should I do to be a great geologist?"}\n' +
          '{"src":"Why is the sky blue?","refs":["What makes the sky blue?","Why does the sky look blue?"]}\n' +
          '{"src":"not used","trg":"x"}\n',
      );
      const out = path.join(dir, 'report.json');
      const r = diffuseq(
        ['eval', '--task', 'paraphrase', '--data', data, '--limit', '2', '--candidates', '2', '--steps', '2', '--json', '--out', out],
        { model },
      );
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.examples, 2);
      assert.ok('bleu' in j.mbr && 'bleu' in j.single && 'selfBleu' in j.diversity && 'msPerSentence' in j.timing);
      assert.equal(j.results, undefined);
      const full = JSON.parse(fs.readFileSync(out, 'utf8'));
      assert.equal(full.results.length, 2);
      assert.equal(full.results[0].candidates.length, 2);
      const human = diffuseq(['eval', '--task', 'paraphrase', '--data', data, '--limit', '1', '--candidates', '2', '--steps', '1'], {
        model,
      });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /BLEU .*\n.*ROUGE-L/);
    });
  });
});
