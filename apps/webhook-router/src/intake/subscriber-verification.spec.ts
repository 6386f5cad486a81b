import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from '@jest/globals';
import { WebhookSubscriberSchema, type WebhookSubscriber } from '@bdk/proto';
import { generateSigningSecret, signPayload, type SignatureScheme } from '@bdk/webhooks';
import { verifyAgainstSubscribers, worthRefetching, type Verdict } from './subscriber-verification.js';

const payload = Buffer.from('{"ticket":{"id":"12345"}}');
const now = new Date('2026-03-01T12:00:00Z');

function subscriber(name: string, organizationId: string, scheme: SignatureScheme, secrets: string[]): WebhookSubscriber {
  return create(WebhookSubscriberSchema, {
    target: { namespace: 'bdk', name },
    instanceId: `00000000-0000-4000-8000-${name.padStart(12, '0').slice(-12)}`,
    organizationId,
    routedTo: `customer-${name}/support-1-0-0`,
    scheme,
    secrets,
  });
}

const acmeSecret = generateSigningSecret();
const globexSecret = generateSigningSecret();
const acme = subscriber('acme', 'org-acme', 'zendesk', [acmeSecret]);
const globex = subscriber('globex', 'org-globex', 'zendesk', [globexSecret]);

function verify(subscribers: WebhookSubscriber[], headers: Record<string, string>, options: { instanceId?: string; source?: string; body?: Uint8Array } = {}) {
  return verifyAgainstSubscribers({
    source: options.source ?? 'zendesk',
    instanceId: options.instanceId ?? '',
    subscribers,
    payload: options.body ?? payload,
    header: (name) => headers[name],
    now,
    toleranceSeconds: 300,
  });
}

const signed = (scheme: SignatureScheme, secret: string, timestamp = now) => signPayload({ scheme, payload, secret, timestamp });
const instanceIds = (verdict: Verdict) => (verdict.ok ? verdict.verified.map((s) => s.instanceId) : verdict.reason);

describe('verifyAgainstSubscribers', () => {
  it('verifies only the subscriber whose secret signed the webhook', () => {
    expect(instanceIds(verify([acme, globex], signed('zendesk', acmeSecret)))).toEqual([acme.instanceId]);
    const verdict = verify([acme, globex], signed('zendesk', globexSecret));
    expect(verdict).toEqual({
      ok: true,
      organizationId: 'org-globex',
      verified: [
        {
          target: expect.objectContaining({ namespace: 'bdk', name: 'globex' }) as unknown,
          instanceId: globex.instanceId,
          organizationId: 'org-globex',
          routedTo: 'customer-globex/support-1-0-0',
          scheme: 'zendesk',
          secretIndex: 0,
        },
      ],
    });
  });

  it('verifies each subscriber with its own scheme', () => {
    const slackSecret = generateSigningSecret();
    const slack = subscriber('slackers', 'org-acme', 'slack', [slackSecret]);
    expect(instanceIds(verify([acme, slack], signed('slack', slackSecret)))).toEqual([slack.instanceId]);
    // A Zendesk signature made with the Slack subscriber's secret is not a Slack signature.
    expect(verify([acme, slack], signed('zendesk', slackSecret))).toMatchObject({ ok: false, reason: 'not_verified' });
  });

  it('accepts the previous secret inside the rotation window and says which secret verified', () => {
    const next = generateSigningSecret();
    const rotating = subscriber('acme', 'org-acme', 'zendesk', [next, acmeSecret]);
    expect(verify([rotating], signed('zendesk', acmeSecret))).toMatchObject({ ok: true, verified: [{ secretIndex: 1 }] });
    expect(verify([rotating], signed('zendesk', next))).toMatchObject({ ok: true, verified: [{ secretIndex: 0 }] });
  });

  it('fails with the reasons counted when no secret verifies', () => {
    expect(verify([acme, globex], signed('zendesk', generateSigningSecret()))).toEqual({
      ok: false,
      reason: 'not_verified',
      failures: { signature_mismatch: 2 },
      detail: expect.stringContaining('could not be verified') as unknown,
    });
    expect(verify([acme], {})).toMatchObject({ ok: false, reason: 'not_verified', failures: { missing_signature: 1 } });
    const old = new Date(now.getTime() - 6 * 60_000);
    expect(verify([acme], signed('zendesk', acmeSecret, old))).toMatchObject({ ok: false, failures: { stale_timestamp: 1 } });
  });

  it('fails as no_subscribers when there are none', () => {
    expect(verify([], signed('zendesk', acmeSecret))).toEqual({ ok: false, reason: 'no_subscribers', failures: {} });
  });

  it('on the instance-addressed route tries the addressed instance only', () => {
    expect(instanceIds(verify([acme, globex], signed('zendesk', acmeSecret), { instanceId: acme.instanceId }))).toEqual([acme.instanceId]);
    expect(verify([acme, globex], signed('zendesk', acmeSecret), { instanceId: globex.instanceId })).toMatchObject({
      ok: false,
      reason: 'not_verified',
      failures: { signature_mismatch: 1, unusable_subscriber: 1 },
    });
    expect(verify([acme], signed('zendesk', acmeSecret), { instanceId: globex.instanceId })).toMatchObject({ ok: false, reason: 'no_subscribers' });
  });

  it('refuses every instance when one signature verifies for two organisations (a shared secret)', () => {
    const leaked = subscriber('globex', 'org-globex', 'zendesk', [acmeSecret]);
    expect(verify([acme, leaked], signed('zendesk', acmeSecret))).toEqual({
      ok: false,
      reason: 'several_organizations',
      failures: {},
      instances: [acme.instanceId, leaked.instanceId],
    });
  });

  it('delivers to several instances of one organisation that verified', () => {
    const twin = subscriber('acme2', 'org-acme', 'zendesk', [acmeSecret]);
    expect(verify([acme, twin, globex], signed('zendesk', acmeSecret))).toMatchObject({
      ok: true,
      organizationId: 'org-acme',
      verified: [{ instanceId: acme.instanceId }, { instanceId: twin.instanceId }],
    });
  });

  it('skips subscribers it cannot attribute or use, and still verifies the others', () => {
    const unusable = [
      subscriber('noorg', '', 'zendesk', [acmeSecret]),
      subscriber('nosecret', 'org-acme', 'zendesk', []),
      subscriber('badscheme', 'org-acme', 'carrier-pigeon' as SignatureScheme, [acmeSecret]),
      subscriber('badsecret', 'org-acme', 'standard-webhooks', ['not-a-whsec-secret']),
      create(WebhookSubscriberSchema, { instanceId: 'x', organizationId: 'org-acme', scheme: 'zendesk', secrets: [acmeSecret] }),
    ];
    expect(verify([...unusable, acme], signed('zendesk', acmeSecret))).toMatchObject({ ok: true, verified: [{ instanceId: acme.instanceId }] });
    expect(verify(unusable, signed('zendesk', acmeSecret))).toMatchObject({ ok: false, failures: { unusable_subscriber: 5 } });
  });
});

describe('worthRefetching', () => {
  it('asks again after a wrong signature or with no subscriber, not for a request no secret can fix', () => {
    expect(worthRefetching(verify([acme], signed('zendesk', generateSigningSecret())))).toBe(true);
    expect(worthRefetching(verify([], signed('zendesk', acmeSecret)))).toBe(true);
    expect(worthRefetching(verify([acme], {}))).toBe(false);
    expect(worthRefetching(verify([acme], signed('zendesk', acmeSecret, new Date(now.getTime() - 3_600_000))))).toBe(false);
    expect(worthRefetching(verify([acme], signed('zendesk', acmeSecret)))).toBe(false);
  });
});
