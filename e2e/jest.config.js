import { projectJestConfig } from '../jest.preset.js';

// The benchmark's pure parts (statistics, options, accounting) have specs beside them in bench/.
export default projectJestConfig(import.meta.dirname, { testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/bench/**/*.spec.ts'] });
