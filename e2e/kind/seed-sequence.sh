#!/usr/bin/env bash
# The spec's sequence (docs/spec.md, "REST API" and "Data flow") over REST with curl, against a BDK that runs
# somewhere, with its authentication: calls without a token are refused; a platform admin registers the book (the
# seed's body plus the zendesk webhook integration); a member of the spec's organisation creates an instance of it
# and gets the instance's own webhook signing secret; the instance is read back; the spec's webhook, signed as
# Zendesk signs with that secret (signing.sh), is routed to the instance on the source's route and on the
# instance's own URL, and refused with a wrong secret or an old timestamp; the organisation's delivery log lists
# it; finally the instance is deleted. The bodies are the spec's examples of libs/testing/src/seed-examples.ts.
# Prints every request and answer (signing secrets masked); stops with an error on any unexpected status or
# answer. kubectl checks what the requests should have created (the BookDefinition, the instance's objects in the
# customer namespace).
#
# e2e/kind/run.sh runs it against a kind cluster with tokens of its own test issuer (see README.md beside it). Any
# BDK will do, e.g. `npm start`, whose tokens `npm run token` prints:
#   BDK_LIBRARY_URL=http://127.0.0.1:8080 BDK_WEBHOOK_URL=http://127.0.0.1:8080 \
#   BDK_ADMIN_TOKEN=$(npm run --silent token -- --admin) BDK_ORG_TOKEN=$(npm run --silent token -- --org org-uuid-123) \
#   BDK_E2E_EXPECT_DELIVERY=true KUBECONFIG=.local-stack/kube/kubeconfig bash e2e/kind/seed-sequence.sh
#
# Environment:
#   BDK_LIBRARY_URL          base URL of library-service's REST API (required)
#   BDK_WEBHOOK_URL          base URL of webhook-router's REST API (required)
#   BDK_ADMIN_TOKEN          bearer token with books:publish, a platform admin's (required)
#   BDK_ORG_TOKEN            bearer token of the spec instance's organisation (org-uuid-123) with books:read,
#                            instances:read, instances:write and deliveries:read (required)
#   BDK_E2E_KUBE_CONTEXT     kubectl context of the cluster (default: kubectl's current one)
#   BDK_E2E_NAMESPACE        BDK's namespace, where BookDefinitions live (default bdk)
#   BDK_E2E_EXPECT_DELIVERY  true: book pods run a real image, so wait for the instance to be Ready and require
#                            the webhook to be delivered (processed: true). Default false.
#   BDK_E2E_READY_TIMEOUT    seconds to wait for Ready, then for the deleted instance to go (default 300)
#   BDK_E2E_KEEP             true: leave the instance in place at the end (default false: delete it)
set -euo pipefail

library_url=${BDK_LIBRARY_URL:?BDK_LIBRARY_URL: base URL of library-service REST API, e.g. http://127.0.0.1:18080}
webhook_url=${BDK_WEBHOOK_URL:?BDK_WEBHOOK_URL: base URL of webhook-router REST API, e.g. http://127.0.0.1:18081}
admin_token=${BDK_ADMIN_TOKEN:?BDK_ADMIN_TOKEN: a bearer token with books:publish}
org_token=${BDK_ORG_TOKEN:?BDK_ORG_TOKEN: a bearer token of the organisation org-uuid-123}
bdk_namespace=${BDK_E2E_NAMESPACE:-bdk}
expect_delivery=${BDK_E2E_EXPECT_DELIVERY:-false}
ready_timeout=${BDK_E2E_READY_TIMEOUT:-300}
keep=${BDK_E2E_KEEP:-false}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=e2e/kind/signing.sh
source "$repo/e2e/kind/signing.sh"
# The repository's pinned Node 24 (npm ci puts it in node_modules/.bin) reads the spec's examples and the answers.
node="$repo/node_modules/.bin/node"
[[ -x "$node" ]] || { echo "seed sequence: $node is missing: run npm ci" >&2; exit 1; }

# mktemp -d makes the directory readable by its owner only: the token headers below are kept in it.
work=$(mktemp -d "${TMPDIR:-/tmp}/bdk-seed-sequence-XXXXXX")
trap 'rm -rf "$work"' EXIT
answer="$work/answer.json"
# The tokens reach curl in header files, so that they are on no command line.
printf 'Authorization: Bearer %s\n' "$admin_token" >"$work/admin.header"
printf 'Authorization: Bearer %s\n' "$org_token" >"$work/org.header"
as_admin=(--header "@$work/admin.header")
as_org=(--header "@$work/org.header")

fail() {
  printf '\nseed sequence FAILED: %s\n' "$*" >&2
  exit 1
}

kube() {
  if [[ -n "${BDK_E2E_KUBE_CONTEXT:-}" ]]; then
    kubectl --context "$BDK_E2E_KUBE_CONTEXT" "$@"
  else
    kubectl "$@"
  fi
}

# json FILE EXPRESSION: a JavaScript expression over the parsed JSON `a`; strings print bare, anything else as JSON,
# undefined and null as nothing.
json() {
  "$node" -e '
    const a = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
    const value = new Function("a", "return (" + process.argv[2] + ");")(a);
    process.stdout.write(value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value));
  ' "$1" "$2"
}

# Prints an answer, indented when it is JSON, with every signing_secret masked.
show() {
  "$node" -e '
    const text = require("node:fs").readFileSync(process.argv[1], "utf8");
    const mask = (key, value) => (key === "signing_secret" && typeof value === "string" ? value.slice(0, 6) + "…(not shown)" : value);
    try { console.log(JSON.stringify(JSON.parse(text), mask, 2)); } catch { console.log(text); }
  ' "$1"
}

# request METHOD URL EXPECTED [curl arguments...]: sends the request, prints it and the answer (kept in $answer,
# its status in $status); fails unless the status is one of EXPECTED ("200", or e.g. "201|409").
status=""
request() {
  local method=$1 url=$2 expected=$3
  shift 3
  printf '\n--> %s %s\n' "$method" "$url"
  status=$(curl --silent --show-error --max-time 60 --output "$answer" --write-out '%{http_code}' --request "$method" "$@" "$url") ||
    fail "$method $url: no answer (curl exit $?)"
  printf '<-- HTTP %s\n' "$status"
  show "$answer"
  [[ "|$expected|" == *"|$status|"* ]] || fail "$method $url answered HTTP $status, expected $expected"
}

# expect WHAT ACTUAL WANTED: fails naming WHAT when ACTUAL is not WANTED.
expect() {
  [[ "$2" == "$3" ]] || fail "$1 is '$2', expected '$3'"
}

# signed_webhook URL SECRET EXPECTED [TIMESTAMP]: the spec's webhook with its headers, signed as Zendesk signs
# with SECRET at TIMESTAMP (default now).
signed_webhook() {
  local url=$1 secret=$2 expected=$3 timestamp=${4:-$(zendesk_timestamp)} signature
  signature=$(zendesk_signature "$secret" "$timestamp" "$work/webhook.json") || fail "signing the webhook failed"
  request POST "$url" "$expected" \
    --header "@$work/webhook-headers.txt" \
    --header "X-Zendesk-Webhook-Signature-Timestamp: $timestamp" \
    --header "X-Zendesk-Webhook-Signature: $signature" \
    --data-binary "@$work/webhook.json"
}

# The bodies and the webhook's headers come from the one copy of the spec's examples,
# libs/testing/src/seed-examples.ts, which Node 24 loads as it is (types stripped). The book gets the webhook
# integration through which the zendesk source reaches it.
"$node" --input-type=module -e '
  import { writeFileSync } from "node:fs";
  import path from "node:path";
  const [examples, dir] = process.argv.slice(1);
  const seed = await import(examples);
  const zendesk = { name: "zendesk", type: "webhook", config: { endpoint: "/webhooks/zendesk" } };
  const write = (file, text) => writeFileSync(path.join(dir, file), text);
  write("book.json", JSON.stringify({ ...seed.seedCreateBookRequest, integrations: [zendesk] }, null, 2));
  write("instance.json", JSON.stringify(seed.seedCreateInstanceRequest, null, 2));
  // Byte for byte: the signature covers exactly these bytes.
  write("webhook.json", seed.seedWebhookBody);
  write("webhook-headers.txt", Object.entries(seed.seedWebhookHeaders).map(([name, value]) => name + ": " + value + "\n").join(""));
' "$repo/libs/testing/src/seed-examples.ts" "$work"
customer_namespace=$(json "$work/instance.json" 'a.customer_namespace')
organization=$(json "$work/instance.json" 'a.organization_id')

echo "== 0. every API call needs a bearer token, and publishing needs a platform admin's"
request GET "$library_url/api/v1/books" 401
request POST "$library_url/api/v1/books" 403 "${as_org[@]}" --header 'Content-Type: application/json' --data-binary "@$work/book.json"

echo
echo "== 1. register the book (platform admin)"
request POST "$library_url/api/v1/books" '201|409' "${as_admin[@]}" --header 'Content-Type: application/json' --data-binary "@$work/book.json"
if [[ "$status" == 201 ]]; then
  book_id=$(json "$answer" 'a.book_id')
  expect 'the answer'"'"'s keys' "$(json "$answer" 'Object.keys(a).sort().join(",")')" 'book_id,created_at,name,version'
  expect name "$(json "$answer" 'a.name')" customer-support
  expect version "$(json "$answer" 'a.version')" 1.0.0
else
  # 409: an earlier run registered it (name + version is unique). Carry on with that book.
  echo "(registered by an earlier run: looking it up)"
  request GET "$library_url/api/v1/books?name=customer-support" 200 "${as_org[@]}"
  book_id=$(json "$answer" 'a.books?.find((b) => b.version === "1.0.0")?.book_id')
fi
[[ -n "$book_id" ]] || fail "no book_id for customer-support 1.0.0"
book_cr=$(kube --namespace "$bdk_namespace" get bookdefinitions --selector "bdk.voyager.io/book-id=$book_id" --output 'jsonpath={.items[*].metadata.name}')
[[ -n "$book_cr" && "$book_cr" != *" "* ]] || fail "expected one BookDefinition labelled bdk.voyager.io/book-id=$book_id in namespace $bdk_namespace, found '$book_cr'"
echo "BookDefinition $bdk_namespace/$book_cr"

echo
echo "== 2. create an instance in $customer_namespace (organisation $organization)"
request POST "$library_url/api/v1/books/$book_id/instances" '201|403' "${as_org[@]}" --header 'Content-Type: application/json' --data-binary "@$work/instance.json"
if [[ "$status" == 403 ]]; then
  fail "creating the instance was refused (403): BDK_ORG_TOKEN must be of organisation $organization, with instances:write, and $customer_namespace must not belong to another organisation"
fi
instance_id=$(json "$answer" 'a.instance_id')
[[ -n "$instance_id" ]] || fail "the answer has no instance_id"
expect 'the answer'"'"'s keys' "$(json "$answer" 'Object.keys(a).join(",")')" 'instance_id,book_id,customer_namespace,status,created_at,webhooks'
expect book_id "$(json "$answer" 'a.book_id')" "$book_id"
expect customer_namespace "$(json "$answer" 'a.customer_namespace')" "$customer_namespace"
expect status "$(json "$answer" 'a.status')" Pending
expect 'the webhooks'"'"' sources and schemes' "$(json "$answer" 'a.webhooks.map((w) => w.source + ":" + w.scheme).join(",")')" zendesk:zendesk
signing_secret=$(json "$answer" 'a.webhooks[0].signing_secret')
[[ "$signing_secret" == whsec_* ]] || fail "the zendesk webhook has no whsec_ signing secret"
# The URL to configure at Zendesk; empty when BDK has no public URL set (the chart's library-service.webhooks.publicUrl).
instance_path="/api/v1/webhooks/zendesk/instances/$instance_id"
configured_url=$(json "$answer" 'a.webhooks[0].url')
[[ -z "$configured_url" || "$configured_url" == *"$instance_path" ]] || fail "the webhook URL '$configured_url' does not end with $instance_path"

echo
echo "== 3. read the instance back"
request GET "$library_url/api/v1/books/$book_id/instances/$instance_id" 200 "${as_org[@]}"
expect instance.instance_id "$(json "$answer" 'a.instance?.instance_id')" "$instance_id"
if grep -q encrypted_api_key "$answer"; then fail "the instance read back carries the credential value"; fi
if grep -qF "$signing_secret" "$answer"; then fail "the instance read back carries the webhook signing secret"; fi

selector="bdk.voyager.io/instance-id=$instance_id"
deadline=$((SECONDS + 60))
until [[ -n "$(kube --namespace "$customer_namespace" get deployments --selector "$selector" --output name)" ]]; do
  ((SECONDS < deadline)) || fail "the book-controller made no Deployment for the instance in $customer_namespace within 60 s"
  sleep 2
done
echo
echo "What the book-controller deployed for it:"
kube --namespace "$customer_namespace" get deployments,services,configmaps,secrets,pods --selector "$selector"
[[ -n "$(kube --namespace "$customer_namespace" get secrets --selector "$selector,bdk.voyager.io/secret-purpose=webhook-signing" --output name)" ]] ||
  fail "no webhook signing Secret for the instance in $customer_namespace"

if [[ "$expect_delivery" == true ]]; then
  echo
  echo "== waiting up to $ready_timeout s for the instance to be Ready (its book pods running)"
  deadline=$((SECONDS + ready_timeout))
  until [[ "$(json "$answer" 'a.instance?.status?.phase')" == Ready ]]; do
    ((SECONDS < deadline)) || fail "the instance is not Ready after $ready_timeout s (phase '$(json "$answer" 'a.instance?.status?.phase')'); see: kubectl -n $customer_namespace describe pods -l $selector"
    sleep 5
    curl --silent --show-error --max-time 30 --output "$answer" "${as_org[@]}" "$library_url/api/v1/books/$book_id/instances/$instance_id" || true
  done
  echo "Ready"
else
  echo
  echo "(the book pods stay Pending unless the book image exists: the webhooks below are routed, not delivered)"
fi

# check_routed: the last answer routed the webhook to this instance's book, delivered if delivery is expected.
check_routed() {
  [[ -n "$(json "$answer" 'a.webhook_id')" ]] || fail "the answer has no webhook_id"
  expect "routed_to" "$(json "$answer" 'a.routed_to')" "$customer_namespace/$book_cr"
  local processed
  processed=$(json "$answer" 'a.processed === true')
  if [[ "$expect_delivery" == true ]]; then
    expect processed "$processed" true
  elif [[ "$processed" != true ]]; then
    echo "(processed: false, as expected while the book pods are not running)"
  fi
}

echo
echo "== 4. the spec's webhook, signed as Zendesk signs with the instance's secret"
signed_webhook "$webhook_url/api/v1/webhooks/zendesk" "$signing_secret" 200
check_routed
webhook_id=$(json "$answer" 'a.webhook_id')

echo
echo "== 5. the same on the instance's own URL"
signed_webhook "$webhook_url$instance_path" "$signing_secret" 200
check_routed

echo
echo "== 6. refused: signed with another secret, or with the right one 10 minutes ago (a replay)"
signed_webhook "$webhook_url/api/v1/webhooks/zendesk" "whsec_$(openssl rand -base64 32)" 401
ten_minutes_ago=$("$node" -e 'process.stdout.write(new Date(Date.now() - 600_000).toISOString().slice(0, 19) + "Z")')
signed_webhook "$webhook_url$instance_path" "$signing_secret" 401 "$ten_minutes_ago"

echo
echo "== 7. the organisation's delivery log lists the webhook"
request GET "$webhook_url/api/v1/webhooks/deliveries" 401
request GET "$webhook_url/api/v1/webhooks/deliveries?source=zendesk" 200 "${as_org[@]}"
expect "webhook $webhook_id in the deliveries" "$(json "$answer" "(a.deliveries ?? []).some((d) => d.webhook_id === '$webhook_id')")" true

if [[ "$keep" == true ]]; then
  echo
  echo "Keeping instance $instance_id (BDK_E2E_KEEP=true)."
else
  echo
  echo "== 8. delete the instance"
  request DELETE "$library_url/api/v1/books/$book_id/instances/$instance_id" 200 "${as_org[@]}"
  deadline=$((SECONDS + ready_timeout))
  while :; do
    code=$(curl --silent --max-time 30 --output /dev/null --write-out '%{http_code}' "${as_org[@]}" "$library_url/api/v1/books/$book_id/instances/$instance_id" || true)
    [[ "$code" == 404 ]] && break
    ((SECONDS < deadline)) || fail "the deleted instance still answers HTTP $code after $ready_timeout s"
    sleep 2
  done
  left=$(kube --namespace "$customer_namespace" get deployments,services,configmaps,secrets --selector "$selector" --output name)
  [[ -z "$left" ]] || fail "left in $customer_namespace after the delete: $left"
  echo "gone, with everything deployed for it"
fi

echo
echo "seed sequence passed (book $book_id, instance $instance_id)"
