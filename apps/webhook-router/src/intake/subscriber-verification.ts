// Which of a source's subscribers a webhook is from: each subscriber (a book instance) has its own signing
// secrets in its integration's scheme, and the webhook goes to the instances whose secret verifies it, never to
// the rest. Verification is linear in the subscribers: one HMAC per candidate secret.
//
// Every way of failing (no subscriber, no signature, a wrong one, a stale one, two organisations) ends in the
// same answer to the sender; the verdict carries the real reason for the operator's log. With no subscriber the
// request is still read and checked as the source's default scheme would (@bdk/webhooks does the same work with no
// secret as with a wrong one), so an unknown source costs about what a known one does.
import { defaultSchemeFor, isSignatureScheme, verifySignature, type SignatureScheme, type VerifyResult } from '@bdk/webhooks';
import type { InstanceTarget, WebhookSubscriber } from '@bdk/proto';
import { payloadContract, type PayloadContract } from './payload-contract.js';

/** A subscriber whose secret verified the webhook. */
export interface VerifiedSubscriber {
  target: InstanceTarget;
  instanceId: string;
  organizationId: string;
  /** `<customer namespace>/<book>` */
  routedTo: string;
  scheme: SignatureScheme;
  /** 0: the current secret; 1: the previous one, inside its rotation window. */
  secretIndex: number;
  /** The sender's delivery id, where the scheme signs one. */
  deliveryId?: string;
  /** What the instance's book accepts from the source, as the controller sent it; none: any payload. */
  contract?: PayloadContract;
}

/** Why a subscriber did not verify, or could not be tried. */
export type SubscriberFailure =
  | 'missing_signature'
  | 'malformed_signature'
  | 'stale_timestamp'
  | 'signature_mismatch'
  /** No target, organisation or secret, an unknown scheme, or another instance than the one addressed. */
  | 'unusable_subscriber';

export type Verdict =
  | { ok: true; organizationId: string; verified: VerifiedSubscriber[] }
  | {
      ok: false;
      reason: 'no_subscribers' | 'not_verified' | 'several_organizations';
      /** How many subscribers failed for each reason. */
      failures: Partial<Record<SubscriberFailure, number>>;
      /** The first verifier message (header names and formats, never a secret or a signature). */
      detail?: string;
      /** For several_organizations: the instances that verified, for the operator to find the shared secret. */
      instances?: string[];
    };

export interface VerifyOptions {
  source: string;
  /** The addressed instance ('' on the source-wide route): any other subscriber is ignored. */
  instanceId: string;
  subscribers: readonly WebhookSubscriber[];
  payload: Uint8Array;
  header: (name: string) => string | null | undefined;
  now: Date;
  toleranceSeconds: number;
}

export function verifyAgainstSubscribers(options: VerifyOptions): Verdict {
  const { subscribers, payload, header, now, toleranceSeconds } = options;
  const candidates = options.instanceId === '' ? subscribers : subscribers.filter((s) => s.instanceId === options.instanceId);
  const failures: Partial<Record<SubscriberFailure, number>> = {};
  const fail = (reason: SubscriberFailure) => (failures[reason] = (failures[reason] ?? 0) + 1);
  if (candidates.length < subscribers.length) failures.unusable_subscriber = subscribers.length - candidates.length;

  if (candidates.length === 0) {
    verifySignature({ scheme: defaultSchemeFor(options.source), payload, header, secrets: [], now, toleranceSeconds });
    return { ok: false, reason: 'no_subscribers', failures };
  }

  const verified: VerifiedSubscriber[] = [];
  let detail: string | undefined;
  for (const subscriber of candidates) {
    const { target, instanceId, organizationId, routedTo, scheme, secrets } = subscriber;
    // Fail closed: a subscriber that cannot be attributed to an instance and an organisation receives nothing.
    if (!target || !organizationId || secrets.length === 0 || !isSignatureScheme(scheme)) {
      fail('unusable_subscriber');
      continue;
    }
    let result: VerifyResult;
    try {
      result = verifySignature({ scheme, payload, header, secrets, now, toleranceSeconds });
    } catch {
      // A secret the scheme cannot use (empty, or not whsec_ base64 for Standard Webhooks): this instance cannot
      // be verified, the others still can.
      fail('unusable_subscriber');
      continue;
    }
    if (!result.ok) {
      fail(result.reason);
      detail ??= result.message;
      continue;
    }
    const contract = payloadContract(subscriber.book, subscriber.payloadContract, subscriber.inputs);
    verified.push({ target, instanceId, organizationId, routedTo, scheme, secretIndex: result.secretIndex, deliveryId: result.deliveryId, ...(contract ? { contract } : {}) });
  }

  if (verified.length === 0) return { ok: false, reason: 'not_verified', failures, detail };
  const organizations = new Set(verified.map((subscriber) => subscriber.organizationId));
  if (organizations.size > 1) {
    // Secrets are generated per instance, so one signature verifying for two organisations means a secret is
    // shared across tenants: delivering to either could hand one tenant's webhook to the other.
    return { ok: false, reason: 'several_organizations', failures, instances: verified.map((s) => s.instanceId) };
  }
  return { ok: true, organizationId: verified[0]?.organizationId ?? '', verified };
}

/** Whether asking the controller again might turn the verdict: a rotated secret, or an instance just created. */
export function worthRefetching(verdict: Verdict): boolean {
  return !verdict.ok && (verdict.reason === 'no_subscribers' || (verdict.failures.signature_mismatch ?? 0) > 0);
}
