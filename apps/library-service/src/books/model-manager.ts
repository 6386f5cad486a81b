// The Model Manager client: where a new book's prompts come from (modelmanager.v1.PromptService over gRPC).
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { create } from '@bufbuild/protobuf';
import { modelmanager, PromptSchema, type Prompt } from '@bdk/proto';
import type { Logger } from '@bdk/service-runtime';

/** The prompts of one book version. Throws ConnectError UNAVAILABLE when they cannot be had right now. */
export type PromptSource = (bookName: string, bookVersion: string) => Promise<Prompt[]>;

export interface ModelManagerOptions {
  /** gRPC base URL, e.g. http://model-manager.models:9090. */
  baseUrl: string;
  logger: Logger;
  /** Per call; CreateBook waits this long at most for the Model Manager. */
  timeoutMs?: number;
}

export function modelManagerPrompts(options: ModelManagerOptions): PromptSource {
  const client = createClient(modelmanager.PromptService, createGrpcTransport({ baseUrl: options.baseUrl }));
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (bookName, bookVersion) => {
    let prompts: modelmanager.PromptDefinition[];
    try {
      ({ prompts } = await client.getBookPrompts({ bookName, bookVersion }, { timeoutMs }));
    } catch (error) {
      const cause = ConnectError.from(error);
      // The contract: NOT_FOUND means the Model Manager knows no prompts for this book, which is an answer.
      if (cause.code === Code.NotFound) return [];
      options.logger.warn('Model Manager call failed', { baseUrl: options.baseUrl, bookName, bookVersion, code: Code[cause.code], reason: cause.rawMessage });
      throw new ConnectError(`Model Manager unavailable: could not retrieve the prompts of ${bookName} ${bookVersion}`, Code.Unavailable, undefined, undefined, error);
    }
    const seen = new Set<string>();
    for (const prompt of prompts) {
      // Prompt names key the stored list (the CRD's list-map); an answer that breaks that is the Model Manager's fault.
      if (prompt.name === '' || seen.has(prompt.name)) {
        options.logger.warn('Model Manager answered unusable prompts', { bookName, bookVersion, prompt: prompt.name });
        throw new ConnectError(`Model Manager unavailable: it answered a prompt with an empty or repeated name for ${bookName} ${bookVersion}`, Code.Unavailable);
      }
      seen.add(prompt.name);
    }
    return prompts.map((prompt) => create(PromptSchema, { name: prompt.name, version: prompt.version, template: prompt.template, model: prompt.model }));
  };
}

/** Without a Model Manager configured, books are created without prompts. */
export const noPrompts: PromptSource = () => Promise.resolve([]);
