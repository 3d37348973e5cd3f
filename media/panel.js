// @ts-check
/* DiffuSeq candidates panel (webview). Renders the PanelState the extension sends
 * (src/extension/panelState.ts) and keeps a copy with setState so a hidden panel comes back as it was.
 * Text is only ever set with textContent: candidate text never becomes markup.
 * Type-checked by `tsc -p media/jsconfig.json` (in `npm run lint`) against the extension's own types. */
/** @typedef {import('../src/extension/panelState').PanelState} PanelState */
/** @typedef {import('../src/extension/panelState').PanelItem} PanelItem */
/** @typedef {import('../src/extension/panelState').PanelMix} PanelMix */
/** @typedef {import('../src/extension/wordDiff').DiffPart} DiffPart */
/** @typedef {import('../src/extension/panelMessages').WebviewRequest} WebviewRequest */
/** @typedef {import('../src/extension/panelMessages').PanelStateMessage} PanelStateMessage */
(function () {
  /** @type {import('vscode-webview').WebviewApi<PanelState>} */
  const vscode = acquireVsCodeApi();
  /** Every message to the extension goes through here, so that each is a WebviewRequest. */
  const post = (/** @type {WebviewRequest} */ m) => vscode.postMessage(m);

  /** @type {PanelState | undefined} */
  let state = vscode.getState() || undefined;

  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  /**
   * @param {string} tag
   * @param {string} [cls]
   * @param {string} [text]
   */
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  /** @type {Record<PanelState['task'], string>} */
  const TASK_TITLE = { paraphrase: 'Paraphrase', simplify: 'Simplify' };

  /**
   * Candidate indices in display order (the MBR choice first; see panelState.ts displayOrder).
   * @param {PanelItem} it
   * @returns {number[]}
   */
  function order(it) {
    return Array.isArray(it.order) && it.order.length === it.candidates.length ? it.order : it.candidates.map((_c, k) => k);
  }

  function positions() {
    /** @type {Array<{item:number,candidate:number}>} */
    const out = [];
    if (!state) return out;
    state.items.forEach((it, i) => order(it).forEach((c) => out.push({ item: i, candidate: c })));
    return out;
  }

  function setFocus(/** @type {number} */ item, /** @type {number} */ candidate, /** @type {boolean} */ tell) {
    if (!state) return;
    const it = state.items[item];
    if (!it || candidate < 0 || candidate >= it.candidates.length) return;
    state = { ...state, focus: { item, candidate } };
    vscode.setState(state);
    updateFocus(true);
    if (tell) post({ type: 'focus', item, candidate });
  }

  function move(/** @type {number} */ delta) {
    const all = positions();
    if (!all.length || !state) return;
    const focus = state.focus;
    let at = all.findIndex((p) => p.item === focus.item && p.candidate === focus.candidate);
    if (at < 0) at = 0;
    const next = all[Math.min(all.length - 1, Math.max(0, at + delta))];
    setFocus(next.item, next.candidate, true);
  }

  /**
   * @param {number} x
   * @param {number} [digits]
   */
  function fmt(x, digits) {
    return typeof x === 'number' && isFinite(x) ? x.toFixed(digits === undefined ? 3 : digits) : '–';
  }

  /** Whether chunk `hunk` of candidate `candidate` is in the item's mix. */
  function isPicked(/** @type {PanelItem} */ it, /** @type {number} */ candidate, /** @type {number} */ hunk) {
    return !!(it.mix && it.mix.picks.some((p) => p.candidate === candidate && p.hunk === hunk));
  }

  /** Takes chunk `hunk` of a candidate into the item's mix, or back out of it (panelState.ts 'toggleChunk'). */
  function toggleChunk(/** @type {number} */ item, /** @type {number} */ candidate, /** @type {number} */ hunk) {
    if (!state || state.status !== 'done') return;
    const c = state.items[item] && state.items[item].candidates[candidate];
    if (!c || !Array.isArray(c.hunks) || hunk < 0 || hunk >= c.hunks.length) return;
    post({ type: 'toggleChunk', item, candidate, hunk });
  }

  /**
   * The word diff; each changed run (removed and/or added words between unchanged ones) is one chunk: a toggle that
   * takes that change alone into the mix (click, or its number key while the candidate is focused).
   */
  function renderDiff(
    /** @type {DiffPart[]} */ parts,
    /** @type {number} */ item,
    /** @type {number} */ candidate,
    /** @type {PanelItem} */ it,
  ) {
    const p = el('p', 'diff');
    /** @type {HTMLElement} */
    let into = p;
    let chunk = -1;
    parts.forEach((part, k) => {
      const changed = part.kind !== 'same';
      const starts = changed && (k === 0 || parts[k - 1].kind === 'same');
      if (!changed) into = p;
      // A removed run and the run next to it are different texts: always keep them apart, even where the
      // candidate had no space there (its first word, or punctuation).
      const touchesRemoved = k > 0 && (part.kind === 'removed' || parts[k - 1].kind === 'removed');
      if (k > 0 && (part.space !== false || touchesRemoved)) (starts ? p : into).appendChild(document.createTextNode(' '));
      if (starts) {
        chunk++;
        const n = chunk;
        const picked = isPicked(it, candidate, n);
        const span = el('span', 'chunk' + (picked ? ' accepted' : ''));
        span.dataset.hunk = String(n);
        span.setAttribute('role', 'button');
        span.setAttribute('aria-pressed', String(picked));
        span.title = `Change ${n + 1}: ${picked ? 'take it back out of' : 'take it into'} the mix (click, or key ${n + 1})`;
        span.addEventListener('click', (ev) => {
          ev.stopPropagation();
          setFocus(item, candidate, true);
          toggleChunk(item, candidate, n);
        });
        p.appendChild(span);
        into = span;
      }
      if (part.kind === 'same') into.appendChild(el('span', 'same', part.text));
      else if (part.kind === 'added') {
        const ins = el('ins', 'added', part.text);
        ins.title = 'added';
        into.appendChild(ins);
      } else {
        const del = el('del', 'removed', part.text);
        del.title = 'removed';
        into.appendChild(del);
      }
      const ends = changed && (k === parts.length - 1 || parts[k + 1].kind === 'same');
      if (ends && chunk < 9) into.appendChild(el('sup', 'chunk-no', String(chunk + 1)));
    });
    return p;
  }

  /** The mix of accepted chunks for one selection: its text, Apply mix and Clear (called only while it has one). */
  function renderMix(/** @type {PanelItem} */ it, /** @type {number} */ i) {
    const mix = /** @type {PanelMix} */ (it.mix);
    const box = el('div', 'mix' + (it.appliedMix ? ' applied' : ''));
    box.setAttribute('aria-label', `Mix of ${mix.picks.length} accepted change(s)`);
    const head = el('div', 'cand-head');
    head.appendChild(el('span', 'rank', 'Mix'));
    head.appendChild(
      el('span', 'score', `${mix.picks.length} change(s) from ${new Set(mix.picks.map((p) => p.candidate)).size} candidate(s)`),
    );
    if (it.appliedMix) head.appendChild(el('span', 'badge applied-badge', 'Applied'));
    const actions = el('span', 'actions');
    const apply = /** @type {HTMLButtonElement} */ (el('button', 'apply-mix', 'Apply mix'));
    apply.type = 'button';
    apply.title = 'Write the mix into the editor as one edit (Shift+Enter)';
    apply.addEventListener('click', () => post({ type: 'applyMix', item: i }));
    const clear = /** @type {HTMLButtonElement} */ (el('button', 'clear-mix secondary', 'Clear'));
    clear.type = 'button';
    clear.addEventListener('click', () => post({ type: 'clearMix', item: i }));
    actions.appendChild(apply);
    actions.appendChild(clear);
    head.appendChild(actions);
    box.appendChild(head);
    box.appendChild(el('p', 'mix-text', mix.text));
    return box;
  }

  function render() {
    const items = $('items');
    items.textContent = '';
    const running = !!state && state.status === 'running';
    $('title').textContent = state
      ? `${TASK_TITLE[/** @type {'paraphrase'|'simplify'} */ (state.task)] || state.task} · ${state.documentName}`
      : 'DiffuSeq';
    const meta = [];
    if (state) {
      if (state.model) meta.push(`model ${state.model.name}`, state.model.executionProvider);
      const s = state.settings;
      meta.push(`${s.candidates} candidates`, `${s.steps} steps`, `order ${s.order}`, `seed ${s.seed}`);
      if (state.elapsedMs !== undefined && state.status === 'done') meta.push(`${(state.elapsedMs / 1000).toFixed(1)} s`);
    }
    $('meta').textContent = meta.join(' · ');

    const prog = $('progress');
    prog.hidden = !running;
    const pct = state ? Math.round((state.progress || 0) * 100) : 0;
    prog.setAttribute('aria-valuenow', String(pct));
    $('progress-bar').style.width = pct + '%';

    const status = $('status');
    status.className = 'status' + (state && state.message ? ' ' + state.message.kind : '');
    status.textContent = !state
      ? 'No rewrite yet: select text in an editor and run “DiffuSeq: Paraphrase Selection”.'
      : state.message
        ? state.message.text
        : running
          ? `${state.progressLabel} (${pct}%)`
          : '';

    /** @type {HTMLButtonElement} */ ($('regenerate')).disabled = !state || running;
    const more = /** @type {HTMLButtonElement} */ ($('more-steps'));
    more.disabled = !state || running || state.settings.steps >= 50;
    if (state)
      more.textContent = state.settings.steps >= 50 ? 'More steps (at 50)' : `More steps (${Math.min(50, state.settings.steps * 2)})`;
    $('cancel').hidden = !running;
    $('rerun').hidden = !(state && state.stale);

    if (!state) return;
    const many = state.items.length > 1;
    state.items.forEach((it, i, all) => {
      const sec = el('section', 'item');
      sec.setAttribute('aria-label', many ? `Selection ${i + 1} of ${all.length}` : 'Selection');
      if (many) sec.appendChild(el('h2', 'item-title', `Selection ${i + 1} of ${all.length}`));
      const orig = el('blockquote', 'original');
      orig.appendChild(el('span', 'label', 'Original'));
      orig.appendChild(el('span', 'text', it.original));
      sec.appendChild(orig);
      if (it.diversity) {
        const d = it.diversity;
        const div = el(
          'p',
          'diversity',
          `Diversity of the set: self-BLEU ${fmt(d.selfBleu)} (lower = more diverse) · distinct-4 ${fmt(d.div4)} · distinct-1 ${fmt(d.dist1)}`,
        );
        div.title =
          'self-BLEU: mean BLEU of each candidate against the others. distinct-4: distinct 4-grams / all 4-grams over the set. distinct-1: mean distinct-unigram ratio per candidate.';
        sec.appendChild(div);
      }
      for (const w of it.warnings || []) sec.appendChild(el('p', 'warning', w));
      if (it.droppedCandidates)
        sec.appendChild(el('p', 'warning dropped', `${it.droppedCandidates} dropped: lost a protected span (link, code, number…)`));
      if (it.candidates.length) {
        const list = el('ul', 'candidates');
        list.id = `list-${i}`;
        list.setAttribute('role', 'listbox');
        list.setAttribute('aria-label', many ? `Candidates for selection ${i + 1}` : 'Candidates');
        list.tabIndex = 0;
        order(it).forEach((k, rank) => {
          const c = it.candidates[k];
          const li = el('li', 'candidate');
          li.id = `c-${i}-${k}`;
          li.setAttribute('role', 'option');
          li.dataset.item = String(i);
          li.dataset.candidate = String(k);
          const isMbr = k === it.mbrIndex;
          if (isMbr) li.classList.add('mbr');
          if (it.applied === k) li.classList.add('applied');
          li.setAttribute(
            'aria-label',
            `Candidate ${rank + 1} of ${it.candidates.length}${isMbr ? ', MBR choice' : ''}${it.applied === k ? ', applied' : ''}, score ${fmt(c.mbrScore)}: ${c.text}`,
          );
          const head = el('div', 'cand-head');
          const rankEl = el('span', 'rank', `#${rank + 1}`);
          rankEl.title = `sample ${k + 1}`;
          head.appendChild(rankEl);
          if (isMbr) head.appendChild(el('span', 'badge', 'MBR choice'));
          if (it.applied === k) head.appendChild(el('span', 'badge applied-badge', 'Applied'));
          const score = el('span', 'score', `MBR score ${fmt(c.mbrScore)}`);
          score.title = 'Mean sentence-BLEU against the other candidates (higher = more central)';
          head.appendChild(score);
          const actions = el('span', 'actions');
          const apply = /** @type {HTMLButtonElement} */ (el('button', 'apply', 'Apply'));
          apply.type = 'button';
          apply.tabIndex = -1;
          apply.setAttribute('aria-label', `Apply candidate ${rank + 1}`);
          apply.addEventListener('click', (ev) => {
            ev.stopPropagation();
            setFocus(i, k, true);
            post({ type: 'apply', item: i, candidate: k });
          });
          const copy = /** @type {HTMLButtonElement} */ (el('button', 'copy secondary', 'Copy'));
          copy.type = 'button';
          copy.tabIndex = -1;
          copy.setAttribute('aria-label', `Copy candidate ${rank + 1}`);
          copy.addEventListener('click', (ev) => {
            ev.stopPropagation();
            post({ type: 'copy', item: i, candidate: k });
          });
          actions.appendChild(apply);
          actions.appendChild(copy);
          head.appendChild(actions);
          li.appendChild(head);
          li.appendChild(renderDiff(c.diff, i, k, it));
          li.addEventListener('click', () => setFocus(i, k, true));
          li.addEventListener('dblclick', () => post({ type: 'apply', item: i, candidate: k }));
          list.appendChild(li);
        });
        list.addEventListener('focus', () => {
          if (state && state.focus.item !== i) setFocus(i, Math.max(0, it.mbrIndex), true);
        });
        sec.appendChild(list);
        if (it.mix) sec.appendChild(renderMix(it, i));
      } else if (running) {
        sec.appendChild(el('p', 'placeholder', 'Sampling candidates…'));
      }
      items.appendChild(sec);
    });
    updateFocus(false);
  }

  function updateFocus(/** @type {boolean} */ moveDomFocus) {
    if (!state) return;
    document.querySelectorAll('[role=option]').forEach((o) => o.setAttribute('aria-selected', 'false'));
    document.querySelectorAll('.candidate.focused').forEach((o) => o.classList.remove('focused'));
    const id = `c-${state.focus.item}-${state.focus.candidate}`;
    const li = document.getElementById(id);
    const list = document.getElementById(`list-${state.focus.item}`);
    if (!li || !list) return;
    li.setAttribute('aria-selected', 'true');
    li.classList.add('focused');
    list.setAttribute('aria-activedescendant', id);
    if (moveDomFocus || (document.activeElement === document.body && document.hasFocus())) list.focus({ preventScroll: true });
    li.scrollIntoView({ block: 'nearest' });
  }

  document.addEventListener('keydown', (e) => {
    const t = /** @type {HTMLElement} */ (e.target);
    const onButton = t && t.tagName === 'BUTTON';
    switch (e.key) {
      case 'ArrowDown':
      case 'ArrowRight':
        if (onButton && e.key === 'ArrowRight') return;
        e.preventDefault();
        move(1);
        return;
      case 'ArrowUp':
      case 'ArrowLeft':
        if (onButton && e.key === 'ArrowLeft') return;
        e.preventDefault();
        move(-1);
        return;
      case 'Home':
        e.preventDefault();
        move(-1e9);
        return;
      case 'End':
        e.preventDefault();
        move(1e9);
        return;
      case 'Enter':
        if (onButton || !state || state.status !== 'done') return;
        e.preventDefault();
        if (e.shiftKey) {
          if (state.items[state.focus.item] && state.items[state.focus.item].mix) post({ type: 'applyMix', item: state.focus.item });
          return;
        }
        post({ type: 'apply', item: state.focus.item, candidate: state.focus.candidate });
        return;
      case '1':
      case '2':
      case '3':
      case '4':
      case '5':
      case '6':
      case '7':
      case '8':
      case '9':
        if (onButton || !state || e.ctrlKey || e.altKey || e.metaKey) return;
        e.preventDefault();
        toggleChunk(state.focus.item, state.focus.candidate, Number(e.key) - 1);
        return;
      case 'Escape':
        e.preventDefault();
        post({ type: 'close' });
        return;
    }
  });

  $('regenerate').addEventListener('click', () => post({ type: 'regenerate' }));
  $('more-steps').addEventListener('click', () => post({ type: 'moreSteps' }));
  $('rerun').addEventListener('click', () => post({ type: 'rerun' }));
  $('cancel').addEventListener('click', () => post({ type: 'cancel' }));

  window.addEventListener('message', (event) => {
    /** @type {Partial<PanelStateMessage> | null | undefined} */
    const m = event.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'state') {
      const focusChanged = !state || !m.state || state.runId !== m.state.runId || state.status !== m.state.status;
      state = m.state;
      vscode.setState(state);
      render();
      // Move keyboard focus into the list only while this webview has focus: the state message lands
      // asynchronously, and a user (or a test) may already have gone back to the editor, where Ctrl+Z
      // must undo the editor's last edit, not land in this panel.
      if (focusChanged && state && state.status === 'done') updateFocus(document.hasFocus());
    }
  });

  // The extension reveals the panel with focus when results arrive; that focus can land after the state
  // message, so take it into the list then.
  window.addEventListener('focus', () => {
    if (document.activeElement === document.body || document.activeElement === null) updateFocus(true);
  });

  render();
  post({ type: 'ready' });
})();
