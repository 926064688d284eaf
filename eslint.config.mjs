// ESLint for the whole tree (npm run lint; `npm test` runs it): the recommended JavaScript rules
// and typescript-eslint's recommended TypeScript rules. Layer boundaries are checked separately
// by dependency-cruiser (.dependency-cruiser.cjs, npm run layers).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench-results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused names are a tsc error already (noUnusedLocals); `_`-prefixed parameters are the
      // table handlers' fixed signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // One way to print register values: engine/util/hex.ts (the review found eleven private copies).
      'no-restricted-syntax': [
        'error',
        { selector: "VariableDeclarator[id.name='hex'], FunctionDeclaration[id.name='hex']", message: "import { hex } from engine/util/hex.ts instead of a private copy" },
      ],
    },
  },
  { files: ['engine/util/hex.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['bin/**', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
