// The e2e suites run the built local stack as the README's user would (@bdk/testing's startLocalStack), each in a
// state dir of its own that stop() removes.
import { startLocalStack, type LocalStack } from '@bdk/testing';

export type Stack = LocalStack;

/** Starts the stack on free ports and a new state dir; resolves once it says it is up. */
export function startStack(env: NodeJS.ProcessEnv): Promise<Stack> {
  return startLocalStack({ env });
}
