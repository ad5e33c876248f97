// @ts-check
import tseslint from 'typescript-eslint';

const uiAndShellModules = ['electron', 'react', 'react-dom', 'react-dom/*', '@xyflow/*', 'monaco-editor', 'monaco-editor/*'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'test-output/**', 'runs/**', '**/.venv/**', '**/.venv-*/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The core stays pure: no desktop shell, no UI framework. (DOM globals are kept out by the
    // tsconfig `lib`, which has no "DOM".)
    files: ['app/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: uiAndShellModules, message: 'app/ is the pure core: no Electron, React, React Flow or Monaco imports.' },
            { group: ['**/main/**', '**/renderer/**'], message: 'app/ must not depend on main/ or renderer/.' },
          ],
        },
      ],
    },
  },
);
