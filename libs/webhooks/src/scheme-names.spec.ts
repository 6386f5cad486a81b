import { describe, expect, it } from '@jest/globals';
import { defaultSchemeFor, isSignatureScheme, signatureSchemes } from './scheme-names.js';

describe('isSignatureScheme', () => {
  it.each(signatureSchemes)('knows %s', (scheme) => {
    expect(isSignatureScheme(scheme)).toBe(true);
  });

  it.each(['gitlab', 'GitHub', '', 'toString', '__proto__'])('does not take "%s" for a scheme', (value) => {
    expect(isSignatureScheme(value)).toBe(false);
  });
});

describe('defaultSchemeFor', () => {
  it.each([
    ['github', 'github'],
    ['zendesk', 'zendesk'],
    ['slack', 'slack'],
    ['stripe', 'stripe'],
    ['my-crm', 'standard-webhooks'],
    ['gitlab', 'standard-webhooks'],
    ['standard-webhooks', 'standard-webhooks'],
  ])('gives source %s the %s scheme', (source, scheme) => {
    expect(defaultSchemeFor(source)).toBe(scheme);
  });
});
