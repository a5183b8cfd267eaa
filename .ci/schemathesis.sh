#!/usr/bin/env bash
# The API against its own schema: runs schemathesis against /openapi.json of a live
# `paycode serve`, first on SQLite, then on a fresh PostgreSQL database. Fails if any response
# is a 5xx, or does not conform to the schema (status code, content type, headers, body), or
# accepts input the schema rules out (see DEFAULT_CHECKS).
#
# Environment (all optional):
#   PAYCODE_BIN                  the binary to test; built as target/debug/paycode when absent
#   PAYCODE_TEST_DATABASE_URL    a PostgreSQL database whose server may create and drop the
#                                run's own database (postgres://postgres@127.0.0.1:5432/postgres)
#   SCHEMATHESIS_VENV            where schemathesis is installed (target/schemathesis-venv)
#   SCHEMATHESIS_MAX_EXAMPLES    test cases per operation and phase (40)
#   SCHEMATHESIS_SEED            a seed, to repeat a run exactly
#   SCHEMATHESIS_CHECKS          the checks, comma-separated, instead of DEFAULT_CHECKS below
#   SCHEMATHESIS_TIMEOUT_SECONDS bound of each of the four schemathesis runs (180)
set -euo pipefail
cd "$(dirname "$0")/.."

readonly DATABASE_URL="${PAYCODE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
VENV="$(realpath -m "${SCHEMATHESIS_VENV:-target/schemathesis-venv}")"
readonly VENV
readonly MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-40}"
readonly TIMEOUT_SECONDS="${SCHEMATHESIS_TIMEOUT_SECONDS:-180}"
readonly REQUIREMENTS=.ci/schemathesis-requirements.txt
readonly CONFIG="$PWD/.ci/schemathesis.toml"
# No 5xx; every response as the schema says (status, content type, headers, body); bad input
# refused with a 4xx; credentials required where the schema says so; 405 with `Allow` for a
# method a path does not have; a deleted resource gone and a created one there. Left out:
# positive_data_acceptance, which counts business refusals (422, such as CODE_INVALID for a
# well-formed code that does not verify) as failures.
readonly DEFAULT_CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,ignored_auth,unsupported_method,allow_header_conformance,use_after_free,ensure_resource_availability
readonly CHECKS="${SCHEMATHESIS_CHECKS:-$DEFAULT_CHECKS}"
readonly USERNAME=schemathesis
readonly PASSWORD="correct horse battery staple"
readonly PIN=135792

work="$(mktemp -d)"
server_pid=""
database_name=""

cleanup() {
    stop_server
    if [[ -n "$database_name" ]]; then
        psql "$DATABASE_URL" -q -c "DROP DATABASE IF EXISTS $database_name WITH (FORCE)" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

install_schemathesis() {
    local wanted
    wanted="$(grep -E '^schemathesis==' "$REQUIREMENTS" | cut -d= -f3)"
    if [[ "$("$VENV/bin/schemathesis" --version 2>/dev/null)" != *"version $wanted" ]]; then
        echo "== installing schemathesis $wanted into $VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --requirement "$REQUIREMENTS"
    fi
}

# A free TCP port on the loopback interface.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Prints one field of the JSON object on standard input.
field() {
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# call METHOD PATH CREDENTIAL [BODY]: prints the response body; fails on a status other than 2xx.
call() {
    local method="$1" path="$2" credential="$3" body="${4:-}"
    local arguments=(--silent --show-error --fail-with-body --max-time 30 -X "$method")
    arguments+=(-H "Authorization: Bearer $credential")
    if [[ -n "$body" ]]; then
        arguments+=(-H "Content-Type: application/json" --data "$body")
    fi
    curl "${arguments[@]}" "$base_url$path"
}

# start_server NAME [DATABASE]: starts `paycode serve` on a free port with a fresh data
# directory, and waits until it answers.
start_server() {
    local name="$1" database="${2:-}"
    local port
    port="$(free_port)"
    base_url="http://127.0.0.1:$port"
    admin_key="schemathesis-admin-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
    local arguments=(serve --listen "127.0.0.1:$port" --data-dir "$work/$name-data" --admin-key "$admin_key")
    if [[ -n "$database" ]]; then
        arguments+=(--database "$database")
    fi
    RUST_LOG=warn "$PAYCODE" "${arguments[@]}" >"$work/$name-server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        if curl --silent --fail --max-time 1 "$base_url/healthz" >/dev/null; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            break
        fi
        sleep 0.2
    done
    echo "the server did not start:" >&2
    cat "$work/$name-server.log" >&2
    return 1
}

# Creates, through the API, what the operations act on: a user with a PIN, a device and money,
# a merchant with an API key, a paid trade with a refund and a trade waiting for the PIN; and
# the run's configuration, which names that trade's number.
seed() {
    local user_id merchant_key token code waiting
    user_id="$(call POST /v1/admin/users "$admin_key" \
        "{\"username\": \"$USERNAME\", \"password\": \"$PASSWORD\"}" | field id)"
    merchant_key="$(call POST /v1/admin/merchants "$admin_key" '{"name": "Schemathesis Canteen"}' |
        field api_key)"
    call POST /v1/admin/topups "$admin_key" \
        "{\"user_id\": $user_id, \"amount\": 100000000, \"reference\": \"seed-1\"}" >/dev/null
    token="$(call POST /v1/wallet/sessions "" \
        "{\"username\": \"$USERNAME\", \"password\": \"$PASSWORD\"}" | field token)"
    call PUT /v1/wallet/pin "$token" "{\"pin\": \"$PIN\"}" >/dev/null
    call POST /v1/wallet/devices "$token" "{\"name\": \"phone\", \"pin\": \"$PIN\"}" >/dev/null
    code="$(call POST /v1/wallet/codes "$token" | field code)"
    call POST /v1/payments "$merchant_key" \
        "{\"out_trade_no\": \"seed-paid\", \"auth_code\": \"$code\", \"amount\": 500}" >/dev/null
    call POST /v1/payments/seed-paid/refunds "$merchant_key" \
        '{"out_refund_no": "seed-refund", "amount": 100}' >/dev/null
    code="$(call POST /v1/wallet/codes "$token" | field code)"
    waiting="$(call POST /v1/payments "$merchant_key" \
        "{\"out_trade_no\": \"seed-waiting\", \"auth_code\": \"$code\", \"amount\": 5000000}" |
        field trade_no)"

    cat "$CONFIG" - >"$work/schemathesis.toml" <<EOF

[dictionaries.seeded-trade-numbers]
values = ["$waiting"]
EOF

    export PAYCODE_SCHEMATHESIS_ADMIN_KEY="$admin_key"
    export PAYCODE_SCHEMATHESIS_MERCHANT_KEY="$merchant_key"
    export PAYCODE_SCHEMATHESIS_USERNAME="$USERNAME"
    export PAYCODE_SCHEMATHESIS_PASSWORD="$PASSWORD"
}

# run_schemathesis NAME TAG...: one run over the operations of the tags. One worker: with
# several, Python 3.11 before 3.11.8 may fail inside hypothesis ("AST constructor recursion
# depth mismatch", CPython issue 106905).
run_schemathesis() {
    local name="$1"
    shift
    local seed_arguments=()
    if [[ -n "${SCHEMATHESIS_SEED:-}" ]]; then
        seed_arguments=(--seed "$SCHEMATHESIS_SEED")
    fi
    local tags=()
    for tag in "$@"; do
        tags+=(--include-tag "$tag")
    done
    echo "== schemathesis on $name"
    # From the temporary directory, where schemathesis keeps its cache of crashes.
    (cd "$work" && timeout --kill-after 10 "$TIMEOUT_SECONDS" \
        "$VENV/bin/schemathesis" --no-color --config-file "$work/schemathesis.toml" \
        run "$base_url/openapi.json" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        --workers 1 \
        --generation-database none \
        --suppress-health-check too_slow,filter_too_much \
        --request-timeout 30 \
        "${seed_arguments[@]}" \
        "${tags[@]}")
}

run_backend() {
    local name="$1" database="${2:-}"
    start_server "$name" "$database"
    seed
    local status=0
    # The admin's operations go last: a generated request may revoke the merchant's API key,
    # after which the merchant's operations could answer nothing but 401.
    run_schemathesis "$name" public wallet merchant || status=$?
    if [[ $status -eq 0 ]]; then
        run_schemathesis "$name (admin)" admin || status=$?
    fi
    stop_server
    if [[ $status -ne 0 ]]; then
        echo "== schemathesis failed on $name (status $status); server log:" >&2
        tail -n 50 "$work/$name-server.log" >&2
        return "$status"
    fi
}

main() {
    install_schemathesis
    if [[ -n "${PAYCODE_BIN:-}" ]]; then
        PAYCODE="$PAYCODE_BIN"
    else
        echo "== cargo build -p paycode-cli"
        cargo build --quiet -p paycode-cli
        PAYCODE=target/debug/paycode
    fi

    run_backend sqlite

    database_name="paycode_schemathesis_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
    psql "$DATABASE_URL" -q -c "CREATE DATABASE $database_name"
    local postgres_url
    postgres_url="$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' \
        "$DATABASE_URL" "$database_name")"
    run_backend postgres "$postgres_url"
    echo "== schemathesis: no failures on either backend"
}

main
