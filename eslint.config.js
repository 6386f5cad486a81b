// One ESLint config for the workspace. @nx/enforce-module-boundaries turns the layering into lint errors:
// apps import libs and never each other; the generated proto lib depends on nothing; only tests may use the
// test harness (@bdk/testing).
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const testFiles = ['**/*.spec.ts', '**/test/**/*.ts', '**/e2e/**/*.ts'];

/** @param {boolean} inTests */
function moduleBoundaries(inTests) {
  const testing = inTests ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:proto', ...testing] },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:proto', ...testing] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:util', 'type:proto'] },
        { sourceTag: 'type:proto', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:testing', 'type:util', 'type:proto'] },
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:util', 'type:proto'] },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '.nx/**', 'libs/proto/src/gen/**'] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    files: ['**/*.ts', '**/*.js'],
    plugins: { '@nx': nx },
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@nx/enforce-module-boundaries': moduleBoundaries(false),
    },
  },
  { files: testFiles, rules: { '@nx/enforce-module-boundaries': moduleBoundaries(true) } },
  // Each project's jest.config.js extends the workspace preset: tooling configuration, not project code.
  { files: ['**/jest.config.js'], rules: { '@nx/enforce-module-boundaries': 'off' } },
);
