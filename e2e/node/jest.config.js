import { projectJestConfig } from '../../jest.preset.js';

// One suite at a time: each joins a Node to its cluster on the same host bridge, iptables and fixed runtime paths.
export default projectJestConfig(import.meta.dirname, { maxWorkers: 1 });
