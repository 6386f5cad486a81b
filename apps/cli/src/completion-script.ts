// Shell completion generated from the program's own command tree, so every registered command completes.
import type { Command, Option } from 'commander';

interface Level {
  /** The subcommand path from the root, "/"-joined with a leading "/"; "" for the root. */
  path: string;
  words: string[];
}

function visibleOptions(command: Command): Option[] {
  return command.options.filter((option) => !option.hidden);
}

function optionWords(option: Option): string[] {
  return [option.short, option.long].filter((word): word is string => Boolean(word));
}

function levels(command: Command, path: string, inherited: Option[]): Level[] {
  const options = [...inherited, ...visibleOptions(command)];
  const subcommands = command.commands.filter((sub) => !(sub as Command & { _hidden?: boolean })._hidden);
  const argumentChoices = command.registeredArguments.flatMap((argument) => argument.argChoices ?? []);
  const words = [...subcommands.map((sub) => sub.name()), ...argumentChoices, ...options.flatMap(optionWords), '--help'];
  return [{ path, words }, ...subcommands.flatMap((sub) => levels(sub, `${path}/${sub.name()}`, inherited))];
}

function allOptions(command: Command): Option[] {
  return [...visibleOptions(command), ...command.commands.flatMap(allOptions)];
}

function quoteWords(words: Iterable<string>): string {
  return [...new Set(words)].join(' ');
}

/** A case pattern of the words; one that matches nothing when there are none. */
function quoteAlternatives(words: string[]): string {
  return [...new Set(words)].join('|') || '--no-such-option';
}

/** A bash completion function for `bdk`: subcommands and options at each level, files after a file option, the
 *  allowed values of options with choices. */
export function bashCompletionScript(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, '_')}_completions`;
  const globals = visibleOptions(program);
  const all = levels(program, '', []).map((level, index) => (index === 0 ? level : { ...level, words: [...level.words, ...globals.flatMap(optionWords)] }));
  const options = allOptions(program);
  const takesValue = options.filter((option) => option.required || option.optional).flatMap(optionWords);
  const fileOptions = options.filter((option) => /file/.test(option.long ?? '')).flatMap(optionWords);
  const choiceCases = options
    .filter((option) => option.argChoices && option.argChoices.length > 0)
    .map((option) => `    ${optionWords(option).join('|')}) COMPREPLY=($(compgen -W "${quoteWords(option.argChoices ?? [])}" -- "$cur")); return ;;`);
  const paths = all.filter((level) => level.path !== '').map((level) => level.path);
  return `# ${name} completion for bash: source <(${name} completion bash)
${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} path="" skip="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ -n $skip ]]; then skip=""; continue; fi
    case "$word" in
      ${quoteAlternatives(takesValue)}) skip=1; continue ;;
    esac
    case "$path/$word" in
      ${paths.join('|')}) path="$path/$word" ;;
    esac
  done
  case "$prev" in
${choiceCases.join('\n')}
    ${quoteAlternatives(fileOptions)}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  local words
  case "$path" in
${all.map((level) => `    "${level.path}") words="${quoteWords(level.words)}" ;;`).join('\n')}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F ${fn} ${name}
`;
}

/** zsh runs the bash function through its bash-completion emulation: one script to keep right for both shells. */
export function zshCompletionScript(program: Command): string {
  const name = program.name();
  return `#compdef ${name}
# ${name} completion for zsh: source <(${name} completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletionScript(program).split('\n').slice(1).join('\n')}`;
}
