// Shared Jest setup for every project: TypeScript ESM through ts-jest (run under
// NODE_OPTIONS=--experimental-vm-modules, see tools/jest.sh), @bdk/* resolved to each lib's public index.
import path from 'node:path';

const workspaceRoot = import.meta.dirname;

/**
 * @param {string} projectDir absolute directory of the project (its jest.config.js's import.meta.dirname)
 * @param {Partial<import('jest').Config>} [overrides]
 * @returns {import('jest').Config}
 */
export function projectJestConfig(projectDir, overrides = {}) {
  return {
    displayName: path.relative(workspaceRoot, projectDir),
    rootDir: projectDir,
    testEnvironment: 'node',
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: {
      '^@bdk/([a-z0-9-]+)$': `${workspaceRoot}/libs/$1/src/index.ts`,
      // ESM sources import './x.js'; the file on disk is x.ts.
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    transform: {
      '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: path.join(projectDir, 'tsconfig.json') }],
    },
    testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
    // Integration tests start etcd, kube-apiserver and Envoy; each suite has its own timeouts on top of this.
    testTimeout: 30_000,
    ...overrides,
  };
}
