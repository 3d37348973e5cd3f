/**
 * The rewrite flow: selections → engine process → candidates panel or direct apply, with a cancellable
 * progress notification, the apply guard, and one clear error notification per failure. The selections are
 * rewriteTargets.ts; the edit that writes a candidate is applyEdit.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type RewriteResult, type Task, AbortError, isAbortError } from '../engine';
import { BLANK_CANDIDATE_MESSAGE, refuseBlank } from './applyGuard';
import { writeTexts } from './applyEdit';
import type { EngineClient } from './engineClient';
import { EngineCrashedError } from './engineErrors';
import type { ModelInfo } from './engineProtocol';
import { Log } from './log';
import { CandidatesPanel } from './panel';
import { shiftSpanAll } from './rangeTracker';
import { makeTarget, relocateTarget, resetTarget, RewriteTarget, setSpan, targetsFromSelections } from './rewriteTargets';
import { sampleSelections } from './sampleSelections';
import { moreSteps, randomSeed, readSettings, Settings } from './settings';

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
      panel.show(false, groupOf(doc.uri));
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
            const out = await sampleSelections(client, id, spec, abort.signal, report, log);
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
   * for every target (applyEdit.ts); otherwise applies nothing, warns, and offers Re-run where it can help.
   */
  async applyTexts(targets: RewriteTarget[], texts: string[], spec: RunSpec): Promise<boolean> {
    const outcome = await writeTexts(targets, texts, this.deps.log);
    if (outcome.kind === 'refused') this.refuse(outcome.message, spec, outcome.offerRerun);
    else if (outcome.kind === 'rejected') this.deps.showError('DiffuSeq: the editor rejected the edit; nothing was changed.');
    return outcome.kind === 'written';
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

/** The editor group holding a tab of `uri` (the active group's first), visible or covered by another tab. */
function groupOf(uri: vscode.Uri): vscode.ViewColumn | undefined {
  const holds = (g: vscode.TabGroup) =>
    g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === uri.toString());
  const active = vscode.window.tabGroups.activeTabGroup;
  return (holds(active) ? active : vscode.window.tabGroups.all.find(holds))?.viewColumn;
}
