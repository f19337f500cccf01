#!/usr/bin/env python3
# make bench's summary: reads build/bench/results/*.json, prints one table, writes summary.json.
# Usage: summary.py RESULTS_DIR. Every figure is from this run on this machine; a missing
# result shows as "missing" and fails.
import json
import os
import sys


def load(d, name):
    try:
        with open(os.path.join(d, name + ".json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def main():
    d = sys.argv[1]
    rows = []

    def row(what, blockd, baseline, ratio, floor, ok, unit=""):
        rows.append({"what": what, "blockd": blockd, "baseline": baseline, "ratio": ratio,
                     "floor": floor, "pass": ok, "unit": unit})

    def missing(what):
        row(what, None, None, None, "result present", False)

    m = load(d, "match_bench")
    if m:
        row("match: build 1.12M rules (CPU s)", m["build_cpu_s"], None, None, "< 1 s",
            m["build_cpu_s"] < 1)
        row("match: snapshot bytes per rule", m["snapshot_bytes_per_rule"], None, None, "<= 64",
            m["snapshot_bytes_per_rule"] <= 64)
        row("match: domain lookups/s, one core", m["domain_lookups_per_s"], None, None, ">= 5M",
            m["domain_lookups_per_s"] >= 5e6)
        row("match: IPv4 lookups/s, one core", m["ipv4_lookups_per_s"], None, None, ">= 10M",
            m["ipv4_lookups_per_s"] >= 10e6)
    else:
        missing("match")
    u = load(d, "b_match_unbound")
    if u:
        row("1M names: load s (baseline Unbound RPZ)", u["match_text_load_s"], u["unbound_load_s"],
            u["load_ratio"], ">= 10x faster", u["load_ratio"] >= 10)
        # The names and the snapshot's growth in a test program, not a process against a
        # process: the memory comparison with Unbound is b_start's.
        row("1M names: list + snapshot growth MB in match_bench (Unbound RPZ process)",
            u["match_text_load_rss_bytes"] / 1e6, u["unbound_rss_bytes"] / 1e6, None, "-", True)
    else:
        missing("match vs Unbound")
    r = load(d, "rules_bench")
    if r:
        row("1M-entry list: verify + parse (ms)", r["verify_parse_ms"], None, None, "< 1000 ms",
            r["verify_parse_ms"] < 1000)
    else:
        missing("rules")
    ip = load(d, "b_ipset")
    if ip:
        def count(n):
            return "%gM" % (n / 1e6) if n >= 1e6 else "%gk" % (n / 1e3)
        what = "%s IPv4 + %s IPv6 addresses into the kernel, ms" % (count(ip["v4"]), count(ip["v6"]))
        row(what + " (baseline nft -f)", ip["blockd_load_ms"], ip["nft_f_ms"],
            round(ip["nft_f_ms"] / ip["blockd_load_ms"], 1) if ip["blockd_load_ms"] else None,
            "< 1000 ms", ip["blockd_load_ms"] < 1000)
        row(what + " (baseline ipset restore + swap)", ip["blockd_load_ms"],
            ip["ipset_restore_swap_ms"],
            round(ip["ipset_restore_swap_ms"] / ip["blockd_load_ms"], 1)
            if ip["blockd_load_ms"] else None, "faster", ip["blockd_load_ms"] < ip["ipset_restore_swap_ms"])
        row("reload changing 1% of them, ms (baseline nft -f)", ip["blockd_reload_1pct_ms"],
            ip["nft_f_reload_1pct_ms"],
            round(ip["nft_f_reload_1pct_ms"] / ip["blockd_reload_1pct_ms"], 1)
            if ip["blockd_reload_1pct_ms"] else None, "< 100 ms", ip["blockd_reload_1pct_ms"] < 100)
        row("stop with them in force (counter read, table deleted), ms", ip["blockd_stop_ms"], None,
            None, "< 1000 ms", ip["blockd_stop_ms"] < 1000)
    else:
        missing("address sets (b_ipset)")
    e = load(d, "evlog_bench")
    if e:
        row("enforcement log: records/s written", e["records_per_s"], None, None, "-", True)
    a = load(d, "b_dns")
    if a:
        q = a["dns_qps"]
        fr = q["blockd"] / q["nfq_floor"] if q["nfq_floor"] else 0
        row("DNS qps, 1M list, 10% blocked (baseline accept-all NFQUEUE)", q["blockd"],
            q["nfq_floor"], round(fr, 3), ">= 0.9", fr >= 0.9)
        nr = q["blockd"] / q["no_queue"] if q["no_queue"] else 0
        row("DNS qps (baseline no queue)", q["blockd"], q["no_queue"], round(nr, 3), "-", True)
        # Added latency per inspected packet: each query's time inside the appliance, from the
        # kernel's stamp as it arrives to its stamp as it leaves (or as blockd's answer leaves).
        tr = a["dns_transit_us"]
        for p in ("p50", "p99"):
            added = tr["blockd"][p] - tr["no_queue"][p]
            row("DNS query time in the appliance %s us at %d qps (baseline no queue)" %
                (p, tr["rate_qps"]), tr["blockd"][p], tr["no_queue"][p], added,
                "added p99 < 200 us" if p == "p99" else "-", added < 200 if p == "p99" else True)
        # The client's round trip also holds the resolver's and the client's own scheduling.
        lat = a["dns_latency_us"]
        for p in ("p50", "p99"):
            row("DNS round trip %s us at %d qps (baseline no queue)" % (p, lat["rate_qps"]),
                lat["blockd"][p], lat["no_queue"][p], lat["blockd"][p] - lat["no_queue"][p],
                "-", True)
        t = a["tcp443_mbps"]
        tr = t["blockd"] / t["no_queue"] if t["no_queue"] else 0
        row("TCP 443 bulk Mbit/s, receive offload on (baseline no queue)", t["blockd"],
            t["no_queue"], round(tr, 3), ">= 0.95", tr >= 0.95)
        t = a["tcp443_mbps_per_segment"]
        tr = t["blockd"] / t["no_queue"] if t["no_queue"] else 0
        row("TCP 443 bulk Mbit/s, one segment at a time (baseline no queue)", t["blockd"],
            t["no_queue"], round(tr, 3), "-", True)
        pk = a["tcp443_packets"]
        row("TCP 443 bulk: packets to user space / packets of the flows", pk["to_user_space"],
            pk["flow"], None, "first packets only", 0 < pk["to_user_space"] < 20)
        h = a["tls_handshakes_per_s"]
        hr = h["blockd"] / h["no_queue"] if h["no_queue"] else 0
        row("TLS handshakes/s%s (baseline no queue)" %
            ("" if a.get("tls_sni_inspected") else ", SNI not yet inspected"),
            h["blockd"], h["no_queue"], round(hr, 3), "-", True)
        # Reload under load, several rounds: each round's loss beside its own run of the same
        # load without a reload, then the medians. The same load loses some queries without a
        # reload too; what the reload adds is judged against that, within 0.1 % of the queries
        # sent, in every round and in the medians.
        rl = a["reload"]
        rounds = rl.get("per_round", [])
        row("reload 1M list under %d qps: swap ms, median of %d" % (rl["load_qps"], len(rounds) or 1),
            rl["ms"], None, None, "-", True)
        for i, x in enumerate(rounds):
            extra = x["queries_lost"] - x["control_queries_lost"]
            row("reload round %d: queries lost of %d (baseline same load, no reload)"
                % (i + 1, x["queries_sent"]), x["queries_lost"], x["control_queries_lost"], extra,
                "added <= 0.1% of sent", extra <= 0.001 * x["queries_sent"])
        extra = rl["queries_lost"] - rl["control_queries_lost"]
        row("reload: queries lost, median (baseline same load, no reload)", rl["queries_lost"],
            rl["control_queries_lost"], extra, "added <= 0.1% of sent",
            extra <= 0.001 * rl["queries_sent"])
    else:
        missing("appliance (b_dns)")

    f = load(d, "b_flows")
    if f:
        # New flows per second through the appliance, one run, medians of its rounds: TLS to
        # port 443 (half blocked) read by blockd with ports = 443 and with ports = all, beside
        # no queue and the accept-all NFQUEUE floor; and flows of another protocol to another
        # port, which only ports = all sends to blockd.
        t = f["tls_flows_per_s"]
        for k, what in (("blockd_443", "ports = 443"), ("blockd_all", "ports = all")):
            r = t[k] / t["no_queue"] if t["no_queue"] else 0
            row("new TLS flows/s judged, %s (baseline no queue)" % what, t[k], t["no_queue"],
                round(r, 3), "-", True)
        r = t["blockd_443"] / t["nfq_floor"] if t["nfq_floor"] else 0
        row("new TLS flows/s judged, ports = 443 (baseline accept-all NFQUEUE)", t["blockd_443"],
            t["nfq_floor"], round(r, 3), "-", True)
        o = f["other_flows_per_s"]
        r = o["blockd_all"] / o["blockd_443"] if o["blockd_443"] else 0
        row("new flows/s of another protocol on port 9000, ports = all (baseline ports = 443)",
            o["blockd_all"], o["blockd_443"], round(r, 3), "-", True)
        row("new flows: TLS hellos read / of them blocked", f["tls_hellos"], f["tls_blocked"],
            None, "blocked > 0", f["tls_blocked"] > 0)
    else:
        missing("new flows (b_flows)")

    st = load(d, "b_start")
    if st:
        # blockd's start with the 1M-name list: exec to enforcing (as blockd reports it), its
        # whole process's resident memory after start and at its peak; and process against
        # process, that memory against Unbound's with the same names as RPZ, same run.
        for kind in ("first", "restart"):
            k = st[kind]
            row("start (%s), 1M names: exec to enforcing ms (CPU %.0f ms)" % (kind, k["cpu_ms"]),
                round(k["exec_to_enforcing_ms"]), None, None, "<= 500 ms",
                k["exec_to_enforcing_ms"] <= 500)
            row("start (%s), 1M names: resident MB, peak MB" % kind, round(k["rss_mb"], 1),
                round(k["peak_mb"], 1), None, "<= 100 MB both",
                k["rss_mb"] <= 100 and k["peak_mb"] <= 100)
        ub = st["unbound_rpz"]
        row("1M names: daemon process RSS MB (baseline Unbound RPZ process)",
            round(st["restart"]["rss_mb"], 1), round(ub["rss_mb"], 1), st["process_memory_ratio"],
            ">= 5x smaller", st["process_memory_ratio"] >= 5)
    else:
        missing("start (b_start)")
    # New flows per second, the rest of b_flows: IPv6, the 1M-entry list beside the accept-all
    # floor in the same rounds, the CPU of the generator and of the program on the queue (shares
    # of one core), flows/s per core of blockd's CPU (sizing), and one address pair over one and
    # two queues with each worker's share of the flows.
    if f and "tls_1m_flows_per_s" in f:
        t6 = f["tls6_flows_per_s"]
        r = t6["blockd_443"] / t6["nfq_floor"] if t6["nfq_floor"] else 0
        row("new TLS flows/s judged over IPv6, ports = 443 (baseline accept-all NFQUEUE)",
            t6["blockd_443"], t6["nfq_floor"], round(r, 3), "-", True)
        t1 = f["tls_1m_flows_per_s"]
        r = t1["blockd_443"] / t1["nfq_floor"] if t1["nfq_floor"] else 0
        row("new TLS flows/s judged, %d entries (baseline accept-all NFQUEUE)" % f["entries_large"],
            t1["blockd_443"], t1["nfq_floor"], round(r, 3), ">= 1.0", r >= 1.0)
        r = t1["blockd_443"] / t1["no_queue"] if t1["no_queue"] else 0
        row("new TLS flows/s judged, %d entries (baseline no queue)" % f["entries_large"],
            t1["blockd_443"], t1["no_queue"], round(r, 3), "-", True)
        c = f["cpu"]
        for k, what in (("tls_blockd_443", "10 entries"), ("tls_1m_blockd", "1M entries")):
            row("new TLS flows: CPU share of blockd, %s (baseline generator)" % what,
                c[k]["queue_program"], c[k]["generator"], None, "-", True)
        row("new TLS flows: CPU share of the accept-all floor (baseline generator)",
            c["tls_floor"]["queue_program"], c["tls_floor"]["generator"], None, "-", True)
        us = c["tls_1m_blockd"]["us_per_flow"]
        row("new TLS flows judged per s per core of blockd's CPU, 1M entries (baseline floor's)",
            round(1e6 / us) if us else None,
            round(1e6 / c["tls_1m_floor"]["us_per_flow"]) if c["tls_1m_floor"]["us_per_flow"] else None,
            None, "-", True)
        p = f["one_pair"]
        q1, q2 = p["queues_1"], p["queues_2"]
        r = q2["flows_per_s"] / q1["flows_per_s"] if q1["flows_per_s"] else 0
        row("one address pair: new TLS flows/s with 2 queues (baseline 1 queue)", q2["flows_per_s"],
            q1["flows_per_s"], round(r, 3), "-", True)
        low = min(q2["worker_shares"]) if q2["worker_shares"] else 0
        row("one address pair, 2 queues: smallest worker's share of the flows",
            low, None, None, ">= 0.3", len(q2["worker_shares"]) == 2 and low >= 0.3)

    # New QUIC flows per second (b_flows): one client Initial each (QUIC v1, RFC 9001
    # protection), half of them naming a blocked name, judged by blockd (ports = 443) beside the
    # accept-all NFQUEUE floor and no queue in the same rounds; the CPU shares of one core; and
    # that no blocked Initial got through blockd (the floor lets them all through).
    if f and "quic_flows_per_s" in f:
        q = f["quic_flows_per_s"]
        r = q["blockd_443"] / q["nfq_floor"] if q["nfq_floor"] else 0
        row("new QUIC Initials/s judged (baseline accept-all NFQUEUE)", q["blockd_443"],
            q["nfq_floor"], round(r, 3), "-", True)
        r = q["blockd_443"] / q["no_queue"] if q["no_queue"] else 0
        row("new QUIC Initials/s judged (baseline no queue)", q["blockd_443"], q["no_queue"],
            round(r, 3), "-", True)
        c = f["quic_cpu"]
        row("new QUIC flows: CPU share of blockd (baseline generator)",
            c["blockd_443"]["queue_program"], c["blockd_443"]["generator"], None, "-", True)
        row("new QUIC flows: CPU share of the accept-all floor (baseline generator)",
            c["floor"]["queue_program"], c["floor"]["generator"], None, "-", True)
        us = c["blockd_443"]["us_per_flow"]
        row("new QUIC Initials judged per s per core of blockd's CPU (baseline floor's)",
            round(1e6 / us) if us else None,
            round(1e6 / c["floor"]["us_per_flow"]) if c["floor"]["us_per_flow"] else None,
            None, "-", True)
        a = f["quic_blocked_answered"]
        row("blocked QUIC Initials answered through blockd (baseline accept-all NFQUEUE)",
            a["blockd_443"], a["nfq_floor"], None, "0", a["blockd_443"] == 0)

    # Instructions per new TLS flow in user space (b_flowpath.sh: callgrind on the
    # packet-to-verdict path, so they compare across machines): per packet kind the rules
    # queue (0: not queued) and per flow, beside the 1M-entry list. The goal is the allowed
    # flow's, every packet of it the rules queue: what nearly all of an ISP's new flows are.
    fp = load(d, "b_flowpath")
    if fp:
        i10, i1m = fp["instructions"]["list_10"], fp["instructions"]["list_1m"]
        for k, what in (("syn", "SYN"), ("ack", "handshake ACK"),
                        ("hello_allowed", "517-byte ClientHello, allowed"),
                        ("hello_blocked", "517-byte ClientHello, blocked (resets, event)"),
                        ("next", "client's next records (queued with paths = one)")):
            row("instructions per %s, 10 entries (baseline 1M entries)" % what, i10[k], i1m[k],
                None, "-", True)
        row("instructions per new TLS flow, allowed, 10 entries (baseline 1M entries)",
            i10["per_flow_allowed"], i1m["per_flow_allowed"], None, "< 2500",
            i1m["per_flow_allowed"] < 2500)
        row("instructions per new TLS flow, allowed, paths = one, 10 entries (baseline 1M entries)",
            i10["per_flow_allowed_one_path"], i1m["per_flow_allowed_one_path"], None, "-", True)
        row("instructions per new TLS flow, blocked, 10 entries (baseline 1M entries)",
            i10["per_flow_blocked"], i1m["per_flow_blocked"], None, "-", True)
        row("instructions per new TLS flow, half blocked, 10 entries (baseline 1M entries)",
            i10["per_flow"], i1m["per_flow"], None, "-", True)
        c = fp["cpu_us_per_flow"]
        row("CPU us per new TLS flow, path alone, 10 entries (baseline 1M entries)",
            c["list_10"], c["list_1m"], None, "-", True)
    else:
        missing("instructions per new flow (b_flowpath)")

    def fmt(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            if abs(v) >= 1e6:
                return "%.2fM" % (v / 1e6)
            return "%.3g" % v if abs(v) < 100 else "%.0f" % v
        if isinstance(v, int) and abs(v) >= 1e6:
            return "%.2fM" % (v / 1e6)
        return str(v)

    head = ("what", "blockd", "baseline", "ratio", "floor", "result")
    lines = [(x["what"], fmt(x["blockd"]), fmt(x["baseline"]), fmt(x["ratio"]), x["floor"],
              "pass" if x["pass"] else "FAIL") for x in rows]
    w = [max(len(str(l[i])) for l in lines + [head]) for i in range(6)]
    out = ["| " + " | ".join(str(l[i]).ljust(w[i]) for i in range(6)) + " |"
           for l in [head] + lines]
    out.insert(1, "|" + "|".join("-" * (x + 2) for x in w) + "|")
    print("\n".join(out))
    with open(os.path.join(d, "summary.json"), "w") as f:
        json.dump({"rows": rows, "all_pass": all(x["pass"] for x in rows)}, f, indent=1)
    print("bench: summary in %s" % os.path.join(d, "summary.json"))
    return 0 if all(x["pass"] for x in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
