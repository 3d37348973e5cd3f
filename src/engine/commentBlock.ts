/**
 * Comments and docstrings: the prose of a comment block without its markers, and the block put back around
 * rewritten prose. Pure (no vscode, no IO): the extension uses it on a selection inside a comment, keyed by the
 * document's language id; the CLI could do the same with a language given on its command line.
 *
 * A block is a run of whole lines. Each line is split into a prefix (indentation + marker + one space), its
 * content, and a suffix (a closing `*\/` or `"""` on the last line). Lines without words — blank lines, a bare
 * marker (`//`), an opener `/**` or closer ` *\/` alone, rulers like `// ----` — are kept verbatim where they are.
 * The other lines form paragraphs: consecutive content lines joined with single spaces; a list bullet (`-`, `*`,
 * `+`, `•`, `1.`, `1)`) starts a paragraph of its own and keeps its bullet. From the first JSDoc/Javadoc tag line
 * (`@param …`) on, everything is kept verbatim: tags and parameter names are not prose.
 *
 * Restoring writes each rewritten paragraph back with the prefix of its first original line (and bullet), and the
 * prefix of its second line (or the block's continuation prefix) for the lines after, with a hanging indent under
 * a bullet. When the original block was wrapped (some paragraph spanned several lines), every paragraph is
 * re-wrapped to the longest original line; an unwrapped block stays one line per paragraph.
 */

export interface CommentSyntax {
  /** Line-comment markers, longest first (`///` before `//`). */
  line: string[];
  /** C-style block comments `/* … *\/` (with or without leading `*` on each line). */
  block: boolean;
  /** Python docstrings `"""…"""` / `'''…'''`. */
  docstring: boolean;
}

const C_LIKE: CommentSyntax = { line: ['///', '//!', '//'], block: true, docstring: false };
const HASH: CommentSyntax = { line: ['#'], block: false, docstring: false };
const DASH: CommentSyntax = { line: ['--'], block: false, docstring: false };
const PERCENT: CommentSyntax = { line: ['%'], block: false, docstring: false };

/** VS Code language ids → comment syntax. Languages not listed (markdown, plaintext, …) have none. */
const SYNTAX_BY_LANGUAGE: Record<string, CommentSyntax> = {
  ...Object.fromEntries(
    [
      'typescript',
      'typescriptreact',
      'javascript',
      'javascriptreact',
      'c',
      'cpp',
      'csharp',
      'java',
      'go',
      'rust',
      'swift',
      'kotlin',
      'scala',
      'dart',
      'php',
      'jsonc',
      'objective-c',
      'objective-cpp',
      'groovy',
      'less',
      'scss',
      'cuda-cpp',
      'zig',
    ].map((id) => [id, C_LIKE]),
  ),
  css: { line: [], block: true, docstring: false },
  python: { line: ['#'], block: false, docstring: true },
  ...Object.fromEntries(
    ['shellscript', 'ruby', 'perl', 'r', 'yaml', 'toml', 'dockerfile', 'makefile', 'powershell', 'coffeescript', 'julia', 'elixir'].map(
      (id) => [id, HASH],
    ),
  ),
  ...Object.fromEntries(['sql', 'lua', 'haskell', 'ada', 'elm'].map((id) => [id, DASH])),
  ...Object.fromEntries(['latex', 'tex', 'bibtex', 'matlab', 'erlang'].map((id) => [id, PERCENT])),
};

export function commentSyntax(languageId: string): CommentSyntax | undefined {
  return SYNTAX_BY_LANGUAGE[languageId];
}

/** One line of the block: `prefix + content + suffix` is the line as written. */
export interface CommentLine {
  prefix: string;
  content: string;
  suffix: string;
}

/** A stretch of the block: kept lines, or one paragraph of prose. */
export type CommentUnit = { kind: 'keep'; line: number } | { kind: 'text'; first: number; count: number; bullet: string; text: string };

export interface CommentBlock {
  style: 'line' | 'block' | 'docstring';
  /** The original lines (no line breaks). */
  lines: string[];
  eol: string;
  parsed: CommentLine[];
  units: CommentUnit[];
  /** The prefix of lines a paragraph grows beyond its original lines. */
  continuation: string;
  /** Wrap width (the longest original line), or 0: the block was not wrapped, one line per paragraph. */
  width: number;
}

const BULLET = /^(?:[-*+•]|\d{1,3}[.)])\s+/;
const HAS_WORD = /[\p{L}\p{N}]/u;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Splits the lines as line comments (`// x`), or undefined when a non-blank line has no marker. */
function parseLineComments(lines: string[], markers: string[]): CommentLine[] | undefined {
  if (markers.length === 0) return undefined;
  const re = new RegExp(`^(\\s*(?:${markers.map(escapeRe).join('|')}) ?)(.*)$`);
  const out: CommentLine[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      out.push({ prefix: line, content: '', suffix: '' });
      continue;
    }
    const m = re.exec(line);
    if (!m) return undefined;
    out.push({ prefix: m[1], content: m[2], suffix: '' });
  }
  return out;
}

/** `/* … *\/` blocks: an opener on the first line, or (a selection inside one) every line led by `*`. */
function parseBlockComment(lines: string[]): CommentLine[] | undefined {
  const out: CommentLine[] = [];
  const opened = /^\s*\/\*/.test(lines[0]);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let prefix: string;
    let rest: string;
    const open = i === 0 ? /^(\s*\/\*+!? ?)(.*)$/.exec(line) : null;
    const star = /^(\s*\*(?!\/) ?)(.*)$/.exec(line);
    if (open) [prefix, rest] = [open[1], open[2]];
    else if (star) [prefix, rest] = [star[1], star[2]];
    else if (opened || line.trim() === '' || /^\s*\*\//.test(line)) [prefix, rest] = [/^\s*/.exec(line)![0], line.trimStart()];
    else return undefined;
    const close = /^(.*?)(\s*\*+\/\s*)$/.exec(rest);
    if (close && i !== lines.length - 1) return undefined; // the comment ends before the selection does
    out.push(close ? { prefix, content: close[1], suffix: close[2] } : { prefix, content: rest, suffix: '' });
  }
  return out;
}

/** Python docstrings: the opening quotes on the first line, the closing ones at the end of the last. */
function parseDocstring(lines: string[]): CommentLine[] | undefined {
  const open = /^(\s*[rRuUbBfF]{0,2}("""|''') ?)(.*)$/.exec(lines[0]);
  if (!open) return undefined;
  const quote = open[2];
  const out: CommentLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const [prefix, rest] = i === 0 ? [open[1], open[3]] : [/^\s*/.exec(lines[i])![0], lines[i].trimStart()];
    const close = new RegExp(`^(.*?)(\\s*${quote})\\s*$`).exec(rest);
    if (close && i !== lines.length - 1) return undefined;
    if (!close && i === lines.length - 1 && lines.length > 1) return undefined; // not closed in the selection
    out.push(close ? { prefix, content: close[1], suffix: rest.slice(close[1].length) } : { prefix, content: rest, suffix: '' });
  }
  return out;
}

function continuationPrefix(style: CommentBlock['style'], parsed: CommentLine[]): string {
  const first = parsed[0].prefix;
  const indent = /^\s*/.exec(first)![0];
  if (style === 'line') return first.trim() === '' ? (parsed.find((p) => p.prefix.trim() !== '')?.prefix ?? first) : first;
  if (style === 'docstring') return indent;
  // A block: a `*` line's prefix when there is one, else ` * ` under a `/**`-style opener's star.
  const star = parsed.slice(1).find((p) => /^\s*\*\s?$/.test(p.prefix));
  return star ? star.prefix : `${indent} * `;
}

/**
 * Reads `text` (whole lines) as a comment block of the language, or undefined when it is not one (code, a
 * mixed selection, a language without comment syntax here) or has no prose in it.
 */
export function parseCommentBlock(text: string, languageId: string): CommentBlock | undefined {
  const syntax = commentSyntax(languageId);
  if (!syntax || text.trim() === '') return undefined;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  let style: CommentBlock['style'] = 'line';
  let parsed = parseLineComments(lines, syntax.line);
  if (!parsed && syntax.block) [style, parsed] = ['block', parseBlockComment(lines)];
  if (!parsed && syntax.docstring) [style, parsed] = ['docstring', parseDocstring(lines)];
  if (!parsed) return undefined;

  const units: CommentUnit[] = [];
  let tags = false;
  parsed.forEach((p, i) => {
    const content = p.content.trim();
    if (/^@\w/.test(content)) tags = true;
    if (tags || !HAS_WORD.test(content)) {
      units.push({ kind: 'keep', line: i });
      return;
    }
    const bullet = BULLET.exec(content)?.[0] ?? '';
    const last = units[units.length - 1];
    if (!bullet && last?.kind === 'text' && !parsed[i - 1].suffix) {
      last.count++;
      last.text += ' ' + content;
      return;
    }
    units.push({ kind: 'text', first: i, count: 1, bullet, text: content.slice(bullet.length).trim() });
  });
  if (!units.some((u) => u.kind === 'text')) return undefined;
  const wrapped = units.some((u) => u.kind === 'text' && u.count > 1);
  return {
    style,
    lines,
    eol,
    parsed,
    units,
    continuation: continuationPrefix(style, parsed),
    width: wrapped ? Math.max(...lines.map((l) => l.length)) : 0,
  };
}

/** The prose paragraphs of the block, in order (bullets not included). */
export function commentParagraphs(block: CommentBlock): string[] {
  return block.units.flatMap((u) => (u.kind === 'text' ? [u.text] : []));
}

/** What to rewrite: one paragraph per line (the engine keeps line breaks: each line is its own segment). */
export function commentProse(block: CommentBlock): string {
  return commentParagraphs(block).join('\n');
}

/**
 * Greedy word wrap: a first line of at most `width` characters, the others of at most `restWidth` (a longer word
 * stays alone on its line); `width` 0 or less: one line. Whitespace runs become single spaces.
 */
export function wrapWords(text: string, width: number, restWidth = width): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  if (width <= 0) return [words.join(' ')];
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > (out.length === 0 ? width : restWidth)) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur || out.length === 0) out.push(cur);
  return out;
}

/**
 * The block with its paragraphs replaced by `rewritten` (in order). A missing paragraph keeps its original text;
 * extra ones are appended to the last paragraph — never is text dropped.
 */
export function restoreCommentBlock(block: CommentBlock, rewritten: readonly string[]): string {
  const texts = commentParagraphs(block).map((orig, k) => (k < rewritten.length && rewritten[k].trim() !== '' ? rewritten[k] : orig));
  if (rewritten.length > texts.length && texts.length > 0) texts[texts.length - 1] += ' ' + rewritten.slice(texts.length).join(' ');
  const out: string[] = [];
  let k = 0;
  for (const u of block.units) {
    if (u.kind === 'keep') {
      out.push(block.lines[u.line]);
      continue;
    }
    const firstPrefix = block.parsed[u.first].prefix + u.bullet;
    const hang = ' '.repeat(u.bullet.length);
    const nextPrefix = (u.count > 1 ? block.parsed[u.first + 1].prefix : block.continuation) + hang;
    const suffix = block.parsed[u.first + u.count - 1].suffix;
    const wrapped =
      block.width > 0 ? wrapWords(texts[k++], block.width - firstPrefix.length, block.width - nextPrefix.length) : wrapWords(texts[k++], 0);
    wrapped.forEach((line, j) => out.push((j === 0 ? firstPrefix : nextPrefix) + line + (j === wrapped.length - 1 ? suffix : '')));
  }
  return out.join(block.eol);
}

/** `restoreCommentBlock` for the engine's output on `commentProse(block)` (one paragraph per line). */
export function restoreCommentProse(block: CommentBlock, rewrittenProse: string): string {
  return restoreCommentBlock(
    block,
    rewrittenProse.split(/\r?\n/).filter((l) => l.trim() !== ''),
  );
}
