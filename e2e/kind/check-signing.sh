#!/usr/bin/env bash
# Checks the openssl signing of signing.sh against the verifiers BDK's apps use, with no cluster and no Docker:
# tokens minted by issuer_token must pass jose's jwtVerify against the JWKS issuer_jwks wrote (with the checks
# @bdk/auth makes: ES256, issuer, audience, exp and sub) and carry the intended claims, and a webhook signed by
# zendesk_signature must pass @bdk/webhooks' verifySignature for the zendesk scheme; a tampered token, another
# key, a wrong secret and a changed body must fail. Many tokens are minted, so that ECDSA signatures whose r or s
# is short or has a sign byte are among them. run.sh runs it before building anything; it prints what it checked
# and stops with an error on the first mismatch.
#
# Needs: bash, openssl, the installed workspace (npm ci), whose Node and jose it uses, and `nx run webhooks:build`
# (run here; cached).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=e2e/kind/signing.sh
source "$repo/e2e/kind/signing.sh"
node="$repo/node_modules/.bin/node"
[[ -x "$node" ]] || { echo "check-signing: $node is missing: run npm ci" >&2; exit 1; }
count=${BDK_CHECK_SIGNING_TOKENS:-64}

work=$(mktemp -d "${TMPDIR:-/tmp}/bdk-check-signing-XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$repo" && PATH="$repo/node_modules/.bin:$PATH" nx run webhooks:build --outputStyle=static >"$work/build.log" 2>&1) ||
  { cat "$work/build.log" >&2; echo "check-signing: nx run webhooks:build failed" >&2; exit 1; }

issuer=https://bdk-e2e.invalid/
audience=bdk-api
organization_permissions='books:read instances:read instances:write credentials:rotate deliveries:read deliveries:replay'

issuer_key_create "$work/issuer.pem"
issuer_key_create "$work/other.pem"
issuer_jwks "$work/issuer.pem" >"$work/jwks.json"
issuer_jwks "$work/other.pem" >"$work/other-jwks.json"
issuer_token "$work/issuer.pem" "$issuer" "$audience" platform-admin '' books:publish 600 >"$work/admin.jwt"
issuer_token "$work/issuer.pem" "$issuer" "$audience" alice org-uuid-123 "$organization_permissions" >"$work/organization.jwt"
for ((i = 0; i < count; i++)); do
  issuer_token "$work/issuer.pem" "$issuer" "$audience" "user-$i" "org-$i" books:read 60
done >"$work/many.jwt"

# A Standard Webhooks-style secret, as BDK hands them out, and a body whose exact bytes matter (newlines, spaces).
secret="whsec_$(openssl rand -base64 32)"
printf '{\n  "ticket": {\n    "id": "12345",\n    "subject": "Login issue"\n  },\n  "timestamp": "2024-01-01T00:00:00Z"\n}' >"$work/body.json"
timestamp=$(zendesk_timestamp)
zendesk_signature "$secret" "$timestamp" "$work/body.json" >"$work/signature.txt"

(cd "$repo" && "$node" --input-type=module -e '
  import { readFileSync } from "node:fs";
  import path from "node:path";
  import assert from "node:assert/strict";
  import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
  const [dir, issuer, audience, organizationPermissions, secret, timestamp, webhooksModule] = process.argv.slice(1);
  const { signPayload, verifySignature } = await import(webhooksModule);
  const read = (file) => readFileSync(path.join(dir, file), "utf8").trim();
  const jwks = JSON.parse(read("jwks.json"));
  const keys = createLocalJWKSet(jwks);
  const otherKeys = createLocalJWKSet(JSON.parse(read("other-jwks.json")));
  // What @bdk/auth requires of every token (libs/auth/src/verifier.ts), for this issuer.
  const options = { issuer, audience, algorithms: ["ES256"], requiredClaims: ["exp", "sub"] };

  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kid, await calculateJwkThumbprint(jwks.keys[0]), "the kid is the RFC 7638 thumbprint of the key");

  const admin = await jwtVerify(read("admin.jwt"), keys, options);
  assert.deepEqual(admin.protectedHeader, { alg: "ES256", typ: "JWT", kid: jwks.keys[0].kid });
  assert.equal(admin.payload.sub, "platform-admin");
  assert.equal(admin.payload.org_id, undefined, "a platform admin has no organisation");
  assert.deepEqual(admin.payload.permissions, ["books:publish"]);
  assert.equal(admin.payload.exp - admin.payload.iat, 600);
  assert.ok(Math.abs(admin.payload.iat - Date.now() / 1000) < 60, "iat is now");

  const member = await jwtVerify(read("organization.jwt"), keys, options);
  assert.equal(member.payload.org_id, "org-uuid-123");
  assert.deepEqual(member.payload.permissions, organizationPermissions.split(" "));
  assert.equal(member.payload.exp - member.payload.iat, 3600);

  const many = read("many.jwt").split("\n");
  for (const [i, token] of many.entries()) {
    const { payload } = await jwtVerify(token, keys, options);
    assert.deepEqual([payload.sub, payload.org_id], ["user-" + i, "org-" + i]);
  }

  // Refusals: a payload moved under another signature, a token of another key, the wrong audience or issuer.
  const [header, , signature] = read("admin.jwt").split(".");
  const moved = [header, read("organization.jwt").split(".")[1], signature].join(".");
  await assert.rejects(jwtVerify(moved, keys, options), { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" });
  await assert.rejects(jwtVerify(read("admin.jwt"), otherKeys, options), { code: "ERR_JWKS_NO_MATCHING_KEY" });
  await assert.rejects(jwtVerify(read("admin.jwt"), keys, { ...options, audience: "another" }), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  await assert.rejects(jwtVerify(read("admin.jwt"), keys, { ...options, issuer: "https://another/" }), { code: "ERR_JWT_CLAIM_VALIDATION_FAILED" });
  assert.equal(decodeProtectedHeader(moved).alg, "ES256");

  const body = readFileSync(path.join(dir, "body.json"));
  const headers = { "x-zendesk-webhook-signature": read("signature.txt"), "x-zendesk-webhook-signature-timestamp": timestamp };
  const verify = (payload, secrets, sent = headers) => verifySignature({ scheme: "zendesk", payload, header: (name) => sent[name], secrets });
  assert.deepEqual(verify(body, [secret]), { ok: true, secretIndex: 0, timestamp: new Date(timestamp) });
  assert.deepEqual(headers, signPayload({ scheme: "zendesk", payload: body, secret, timestamp: new Date(timestamp) }), "openssl signs as @bdk/webhooks does");
  assert.equal(verify(body, ["whsec_" + Buffer.alloc(32, 7).toString("base64")]).reason, "signature_mismatch");
  assert.equal(verify(Buffer.concat([body, Buffer.from(" ")]), [secret]).reason, "signature_mismatch");
  assert.equal(verify(body, [secret], { ...headers, "x-zendesk-webhook-signature-timestamp": "2024-01-01T00:00:00Z" }).reason, "signature_mismatch");

  console.log("jose jwtVerify: " + (2 + many.length) + " openssl-minted ES256 tokens verified against the openssl JWKS, with their claims;");
  console.log("  a moved payload, another key, another audience and another issuer refused");
  console.log("@bdk/webhooks verifySignature (zendesk): the openssl signature verified and the same as signPayload makes;");
  console.log("  a wrong secret, a changed body and a changed timestamp refused");
' "$work" "$issuer" "$audience" "$organization_permissions" "$secret" "$timestamp" "file://$repo/dist/libs/webhooks/index.js")
echo "check-signing passed"
