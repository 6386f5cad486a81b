// Slack's Events API proves a request URL before using it: it posts {"type": "url_verification", "challenge": ...}
// signed like any event, and expects the challenge back. The router answers it itself: a handshake is not an
// event for the book.
// https://api.slack.com/events/url_verification

// A handshake body is a few hundred bytes; a larger body is an event and is not parsed here.
const maxHandshakeBytes = 4_096;

/** The challenge to echo when the body is Slack's url_verification handshake, else undefined. */
export function urlVerificationChallenge(payload: Uint8Array): string | undefined {
  if (payload.length > maxHandshakeBytes) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const { type, challenge } = body as { type?: unknown; challenge?: unknown };
  return type === 'url_verification' && typeof challenge === 'string' && challenge !== '' ? challenge : undefined;
}
