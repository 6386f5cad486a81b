import { describe, expect, it } from '@jest/globals';
import { urlVerificationChallenge } from './slack-challenge.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('urlVerificationChallenge', () => {
  it('returns the challenge of Slack\u2019s documented handshake', () => {
    const handshake = body({
      token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    expect(urlVerificationChallenge(handshake)).toBe('3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it.each([
    ['an event callback', body({ type: 'event_callback', challenge: 'x', event: { type: 'app_mention' } })],
    ['a handshake without a challenge', body({ type: 'url_verification' })],
    ['a non-string challenge', body({ type: 'url_verification', challenge: 42 })],
    ['an empty challenge', body({ type: 'url_verification', challenge: '' })],
    ['a form-encoded slash command', Buffer.from('command=%2Fweather&text=94070')],
    ['a JSON array', body([{ type: 'url_verification', challenge: 'x' }])],
    ['null', Buffer.from('null')],
    ['a body too large for a handshake', body({ type: 'url_verification', challenge: 'x', padding: 'p'.repeat(5_000) })],
  ])('returns nothing for %s', (_, payload) => {
    expect(urlVerificationChallenge(payload)).toBeUndefined();
  });
});
