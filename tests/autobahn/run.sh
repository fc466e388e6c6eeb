#!/usr/bin/env bash
# Runs the Autobahn|Testsuite against our echo peers.
#
#   tests/autobahn/run.sh BIN_DIR [--cases '1.*,2.*'] [--only client|server]
#
# BIN_DIR holds the two test binaries:
#   ws-echo-server <port>         echo server on 127.0.0.1:<port>, runs until killed
#   ws-echo-client <base> <agent> asks <base>/getCaseCount, runs every case at
#                                 <base>/runCase?case=N&agent=<agent> echoing all
#                                 messages, then opens <base>/updateReports?agent=<agent>
#
# Client mode: `wstest -m fuzzingserver` runs, ws-echo-client is driven against it.
# Server mode: ws-echo-server runs, `wstest -m fuzzingclient` is driven against it.
# Reports (HTML + JSON, plus the logs of every process) are kept in
# $AUTOBAHN_REPORTS/{clients,servers}/ (default reports/autobahn). Everything binds
# to 127.0.0.1.
#
# Default cases: 1.* .. 10.* (12.* and 13.*, permessage-deflate: tests/autobahn/deflate-cases).
#
# Each case counts as exactly one of (from index.json's `behavior` and
# `behaviorClose`):
#   UNIMPLEMENTED  behavior UNIMPLEMENTED
#   FAILED         behavior FAILED (or anything unknown), or behaviorClose
#                  FAILED / UNCLEAN
#   NON-STRICT     behavior NON-STRICT, or behaviorClose WRONG CODE / FAILED BY
#                  CLIENT (the server left closing the TCP connection to the
#                  client, which RFC 6455 7.1.1 says the server SHOULD do)
#   INFORMATIONAL  behavior INFORMATIONAL
#   OK             behavior OK (and behaviorClose OK or INFORMATIONAL)
# A case that wstest was asked to run but that is not in index.json is MISSING.
# passed = OK + INFORMATIONAL; failed = FAILED + NON-STRICT + UNIMPLEMENTED + MISSING.
# The last line printed is `autobahn: N passed, M failed`. Exit status is 0 only if
# failed == 0 and every process behaved (no timeout, crash or non-zero exit).
#
# Environment: AUTOBAHN_TIMEOUT  seconds allowed per mode (default 600)
#              AUTOBAHN_PROVISION_TIMEOUT  seconds for provisioning wstest (default 900)
#              AUTOBAHN_AGENT_PREFIX  agent names in the reports are <prefix>-client and
#                                     <prefix>-server (default ws-protocol)
#              AUTOBAHN_REPORTS  report directory; relative paths are taken from the
#                                repository root (default reports/autobahn)
set -uo pipefail

log() { printf '[autobahn] %s\n' "$*" >&2; }
usage() {
    echo "usage: $0 BIN_DIR [--cases '1.*,2.*,...'] [--only client|server]" >&2
    exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WSTEST="$REPO/scripts/wstest"
REPORTS=${AUTOBAHN_REPORTS:-reports/autobahn}
[[ "$REPORTS" == /* ]] || REPORTS="$REPO/$REPORTS"
TIMEOUT=${AUTOBAHN_TIMEOUT:-600}
PROVISION_TIMEOUT=${AUTOBAHN_PROVISION_TIMEOUT:-900}
AGENT_PREFIX=${AUTOBAHN_AGENT_PREFIX:-ws-protocol}
CLIENT_AGENT=$AGENT_PREFIX-client
SERVER_AGENT=$AGENT_PREFIX-server

BIN_DIR=""
CASES="1.*,2.*,3.*,4.*,5.*,6.*,7.*,8.*,9.*,10.*"
ONLY=""
while (( $# )); do
    case "$1" in
        --cases) (( $# >= 2 )) || usage; CASES=$2; shift 2 ;;
        --cases=*) CASES=${1#--cases=}; shift ;;
        --only) (( $# >= 2 )) || usage; ONLY=$2; shift 2 ;;
        --only=*) ONLY=${1#--only=}; shift ;;
        -h|--help) usage ;;
        -*) usage ;;
        *) [[ -z "$BIN_DIR" ]] || usage; BIN_DIR=$1; shift ;;
    esac
done
[[ -n "$BIN_DIR" ]] || usage
[[ -z "$ONLY" || "$ONLY" == client || "$ONLY" == server ]] || usage
BIN_DIR=$(cd "$BIN_DIR" 2>/dev/null && pwd) || { log "no such directory: $BIN_DIR"; exit 2; }
RUN_CLIENT=1; RUN_SERVER=1
[[ "$ONLY" == server ]] && RUN_CLIENT=0
[[ "$ONLY" == client ]] && RUN_SERVER=0
for b in $( ((RUN_CLIENT)) && echo ws-echo-client ) $( ((RUN_SERVER)) && echo ws-echo-server ); do
    [[ -x "$BIN_DIR/$b" ]] || { log "missing executable: $BIN_DIR/$b"; exit 2; }
done

PROBLEMS=()
problem() { log "PROBLEM: $*"; PROBLEMS+=("$*"); }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/autobahn.XXXXXX")
BG_PIDS=()
cleanup() {
    local pid
    for pid in "${BG_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${BG_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# is_listening PORT: a socket in LISTEN state on PORT (no connection is made).
is_listening() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" 'FNR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) found = 1 }
                     END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# wait_listening PID PORT SECONDS
wait_listening() {
    local pid=$1 port=$2 deadline=$((SECONDS + $3))
    while (( SECONDS < deadline )); do
        is_listening "$port" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}

# stop PID NAME: TERM, then KILL after 10 s. Fails if it had already exited.
stop() {
    local pid=$1 name=$2 i
    if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        problem "$name exited (status $?) before it was stopped"
        return 1
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name did not stop on SIGTERM, killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

untrack() {
    local pid=$1 p keep=()
    for p in "${BG_PIDS[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
    BG_PIDS=("${keep[@]}")
}

tail_log() {
    log "--- last lines of $1 ---"
    tail -n 20 "$1" >&2
}

CASES_JSON=$(python3 -c 'import json, sys; print(json.dumps([c.strip() for c in sys.argv[1].split(",") if c.strip()]))' "$CASES")

log "provisioning wstest (first run only)"
if ! timeout "$PROVISION_TIMEOUT" "$WSTEST" --provision-only; then
    log "provisioning wstest failed"
    echo "autobahn: 0 passed, 1 failed"
    exit 1
fi

mkdir -p "$REPORTS"
export PYTHONUNBUFFERED=1

# --- client mode: wstest fuzzingserver <- ws-echo-client ---------------------
run_client_mode() {
    local out="$REPORTS/clients" port spec pid rc t0=$SECONDS
    rm -rf "$out"; mkdir -p "$out"
    port=$(free_port)
    spec="$WORK/fuzzingserver.json"
    cat > "$spec" <<EOF
{
   "url": "ws://127.0.0.1:$port",
   "outdir": "$out",
   "cases": $CASES_JSON,
   "exclude-cases": [],
   "exclude-agent-cases": {}
}
EOF
    cp "$spec" "$out/spec.json"
    log "client mode: wstest -m fuzzingserver on 127.0.0.1:$port"
    WSTEST_LISTEN_INTERFACE=127.0.0.1 timeout -k 10 "$((TIMEOUT + 60))" \
        "$WSTEST" -m fuzzingserver -s "$spec" -u 0 >"$out/wstest.log" 2>&1 &
    pid=$!; BG_PIDS+=("$pid")
    if ! wait_listening "$pid" "$port" 60; then
        problem "wstest fuzzingserver did not listen on port $port"
        tail_log "$out/wstest.log"
        stop "$pid" "wstest fuzzingserver" >/dev/null 2>&1; untrack "$pid"
        return
    fi
    log "client mode: ws-echo-client ws://127.0.0.1:$port $CLIENT_AGENT"
    timeout -k 10 "$TIMEOUT" "$BIN_DIR/ws-echo-client" "ws://127.0.0.1:$port" "$CLIENT_AGENT" \
        >"$out/ws-echo-client.log" 2>&1
    rc=$?
    if (( rc == 124 || rc == 137 )); then
        problem "ws-echo-client timed out after ${TIMEOUT}s"
        tail_log "$out/ws-echo-client.log"
    elif (( rc != 0 )); then
        problem "ws-echo-client exited with status $rc"
        tail_log "$out/ws-echo-client.log"
    fi
    stop "$pid" "wstest fuzzingserver" || tail_log "$out/wstest.log"
    untrack "$pid"
    log "client mode took $((SECONDS - t0))s"
}

# --- server mode: ws-echo-server <- wstest fuzzingclient ---------------------
run_server_mode() {
    local out="$REPORTS/servers" port spec pid rc t0=$SECONDS
    rm -rf "$out"; mkdir -p "$out"
    port=$(free_port)
    spec="$WORK/fuzzingclient.json"
    cat > "$spec" <<EOF
{
   "outdir": "$out",
   "servers": [
      {"agent": "$SERVER_AGENT", "url": "ws://127.0.0.1:$port"}
   ],
   "cases": $CASES_JSON,
   "exclude-cases": [],
   "exclude-agent-cases": {}
}
EOF
    cp "$spec" "$out/spec.json"
    log "server mode: ws-echo-server $port"
    timeout -k 10 "$((TIMEOUT + 60))" "$BIN_DIR/ws-echo-server" "$port" >"$out/ws-echo-server.log" 2>&1 &
    pid=$!; BG_PIDS+=("$pid")
    if ! wait_listening "$pid" "$port" 30; then
        problem "ws-echo-server did not listen on 127.0.0.1:$port"
        tail_log "$out/ws-echo-server.log"
        stop "$pid" "ws-echo-server" >/dev/null 2>&1; untrack "$pid"
        return
    fi
    log "server mode: wstest -m fuzzingclient against ws://127.0.0.1:$port"
    timeout -k 10 "$TIMEOUT" "$WSTEST" -m fuzzingclient -s "$spec" >"$out/wstest.log" 2>&1
    rc=$?
    if (( rc == 124 || rc == 137 )); then
        problem "wstest fuzzingclient timed out after ${TIMEOUT}s"
        tail_log "$out/wstest.log"
    elif (( rc != 0 )); then
        problem "wstest fuzzingclient exited with status $rc"
        tail_log "$out/wstest.log"
    fi
    stop "$pid" "ws-echo-server" || tail_log "$out/ws-echo-server.log"
    untrack "$pid"
    log "server mode took $((SECONDS - t0))s"
}

(( RUN_CLIENT )) && run_client_mode
(( RUN_SERVER )) && run_server_mode

# --- summary -------------------------------------------------------------------
MODES=()
(( RUN_CLIENT )) && MODES+=("client:$REPORTS/clients:$CLIENT_AGENT")
(( RUN_SERVER )) && MODES+=("server:$REPORTS/servers:$SERVER_AGENT")
python3 - "$WORK/counts" "${MODES[@]}" <<'EOF' | tee "$REPORTS/summary.txt"
import ast, json, os, re, sys

COLS = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED", "MISSING"]
TITLES = {"client": "client (ws-echo-client vs wstest -m fuzzingserver)",
          "server": "server (ws-echo-server vs wstest -m fuzzingclient)"}

def classify(c):
    b, bc = c.get("behavior"), c.get("behaviorClose")
    if b == "UNIMPLEMENTED":
        return "UNIMPLEMENTED"
    if b not in ("OK", "NON-STRICT", "INFORMATIONAL") or bc in ("FAILED", "UNCLEAN") \
            or bc not in ("OK", "INFORMATIONAL", "WRONG CODE", "FAILED BY CLIENT"):
        return "FAILED"
    if b == "NON-STRICT" or bc in ("WRONG CODE", "FAILED BY CLIENT"):
        return "NON-STRICT"
    return b

def key(case_id):
    return tuple(int(x) if x.isdigit() else x for x in case_id.split("."))

def expected_cases(wstest_log):
    # wstest prints the resolved case list at startup: "Cases = ['1.1.1', ...]"
    try:
        with open(wstest_log) as f:
            for line in f:
                m = re.match(r"\s*Cases = (\[.*\])\s*$", line)
                if m:
                    return [str(x) for x in ast.literal_eval(m.group(1))]
    except OSError:
        pass
    return None

counts_file, modes = sys.argv[1], sys.argv[2:]
passed = failed = 0
problems = []
for mode in modes:
    name, outdir, agent = mode.split(":", 2)
    print("")
    print("== %s, agent %s" % (TITLES[name], agent))
    print("   reports: %s" % os.path.join(outdir, "index.html"))
    expected = expected_cases(os.path.join(outdir, "wstest.log"))
    results = {}
    index = os.path.join(outdir, "index.json")
    try:
        with open(index) as f:
            results = json.load(f).get(agent, {})
    except (OSError, ValueError) as e:
        problems.append("%s mode: no usable %s (%s)" % (name, index, e))
    if expected is None:
        problems.append("%s mode: wstest's case list not found in its log" % name)
        expected = list(results)
    rows, bad = {}, []
    for cid in sorted(set(expected) | set(results), key=key):
        group = cid.split(".")[0]
        row = rows.setdefault(group, dict.fromkeys(COLS, 0))
        if cid in results:
            cls = classify(results[cid])
        else:
            cls = "MISSING"
        row[cls] += 1
        if cls not in ("OK", "INFORMATIONAL"):
            c = results.get(cid, {})
            detail = ""
            rep = c.get("reportfile")
            if rep:
                try:
                    with open(os.path.join(outdir, rep)) as f:
                        r = json.load(f)
                    detail = "; ".join(x for x in (r.get("result"), r.get("resultClose")) if x)
                except (OSError, ValueError):
                    pass
            bad.append("   %-9s %-13s behavior=%s behaviorClose=%s %s" % (
                cid, cls, c.get("behavior", "-"), c.get("behaviorClose", "-"), detail[:160]))
    header = "   %-6s" % "group" + "".join("%15s" % c for c in COLS)
    print(header)
    total = dict.fromkeys(COLS, 0)
    for group in sorted(rows, key=key):
        print("   %-6s" % group + "".join("%15d" % rows[group][c] for c in COLS))
        for c in COLS:
            total[c] += rows[group][c]
    print("   %-6s" % "total" + "".join("%15d" % total[c] for c in COLS))
    if bad:
        print("   not passed (%d):" % len(bad))
        for line in bad[:60]:
            print(line)
        if len(bad) > 60:
            print("   ... %d more, see %s" % (len(bad) - 60, index))
    passed += total["OK"] + total["INFORMATIONAL"]
    failed += total["FAILED"] + total["NON-STRICT"] + total["UNIMPLEMENTED"] + total["MISSING"]
for p in problems:
    print("PROBLEM: " + p)
with open(counts_file, "w") as f:
    f.write("%d %d %d\n" % (passed, failed, len(problems)))
EOF

read -r PASSED FAILED NPROBLEMS < "$WORK/counts" 2>/dev/null || { PASSED=0; FAILED=0; NPROBLEMS=1; problem "summary failed"; }
for p in "${PROBLEMS[@]}"; do
    echo "PROBLEM: $p" | tee -a "$REPORTS/summary.txt"
done
echo ""
echo "autobahn: $PASSED passed, $FAILED failed" | tee -a "$REPORTS/summary.txt"
if (( FAILED > 0 || NPROBLEMS > 0 || ${#PROBLEMS[@]} > 0 )); then
    exit 1
fi
exit 0
