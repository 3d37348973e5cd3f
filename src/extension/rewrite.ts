/**
 * The rewrite flow: selections → engine process → candidates panel or direct apply, with a cancellable
 * progress notification, the apply guard, and one clear error notification per failure.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RewriteResult, Task } from '../engine/types';
import type { CommentBlock } from '../engine/commentBlock';
import { BLANK_CANDIDATE_MESSAGE, confirmApplied, decideApplyAll, refuseBlank } from './applyGuard';
import { commentSpan, engineInput, restoreResult } from './commentSelection';
import { AbortError, isAbortError } from '../engine/errors';
import type { EngineClient } from './engineClient';
import { EngineCrashedError } from './engineErrors';
import type { ModelInfo } from './engineProtocol';
import { Log } from './log';
import { CandidatesPanel } from './panel';
import { runProgress } from './panelState';
import { relocate, shiftSpanAll } from './rangeTracker';
import { moreSteps, randomSeed, readSettings, Settings } from './settings';

/** One selection being rewritten: where it is and what text it expects there. */
export interface RewriteTarget {
  uri: vscode.Uri;
  range: vscode.Range;
  /** The text the run read from the range. */
  original: string;
  /** The text that must be at `range` for an apply: `original`, or the last applied candidate. */
  expected: string;
  /** Document version `start`/`end` (and `range`) are true for: edits up to it were followed. */
  version: number;
  /** `range` as document offsets, moved by every edit since (rangeTracker.ts). */
  start: number;
  end: number;
  /** The document was closed since: edits were no longer followed, and the text is found again by search. */
  lost?: boolean;
  /** Set when the range is a comment block: the engine rewrites its prose, the candidates get its markers back. */
  comment?: CommentBlock;
}

export interface RunSpec {
  task: Task;
  targets: RewriteTarget[];
  seed: number;
  steps: number;
  candidates: number;
  order: 1 | 2 | 3;
}

export interface RunOutcome {
  status: 'done' | 'cancelled' | 'error';
  results?: RewriteResult[];
  error?: Error;
}

const TASK_TITLE: Record<Task, string> = { paraphrase: 'Paraphrase', simplify: 'Simplify' };

export interface RewriteDeps {
  log: Log;
  panel: () => CandidatesPanel;
  /** Starts (or reuses) the engine client with the active model loaded. */
  ensureEngine(settings: Settings, report: (label: string) => void): Promise<{ client: EngineClient; model: ModelInfo }>;
  onBusy(busy: boolean, fraction?: number): void;
  showError(message: string, error?: unknown): void;
}

export class RewriteController implements vscode.Disposable {
  private runCounter = 0;
  private current: { id: number; cts: vscode.CancellationTokenSource; spec: RunSpec } | undefined;
  /** The run whose candidates the panel shows (panel mode): Apply, Copy, Regenerate and More steps use it. */
  private panelSpec: { runId: number; spec: RunSpec } | undefined;
  /** The run an apply was last refused for: Re-run rewrites its selections again. */
  private refusedSpec: RunSpec | undefined;
  /** The outcome of the last finished run (tests). */
  lastOutcome: RunOutcome | undefined;

  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly deps: RewriteDeps) {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => this.followEdits(e)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forEachTarget(d.uri, (t) => (t.lost = true))),
    ];
  }

  dispose(): void {
    this.subscriptions.forEach((d) => d.dispose());
  }

  /** Every selection a run, the panel or a Re-run may still write to (each once: specs share targets). */
  private liveTargets(): Set<RewriteTarget> {
    const specs = [this.current?.spec, this.panelSpec?.spec, this.refusedSpec];
    return new Set(specs.flatMap((s) => s?.targets ?? []));
  }

  private forEachTarget(uri: vscode.Uri, f: (t: RewriteTarget) => void): void {
    const key = uri.toString();
    for (const t of this.liveTargets()) if (t.uri.toString() === key) f(t);
  }

  /** Moves the recorded ranges with the document's edits, so Apply and Re-run find their text where it is now. */
  private followEdits(e: vscode.TextDocumentChangeEvent): void {
    if (e.contentChanges.length === 0) return;
    const doc = e.document;
    const changes = e.contentChanges.map((c) => ({ offset: c.rangeOffset, deleted: c.rangeLength, inserted: c.text.length }));
    this.forEachTarget(doc.uri, (t) => {
      // An apply sets the version it wrote: the event of that edit (which may come after) is already counted.
      if (t.lost || doc.version <= t.version) return;
      const s = shiftSpanAll({ start: t.start, end: t.end }, changes);
      setSpan(doc, t, s.start, s.end);
    });
  }

  get running(): boolean {
    return !!this.current;
  }

  /** Command entry: rewrite the active editor's selections. */
  async rewriteSelections(task: Task): Promise<RunOutcome | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('DiffuSeq: open a document and select the text to rewrite.');
      return undefined;
    }
    const targets = targetsFromSelections(editor);
    if (targets.length === 0) {
      void vscode.window.showInformationMessage('DiffuSeq: select the text to rewrite first.');
      return undefined;
    }
    const s = this.settings();
    return this.run({ task, targets, seed: s.seed ?? randomSeed(), steps: s.steps, candidates: s.candidates, order: s.order });
  }

  /** Same selections, new random seed. */
  regenerate(): Promise<RunOutcome | undefined> {
    const spec = this.panelSpec?.spec;
    if (!spec) return Promise.resolve(undefined);
    return this.run({ ...spec, targets: spec.targets.map(resetTarget), seed: randomSeed() }, true);
  }

  /** Same selections and seed, twice the steps (capped at 50). */
  moreSteps(): Promise<RunOutcome | undefined> {
    const spec = this.panelSpec?.spec;
    if (!spec) return Promise.resolve(undefined);
    return this.run({ ...spec, targets: spec.targets.map(resetTarget), steps: moreSteps(spec.steps) }, true);
  }

  /**
   * After a refused apply: rewrite again from the document's current text — the editor's selections when
   * there are any in that document, else the recorded ranges as they are now.
   */
  async rerun(): Promise<RunOutcome | undefined> {
    const spec = this.refusedSpec ?? this.panelSpec?.spec;
    if (!spec) return undefined;
    this.refusedSpec = undefined;
    const fromPanel = spec === this.panelSpec?.spec;
    const uri = spec.targets[0].uri;
    const doc =
      vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString()) ?? (await vscode.workspace.openTextDocument(uri));
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
    let targets = editor ? targetsFromSelections(editor) : [];
    if (targets.length === 0) {
      // The recorded ranges, moved by the edits since (never the old line/character, which may now hold the next
      // sentence); a document closed meanwhile is searched for the text instead.
      const found = spec.targets.map((t) => (t.lost ? relocateTarget(doc, t) : t));
      const why = found.find((f): f is string => typeof f === 'string');
      if (why) {
        void vscode.window.showWarningMessage(`DiffuSeq: ${why} Select the text and run the command again.`);
        return undefined;
      }
      targets = (found as RewriteTarget[])
        .map((t) => doc.validateRange(t.range))
        .filter((r) => !r.isEmpty && doc.getText(r).trim() !== '')
        .map((range) => makeTarget(doc, range));
    }
    if (targets.length === 0) {
      void vscode.window.showInformationMessage('DiffuSeq: the text to rewrite was deleted; select the text to rewrite first.');
      return undefined;
    }
    return this.run({ ...spec, targets }, fromPanel);
  }

  cancel(): void {
    this.current?.cts.cancel();
  }

  private settings(): Settings {
    const c = vscode.workspace.getConfiguration('diffuseq');
    return readSettings((k) => c.get(k));
  }

  /**
   * In-place cycling: the candidates for the active editor's first selection — the panel's, when its finished run
   * rewrote that range and it still holds the text the panel expects there, else those of a new run whose results
   * go only to the caller (no panel, nothing applied).
   */
  async candidatesForSelection(
    task: Task,
  ): Promise<{ target: RewriteTarget; spec: RunSpec; candidates: RewriteResult['candidates']; mbrIndex: number } | undefined> {
    const editor = vscode.window.activeTextEditor;
    const want = editor ? targetsFromSelections(editor)[0] : undefined;
    if (!want) {
      void vscode.window.showInformationMessage('DiffuSeq: select the text to rewrite first.');
      return undefined;
    }
    const shown = this.panelSpec;
    const st = this.deps.panel().state;
    if (shown && st && st.status === 'done' && st.runId === shown.runId) {
      const i = shown.spec.targets.findIndex(
        (t) => t.uri.toString() === want.uri.toString() && t.range.isEqual(want.range) && t.expected === want.original,
      );
      const item = st.items[i];
      if (item && item.candidates.length > 0)
        return { target: shown.spec.targets[i], spec: shown.spec, candidates: item.candidates, mbrIndex: item.mbrIndex };
    }
    const s = this.settings();
    const spec: RunSpec = { task, targets: [want], seed: s.seed ?? randomSeed(), steps: s.steps, candidates: s.candidates, order: s.order };
    const outcome = await this.run(spec, false, true);
    const r = outcome.results?.[0];
    return outcome.status === 'done' && r ? { target: want, spec, candidates: r.candidates, mbrIndex: r.mbrIndex } : undefined;
  }

  /**
   * `fromPanel`: started by the panel's buttons, so its results go to the panel whatever applyMode says.
   * `resultsOnly`: the results go to the caller alone (in-place cycling): no panel, nothing applied.
   */
  private async run(spec: RunSpec, fromPanel = false, resultsOnly = false): Promise<RunOutcome> {
    // One run at a time: a new one replaces the running one.
    this.current?.cts.cancel();
    const id = ++this.runCounter;
    const cts = new vscode.CancellationTokenSource();
    this.current = { id, cts, spec };
    const settings = this.settings();
    const usePanel = !resultsOnly && (fromPanel || settings.applyMode === 'panel');
    if (usePanel) this.panelSpec = { runId: id, spec };
    const doc = await vscode.workspace.openTextDocument(spec.targets[0].uri);
    const documentName = path.basename(doc.uri.path) || doc.uri.toString();
    const runSettings = { candidates: spec.candidates, steps: spec.steps, order: spec.order, seed: spec.seed };
    if (usePanel) {
      const panel = this.deps.panel();
      panel.show(false);
      panel.dispatch({
        type: 'start',
        runId: id,
        task: spec.task,
        originals: spec.targets.map((t) => t.original),
        settings: runSettings,
        documentName,
      });
    }
    const t0 = Date.now();
    const log = this.deps.log;
    log.info(
      `${spec.task} run #${id}: ${spec.targets.length} selection(s) in ${documentName}, ${spec.candidates} candidates, ${spec.steps} steps, order ${spec.order}, seed ${spec.seed}`,
    );
    this.deps.onBusy(true, 0);

    let outcome: RunOutcome;
    try {
      const results = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `DiffuSeq: ${TASK_TITLE[spec.task]}`,
          cancellable: true,
        },
        async (progress, token) => {
          const abort = new AbortController();
          const subs = [token.onCancellationRequested(() => abort.abort()), cts.token.onCancellationRequested(() => abort.abort())];
          try {
            let reported = 0;
            const report = (fraction: number, label: string) => {
              const pct = Math.round(fraction * 100);
              progress.report({ message: `${label} (${pct}%)`, increment: Math.max(0, pct - reported) });
              reported = Math.max(reported, pct);
              this.deps.onBusy(true, fraction);
              if (usePanel) this.deps.panel().dispatch({ type: 'progress', runId: id, progress: fraction, label });
            };
            report(0, 'Starting the engine…');
            const { client, model } = await this.deps.ensureEngine(settings, (label) => report(0, label));
            if (abort.signal.aborted) throw new AbortError();
            if (usePanel) {
              const st = this.deps.panel().state;
              if (st && st.runId === id) this.deps.panel().dispatch({ type: 'progress', runId: id, progress: 0, label: 'Sampling…' });
            }
            const out: RewriteResult[] = [];
            for (let i = 0; i < spec.targets.length; i++) {
              const label = spec.targets.length > 1 ? `Selection ${i + 1}/${spec.targets.length}` : 'Sampling';
              report(runProgress(i, spec.targets.length, undefined), label);
              const r = await client.rewrite(
                engineInput(spec.targets[i]),
                { task: spec.task, candidates: spec.candidates, steps: spec.steps, order: spec.order, seed: spec.seed },
                {
                  signal: abort.signal,
                  onProgress: (p) =>
                    report(
                      runProgress(i, spec.targets.length, p),
                      `${label}: step ${p.step}/${p.steps}${p.segments > 1 ? `, sentence ${p.segment + 1}/${p.segments}` : ''}`,
                    ),
                },
              );
              log.info(
                `run #${id} selection ${i + 1}: ${r.candidates.length} candidates, MBR #${r.mbrIndex + 1}, ${r.executionProvider}, ${Math.round(r.timings.total)} ms ` +
                  `(network ${Math.round(r.timings.network)} ms), self-BLEU ${r.diversity.selfBleu.toFixed(3)}`,
              );
              for (const w of r.warnings) log.warn(`run #${id}: ${w}`);
              out.push(restoreResult(spec.targets[i], r));
            }
            return { results: out, model };
          } finally {
            subs.forEach((s) => s.dispose());
          }
        },
      );
      const elapsedMs = Date.now() - t0;
      const modelView = {
        name: results.model.name,
        executionProvider: results.results[0]?.executionProvider ?? results.model.executionProvider,
      };
      log.info(`run #${id} finished in ${elapsedMs} ms`);
      outcome = { status: 'done', results: results.results };
      if (this.current?.id !== id) return outcome; // replaced meanwhile
      if (usePanel) {
        const panel = this.deps.panel();
        panel.dispatch({ type: 'results', runId: id, results: results.results, elapsedMs, model: modelView });
        panel.focus();
      } else if (!resultsOnly) {
        const texts = results.results.map((r) => r.candidates[r.mbrIndex]?.text ?? r.candidates[0]?.text ?? '');
        const blank = refuseBlank(texts);
        if (blank) {
          log.warn(`run #${id}: ${blank}`);
          void vscode.window.showWarningMessage(`DiffuSeq: ${blank}`);
        } else {
          await this.applyTexts(spec.targets, texts, spec);
        }
      }
    } catch (e) {
      if (isAbortError(e)) {
        log.info(`run #${id} cancelled`);
        outcome = { status: 'cancelled' };
        if (usePanel) this.deps.panel().dispatch({ type: 'cancelled', runId: id });
      } else {
        const err = e instanceof Error ? e : new Error(String(e));
        outcome = { status: 'error', error: err };
        if (usePanel) this.deps.panel().dispatch({ type: 'failed', runId: id, message: err.message });
        this.deps.showError(
          err instanceof EngineCrashedError ? err.message : `DiffuSeq: ${TASK_TITLE[spec.task]} failed: ${err.message}`,
          err,
        );
      }
    } finally {
      if (this.current?.id === id) {
        this.current = undefined;
        this.deps.onBusy(false);
      }
      cts.dispose();
    }
    this.lastOutcome = outcome;
    return outcome;
  }

  /** Panel "Apply": one candidate of one selection. */
  async applyCandidate(item: number, candidate: number): Promise<boolean> {
    const panel = this.deps.panel();
    const st = panel.state;
    const shown = this.panelSpec;
    if (!st || !shown || st.status !== 'done' || st.runId !== shown.runId) return false;
    const c = st.items[item]?.candidates[candidate];
    const target = shown.spec.targets[item];
    if (!c || !target) return false;
    if (c.text.trim() === '') {
      panel.dispatch({ type: 'message', message: { kind: 'warning', text: BLANK_CANDIDATE_MESSAGE } });
      return false;
    }
    const ok = await this.applyTexts([target], [c.text], shown.spec);
    if (ok) panel.dispatch({ type: 'applied', item, candidate });
    return ok;
  }

  /** Panel "Apply mix": the chunks accepted from the candidates of one selection, written as one edit. */
  async applyMix(item: number): Promise<boolean> {
    const panel = this.deps.panel();
    const st = panel.state;
    const shown = this.panelSpec;
    if (!st || !shown || st.status !== 'done' || st.runId !== shown.runId) return false;
    const mix = st.items[item]?.mix;
    const target = shown.spec.targets[item];
    if (!mix || !target) return false;
    const ok = await this.applyTexts([target], [mix.text], shown.spec);
    if (ok) panel.dispatch({ type: 'appliedMix', item });
    return ok;
  }

  /** Panel "Copy". */
  async copyCandidate(item: number, candidate: number): Promise<void> {
    const c = this.deps.panel().state?.items[item]?.candidates[candidate];
    if (!c) return;
    await vscode.env.clipboard.writeText(c.text);
    this.deps.panel().dispatch({ type: 'message', message: { kind: 'info', text: `Copied to the clipboard: ${c.text}` } });
  }

  /**
   * Replaces each target's range with its text in ONE edit (one undo step), after the apply guard passed
   * for every target; otherwise applies nothing, warns, and offers Re-run.
   */
  async applyTexts(targets: RewriteTarget[], texts: string[], spec: RunSpec): Promise<boolean> {
    const uri = targets[0].uri;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString() && !d.isClosed);
    const decision = decideApplyAll(
      targets.map((t) => {
        const valid = doc ? doc.validateRange(t.range) : undefined;
        return {
          target: { original: t.expected, runVersion: t.version },
          now: {
            // A target whose document was closed lost track of its edits: it counts as closed.
            version: doc && !t.lost ? doc.version : undefined,
            textAtRange: doc && valid && valid.isEqual(t.range) ? doc.getText(t.range) : undefined,
            deleted: t.start === t.end,
          },
        };
      }),
    );
    if (decision.kind === 'refuse') {
      this.refuse(decision.message, spec);
      return false;
    }
    const d = doc!;
    // New ranges after the edit (targets are in document order and do not overlap).
    const order = targets
      .map((t, i) => ({ t, i, start: d.offsetAt(t.range.start), end: d.offsetAt(t.range.end) }))
      .sort((a, b) => a.start - b.start);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === d);
    let ok: boolean;
    try {
      if (editor) {
        ok = await editor.edit(
          (eb) => {
            for (const o of order) eb.replace(o.t.range, texts[o.i]);
          },
          { undoStopBefore: true, undoStopAfter: true },
        );
      } else {
        const we = new vscode.WorkspaceEdit();
        for (const o of order) we.replace(d.uri, o.t.range, texts[o.i]);
        ok = await vscode.workspace.applyEdit(we);
      }
    } catch (e) {
      // Some read-only editors (VS Code's default keybindings in the web workbench) throw instead of answering false.
      this.deps.log.warn(`the editor threw on the edit: ${e instanceof Error ? e.message : String(e)}`);
      this.refuse(EDIT_THROWN_MESSAGE, spec, false);
      return false;
    }
    if (!ok) {
      this.deps.showError('DiffuSeq: the editor rejected the edit; nothing was changed.');
      return false;
    }
    let delta = 0;
    const placed = order.map((o) => {
      const start = o.start + delta;
      delta += texts[o.i].length - (o.end - o.start);
      return { o, start, end: start + texts[o.i].length };
    });
    const readOnly = confirmApplied(
      placed.map((p) => texts[p.o.i]),
      placed.map((p) => d.getText(new vscode.Range(d.positionAt(p.start), d.positionAt(p.end)))),
    );
    if (readOnly) {
      this.refuse(readOnly, spec, false);
      return false;
    }
    for (const p of placed) {
      setSpan(d, p.o.t, p.start, p.end);
      p.o.t.expected = texts[p.o.i];
    }
    this.deps.log.info(`applied ${targets.length} replacement(s) to ${d.uri.toString()} (version ${d.version})`);
    return true;
  }

  /** An apply that cannot be done: the warning with its reason, in the panel too; Re-run where it can help. */
  private refuse(message: string, spec: RunSpec, offerRerun = true): void {
    this.deps.log.warn(`apply refused: ${message}`);
    if (offerRerun) this.refusedSpec = spec;
    // 'refused' marks the panel stale (it offers Re-run); a read-only document only gets the warning.
    if (this.deps.panel().state) {
      this.deps
        .panel()
        .dispatch(offerRerun ? { type: 'refused', message } : { type: 'message', message: { kind: 'warning', text: message } });
    }
    const actions = offerRerun ? ['Re-run'] : [];
    void vscode.window.showWarningMessage(`DiffuSeq: ${message}`, ...actions).then((choice) => {
      if (choice === 'Re-run') void this.rerun();
    });
  }
}

/** An edit the editor threw on instead of applying: nothing changed, and read-only is the usual reason. */
export const EDIT_THROWN_MESSAGE = 'The editor refused to change this document (it is read-only), so the candidate was not applied.';

function makeTarget(doc: vscode.TextDocument, range: vscode.Range): RewriteTarget {
  // Inside a comment block the target is its whole lines (whole paragraphs), markers included: the engine sees only the prose.
  const c = commentSpan((l) => doc.lineAt(l).text, doc.lineCount, range, doc.languageId);
  if (c) range = new vscode.Range(c.startLine, 0, c.endLine, doc.lineAt(c.endLine).text.length);
  const text = doc.getText(range);
  return {
    uri: doc.uri,
    range,
    original: text,
    expected: text,
    version: doc.version,
    start: doc.offsetAt(range.start),
    end: doc.offsetAt(range.end),
    ...(c ? { comment: c.block } : {}),
  };
}

/** Records a target's offsets (and its range) as of the document's current version. */
function setSpan(doc: vscode.TextDocument, t: RewriteTarget, start: number, end: number): void {
  t.start = start;
  t.end = end;
  t.range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
  t.version = doc.version;
}

/** A target of a document that was closed and opened again: its text found again, or why it cannot be. */
function relocateTarget(doc: vscode.TextDocument, t: RewriteTarget): RewriteTarget | string {
  const r = relocate(doc.getText(), t.expected);
  if (r.kind === 'missing') return 'The document was closed and the selected text is no longer in it.';
  if (r.kind === 'ambiguous') return `The document was closed and the selected text now occurs ${r.count} times in it.`;
  const found: RewriteTarget = { ...t, lost: false };
  setSpan(doc, found, r.span.start, r.span.end);
  return found;
}

/** A target read again from scratch (Regenerate / More steps rewrite the original text, apply where it is now). */
function resetTarget(t: RewriteTarget): RewriteTarget {
  return { ...t };
}

/** Non-empty selections of the editor, in document order. */
export function targetsFromSelections(editor: vscode.TextEditor): RewriteTarget[] {
  return editor.selections
    .filter((s) => !s.isEmpty && editor.document.getText(s).trim() !== '')
    .map((s) => new vscode.Range(s.start, s.end))
    .sort((a, b) => a.start.compareTo(b.start))
    .map((r) => makeTarget(editor.document, r));
}
