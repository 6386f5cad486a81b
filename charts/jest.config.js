import { projectJestConfig } from '../jest.preset.js';

// Each suite runs the real Helm; the install suite also a kube-apiserver.
export default projectJestConfig(import.meta.dirname, { testTimeout: 60_000 });
