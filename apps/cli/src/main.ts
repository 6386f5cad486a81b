#!/usr/bin/env node
// The bdk command line: each command group registers itself on the root program.
import { createRootCommand, runProgram } from './program.js';

const program = createRootCommand();

process.exitCode = await runProgram(program, process.argv);
