#!/usr/bin/env bash
# The API contract, tested by machine (issue 16, finding 10; docs/api-contract.md).
#
# Starts Canopy on a fresh PostgreSQL database with DEBUG off (config.settings.contract), seeds
# the demo (a consumer with a sandbox feed, scored transactions, drops and a tree), logs in as
# that consumer and runs schemathesis over every operation of /api/schema/ with the consumer's
# token: every response must be no server error, a documented status code and content type,
# and a body that matches the schema. Bounded per operation (--max-examples) and as a whole
# (--max-time plus a hard timeout). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PYTHON:-.venv/bin/python}"
ST="${SCHEMATHESIS:-$(dirname "$PY")/schemathesis}"
DB_URL="${CONTRACT_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/contract}"
PORT="${CONTRACT_PORT:-18765}"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-15}"
MAX_TIME="${CONTRACT_MAX_TIME:-180}"
BASE="http://127.0.0.1:$PORT"
LOG="$(mktemp -d)"

export DJANGO_SETTINGS_MODULE=config.settings.contract DATABASE_URL="$DB_URL" CELERY_BROKER_URL=

db_name="${DB_URL##*/}"
db_server="${DB_URL%/*}"
psql "$db_server/postgres" -qc "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null
psql "$db_server/postgres" -qc "CREATE DATABASE \"$db_name\"" >/dev/null
"$PY" manage.py migrate --no-input -v0
"$PY" manage.py seed_demo >/dev/null
# The demo's published password (demo/cast.py; a throwaway database only CI reaches).
PASSWORD="$("$PY" -c 'from demo.cast import DEMO_PASSWORD; print(DEMO_PASSWORD)')"
"$PY" manage.py score_transactions >/dev/null

if curl -s -o /dev/null "$BASE/"; then
  echo "port $PORT is taken by another server; set CONTRACT_PORT"; exit 1
fi
"$PY" manage.py runserver "127.0.0.1:$PORT" --noreload >"$LOG/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 1; done
curl -fs "$BASE/healthz" >/dev/null || { cat "$LOG/server.log"; echo "the server did not start"; exit 1; }

token="$(curl -fs -H 'Content-Type: application/json' \
  -d "{\"email\": \"sanne@example.nl\", \"password\": \"$PASSWORD\"}" "$BASE/api/v1/auth/token" |
  "$PY" -c 'import json, sys; print(json.load(sys.stdin)["access"])')"

# Left out: DELETE /me (me_destroy) erases the consumer whose token the run uses, so every
# later case would answer 401 (tests/privacy/test_account_erasure.py tests it). Logout and
# refresh stay in: they take refresh tokens, never revoke the access token.
set +e
timeout --kill-after=10 "$((MAX_TIME + 60))" "$ST" run "$BASE/api/schema/" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-checks unsupported_method,negative_data_rejection,positive_data_acceptance,missing_required_header,ignored_auth,use_after_free,ensure_resource_availability \
  --exclude-operation-id me_destroy \
  --phases examples,coverage,fuzzing \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" --request-timeout 20 \
  --seed "${CONTRACT_SEED:-16}" --generation-database none \
  --no-color --warnings off \
  --report junit --report-junit-path "$LOG/junit.xml"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "schemathesis failed ($rc); the server's log:"; tail -100 "$LOG/server.log"
fi
exit "$rc"
