#!/usr/bin/env bash
# The compliance command line: `policy check` (problems as FILE:LINE:COL, exit 1), `policy
# explain` (the verdict as JSON, nothing sent) and `audit verify` (exit 0 with the count, exit 1
# naming the first bad record). Usage: policy_cli_test.sh PATH/TO/hearth [REPO_ROOT]
set -uo pipefail
hearth="$1"
root="${2:-$(cd "$(dirname "$0")/../.." && pwd)}"
source "$(dirname "$0")/lib.sh"
json() {  # file, python expression over `j` that must be true
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"
}

# policy check: the shipped example passes, with and without the shipped config's upstreams.
"$hearth" policy check "$root/config/policies.yaml" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "shipped policies.yaml passes check" $?
grep -q "config/policies.yaml: ok (7 rules" "$tmp/out.txt"; check "check reports the rule count" $?
"$hearth" policy check "$root/config/policies.yaml" --config "$root/config/hearth.yaml" > /dev/null 2>&1
check "shipped policies.yaml passes check against hearth.yaml" $?

# policy check: every problem, each as FILE:LINE:COL, exit 1.
cat > "$tmp/bad.yaml" <<'YAML'
version: 1
rules:
  - id: a
    when: {team: legal, colour: red}
    then: {route: local_only, redact: [emails]}
  - id: a
    then: {route: teleport, upstreams: [nowhere]}
YAML
printf 'upstreams:\n  - {name: openai, kind: openai, base_url: "https://api.openai.com/v1", zone: cloud}\n' > "$tmp/up.yaml"
"$hearth" policy check "$tmp/bad.yaml" --config "$tmp/up.yaml" > "$tmp/out.txt" 2> "$tmp/err.txt"
check "bad policy exits 1" $(( $? == 1 ? 0 : 1 ))
grep -qx "$tmp/bad.yaml:4:25: unknown key 'colour' in a condition (expected one of: all, any, not, app, team, model, header, classes, prompt_tokens, has_tools, has_images)" "$tmp/err.txt"
check "unknown key at 4:25" $?
grep -qx "$tmp/bad.yaml:5:40: unknown class 'emails' (known: credit_card, email, iban, ip_address, phone, secret, ssn)" "$tmp/err.txt"
check "unknown class at 5:40" $?
grep -qx "$tmp/bad.yaml:6:9: duplicate rule id 'a' (first at 3:9)" "$tmp/err.txt"; check "duplicate id at 6:9" $?
grep -qx "$tmp/bad.yaml:7:19: route must be one of: local_only, on_prem_only, prefer_local, cloud_allowed, deny" "$tmp/err.txt"
check "bad route at 7:19" $?
grep -qx "$tmp/bad.yaml:7:41: unknown upstream 'nowhere' (configured: openai)" "$tmp/err.txt"; check "unknown upstream at 7:41" $?
[ "$(wc -l < "$tmp/err.txt")" -eq 5 ]; check "exactly five problems" $?
"$hearth" policy check "$tmp/missing.yaml" 2> "$tmp/err.txt"
check "missing policy exits 1" $(( $? == 1 ? 0 : 1 ))
grep -qx "$tmp/missing.yaml:1:1: cannot open the file" "$tmp/err.txt"; check "missing policy is named" $?

# policy explain: a config naming the shipped policy, and requests to dry-run.
touch "$tmp/tiny.gguf"  # the config wants the file to exist; explain never opens it
cat > "$tmp/hearth.yaml" <<YAML
auth:
  enabled: true
  keys:
    - {app: contracts, team: legal, key_sha256: "$(printf x | sha256sum | cut -d' ' -f1)"}
local:
  models:
    - {name: tiny, path: "$tmp/tiny.gguf"}
upstreams:
  - {name: openai, kind: openai, base_url: "https://api.openai.com/v1", zone: cloud}
  - {name: claude, kind: anthropic, base_url: "https://api.anthropic.com", zone: cloud}
  - {name: lab-gpu, kind: openai, base_url: "http://10.0.0.7:8080/v1", zone: on_prem}
models:
  - name: default
    routes: [openai:gpt-4o-mini, local:tiny, lab-gpu:qwen2.5-7b, claude:claude-3-5-haiku-latest]
policies: $root/config/policies.yaml
YAML
printf '{"model":"default","messages":[{"role":"user","content":"Mail jane@corp.com about the invoice."}]}' > "$tmp/email.json"
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/email.json" --app billing > "$tmp/v.json" 2> "$tmp/err.txt"
check "explain exits 0" $?
json "$tmp/v.json" 'j["rule"] == "default" and j["route"] == "prefer_local"'; check "explain: default rule" $?
json "$tmp/v.json" 'j["candidates"] == ["local:tiny", "lab-gpu:qwen2.5-7b", "openai:gpt-4o-mini", "claude:claude-3-5-haiku-latest"]'
check "explain: prefer_local puts local and on-prem first" $?
json "$tmp/v.json" 'j["detected"] == {"email": 1} and j["redactions"] == {"email": 1}'; check "explain: detected and redacted" $?
json "$tmp/v.json" 'j["cloud_body"]["messages"][0]["content"] == "Mail [EMAIL_1] about the invoice."'
check "explain: the cloud body is redacted" $?
! grep -q "jane@corp.com" "$tmp/v.json"; check "explain: the original never appears" $?

printf '{"model":"default","messages":[{"role":"user","content":"Patient MRN 12345678 has a cough."}]}' > "$tmp/phi.json"
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/phi.json" > "$tmp/v.json" 2>/dev/null
json "$tmp/v.json" 'j["rule"] == "phi-stays-local" and j["route"] == "local_only" and j["candidates"] == ["local:tiny"] and "cloud_body" not in j'
check "explain: PHI stays local" $?

printf '{"model":"default","messages":[{"role":"user","content":"hi"}]}' > "$tmp/hi.json"
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/hi.json" --app contracts > "$tmp/v.json" 2>/dev/null
json "$tmp/v.json" 'j["rule"] == "legal-redacted-cloud" and j["team"] == "legal" and j["upstreams_allowed"] == ["claude"]'
check "explain: the team comes from the app's key" $?
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/hi.json" --header x-data-class=restricted > "$tmp/v.json" 2>/dev/null
json "$tmp/v.json" 'j["rule"] == "phi-stays-local"'; check "explain: --header feeds header conditions" $?
printf '{"model":"default","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}' > "$tmp/tools.json"
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/tools.json" --app intern-1 > "$tmp/v.json" 2>/dev/null
json "$tmp/v.json" 'j["route"] == "deny" and j["message"] == "Tool calls are not enabled for intern apps." and j["candidates"] == []'
check "explain: deny with its message" $?
printf '{"model":"default","messages":[' > "$tmp/broken.json"
"$hearth" policy explain --config "$tmp/hearth.yaml" --request "$tmp/broken.json" > /dev/null 2>&1
check "explain: a broken request exits 1" $(( $? == 1 ? 0 : 1 ))

# audit verify: a log written to the documented format by an independent writer (Python).
python3 - "$tmp/audit.jsonl" <<'PY'
import hashlib, hmac, json, sys
key = b"0123456789abcdef-cli-key"
prev = "0" * 64
with open(sys.argv[1], "w") as f:
    for seq in range(3):
        record = json.dumps({"kind": "outcome", "request_id": f"r{seq}", "status": 200, "seq": seq,
                             "time": "2026-11-21T00:00:00.000Z", "prev": prev}, separators=(",", ":"))
        line = record[:-1] + ',"hmac":"' + hmac.new(key, record.encode(), hashlib.sha256).hexdigest() + '"}'
        f.write(line + "\n")
        prev = hashlib.sha256(line.encode()).hexdigest()
PY
export HEARTH_TEST_AUDIT_KEY="0123456789abcdef-cli-key"
"$hearth" audit verify "$tmp/audit.jsonl" --key-env HEARTH_TEST_AUDIT_KEY > "$tmp/out.txt" 2> "$tmp/err.txt"
check "verify of a good log exits 0" $?
grep -q "^3 records ok" "$tmp/out.txt"; check "verify prints the record count" $?
"$hearth" audit verify "$tmp/audit.jsonl" > "$tmp/out.txt" 2>&1
grep -q "hmac not checked" "$tmp/out.txt"; check "verify without a key checks the chain only" $?

sed 's/"r1"/"r9"/' "$tmp/audit.jsonl" > "$tmp/edited.jsonl"
"$hearth" audit verify "$tmp/edited.jsonl" --key-env HEARTH_TEST_AUDIT_KEY 2> "$tmp/err.txt"
check "an edited line exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/edited.jsonl:2: bad record: hmac does not match" "$tmp/err.txt"; check "the edited line is named" $?
sed '2d' "$tmp/audit.jsonl" > "$tmp/deleted.jsonl"
"$hearth" audit verify "$tmp/deleted.jsonl" --key-env HEARTH_TEST_AUDIT_KEY 2> "$tmp/err.txt"
check "a deleted line exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/deleted.jsonl:2: bad record: prev does not match" "$tmp/err.txt"; check "the line after the gap is named" $?
{ sed -n 1p "$tmp/audit.jsonl"; sed -n 3p "$tmp/audit.jsonl"; sed -n 2p "$tmp/audit.jsonl"; } > "$tmp/reordered.jsonl"
"$hearth" audit verify "$tmp/reordered.jsonl" 2> "$tmp/err.txt"
check "reordered lines exit 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/reordered.jsonl:2: bad record" "$tmp/err.txt"; check "the first out-of-order line is named" $?
HEARTH_TEST_AUDIT_KEY="another-key-0123456789" "$hearth" audit verify "$tmp/audit.jsonl" --key-env HEARTH_TEST_AUDIT_KEY 2> "$tmp/err.txt"
check "a wrong key exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/audit.jsonl:1: bad record: hmac" "$tmp/err.txt"; check "a wrong key fails at line 1" $?

# serve: an invalid policy file stops the start with its problems as FILE:LINE:COL.
printf 'version: 1\nrules:\n  - id: only\n    then: {route: nowhere}\n' > "$tmp/bad-live.yaml"
printf 'server: {listen: "127.0.0.1:0"}\npolicies: %s\n' "$tmp/bad-live.yaml" > "$tmp/bad-serve.yaml"
"$hearth" serve --config "$tmp/bad-serve.yaml" > /dev/null 2> "$tmp/err.txt"
check "serve with an invalid policy exits 1" $(( $? == 1 ? 0 : 1 ))
grep -q "^$tmp/bad-live.yaml:4:" "$tmp/err.txt"; check "serve names the policy problem as FILE:LINE:COL" $?

# serve: the policy is reloaded when its file changes and on SIGHUP; an invalid file is
# rejected with its errors logged and the old policy (its hash in /readyz) stays.
port=$(free_port)
printf 'version: 1\nrules:\n  - id: first\n    then: {route: local_only}\n' > "$tmp/live.yaml"
cat > "$tmp/serve.yaml" <<YAML
server: {listen: "127.0.0.1:$port", drain_timeout: 2s}
auth: {enabled: false}
log: {access_log: off}
policies: $tmp/live.yaml
audit: {path: $tmp/live-audit.jsonl, hmac_key_env: HEARTH_TEST_UNSET_KEY}
YAML
"$hearth" serve --config "$tmp/serve.yaml" 2> "$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
hash_now() { curl -s "http://127.0.0.1:$port/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"]["hash"])'; }
first=$(hash_now)
check "readyz shows the policy hash" $([ "$first" = "$(sha256sum "$tmp/live.yaml" | cut -d' ' -f1)" ]; echo $?)
grep -q 'HEARTH_TEST_UNSET_KEY is not set' "$tmp/serve.log"; check "an unset audit key is reported at start" $?
printf 'version: 1\nrules:\n  - id: second\n    then: {route: bogus}\n' > "$tmp/live.yaml"
for _ in $(seq 60); do grep -q policy_reload_rejected "$tmp/serve.log" && break; sleep 0.1; done
grep -q "policy_reload_rejected.*live.yaml:4:" "$tmp/serve.log"; check "a changed, invalid file is rejected with FILE:LINE" $?
check "the old policy stays" $([ "$(hash_now)" = "$first" ]; echo $?)
printf 'version: 1\nrules:\n  - id: third\n    then: {route: on_prem_only}\n' > "$tmp/live.yaml"
for _ in $(seq 60); do [ "$(hash_now)" != "$first" ] && break; sleep 0.1; done
check "a changed, valid file takes effect" $([ "$(hash_now)" = "$(sha256sum "$tmp/live.yaml" | cut -d' ' -f1)" ]; echo $?)
kill -HUP "$pid"
reloads() { grep -c '"event":"policy_reloaded"' "$tmp/serve.log"; }
for _ in $(seq 50); do [ "$(reloads)" = 2 ] && break; sleep 0.1; done
grep -q '"signal":"SIGHUP"' "$tmp/serve.log" && [ "$(reloads)" = 2 ]; check "SIGHUP reloads the policy" $?
kill -TERM "$pid"
wait "$pid"
check "serve with policies stops cleanly" $?

finish
