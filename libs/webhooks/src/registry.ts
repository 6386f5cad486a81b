// The scheme modules by name.
import type { SchemeDefinition } from './scheme.js';
import type { SignatureScheme } from './scheme-names.js';
import { github } from './schemes/github.js';
import { slack } from './schemes/slack.js';
import { standardWebhooks } from './schemes/standard-webhooks.js';
import { stripe } from './schemes/stripe.js';
import { zendesk } from './schemes/zendesk.js';

const schemes = new Map<string, SchemeDefinition>([
  ['github', github],
  ['zendesk', zendesk],
  ['slack', slack],
  ['stripe', stripe],
  ['standard-webhooks', standardWebhooks],
] satisfies [SignatureScheme, SchemeDefinition][]);

/** The scheme's module; throws a TypeError for a name that is not a scheme (callers from untyped configuration
 *  check with isSignatureScheme first). */
export function schemeDefinition(scheme: SignatureScheme): SchemeDefinition {
  const definition = schemes.get(scheme);
  if (!definition) throw new TypeError(`unknown webhook signature scheme "${String(scheme)}"`);
  return definition;
}

/** The header names a scheme reads, as its sender documents them, for error messages and docs. */
export function schemeHeaders(scheme: SignatureScheme): readonly string[] {
  return schemeDefinition(scheme).headers;
}
