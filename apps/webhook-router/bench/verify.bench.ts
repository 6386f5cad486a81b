// How verification cost grows with the subscribers of a source: the source-wide route tries every subscriber's
// secrets, the instance-addressed route one instance's. Prints, per scheme, the time of one verification on each
// route and their ratio, measured in the same run (so machine speed cancels out). The verification is the one
// DeliverWebhook runs (verifyAgainstSubscribers); the controller call and the dispatch are not part of it.
//
// Run: npx nx run webhook-router:bench            (1,000 subscribers)
//      npx nx run webhook-router:bench --args=250 (another count)
import { create } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { WebhookSubscriberSchema, type WebhookSubscriber } from '@bdk/proto';
import { generateSigningSecret, signatureSchemes, signPayload, type SignatureScheme } from '@bdk/webhooks';
import { verifyAgainstSubscribers } from '../src/intake/subscriber-verification.js';

const subscriberCount = Number(process.argv[2] ?? 1_000);
if (!Number.isInteger(subscriberCount) || subscriberCount < 1) {
  console.error(`usage: verify.bench [subscriber count], got "${process.argv[2]}"`);
  process.exit(2);
}
// A typical webhook body (a few kilobytes): the HMAC over it is most of the work.
const payload = Buffer.from(JSON.stringify({ type: 'ticket.updated', ticket: { id: '12345', description: 'x'.repeat(2_000) } }));
const source = 'bench-source';

function subscribers(scheme: SignatureScheme): WebhookSubscriber[] {
  return Array.from({ length: subscriberCount }, (_, i) =>
    create(WebhookSubscriberSchema, {
      target: { namespace: 'bdk', name: `instance-${i}` },
      instanceId: randomUUID(),
      organizationId: `org-${i}`,
      routedTo: `customer-${i}/book`,
      scheme,
      secrets: [generateSigningSecret()],
    }),
  );
}

/** Microseconds per call, the median of several rounds so a stray pause does not decide it. */
function timePerCall(run: () => unknown, minRoundMs = 200): number {
  for (let i = 0; i < 20; i++) run();
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < minRoundMs) {
      run();
      calls++;
      elapsed = performance.now() - start;
    }
    rounds.push((elapsed * 1_000) / calls);
  }
  return rounds.sort((a, b) => a - b)[2] ?? NaN;
}

console.log(`verification of one webhook, ${subscriberCount} subscribers on the source (${payload.length}-byte body)`);
console.log(['scheme'.padEnd(18), 'instance route µs'.padStart(18), 'source-wide µs'.padStart(16), 'ratio'.padStart(8)].join(''));
for (const scheme of signatureSchemes) {
  const all = subscribers(scheme);
  // The sender is the last subscriber: the source-wide route cannot stop early anyway (it must see every
  // instance that verifies, to refuse a secret shared across organisations).
  const sender = all[all.length - 1] as WebhookSubscriber;
  const headers = signPayload({ scheme, payload, secret: sender.secrets[0] ?? '' });
  const common = { source, payload, header: (name: string) => headers[name], toleranceSeconds: 300 };

  const check = (verdict: ReturnType<typeof verifyAgainstSubscribers>) => {
    if (!verdict.ok || verdict.verified.length !== 1) throw new Error(`${scheme}: the sender's signature did not verify`);
  };
  // The instance-addressed route: the controller answers with that one instance.
  const instanceUs = timePerCall(() => check(verifyAgainstSubscribers({ ...common, instanceId: sender.instanceId, subscribers: [sender], now: new Date() })));
  const sourceWideUs = timePerCall(() => check(verifyAgainstSubscribers({ ...common, instanceId: '', subscribers: all, now: new Date() })));
  console.log(
    [scheme.padEnd(18), instanceUs.toFixed(1).padStart(18), sourceWideUs.toFixed(1).padStart(16), `${(sourceWideUs / instanceUs).toFixed(0)}x`.padStart(8)].join(''),
  );
}
