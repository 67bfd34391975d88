// ESLint (flat config): typescript-eslint's recommended rules (no type information, so linting stays fast),
// no import cycles, and the one-way layers: bot → dialogs → services, knowledge on its own.
//   npm run lint
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX, createNodeResolver } from 'eslint-plugin-import-x';
import globals from 'globals';

/** Which folder may not import which: `from` is forbidden inside `target`. */
const LAYERS = [
  {
    target: './knowledge',
    from: ['./bot', './dialogs', './services'],
    message: 'knowledge/ stands alone: pass it plain values instead of importing bot/, dialogs/ or services/.',
  },
  {
    target: './services',
    from: ['./bot', './dialogs'],
    message: 'services/ must not depend on the host or the conversation layer (bot/, dialogs/).',
  },
  {
    target: './dialogs',
    from: ['./bot'],
    message: 'dialogs/ must not import bot/ (bot/ imports dialogs/, never the other way round).',
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'outbox/**'] },

  js.configs.recommended,
  ...tseslint.configs.recommended,

  {
    plugins: { 'import-x': importX },
    settings: {
      // How import-x reads and resolves the files an import points at (needed by no-cycle to follow imports).
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
      'import-x/external-module-folders': ['node_modules', 'node_modules/@types'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json', '.d.ts'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: LAYERS }],

      // Unused values are also caught by tsc (noUnusedLocals/Parameters); here `_`-prefixed ones are deliberate.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },

  // Node scripts and the build helper.
  {
    files: ['scripts/**/*.{js,mjs,cjs}'],
    languageOptions: { globals: globals.node },
  },

  // The reset page's script runs in the patient's browser.
  {
    files: ['web/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
);
