// The bench is plain ESM JavaScript run by Node: linted with eslint's JS rules, no type information.
// ESLint ≥ 10 looks a config up from each file's directory, so this file governs bench/ (a root
// `eslint .` included). It exists because the root config's bench block replaces the `rules` and
// `languageOptions` of typescript-eslint's disableTypeChecked instead of extending them, which
// turns type-checked rules on for these files.
import js from '@eslint/js'
import prettier from 'eslint-config-prettier'

const node = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map(
    (name) => [name, 'readonly'],
  ),
)

export default [
  { ignores: ['results/'] },
  js.configs.recommended,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module', globals: node },
    rules: { 'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }] },
  },
  prettier,
]
