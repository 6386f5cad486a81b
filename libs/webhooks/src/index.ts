// @bdk/webhooks: webhook signatures in each sender's own scheme (GitHub, Zendesk, Slack, Stripe, Standard
// Webhooks): verifying a request against an instance's current and previous secrets, signing as a sender would,
// and the secrets BDK hands out.
export { defaultSchemeFor, isSignatureScheme, signatureSchemes, type SignatureScheme } from './scheme-names.js';
export { schemeHeaders } from './registry.js';
export { generateSigningSecret } from './secrets.js';
export { signPayload, type SignPayloadOptions } from './sign-payload.js';
export { verifySignature, type VerifyOptions, type VerifyResult } from './verify-signature.js';
