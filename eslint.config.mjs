// ESLint for the TypeScript (and the plain JS of media/ and scripts/): typescript-eslint's recommended rules.
// Formatting is Prettier's job (.prettierrc.json), not ESLint's. `npm run lint` runs both; `npm test` stage `lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'models/**', 'runs/**', '.vscode-test/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // The text cleaners and tokenizers (text.ts, bleu.ts, sari.ts, run-tests.js) match control characters on
      // purpose: that is what they strip or split on.
      'no-control-regex': 'off',
      // `_name` marks a parameter kept for an interface's shape.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['media/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, acquireVsCodeApi: 'readonly' } },
  },
  {
    files: ['scripts/**/*.js', 'bin/**/*.js', 'webpack.config.js', 'test/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The engine's public face is src/engine/index.ts (docs/ARCHITECTURE.md): the other rooms import nothing else
    // of it, so that what the engine keeps inside can move without touching them. Its own tests may reach in.
    files: ['src/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    ignores: ['src/engine/**', 'test/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)engine/(?!index$)[^/]+$',
              message: 'import the engine through src/engine (index.ts), its public face',
            },
          ],
        },
      ],
    },
  },
);
