//@ts-check
'use strict';

/**
 * Bundles the VS Code extension:
 *   dist/extension.js   the extension host side (src/extension/extension.ts); `vscode` is external.
 *   dist/engineHost.js  the engine process (src/extension/engineHostMain.ts + src/engine + the parts of
 *                       @huggingface/transformers the tokenizer uses), forked by the extension.
 *
 * onnxruntime-node (native) and onnxruntime-common stay external: they are shipped as files in the .vsix
 * under node_modules/ (see .vscodeignore) and required at run time. onnxruntime-common must be one copy
 * for both onnxruntime-node and transformers (its Tensor class is checked with instanceof).
 * sharp (image decoding, unused by the tokenizer) is replaced by an empty module, so neither it nor its
 * native @img/* packages are needed.
 */
const path = require('path');

/** @param {Record<string, unknown>} _env @param {{ mode?: string }} argv */
module.exports = (_env, argv) => {
  const production = argv.mode === 'production';

  /** @type {import('webpack').Configuration} */
  const common = {
    target: 'node20',
    mode: production ? 'production' : 'development',
    devtool: production ? 'hidden-source-map' : 'source-map',
    output: {
      path: path.resolve(__dirname, 'dist'),
      filename: '[name].js',
      library: { type: 'commonjs2' },
      clean: false,
    },
    resolve: {
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.json'],
      conditionNames: ['node', 'require', 'default'],
      alias: {
        sharp: false,
      },
    },
    externals: {
      vscode: 'commonjs vscode',
      'onnxruntime-node': 'commonjs onnxruntime-node',
      'onnxruntime-common': 'commonjs onnxruntime-common',
    },
    externalsPresets: { node: true },
    node: {
      // Keep the real __dirname/__filename: transformers resolves onnxruntime-node with
      // createRequire(__filename), i.e. from dist/ to the shipped node_modules/.
      __dirname: false,
      __filename: false,
    },
    module: {
      rules: [
        {
          test: /\.ts$/,
          exclude: /node_modules/,
          // ES modules (not tsconfig's CommonJS) so that webpack can drop what a bundle does not use.
          use: [
            {
              loader: 'ts-loader',
              options: { transpileOnly: true, compilerOptions: { sourceMap: true, module: 'es2020', moduleResolution: 'node' } },
            },
          ],
        },
        {
          // The engine's modules do nothing when imported, so a re-export of src/engine/index.ts that a bundle
          // does not use is left out: the extension host imports the engine's types, errors and comment parser
          // through the index without loading onnxruntime or the tokenizer (the engine process loads those).
          test: /[\\/]src[\\/]engine[\\/]/,
          sideEffects: false,
        },
      ],
      parser: {
        javascript: { importMeta: false },
      },
    },
    performance: { hints: false },
    optimization: {
      minimize: production,
    },
    infrastructureLogging: { level: 'warn' },
    stats: 'errors-warnings',
  };

  return [
    { ...common, name: 'extension', entry: { extension: './src/extension/extension.ts' } },
    { ...common, name: 'engineHost', entry: { engineHost: './src/extension/engineHostMain.ts' } },
  ];
};
