// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.junction/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      // Route handlers and checks are async by contract even when a body has nothing to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Files stay small enough to read in one sitting; a function that outgrows a screen is split.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // Workflow code is replayed deterministically inside Temporal's sandbox, so it is an allowlist:
    // @temporalio/workflow, src/shared and src/workflows itself; activities by type only (proxyActivities).
    // Relative paths are read from src/workflows: a file in a subfolder of it finds `../` refused (fail-safe).
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Every package (Node built-ins included) but the workflow SDK itself.
              regex: '^(?!\\.{1,2}/|@temporalio/workflow$)',
              message: 'Workflows may import only @temporalio/workflow among packages.',
            },
            {
              regex: '^\\.\\./(?!shared/|activities(/|$))',
              message: 'Workflows may import only modules under src/shared and src/workflows.',
            },
            {
              regex: '.+/\\.\\.(/|$)',
              message:
                'Write the direct path: workflows may import only modules under src/shared and src/workflows.',
            },
            {
              regex: '^\\.\\./activities(/|$)',
              message: 'Import activities by type only (import type) and call them through proxyActivities.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
