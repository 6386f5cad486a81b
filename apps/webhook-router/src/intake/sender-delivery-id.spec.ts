import { describe, expect, it } from '@jest/globals';
import { senderDeliveryId } from './sender-delivery-id.js';

const headers = (values: Record<string, string>) => (name: string) => values[name] ?? null;
const none = headers({});
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('senderDeliveryId', () => {
  it('reads each sender\u2019s delivery id header', () => {
    expect(senderDeliveryId('github', headers({ 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958' }), json({}))).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958');
    expect(senderDeliveryId('standard-webhooks', headers({ 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' }), json({}))).toBe('msg_2KWPBgLlAfxdpx2AI54pPJ85f4W');
    expect(senderDeliveryId('zendesk', headers({ 'x-zendesk-webhook-invocation-id': '8350205582' }), json({}))).toBe('8350205582');
    expect(senderDeliveryId('zendesk', headers({ 'x-webhook-delivery': 'd-1' }), json({}))).toBe('d-1');
  });

  it('reads the Stripe event id and the Slack event id from the body, for those schemes only', () => {
    expect(senderDeliveryId('stripe', none, json({ id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', type: 'invoice.paid' }))).toBe('evt_1NG8Du2eZvKYlo2CUI79vXWy');
    expect(senderDeliveryId('slack', none, json({ type: 'event_callback', event_id: 'Ev08MFMKH6' }))).toBe('Ev08MFMKH6');
    expect(senderDeliveryId('github', none, json({ id: 'not-a-delivery-id' }))).toBeUndefined();
  });

  it('has none for a body that is not JSON, an empty header or an id too long to be one', () => {
    expect(senderDeliveryId('slack', none, new TextEncoder().encode('token=x&command=%2Fhelp'))).toBeUndefined();
    expect(senderDeliveryId('github', headers({ 'x-github-delivery': '  ' }), json({}))).toBeUndefined();
    expect(senderDeliveryId('github', headers({ 'x-github-delivery': 'x'.repeat(201) }), json({}))).toBeUndefined();
  });
});
