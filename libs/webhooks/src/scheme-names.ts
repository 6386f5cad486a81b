// The signature schemes BDK verifies. Each is a sender's own, so an integration works with the sender's stock
// webhook settings; senders without a scheme of their own use Standard Webhooks.
export const signatureSchemes = ['github', 'zendesk', 'slack', 'stripe', 'standard-webhooks'] as const;

export type SignatureScheme = (typeof signatureSchemes)[number];

export function isSignatureScheme(value: string): value is SignatureScheme {
  return (signatureSchemes as readonly string[]).includes(value);
}

/** The scheme for a source name when the integration names none: github, zendesk, slack, stripe by name; any other
 *  source: standard-webhooks. Source names are DNS labels, so the match is exact. */
export function defaultSchemeFor(source: string): SignatureScheme {
  return isSignatureScheme(source) ? source : 'standard-webhooks';
}
