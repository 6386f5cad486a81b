#!/usr/bin/env bash
# The seed's sequence (bdk-design.md, "API Specifications") over REST with curl, against a BDK that runs somewhere:
# register the book (the seed's body plus the zendesk webhook integration), create an instance of it, read the
# instance back, send the seed's webhook signed with HMAC-SHA256 (and once with a wrong signature), and finally
# delete the instance. The bodies are the seed's examples of libs/testing/src/seed-examples.ts. Prints every
# request and answer; stops with an error on any unexpected status or answer. kubectl checks what the requests
# should have created (the BookDefinition, the instance's objects in the customer namespace).
#
# e2e/kind/run.sh runs it against a kind cluster (see README.md beside it). Any BDK will do, e.g. `npm start`:
#   BDK_LIBRARY_URL=http://127.0.0.1:8080 BDK_WEBHOOK_URL=http://127.0.0.1:8080 \
#   BDK_WEBHOOK_SECRET=local-dev-secret KUBECONFIG=.local-stack/kube/kubeconfig bash e2e/kind/seed-sequence.sh
#
# Environment:
#   BDK_LIBRARY_URL          base URL of library-service's REST API (required)
#   BDK_WEBHOOK_URL          base URL of webhook-router's REST API (required)
#   BDK_WEBHOOK_SECRET       the router's signing secret for the source zendesk (required)
#   BDK_E2E_KUBE_CONTEXT     kubectl context of the cluster (default: kubectl's current one)
#   BDK_E2E_NAMESPACE        BDK's namespace, where BookDefinitions live (default bdk)
#   BDK_E2E_EXPECT_DELIVERY  true: book pods run a real image, so wait for the instance to be Ready and require
#                            the webhook to be delivered (processed: true). Default false.
#   BDK_E2E_READY_TIMEOUT    seconds to wait for Ready, then for the deleted instance to go (default 300)
#   BDK_E2E_KEEP             true: leave the instance in place at the end (default false: delete it)
set -euo pipefail

library_url=${BDK_LIBRARY_URL:?BDK_LIBRARY_URL: base URL of library-service REST API, e.g. http://127.0.0.1:18080}
webhook_url=${BDK_WEBHOOK_URL:?BDK_WEBHOOK_URL: base URL of webhook-router REST API, e.g. http://127.0.0.1:18081}
webhook_secret=${BDK_WEBHOOK_SECRET:?BDK_WEBHOOK_SECRET: the signing secret of the webhook source zendesk}
bdk_namespace=${BDK_E2E_NAMESPACE:-bdk}
expect_delivery=${BDK_E2E_EXPECT_DELIVERY:-false}
ready_timeout=${BDK_E2E_READY_TIMEOUT:-300}
keep=${BDK_E2E_KEEP:-false}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The repository's pinned Node 24 (npm ci puts it in node_modules/.bin) reads the seed's examples and the answers.
node="$repo/node_modules/.bin/node"
[[ -x "$node" ]] || { echo "seed sequence: $node is missing: run npm ci" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bdk-seed-sequence-XXXXXX")
trap 'rm -rf "$work"' EXIT
answer="$work/answer.json"

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

# Prints an answer, indented when it is JSON.
show() {
  "$node" -e '
    const text = require("node:fs").readFileSync(process.argv[1], "utf8");
    try { console.log(JSON.stringify(JSON.parse(text), null, 2)); } catch { console.log(text); }
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

# The bodies and the webhook's headers come from the one copy of the seed's examples,
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

echo "== 1. register the book"
request POST "$library_url/api/v1/books" '201|409' --header 'Content-Type: application/json' --data-binary "@$work/book.json"
if [[ "$status" == 201 ]]; then
  book_id=$(json "$answer" 'a.book_id')
  expect 'the answer'"'"'s keys' "$(json "$answer" 'Object.keys(a).sort().join(",")')" 'book_id,created_at,name,version'
  expect name "$(json "$answer" 'a.name')" customer-support
  expect version "$(json "$answer" 'a.version')" 1.0.0
else
  # 409: an earlier run registered it (name + version is unique). Carry on with that book.
  echo "(registered by an earlier run: looking it up)"
  request GET "$library_url/api/v1/books?name=customer-support" 200
  book_id=$(json "$answer" 'a.books?.find((b) => b.version === "1.0.0")?.book_id')
fi
[[ -n "$book_id" ]] || fail "no book_id for customer-support 1.0.0"
book_cr=$(kube --namespace "$bdk_namespace" get bookdefinitions --selector "bdk.voyager.io/book-id=$book_id" --output 'jsonpath={.items[*].metadata.name}')
[[ -n "$book_cr" && "$book_cr" != *" "* ]] || fail "expected one BookDefinition labelled bdk.voyager.io/book-id=$book_id in namespace $bdk_namespace, found '$book_cr'"
echo "BookDefinition $bdk_namespace/$book_cr"

echo
echo "== 2. create an instance in $customer_namespace"
request POST "$library_url/api/v1/books/$book_id/instances" 201 --header 'Content-Type: application/json' --data-binary "@$work/instance.json"
instance_id=$(json "$answer" 'a.instance_id')
[[ -n "$instance_id" ]] || fail "the answer has no instance_id"
expect book_id "$(json "$answer" 'a.book_id')" "$book_id"
expect customer_namespace "$(json "$answer" 'a.customer_namespace')" "$customer_namespace"
expect status "$(json "$answer" 'a.status')" Pending

echo
echo "== 3. read the instance back"
request GET "$library_url/api/v1/books/$book_id/instances/$instance_id" 200
expect instance.instance_id "$(json "$answer" 'a.instance?.instance_id')" "$instance_id"
if grep -q encrypted_api_key "$answer"; then fail "the instance read back carries the credential value"; fi

selector="bdk.voyager.io/instance-id=$instance_id"
deadline=$((SECONDS + 60))
until [[ -n "$(kube --namespace "$customer_namespace" get deployments --selector "$selector" --output name)" ]]; do
  ((SECONDS < deadline)) || fail "the book-controller made no Deployment for the instance in $customer_namespace within 60 s"
  sleep 2
done
echo
echo "What the book-controller deployed for it:"
kube --namespace "$customer_namespace" get deployments,services,configmaps,secrets,pods --selector "$selector"

if [[ "$expect_delivery" == true ]]; then
  echo
  echo "== waiting up to $ready_timeout s for the instance to be Ready (its book pods running)"
  deadline=$((SECONDS + ready_timeout))
  until [[ "$(json "$answer" 'a.instance?.status?.phase')" == Ready ]]; do
    ((SECONDS < deadline)) || fail "the instance is not Ready after $ready_timeout s (phase '$(json "$answer" 'a.instance?.status?.phase')'); see: kubectl -n $customer_namespace describe pods -l $selector"
    sleep 5
    curl --silent --show-error --max-time 30 --output "$answer" "$library_url/api/v1/books/$book_id/instances/$instance_id" || true
  done
  echo "Ready"
else
  echo
  echo "(the book pods stay Pending unless the book image exists: the webhook below is routed, not delivered)"
fi

echo
echo "== 4. a zendesk webhook, signed"
# The secret is on openssl's command line only for this throw-away test secret.
signature="sha256=$(openssl dgst -sha256 -hmac "$webhook_secret" <"$work/webhook.json" | awk '{print $NF}')"
request POST "$webhook_url/api/v1/webhooks/zendesk" 200 \
  --header "@$work/webhook-headers.txt" \
  --header "X-Hub-Signature-256: $signature" \
  --data-binary "@$work/webhook.json"
[[ -n "$(json "$answer" 'a.webhook_id')" ]] || fail "the answer has no webhook_id"
expect "routed_to lists $customer_namespace/$book_cr" "$(json "$answer" "String(a.routed_to).split(',').includes('$customer_namespace/$book_cr')")" true
processed=$(json "$answer" 'a.processed === true')
if [[ "$expect_delivery" == true ]]; then
  expect processed "$processed" true
elif [[ "$processed" != true ]]; then
  echo "(processed: false, as expected while the book pods are not running)"
fi

echo
echo "== 5. the same webhook with a wrong signature is refused"
request POST "$webhook_url/api/v1/webhooks/zendesk" 401 \
  --header 'Content-Type: application/json' \
  --header "X-Hub-Signature-256: sha256=$(printf '0%.0s' {1..64})" \
  --data-binary "@$work/webhook.json"

if [[ "$keep" == true ]]; then
  echo
  echo "Keeping instance $instance_id (BDK_E2E_KEEP=true)."
else
  echo
  echo "== 6. delete the instance"
  request DELETE "$library_url/api/v1/books/$book_id/instances/$instance_id" 200
  deadline=$((SECONDS + ready_timeout))
  while :; do
    code=$(curl --silent --max-time 30 --output /dev/null --write-out '%{http_code}' "$library_url/api/v1/books/$book_id/instances/$instance_id" || true)
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
