import { describe, expect, it } from '@jest/globals';
import { headerLookup } from '../__fixtures__/senders.js';
import { signPayload } from '../sign-payload.js';
import { verifySignature } from '../verify-signature.js';

// https://api.slack.com/authentication/verifying-requests-from-slack (the worked example)
const documented = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  payload: Buffer.from(
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar' +
      '&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=' +
      '&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN' +
      '&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  ),
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const signedAt = new Date(1531420618 * 1000);
const documentedHeaders = { 'x-slack-signature': documented.signature, 'x-slack-request-timestamp': documented.timestamp };

const verify = (headers: Record<string, string>, now = new Date(signedAt.getTime() + 30_000)) =>
  verifySignature({ scheme: 'slack', payload: documented.payload, header: headerLookup(headers), secrets: [documented.secret], now });

describe('slack', () => {
  it('accepts the example in Slack\u2019s documentation', () => {
    expect(verify(documentedHeaders)).toEqual({ ok: true, secretIndex: 0, timestamp: signedAt });
  });

  it('signs the example as Slack does', () => {
    expect(signPayload({ scheme: 'slack', payload: documented.payload, secret: documented.secret, timestamp: signedAt })).toEqual(documentedHeaders);
  });

  it('refuses the example once it is more than five minutes old', () => {
    expect(verify(documentedHeaders, new Date(signedAt.getTime() + 301_000))).toMatchObject({ ok: false, reason: 'stale_timestamp' });
  });

  it('covers the timestamp: the same signature with another time is a mismatch', () => {
    expect(verify({ ...documentedHeaders, 'x-slack-request-timestamp': '1531420619' })).toMatchObject({ ok: false, reason: 'signature_mismatch' });
  });

  it.each([
    ['without the v0= prefix', documented.signature.slice(3)],
    ['with another version', `v1=${documented.signature.slice(3)}`],
    ['with a non-hex digit', `${documented.signature.slice(0, -1)}x`],
  ])('refuses a signature %s as malformed', (_, value) => {
    expect(verify({ ...documentedHeaders, 'x-slack-signature': value })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: expect.stringMatching(/^malformed X-Slack-Signature: expected v0=<64 hex digits/),
    });
  });

  it('refuses a signature without its timestamp, naming the timestamp header', () => {
    expect(verify({ 'x-slack-signature': documented.signature })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'missing X-Slack-Request-Timestamp: expected unix seconds',
    });
  });

  it.each(['2018-07-12T18:36:58Z', '1531420618.5', '-1531420618'])('refuses the timestamp "%s" as malformed', (timestamp) => {
    expect(verify({ ...documentedHeaders, 'x-slack-request-timestamp': timestamp })).toEqual({
      ok: false,
      reason: 'malformed_signature',
      message: 'malformed X-Slack-Request-Timestamp: expected unix seconds',
    });
  });
});
