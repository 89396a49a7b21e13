// ESLint over all the code we write: @eslint/js and typescript-eslint recommended, without type
// information (the type-aware set took 4x longer and found no floating promise here).
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default defineConfig(
  {
    ignores: ['**/dist/', '**/node_modules/', '**/.turbo/', 'bench/results/', 'docs/', 'packages/cli/test-artifacts/', 'testing/setup/.readme-code-*'],
  },
  {
    files: [
      'packages/*/{src,test,bin,scripts}/**/*.{ts,js,mjs}',
      'testing/**/*.{ts,mjs}',
      'bench/src/**/*.ts',
      'chaos/{src,test}/**/*.ts',
      'examples/*/{src,test}/**/*.ts',
      '*.{js,ts}',
    ],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.node },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A leading underscore marks a value left out on purpose (`{ error: _error, ...rest }`, `_options`).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `{}` is the empty Results a workflow builder starts from; DurableTypes is filled by declaration merging.
      '@typescript-eslint/no-empty-object-type': 'off',
      // Two spaces in a pattern match the CLI's column gap, as the plain-string assertions beside them do.
      'no-regex-spaces': 'off',
    },
  },
  {
    // The dashboard's page runs in the browser.
    files: ['packages/cli/src/dashboard/client/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Core's type-level generics (`StepHandler<any, any, unknown, any>`) need `any` to accept every workflow.
    files: ['packages/core/src/**/*.ts', '**/*.d.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Type tests declare values only to take `typeof` of them.
    files: ['**/test/*-types.test.ts'],
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '.' }] },
  },
)
