import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import prettier from 'eslint-config-prettier'

const restrict = (patterns) => ['error', { patterns }]

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', 'test-output/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Fastify plugins and hooks are async by convention, awaited or not.
      '@typescript-eslint/require-await': 'off',
      'no-console': 'error',
    },
  },
  // Layering (docs/architecture.md): these imports never exist.
  {
    files: ['src/protocol/**'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['../core/*', '../server/*', '../store/*', '../log/*', '../auth/*', '../web/*', 'node:*'] },
      ]),
    },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: [
            '**/server/*',
            '**/store/*',
            '**/log/*',
            '**/auth/*',
            'node:*',
            'better-sqlite3',
            'pg',
            'ioredis',
            'ws',
          ],
          message: 'core/ is pure: no I/O',
        },
      ]),
    },
  },
  {
    files: ['src/web/**'],
    // src/web compiles with DOM libs and JSX (tsconfig.web.json), which the root tsconfig excludes.
    languageOptions: {
      parserOptions: { projectService: false, project: ['./tsconfig.web.json'] },
    },
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['**/server/*', '**/store/*', '**/log/*', '**/auth/*', 'node:*'],
          message: 'no server code in the browser bundle',
        },
      ]),
    },
  },
  {
    files: ['src/rooms/**'],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['**/server/*', '**/store/*', 'ws', 'fastify'],
          message: 'a room talks to RoomClients and the log, never to sockets or the app',
        },
      ]),
    },
  },
  {
    files: ['src/store/**', 'src/log/**', 'src/auth/**'],
    rules: {
      'no-restricted-imports': restrict([
        { group: ['**/server/*'], message: 'adapters do not know the app' },
      ]),
    },
  },
  {
    files: ['bench/**/*.mjs', 'scripts/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
)
