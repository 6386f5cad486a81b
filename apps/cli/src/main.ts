#!/usr/bin/env node
// The bdk command line: each command group registers itself on the root program.
import { registerAdminCommands } from './commands/admin.js';
import { registerBooksCommands } from './commands/books.js';
import { registerCompletionCommands } from './commands/completion.js';
import { registerDeliveriesCommands } from './commands/deliveries.js';
import { registerInstancesCommands } from './commands/instances.js';
import { registerLoginCommands } from './commands/login.js';
import { registerWebhookCommands } from './commands/webhook.js';
import { createRootCommand, runProgram } from './program.js';

const program = createRootCommand();
registerLoginCommands(program);
registerBooksCommands(program);
registerInstancesCommands(program);
registerDeliveriesCommands(program);
registerWebhookCommands(program);
registerCompletionCommands(program);
registerAdminCommands(program);

process.exitCode = await runProgram(program, process.argv);
