/**
 * `npm run showcase`: what the model writes, before any number. Rewrites 30 fixed inputs (10 questions and 10
 * statements of the kinds people select in an editor to paraphrase, 10 long sentences to simplify; written for this
 * page, none of them in the training data) with the
 * bundled model and replaces the showcase section of docs/model.md (between the markers below) with the MBR
 * choice and two other candidates of each. Run it whenever models/default changes.
 *
 *   node out/bench/showcase.js [--model DIR] [--out docs/model.md] [--data ../shared/data] [--print]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RewriteEngine, type Task } from '../src/engine';
import { flag, parseArgs, str } from './lib/args';
import { dataDir, defaultModelDir, repoRoot } from './lib/engine';

export const START = '<!-- showcase:start (npm run showcase rewrites this section) -->';
export const END = '<!-- showcase:end -->';

export const QUESTIONS: readonly string[] = [
  'How can I improve my English writing skills quickly?',
  'What is the best way to prepare for a job interview?',
  'Why do cats sleep so much during the day?',
  'How do I stop procrastinating when I work from home?',
  'What are some good books for learning about economics?',
  'Is it healthy to drink coffee every morning?',
  'How can I save money on groceries each month?',
  'What should I know before adopting a dog?',
  'Why is the ocean salty but rivers are not?',
  'How do I start learning to play the guitar as an adult?',
];

/** Statements of the kinds people select in an editor: READMEs and docs, code comments, e-mails, papers, commits. */
export const STATEMENTS: readonly string[] = [
  'Run the install script once before you start the development server for the first time.',
  'This library lets you resize and crop large images without loading them fully into memory.',
  'Cache the parsed configuration so that later calls do not have to read the file again.',
  'The retry loop stops after five attempts because the server usually recovers within a minute.',
  'Thank you for sending the report so quickly, I will read it carefully before our meeting on Friday.',
  'I am afraid I cannot join the call tomorrow morning, so could we move it to the afternoon instead?',
  'Our results show that the proposed method halves the training time without any loss in accuracy.',
  'These findings suggest that the effect is much stronger in older patients than in younger ones.',
  'The login page now shows a clear error message when the password is wrong.',
  'The committee postponed the decision because several members were unable to attend the meeting.',
];

export const LONG_SENTENCES: readonly string[] = [
  'The committee, which had been meeting every week since the beginning of the year, finally reached an agreement on the new budget after several lengthy discussions.',
  'Despite the heavy rain that continued throughout the afternoon, thousands of people gathered in the central square to celebrate the opening of the new library.',
  'The researchers discovered that the plant, which grows only in a small region of the mountains, produces a chemical that may be useful in treating certain diseases.',
  'Because the bridge had been damaged by the storm, drivers were forced to take a much longer route that added nearly an hour to their daily journey.',
  'The museum, founded in the nineteenth century by a wealthy merchant, contains one of the largest collections of ancient coins in the world.',
  'Although the company reported record profits last year, it announced that it would close several factories and reduce the number of its employees.',
  'The novel, which was originally published in a small magazine, became extremely popular after it was adapted into a successful television series.',
  'Scientists believe that the gradual warming of the oceans is causing many species of fish to move towards the colder waters near the poles.',
  'The town council decided to postpone the construction of the new school until it could secure additional funding from the national government.',
  'After spending more than ten years working abroad, the engineer returned to her home country to start a business that builds solar panels.',
];

/** The showcase's three groups: its heading, the task and the inputs. */
export const GROUPS: ReadonlyArray<{ heading: string; task: Task; inputs: readonly string[] }> = [
  { heading: 'Paraphrase: questions', task: 'paraphrase', inputs: QUESTIONS },
  { heading: 'Paraphrase: statements (what people select in an editor)', task: 'paraphrase', inputs: STATEMENTS },
  { heading: 'Simplify', task: 'simplify', inputs: LONG_SENTENCES },
];

export interface ShowcaseRow {
  /** The group's heading (GROUPS). */
  group: string;
  task: Task;
  input: string;
  mbr: string;
  others: string[];
}

/** The MBR choice and up to `k` other candidates, distinct from it and from each other (in candidate order). */
export function pickOthers(candidates: readonly string[], mbrIndex: number, k = 2): string[] {
  const mbr = candidates[mbrIndex];
  const seen = new Set([mbr]);
  const out: string[] = [];
  for (const c of candidates) {
    if (out.length >= k) break;
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  }
  return out;
}

const cell = (s: string) => (s.trim() === '' ? '*(empty)*' : s.replace(/\|/g, '\\|'));

/** The markdown of the showcase section (markers included). */
export function renderShowcase(rows: readonly ShowcaseRow[], how: string): string {
  const lines = [START, '', how, ''];
  for (const group of [...new Set(rows.map((r) => r.group))]) {
    const mine = rows.filter((r) => r.group === group);
    lines.push(`**${group}**`, '');
    lines.push('| input | MBR choice | two other candidates |', '|---|---|---|');
    for (const r of mine) lines.push(`| ${cell(r.input)} | ${cell(r.mbr)} | ${r.others.map(cell).join('<br>')} |`);
    lines.push('');
  }
  lines.push(END);
  return lines.join('\n');
}

/** `doc` with the showcase section replaced (or inserted after the first heading when it has none). */
export function replaceSection(doc: string, section: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) return doc.slice(0, a) + section + doc.slice(b + END.length);
  const nl = doc.indexOf('\n');
  return nl < 0 ? `${doc}\n\n${section}\n` : `${doc.slice(0, nl + 1)}\n${section}\n${doc.slice(nl + 1)}`;
}

/** Lower-case a–z0–9 only: the normalisation shared/data's README uses for its overlap checks. */
export function overlapKey(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The fixed inputs that appear in any .jsonl under `dir` (as src, trg or a reference). */
export function inputsInData(dir: string, inputs: readonly string[]): string[] {
  const want = new Map(inputs.map((s) => [overlapKey(s), s]));
  const found = new Set<string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.jsonl')) {
        for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
          if (!line.trim()) continue;
          const o = JSON.parse(line) as { src?: string; trg?: string; refs?: string[] };
          for (const t of [o.src, o.trg, ...(o.refs ?? [])]) {
            const hit = t && want.get(overlapKey(t));
            if (hit) found.add(hit);
          }
        }
      }
    }
  };
  walk(dir);
  return [...found];
}

async function main(): Promise<void> {
  const p = parseArgs(process.argv.slice(2), ['print', 'help'], ['model', 'out', 'data'], 'npm run showcase --');
  if (flag(p, 'help')) {
    process.stdout.write('usage: node out/bench/showcase.js [--model DIR] [--out docs/model.md] [--data DIR] [--print]\n');
    return;
  }
  const model = path.resolve(str(p, 'model') ?? defaultModelDir());
  const out = path.resolve(str(p, 'out') ?? path.join(repoRoot(), 'docs', 'model.md'));
  const data = str(p, 'data') ?? dataDir();
  if (data && fs.existsSync(data)) {
    const leaked = inputsInData(
      data,
      GROUPS.flatMap((g) => g.inputs),
    );
    if (leaked.length) throw new Error(`these showcase inputs are in the data under ${data}: ${leaked.join(' | ')}`);
  }
  const candidates = 10;
  const steps = 10;
  const engine = await RewriteEngine.load(model, { executionProvider: 'cpu' });
  const rows: ShowcaseRow[] = [];
  try {
    for (const { heading, task, inputs } of GROUPS) {
      for (const input of inputs) {
        const r = await engine.rewrite(input, { task, candidates, steps, seed: 0 });
        const texts = r.candidates.map((c) => c.text);
        rows.push({ group: heading, task, input, mbr: texts[r.mbrIndex], others: pickOthers(texts, r.mbrIndex) });
      }
    }
  } finally {
    await engine.dispose();
  }
  const m = JSON.parse(fs.readFileSync(path.join(model, 'manifest.json'), 'utf8')) as {
    name: string;
    provenance?: { trainingSteps?: number };
  };
  const how =
    `What \`${path.relative(repoRoot(), model) || model}\` (${m.name}, ${m.provenance?.trainingSteps ?? '?'} training steps) writes for ${rows.length} inputs written for ` +
    `this page (none is in the training data; \`npm run showcase\` checks that and regenerates this section): ` +
    `${candidates} candidates, ${steps} DPM-Solver++ steps, seed 0, the MBR choice and two other candidates. Nothing is picked by hand.`;
  const section = renderShowcase(rows, how);
  if (flag(p, 'print')) {
    process.stdout.write(section + '\n');
    return;
  }
  fs.writeFileSync(out, replaceSection(fs.readFileSync(out, 'utf8'), section));
  process.stdout.write(`showcase: ${rows.length} inputs written to ${path.relative(process.cwd(), out)}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`showcase: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
