#!/usr/bin/env bats
# LIBGUARD_REPORT: one valid JSON line per process, appended.
load helpers

setup() { setup_guard_env; }

@test "each process appends one JSON line: argv, limits, steps, how it ended" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=0.3 LIBGUARD_GRACE_PERIOD=0.3 LIBGUARD_INTERRUPT=signal \
        LIBGUARD_SEND_KILL=1 -- "$TESTS_BIN/ladder" --ignore --max 3000
    [ "$status" -eq 137 ]
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=0.3 -- "$TESTS_BIN/ladder" --max 500
    [ "$status" -eq 0 ]
    run python3 - "$report" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, lines
killed, finished = (json.loads(l) for l in lines)
assert killed["argv"][1:] == ["--ignore", "--max", "3000"], killed["argv"]
assert killed["argc"] == 4 and "argv_truncated" not in killed, killed
assert [s["action"] for s in killed["steps"]] == ["SIGINT", "SIGTERM", "SIGKILL"], killed["steps"]
assert killed["ended"] == {"how": "signal", "signal": "SIGKILL"}, killed["ended"]
assert killed["limits"]["timeout_s"] == 0.3 and killed["limits"]["send_kill"] is True
assert 0.25 < killed["steps"][0]["t_s"] < 0.6, killed["steps"]
assert finished["ended"] == {"how": "exit", "status": 0}, finished["ended"]
assert [s["step"] for s in finished["steps"]] == [1]
assert finished["peak_rss_bytes"] > 0
assert "steps_omitted" not in finished and "steps_omitted" not in killed
print("ok")
PY
    [ "$output" = ok ]
}

@test "past the first 32 steps, the report counts the steps it does not list" {
    # Each SIGINT's handler writes a line: progress, so the ladder starts
    # over and steps keep coming, about one per timeout.
    report="$BATS_TEST_TMPDIR/report.jsonl"
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=0.05 LIBGUARD_INTERRUPT=signal \
        LIBGUARD_PROGRESS=output LIBGUARD_LOG=none -- "$TESTS_BIN/ladder" --max 4000
    [ "$status" -eq 0 ]
    received=$(printf '%s\n' "$output" | grep -c '^SIG')
    run python3 - "$report" "$received" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read())
received = int(sys.argv[2])
assert received > 32, received
assert len(r["steps"]) == 32, r["steps"]
# every step sent a signal; two alike may merge while pending
assert 0 < r["steps_omitted"] and 32 + r["steps_omitted"] >= received, (r["steps_omitted"], received)
assert r["ended"] == {"how": "exit", "status": 0}, r["ended"]
print("ok")
PY
    [ "$output" = ok ]
}

@test "argv: UTF-8 as it is, each byte that is not UTF-8 as U+FFFD, control characters escaped" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env" \
        é '日本 🙂' $'a\xffb' $'\xc0\xaf' $'\xed\xa0\x80' $'\xe2\x82' $'q"\\\x7f\x01\t'
    [ "$status" -eq 0 ]
    run python3 - "$report" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert b"\\u00c3" not in raw and "é".encode() in raw, raw
line = raw.decode("utf-8")  # strict: the line is valid UTF-8
r = json.loads(line)
want = ["é", "日本 🙂", "a\ufffdb", "\ufffd" * 2, "\ufffd" * 3, "\ufffd" * 2, 'q"\\\x7f\x01\t']
assert r["argv"][1:] == want, r["argv"]
assert "\\u007f" in line and "\\u0001" in line, line
print("ok")
PY
    [ "$output" = ok ]
}

@test "a long argument is cut between characters and marked; limits, steps and ending stay" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    long=$(python3 -c 'print("é" * 5000)')
    # exec -a: the long text is the ladder's argv[0], which it does not parse
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=0.3 LIBGUARD_INTERRUPT=signal LIBGUARD_LOG=none \
        -- bash -c 'exec -a "$0" "$@"' "$long" "$TESTS_BIN/ladder" --max 700
    [ "$status" -eq 0 ]
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env" "$(python3 -c 'print("é" * 700)')"
    [ "$status" -eq 0 ]
    run python3 - "$report" <<'PY'
import json, sys
lines = open(sys.argv[1], "rb").read().decode("utf-8").splitlines()
assert len(lines) == 2, lines
cut, whole = (json.loads(l) for l in lines)
assert cut["argc"] == 3 and cut["argv_truncated"] is True, (cut["argc"], cut.get("argv_truncated"))
assert len(cut["argv"]) == 1 and 1000 < len(cut["argv"][0]) < 5000, len(cut["argv"][0])
assert set(cut["argv"][0]) == {"é"}, set(cut["argv"][0])
assert cut["limits"]["timeout_s"] == 0.3, cut["limits"]
assert cut["steps"] and cut["steps"][0]["action"] == "SIGINT", cut["steps"]
assert cut["ended"] == {"how": "exit", "status": 0}, cut["ended"]
assert cut["peak_rss_bytes"] > 0 and cut["wall_s"] > 0.5, cut
assert whole["argv"][1] == "é" * 700 and whole["argc"] == 2, whole["argv"]
assert "argv_truncated" not in whole, whole
print("ok")
PY
    [ "$output" = ok ]
}

@test "3000 arguments: the first are listed, argc counts all, the line says it is shortened" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env" $(seq 1 3000)
    [ "$status" -eq 0 ]
    run python3 - "$report" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
r = json.loads(lines[0])
want = [str(i) for i in range(1, 3001)]
listed = r["argv"][1:]
assert r["argc"] == 3001 and r["argv_truncated"] is True, (r["argc"], r.get("argv_truncated"))
assert 500 < len(listed) < 3000, len(listed)
# whole but the last, which may be cut
assert listed[:-1] == want[:len(listed) - 1] and want[len(listed) - 1].startswith(listed[-1]), listed[-3:]
assert r["limits"]["timeout_s"] == 30 and r["ended"] == {"how": "exit", "status": 0}, r
print("ok")
PY
    [ "$output" = ok ]
}

@test "many processes share one report file without tearing lines" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    pids=()
    for i in $(seq 20); do
        guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=30 -- "$TESTS_BIN/print-env" >/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    run python3 -c 'import json,sys; print(len([json.loads(l) for l in open(sys.argv[1])]))' "$report"
    [ "$output" = 20 ]
}

@test "a forked child writes its own line with its own pid" {
    report="$BATS_TEST_TMPDIR/report.jsonl"
    run guarded "LIBGUARD_REPORT=$report" LIBGUARD_TIMEOUT=5 -- "$TESTS_BIN/forker" 100 100
    [ "$status" -eq 0 ]
    run python3 -c 'import json,sys; print(len({json.loads(l)["pid"] for l in open(sys.argv[1])}))' "$report"
    [ "$output" = 2 ]
}
