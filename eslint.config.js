// ESLint flat config: typescript-eslint's type-checked rules (they catch floating promises)
// plus the layer rules of DESIGN.md §2.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const LAYERS = [
  'util',
  'crypto',
  'codec',
  'vm',
  'enclave',
  'store',
  'app',
  'abci',
  'consensus',
  'mempool',
  'p2p',
  'node',
  'rpc',
  'client',
  'cli',
];

/** Imports a layer may not make: every layer above it (client: all but crypto and codec). */
function forbiddenFor(layer) {
  const above =
    layer === 'client'
      ? LAYERS.filter((l) => !['util', 'crypto', 'codec', 'client'].includes(l))
      : LAYERS.slice(LAYERS.indexOf(layer) + 1);
  return above.flatMap((l) => [`../${l}/*`, `../../${l}/*`, `../${l}`, `../../${l}`]);
}

// Consensus-critical code must not read clocks or randomness (DESIGN.md §7).
const determinismBans = [
  { object: 'Date', property: 'now', message: 'Use the block time (DESIGN.md §7).' },
  { object: 'Math', property: 'random', message: 'Use the block random (DESIGN.md §7).' },
  { object: 'performance', property: 'now', message: 'No clocks in consensus paths (DESIGN.md §7).' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'src/codec/gen/**',
      'contracts/**',
      'coverage/**',
      '.shroud/**',
      '.cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  ...LAYERS.map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { patterns: forbiddenFor(layer) }] },
  })),
  {
    files: [
      'src/app/**/*.ts',
      'src/consensus/**/*.ts',
      'src/vm/**/*.ts',
      'src/enclave/**/*.ts',
      'src/store/**/*.ts',
    ],
    ignores: ['**/*.test.ts'],
    rules: { 'no-restricted-properties': ['error', ...determinismBans] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: Object.fromEntries(
        [
          'process',
          'console',
          'URL',
          'Buffer',
          'setTimeout',
          'clearTimeout',
          'TextEncoder',
          'TextDecoder',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
);
