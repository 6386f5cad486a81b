# shellcheck shell=bash
# What the kind run signs, with openssl alone (sourced by run.sh, seed-sequence.sh and check-signing.sh):
#   - a test identity provider: an ES256 key pair, its JWKS (the document the Secret named in global.auth holds)
#     and bearer JWTs signed with it, carrying iss, aud, sub, iat, exp and BDK's claims org_id and permissions;
#   - webhooks as Zendesk signs them: base64 HMAC-SHA256 of the timestamp followed by the body.
# Every function returns non-zero on a failure, also inside a command substitution (where set -e does not reach).
# Values that go into a token are checked, not escaped: a quote, a backslash or a control character is refused.

# Standard input as unpadded base64url (RFC 4648, section 5), the encoding of every JWT part and JWK coordinate.
signing_base64url() {
  openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# signing_hex_base64url HEX: the bytes HEX spells, as base64url. printf's \x escapes make the bytes: no xxd needed.
signing_hex_base64url() {
  # shellcheck disable=SC2059 # the format is the point: it holds the \x escapes
  printf "$(printf '%s' "$1" | sed 's/../\\x&/g')" | signing_base64url
}

# Standard input as lower-case hex, on one line.
signing_hex() {
  od -An -v -tx1 | tr -d ' \n'
}

signing_fail() {
  printf 'signing: %s\n' "$*" >&2
  return 1
}

# signing_check_value VALUE: fails for what a JSON string could not hold unescaped.
signing_check_value() {
  case $1 in
    *'"'* | *\\* | *[[:cntrl:]]*) signing_fail "refusing '$1' in a token: no quotes, backslashes or control characters" ;;
    *) return 0 ;;
  esac
}

# issuer_key_create FILE: a new P-256 private key (PEM), readable by its owner only. An existing FILE is kept, so
# that tokens minted with it stay valid and the JWKS installed from it stays current.
issuer_key_create() {
  [[ -s "$1" ]] && return 0
  (umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$1")
}

# issuer_public_jwk_members KEY: `"crv":"P-256","kty":"EC","x":"…","y":"…"`, the members of KEY's public JWK in
# the order its thumbprint hashes them. The uncompressed point (04, X, Y) ends the DER public key.
issuer_public_jwk_members() {
  local hex
  hex=$(openssl pkey -in "$1" -pubout -outform DER | signing_hex) || return 1
  hex=${hex: -128}
  [[ ${#hex} -eq 128 ]] || { signing_fail "$1 is not a P-256 key"; return 1; }
  printf '"crv":"P-256","kty":"EC","x":"%s","y":"%s"' "$(signing_hex_base64url "${hex:0:64}")" "$(signing_hex_base64url "${hex:64:64}")"
}

# issuer_kid KEY: the key id, its public JWK's RFC 7638 thumbprint (what jose's calculateJwkThumbprint computes).
issuer_kid() {
  local members
  members=$(issuer_public_jwk_members "$1") || return 1
  printf '{%s}' "$members" | openssl dgst -sha256 -binary | signing_base64url
}

# issuer_jwks KEY: the JWKS document of KEY's public half, one line.
issuer_jwks() {
  local members kid
  members=$(issuer_public_jwk_members "$1") || return 1
  kid=$(issuer_kid "$1") || return 1
  printf '{"keys":[{%s,"kid":"%s","alg":"ES256","use":"sig"}]}\n' "$members" "$kid"
}

# Standard input, a DER ECDSA signature (a SEQUENCE of the INTEGERs r and s), as JWS wants it (RFC 7518, 3.4):
# r then s, 32 bytes each, base64url. asn1parse prints each INTEGER in hex: a shorter one is left-padded, and a
# leading zero byte (DER's sign byte) dropped.
signing_der_to_jws() {
  local hex
  hex=$(openssl asn1parse -inform DER | awk -F: '
    /INTEGER/ {
      v = $NF; gsub(/[[:space:]]/, "", v)
      while (length(v) < 64) v = "0" v
      if (length(v) > 64) v = substr(v, length(v) - 63)
      out = out v; n++
    }
    END { if (n == 2) printf "%s", out }')
  [[ ${#hex} -eq 128 ]] || { signing_fail "openssl made an ECDSA signature that is not two integers"; return 1; }
  signing_hex_base64url "$hex"
}

# issuer_token KEY ISSUER AUDIENCE SUBJECT ORGANIZATION PERMISSIONS [TTL_SECONDS]: a bearer JWT (ES256) for BDK.
# ORGANIZATION is the org_id claim (empty: none, as for a platform admin); PERMISSIONS a space-separated list,
# written as the JSON array `permissions`. TTL_SECONDS: 3600 unless given.
issuer_token() {
  local key=$1 issuer=$2 audience=$3 subject=$4 organization=$5 ttl=${7:-3600}
  local -a permissions
  read -r -a permissions <<<"$6"
  local value
  for value in "$issuer" "$audience" "$subject" "$organization" ${permissions[@]+"${permissions[@]}"}; do
    signing_check_value "$value" || return 1
  done
  [[ "$ttl" =~ ^[1-9][0-9]*$ ]] || { signing_fail "a token lifetime is a positive number of seconds, not '$ttl'"; return 1; }
  local now kid list="" header payload input signature
  now=$(date +%s) || return 1
  kid=$(issuer_kid "$key") || return 1
  for value in ${permissions[@]+"${permissions[@]}"}; do list+="${list:+,}\"$value\""; done
  header="{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"$kid\"}"
  payload="{\"iss\":\"$issuer\",\"aud\":\"$audience\",\"sub\":\"$subject\""
  if [[ -n "$organization" ]]; then payload+=",\"org_id\":\"$organization\""; fi
  payload+=",\"permissions\":[$list],\"iat\":$now,\"exp\":$((now + ttl))}"
  input="$(printf '%s' "$header" | signing_base64url).$(printf '%s' "$payload" | signing_base64url)"
  signature=$(printf '%s' "$input" | openssl dgst -sha256 -sign "$key" | signing_der_to_jws) || return 1
  printf '%s.%s\n' "$input" "$signature"
}

# zendesk_timestamp: now, as Zendesk writes X-Zendesk-Webhook-Signature-Timestamp (UTC, whole seconds).
zendesk_timestamp() {
  date -u +%Y-%m-%dT%H:%M:%SZ
}

# zendesk_signature SECRET TIMESTAMP BODY_FILE: X-Zendesk-Webhook-Signature, the base64 HMAC-SHA256 of TIMESTAMP
# followed by the exact bytes of BODY_FILE, keyed with SECRET's text. The secret is on openssl's command line
# (openssl dgst takes an HMAC key nowhere else), so use this with test secrets on a machine of your own.
zendesk_signature() {
  local secret=$1 timestamp=$2 body_file=$3
  [[ -n "$secret" ]] || { signing_fail "an empty webhook signing secret"; return 1; }
  [[ -r "$body_file" ]] || { signing_fail "cannot read the webhook body $body_file"; return 1; }
  { printf '%s' "$timestamp" && cat "$body_file"; } | openssl dgst -sha256 -hmac "$secret" -binary | openssl base64 -A
}
