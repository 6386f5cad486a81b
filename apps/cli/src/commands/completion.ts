// `bdk completion bash|zsh`: prints the completion script for the whole program, as registered when it runs.
import { Argument, type Command } from 'commander';
import { bashCompletionScript, zshCompletionScript } from '../completion-script.js';
import { contextOf } from '../program.js';

export function registerCompletionCommands(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(bdk completion bash), or zsh')
    .addArgument(new Argument('<shell>').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh', _options: unknown, command: Command) => {
      let root = command;
      while (root.parent) root = root.parent;
      contextOf(command).print(shell === 'bash' ? bashCompletionScript(root) : zshCompletionScript(root));
    });
}
