/**
 * A stand-in for the `vscode` module so that the bundled extension (dist/extension.js) can be required and
 * activated in plain Node to time its activation. Known API surfaces return inert objects with the right shape
 * (configuration `get` returns the default it is given, commands are recorded); anything else resolves to an
 * absorbing proxy, so an extension using more of the API still activates. Nothing is shown and nothing runs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
// eslint-disable-next-line @typescript-eslint/no-require-imports
import Module = require('module');

/** A callable, constructible proxy that answers every property with itself (and `then` with undefined). */
export function absorbing(name = 'stub'): unknown {
  const fn = function () {
    /* absorbing stub */
  };
  const handler: ProxyHandler<typeof fn> = {
    get(_t, p) {
      if (p === 'then') return undefined; // not a thenable: `await stub` resolves to the stub
      if (p === Symbol.toPrimitive) return () => `[${name}]`;
      if (p === Symbol.iterator) return function* () {};
      if (p === 'toString' || p === 'toJSON') return () => `[${name}]`;
      if (p === 'dispose') return () => undefined;
      return self;
    },
    apply() {
      return self;
    },
    construct() {
      return self as object;
    },
  };
  // The handler's traps read `self` only when called, after this line.
  const self: unknown = new Proxy(fn, handler);
  return self;
}

/** Wraps `obj` so that properties it lacks come from an absorbing proxy. */
function withFallback<T extends object>(obj: T, name: string): T {
  return new Proxy(obj, {
    get(t, p, recv) {
      if (p in t) return Reflect.get(t, p, recv);
      if (p === 'then' || typeof p === 'symbol') return undefined;
      return absorbing(`${name}.${String(p)}`);
    },
  });
}

class Uri {
  constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query = '',
    readonly fragment = '',
  ) {}
  static file(p: string): Uri {
    return new Uri('file', '', path.resolve(p).replace(/\\/g, '/'));
  }
  static parse(s: string): Uri {
    const m = /^([a-z][\w+.-]*):(\/\/[^/]*)?([^?#]*)(\?[^#]*)?(#.*)?$/i.exec(s);
    return m ? new Uri(m[1], (m[2] ?? '').slice(2), m[3], (m[4] ?? '').slice(1), (m[5] ?? '').slice(1)) : new Uri('file', '', s);
  }
  static joinPath(base: Uri, ...segs: string[]): Uri {
    return new Uri(base.scheme, base.authority, path.posix.join(base.path, ...segs));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: Partial<{ scheme: string; authority: string; path: string; query: string; fragment: string }>): Uri {
    return new Uri(
      change.scheme ?? this.scheme,
      change.authority ?? this.authority,
      change.path ?? this.path,
      change.query ?? this.query,
      change.fragment ?? this.fragment,
    );
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}`;
  }
  toJSON(): unknown {
    return { scheme: this.scheme, path: this.path };
  }
}

class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...ds: Array<{ dispose(): unknown }>): Disposable {
    return new Disposable(() => ds.forEach((d) => d.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

class EventEmitter<T> {
  private listeners: Array<(e: T) => unknown> = [];
  readonly event = (l: (e: T) => unknown): Disposable => {
    this.listeners.push(l);
    return new Disposable(() => (this.listeners = this.listeners.filter((x) => x !== l)));
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {
    this.listeners = [];
  }
}

class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') {
      this.start = new Position(a, b as number);
      this.end = new Position(c ?? 0, d ?? 0);
    } else {
      this.start = a;
      this.end = b as Position;
    }
  }
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

class CodeActionKind {
  static readonly Empty = new CodeActionKind('');
  static readonly QuickFix = new CodeActionKind('quickfix');
  static readonly Refactor = new CodeActionKind('refactor');
  static readonly RefactorRewrite = new CodeActionKind('refactor.rewrite');
  static readonly RefactorExtract = new CodeActionKind('refactor.extract');
  static readonly RefactorInline = new CodeActionKind('refactor.inline');
  static readonly Source = new CodeActionKind('source');
  constructor(readonly value: string) {}
  append(part: string): CodeActionKind {
    return new CodeActionKind(this.value ? `${this.value}.${part}` : part);
  }
  contains(other: CodeActionKind): boolean {
    return other.value === this.value || other.value.startsWith(`${this.value}.`);
  }
  intersects(other: CodeActionKind): boolean {
    return this.contains(other) || other.contains(this);
  }
}

class SimpleClass {
  constructor(...args: unknown[]) {
    Object.assign(this, { args });
  }
}

function memento(): Record<string, unknown> {
  const store = new Map<string, unknown>();
  return {
    get: (k: string, d?: unknown) => (store.has(k) ? store.get(k) : d),
    update: async (k: string, v: unknown) => void store.set(k, v),
    keys: () => [...store.keys()],
    setKeysForSync: () => undefined,
  };
}

export interface VscodeStub {
  module: Record<string, unknown>;
  /** Ids passed to commands.register*Command, views registered, etc. */
  registered: string[];
  context(extensionRoot: string): Record<string, unknown>;
}

export function createVscodeStub(): VscodeStub {
  const registered: string[] = [];
  const disposable = () => new Disposable();
  const outputChannel = (name: string) =>
    withFallback(
      {
        name,
        append() {},
        appendLine() {},
        replace() {},
        clear() {},
        show() {},
        hide() {},
        dispose() {},
        trace() {},
        debug() {},
        info() {},
        warn() {},
        error() {},
        logLevel: 2,
      },
      'OutputChannel',
    );
  const configuration = () =>
    withFallback(
      {
        get: (_k: string, d?: unknown) => d,
        has: () => false,
        inspect: () => undefined,
        update: async () => undefined,
      },
      'WorkspaceConfiguration',
    );
  const noopEvent = () => disposable();
  const mod: Record<string, unknown> = {
    version: '1.90.0',
    Uri,
    Disposable,
    EventEmitter,
    Position,
    Range,
    CodeActionKind,
    CodeAction: SimpleClass,
    WorkspaceEdit: class extends SimpleClass {
      replace() {}
      insert() {}
      delete() {}
      set() {}
    },
    MarkdownString: class extends SimpleClass {
      appendMarkdown() {
        return this;
      }
      appendText() {
        return this;
      }
    },
    CancellationTokenSource: class {
      token = { isCancellationRequested: false, onCancellationRequested: noopEvent };
      cancel() {
        this.token.isCancellationRequested = true;
      }
      dispose() {}
    },
    StatusBarAlignment: { Left: 1, Right: 2 },
    ViewColumn: { Active: -1, Beside: -2, One: 1, Two: 2, Three: 3 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
    window: withFallback(
      {
        activeTextEditor: undefined,
        visibleTextEditors: [],
        createOutputChannel: (name: string) => outputChannel(name),
        createStatusBarItem: () => withFallback({ text: '', tooltip: '', show() {}, hide() {}, dispose() {} }, 'StatusBarItem'),
        showInformationMessage: async () => undefined,
        showWarningMessage: async () => undefined,
        showErrorMessage: async () => undefined,
        showQuickPick: async () => undefined,
        setStatusBarMessage: () => disposable(),
        withProgress: async (_o: unknown, task: (p: unknown, t: unknown) => unknown) =>
          task({ report() {} }, { isCancellationRequested: false, onCancellationRequested: noopEvent }),
        registerWebviewViewProvider: (id: string) => (registered.push(`webviewView:${id}`), disposable()),
        createWebviewPanel: () => absorbing('WebviewPanel'),
      },
      'window',
    ),
    commands: withFallback(
      {
        registerCommand: (id: string) => (registered.push(`command:${id}`), disposable()),
        executeCommand: async () => undefined,
      },
      'commands',
    ),
    workspace: withFallback(
      {
        workspaceFolders: undefined,
        getConfiguration: () => configuration(),
        onDidChangeConfiguration: noopEvent,
        textDocuments: [],
        isTrusted: true,
      },
      'workspace',
    ),
    languages: withFallback(
      {
        registerCodeActionsProvider: (_sel: unknown) => (registered.push('codeActionsProvider'), disposable()),
      },
      'languages',
    ),
    env: withFallback(
      {
        clipboard: { readText: async () => '', writeText: async () => undefined },
      },
      'env',
    ),
  };
  const context = (extensionRoot: string) => {
    const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'diffuseq-bench-ext-'));
    let packageJSON: unknown = {};
    try {
      packageJSON = JSON.parse(fs.readFileSync(path.join(extensionRoot, 'package.json'), 'utf8'));
    } catch {
      /* no package.json: empty */
    }
    return withFallback(
      {
        subscriptions: [] as Array<{ dispose(): unknown }>,
        extensionPath: extensionRoot,
        extensionUri: Uri.file(extensionRoot),
        globalStorageUri: Uri.file(path.join(storage, 'global')),
        storageUri: Uri.file(path.join(storage, 'workspace')),
        logUri: Uri.file(path.join(storage, 'log')),
        extensionMode: 1,
        globalState: memento(),
        workspaceState: memento(),
        asAbsolutePath: (rel: string) => path.join(extensionRoot, rel),
        extension: {
          id: 'diffuseq-rewrite.diffuseq-rewrite',
          extensionPath: extensionRoot,
          extensionUri: Uri.file(extensionRoot),
          packageJSON,
        },
      },
      'ExtensionContext',
    );
  };
  return { module: withFallback(mod, 'vscode'), registered, context };
}

/** Makes `require('vscode')` return `stub` in this process. Returns a function that undoes it. */
export function installVscodeStub(stub: Record<string, unknown>): () => void {
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown };
  const original = M._load;
  M._load = function (request: string, parent: unknown, isMain: boolean) {
    if (request === 'vscode') return stub;
    return original.call(this, request, parent, isMain);
  };
  return () => {
    M._load = original;
  };
}
