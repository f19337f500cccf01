#!/bin/sh
# blockd's start with a signed 1,000,000-name list, in a namespace of its own, over several rounds:
# exec to enforcing (the monotonic time a wrapper stamps just before exec against the one blockd
# reports in blockctl status --json once its list, queues and rules are in force), the CPU it
# took, resident memory after start and at its peak (VmRSS, VmHWM), the start step by step (the
# same status field) and a memory map from /proc/PID/smaps. Two kinds of start each round: a first
# one (state_dir empty: the list is also copied there) and a restart (the same list already
# accepted). Usage: b_start.sh OUT.json   (root; the test bed makes and removes the namespaces)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh
json=${1:-build/bench/results/b_start.json}
rounds=${BENCH_ROUNDS:-5}
entries=${BENCH_ENTRIES:-1000000}
for b in build/blockd build/blockctl build/blockrules; do
	[ -x "$b" ] || { echo "b_start: $b missing (make bench builds it)" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "b_start: python3 not found (make deps)" >&2; exit 1; }
stamp() { echo "b_start: $*" >&2; }

tb_setup
tb_blockd_conf
tb_biglist 1 "$entries" 0 "$TB_DIR/rules/blocklist"
stamp "list of $entries names built and signed"

# One start: the wrapper writes CLOCK_MONOTONIC (us) to exec.us, then execs blockd in its place
# (same pid). Once blockd logs that it started, its status and /proc figures go to KIND.N.*.
start_one() { # KIND ROUND
	tb_spawn blockd "$TB_NS_APPL" python3 -c '
import os, sys, time
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % (time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000))
os.execv(sys.argv[2], sys.argv[2:])' "$TB_DIR/exec.us" build/blockd -d -v -f "$TB_DIR/blockd.conf"
	tb_wait_for -t 60 grep -q "state start" "$TB_DIR/blockd.log" ||
		tb_fail "blockd did not start: $(tail -5 "$TB_DIR/blockd.log")"
	_pid=$(tb_pid blockd)
	_o="$TB_DIR/$1.$2"
	cp "/proc/$_pid/status" "$_o.proc"
	cp "/proc/$_pid/smaps" "$_o.smaps"
	build/blockctl -s "$TB_DIR/control.sock" status --json >"$_o.status" ||
		tb_fail "blockctl status --json"
	cp "$TB_DIR/exec.us" "$_o.exec"
	grep "start:" "$TB_DIR/blockd.log" >&2
	tb_stop_blockd
}
r=1
while [ $r -le "$rounds" ]; do
	rm -rf "$TB_DIR/state" "$TB_DIR/enforcement.jsonl"*
	mkdir -p "$TB_DIR/state"
	start_one first $r
	start_one restart $r
	r=$((r + 1))
done

# The baseline, process against process: Unbound with the same names as a response policy zone
# (blockrules export --rpz), in the resolver namespace, until it answers for a listed name; its
# whole process's resident memory then, as blockd's above is its whole process's.
build/blockrules export --rpz -z rpz.test. -o "$TB_DIR/rpz.zone" \
	-s packaging/shared-infrastructure "$TB_DIR/rules/blocklist" >"$TB_DIR/rpz.log" 2>&1 ||
	tb_fail "blockrules export --rpz: $(cat "$TB_DIR/rpz.log")"
cat >"$TB_DIR/unbound-rpz.conf" <<EOC
server:
	interface: $TB_RESOLVER4
	port: 53
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$TB_DIR"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 1
	num-threads: 1
	module-config: "respip iterator"
	access-control: 0.0.0.0/0 allow
remote-control:
	control-enable: no
rpz:
	name: "rpz.test."
	zonefile: "$TB_DIR/rpz.zone"
EOC
ub_t0=$(date +%s%N)
tb_spawn unbound "$TB_NS_RESOLVER" unbound -d -c "$TB_DIR/unbound-rpz.conf"
tb_wait_for -t 300 sh -c "ip netns exec $TB_NS_RESOLVER dig @$TB_RESOLVER4 +time=1 +tries=1 b0000000.blocked.example A | grep -q 'status: NXDOMAIN'" ||
	tb_fail "Unbound gave no RPZ answer within 300 s"
echo $((($(date +%s%N) - ub_t0) / 1000000)) >"$TB_DIR/unbound.ms"
cp "/proc/$(tb_pid unbound)/status" "$TB_DIR/unbound.proc"
stamp "Unbound answered from its RPZ after $(cat "$TB_DIR/unbound.ms") ms"

python3 - "$TB_DIR" "$rounds" "$entries" "$json" <<'EOP'
import json, os, re, statistics, sys

d, rounds, entries, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def kb(text, key):
    m = re.search(r"^%s:\s+(\d+) kB" % key, text, re.M)
    return int(m.group(1)) if m else 0


def smaps(path):
    """The map by kind: heap, main and thread stacks, libraries, other files, anonymous."""
    maps, cur = [], None
    for line in open(path):
        f = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            cur = {"start": lo, "size_kb": (hi - lo) // 1024, "perms": f[1],
                   "name": f[5] if len(f) > 5 else "", "rss_kb": 0}
            maps.append(cur)
        elif f and f[0] == "Rss:" and cur is not None:
            cur["rss_kb"] = int(f[1])
    kinds, libs, anon = {}, {}, []
    for i, m in enumerate(maps):
        n = m["name"]
        if n == "[heap]":
            k = "heap"
        elif n == "[stack]":
            k = "main stack"
        elif n.startswith("["):
            k = "kernel (vdso, vvar)"
        elif n:
            k = "libraries" if ".so" in n else "other files"
            if k == "libraries":
                libs[os.path.basename(n)] = libs.get(os.path.basename(n), 0) + m["rss_kb"]
        elif m["perms"].startswith("---"):
            k = "reserved, not usable (guard pages, malloc arena reserve)"
        else:
            prev = maps[i - 1] if i else None
            # A thread's stack: 8 MiB after its guard page (glibc's default size).
            if 8192 <= m["size_kb"] <= 8200 and prev and prev["perms"].startswith("---") \
                    and prev["start"] + prev["size_kb"] * 1024 == m["start"]:
                k = "thread stacks"
            elif 65536 - 1024 <= m["size_kb"] <= 65536 and m["rss_kb"] < 4096:
                k = "per-thread malloc arenas"
            else:
                k = "anonymous"
                anon.append({"size_kb": m["size_kb"], "rss_kb": m["rss_kb"]})
        e = kinds.setdefault(k, {"size_kb": 0, "rss_kb": 0, "count": 0})
        e["size_kb"] += m["size_kb"]
        e["rss_kb"] += m["rss_kb"]
        e["count"] += 1
    anon.sort(key=lambda a: -a["rss_kb"])
    return {"by_kind": kinds, "libraries_rss_kb": libs,
            "anonymous_largest": [a for a in anon if a["size_kb"] >= 1024][:12],
            "anonymous_small_rss_kb": sum(a["rss_kb"] for a in anon if a["size_kb"] < 1024)}


res = {}
for kind in ("first", "restart"):
    runs = []
    for r in range(1, rounds + 1):
        p = os.path.join(d, "%s.%d" % (kind, r))
        st = json.load(open(p + ".status"))
        proc = open(p + ".proc").read()
        s = st["start"]
        exec_us = int(open(p + ".exec").read())
        runs.append({"exec_to_enforcing_ms": (s["enforcing_mono_us"] - exec_us) / 1000,
                     "exec_to_main_ms": (s["main_mono_us"] - exec_us) / 1000,
                     "cpu_ms": s["cpu_us"] / 1000,
                     "rss_mb": kb(proc, "VmRSS") / 1024, "peak_mb": kb(proc, "VmHWM") / 1024,
                     "steps": s["steps"], "smaps": p + ".smaps"})
    med = lambda k: statistics.median(x[k] for x in runs)
    steps = {}
    for name in runs[0]["steps"]:
        steps[name] = {"ms": statistics.median(x["steps"].get(name, {"us": 0})["us"] for x in runs) / 1000,
                       "cpu_ms": statistics.median(x["steps"].get(name, {"cpu_us": 0})["cpu_us"] for x in runs) / 1000}
    mid = sorted(runs, key=lambda x: x["exec_to_enforcing_ms"])[len(runs) // 2]
    res[kind] = {"exec_to_enforcing_ms": med("exec_to_enforcing_ms"), "cpu_ms": med("cpu_ms"),
                 "exec_to_main_ms": med("exec_to_main_ms"),
                 "rss_mb": med("rss_mb"), "peak_mb": med("peak_mb"),
                 "rounds_exec_to_enforcing_ms": [round(x["exec_to_enforcing_ms"], 1) for x in runs],
                 "rounds_rss_mb": [round(x["rss_mb"], 1) for x in runs],
                 "rounds_peak_mb": [round(x["peak_mb"], 1) for x in runs],
                 "steps_median": steps, "memory_map": smaps(mid["smaps"])}

for kind, r in res.items():
    print("%s start, %d rounds (medians): exec to enforcing %.0f ms (CPU %.0f ms, exec to main %.1f ms), "
          "RSS %.1f MB, peak %.1f MB" % (kind, rounds, r["exec_to_enforcing_ms"], r["cpu_ms"],
                                         r["exec_to_main_ms"], r["rss_mb"], r["peak_mb"]))
    print("  rounds: ms %s, RSS MB %s, peak MB %s" % (r["rounds_exec_to_enforcing_ms"],
                                                     r["rounds_rss_mb"], r["rounds_peak_mb"]))
    print("  %-18s %9s %9s" % ("step", "ms", "CPU ms"))
    for name, v in r["steps_median"].items():
        print("  %-18s %9.1f %9.1f" % (name, v["ms"], v["cpu_ms"]))
    mm = r["memory_map"]
    print("  memory map (median round), resident / mapped:")
    for k, v in sorted(mm["by_kind"].items(), key=lambda kv: -kv[1]["rss_kb"]):
        print("    %-58s %8.1f MB / %8.1f MB (%d)" % (k, v["rss_kb"] / 1024, v["size_kb"] / 1024, v["count"]))
    print("    anonymous mappings of 1 MiB or more, resident / mapped: %s" % ", ".join(
        "%.1f/%.1f" % (a["rss_kb"] / 1024, a["size_kb"] / 1024) for a in mm["anonymous_largest"]))
    print("    libraries: %s" % ", ".join("%s %.1f" % (k, v / 1024) for k, v in sorted(
        mm["libraries_rss_kb"].items(), key=lambda kv: -kv[1])[:6]))
ub = open(os.path.join(d, "unbound.proc")).read()
unbound = {"rss_mb": kb(ub, "VmRSS") / 1024, "peak_mb": kb(ub, "VmHWM") / 1024,
           "load_ms": int(open(os.path.join(d, "unbound.ms")).read())}
ratio = unbound["rss_mb"] / res["restart"]["rss_mb"]
print("Unbound RPZ, same %d names: first answer after %d ms, RSS %.1f MB (peak %.1f MB); "
      "blockd's process %.1f MB: %.1fx smaller" % (entries, unbound["load_ms"], unbound["rss_mb"],
                                                   unbound["peak_mb"], res["restart"]["rss_mb"], ratio))
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
with open(out, "w") as f:
    json.dump({"bench": "start", "list_entries": entries, "rounds": rounds, **res,
               "unbound_rpz": unbound, "process_memory_ratio": round(ratio, 2)}, f, indent=1)
EOP
