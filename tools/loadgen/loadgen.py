#!/usr/bin/env python3
"""Load generator for tesserad (protocol/PROTOCOL.md), with pyzmq.

N DEALER clients, each its own socket and connection (so its own routing id at the
daemon), send `generate` requests with a weighted mix of kinds, sizes, deadlines and miss
policies, open-loop at a target rate (Poisson arrivals) or closed-loop (each client keeps
`--window` requests in flight). All sockets are driven by one event loop (zmq poll), so the
client adds little jitter of its own and timestamps are taken right after each receive.

Every request is classified from the client's side of the wire:

  full      status ok, not degraded, received before its deadline
  degraded  status ok, flagged `delivered.degraded`, received before its deadline
  unmet     error `deadline_unmet` or `dropped` (explicit), received before its deadline
  late      any reply received after its deadline (client clock, send to receive)
  error     another error reply (`busy`, `internal`, ...) before the deadline
  lost      no reply within the drain time after the run

The acceptance share ("before the deadline, as full or flagged-degraded results or as
explicit deadline_unmet") is (full + degraded + unmet) / all requests with a deadline.

Subcommands:

  run            one load run (open-loop --rate R, or --closed-loop)
  cache-hit      repeat one request and report the round trip of result-cache hits
  find-capacity  a closed-loop probe (no deadlines) measures the saturation throughput; an
                 open-loop ramp with the deadline mix then finds the highest rate at which
                 >= --sustain (95%) of requests get a result (full or degraded) before their
                 deadline; then a run at --overload (1.5) x that rate: the issue's deadline
                 benchmark (--capacity R skips the search)

Examples:

  python tools/loadgen/loadgen.py run --endpoint tcp://127.0.0.1:5555 --clients 8 --rate 20 --duration 30
  python tools/loadgen/loadgen.py run --closed-loop --clients 8 --duration 20 --deadlines none
  python tools/loadgen/loadgen.py cache-hit --count 5000
  python tools/loadgen/loadgen.py find-capacity --clients 8 --duration 60 --json out.json
"""

import argparse
import heapq
import json
import math
import random
import sys
import time

import zmq

SIGNATURE = b"TESS\x01"
PROMPTS = [
    "mossy cobblestone", "rusty metal plates", "cracked desert ground", "oak planks",
    "lava rock", "ice sheet", "brick wall", "forest floor leaves", "sand dunes", "marble tiles",
    "stormy sky at dusk", "starry night sky", "snowy mountains", "foggy swamp", "red canyon",
    "ocean horizon",
]
DEFAULT_MIX = "tile:32x32:6,tile:48x48:2,backdrop:64x32:2"
DEFAULT_DEADLINES = "250,500,1000,2000"
CLASSES = ["full", "degraded", "unmet", "late", "error", "lost"]
ON_TIME_OK = ("full", "degraded", "unmet")

clock = time.perf_counter


# --------------------------------------------------------------------------- helpers

def parse_weighted(text, parse_item):
    """'a:3,b,c:0.5' -> [(item, weight)], an item's own colons allowed ('tile:32x32:3')."""
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        fields = part.split(":")
        weight = 1.0
        try:
            if len(fields) > 1:
                weight = float(fields[-1])
                fields = fields[:-1]
        except ValueError:
            pass
        out.append((parse_item(":".join(fields)), weight))
    if not out:
        raise argparse.ArgumentTypeError("empty list: %r" % text)
    return out


def parse_shape(text):
    """'tile:32x32' or 'backdrop:64x32'."""
    kind, _, size = text.partition(":")
    if kind not in ("tile", "backdrop"):
        raise argparse.ArgumentTypeError("shape %r: kind must be tile or backdrop" % text)
    w, _, h = size.lower().partition("x")
    return kind, int(w), int(h)


def parse_deadline(text):
    return None if text in ("none", "-") else int(text)


def parse_policy(text):
    if text not in ("degrade", "drop", "late"):
        raise argparse.ArgumentTypeError("on_miss %r: degrade, drop or late" % text)
    return text


def pick(rng, weighted):
    total = sum(w for _, w in weighted)
    r = rng.random() * total
    for item, w in weighted:
        r -= w
        if r < 0:
            return item
    return weighted[-1][0]


def percentile(values, p):
    """Nearest-rank percentile of an unsorted list (None when empty)."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(math.ceil(p / 100.0 * len(s))) - 1))
    return s[k]


def fmt_ms(v):
    return "   -    " if v is None else "%8.2f" % v


def parse_reply(frames):
    if len(frames) < 2 or frames[0] != SIGNATURE:
        return None, []
    try:
        header = json.loads(frames[1])
    except ValueError:
        return None, []
    return (header if isinstance(header, dict) else None), frames[2:]


# ------------------------------------------------------------------------- requests

class Request:
    __slots__ = ("id", "kind", "width", "height", "deadline_ms", "on_miss", "sent", "received",
                 "status", "code", "degraded", "late_flag", "cache", "steps", "server_ms", "measured",
                 "payload_ok", "timings", "reason")

    def __init__(self, rid, kind, width, height, deadline_ms, on_miss, measured):
        self.id, self.kind, self.width, self.height = rid, kind, width, height
        self.deadline_ms, self.on_miss, self.measured = deadline_ms, on_miss, measured
        self.sent = self.received = None
        self.status = self.code = self.cache = None
        self.degraded = self.late_flag = False
        self.steps = self.server_ms = None
        self.payload_ok = True
        self.timings = self.reason = None

    @property
    def latency_ms(self):
        return None if self.received is None else (self.received - self.sent) * 1000.0

    @property
    def shape(self):
        return "%s %dx%d" % (self.kind, self.width, self.height)

    def classify(self):
        if self.received is None:
            return "lost"
        if self.deadline_ms is not None and self.latency_ms > self.deadline_ms:
            return "late"
        if self.status == "ok":
            return "degraded" if self.degraded else "full"
        if self.code in ("deadline_unmet", "dropped"):
            return "unmet"
        return "error"

    def record(self, header, payload, now):
        self.received = now
        self.status = header.get("status")
        self.code = header.get("code")
        if self.status == "ok":
            d = header.get("delivered", {})
            self.degraded = bool(d.get("degraded"))
            self.late_flag = bool(d.get("late"))
            self.cache = d.get("cache")
            self.steps = d.get("steps")
            self.timings = header.get("timings", {})
            self.server_ms = self.timings.get("total_ms")
            self.reason = d.get("reason")
            mips = header.get("image", {}).get("mips", [])
            self.payload_ok = len(mips) == len(payload) and all(
                m.get("bytes") == len(f) for m, f in zip(mips, payload))


class Workload:
    """Draws requests from the configured mix."""

    def __init__(self, args, rng):
        self.rng = rng
        self.shapes = args.mix
        self.deadlines = args.deadlines
        self.policies = args.on_miss
        self.steps = args.steps
        self.format = args.format
        self.prompts = PROMPTS[:max(1, args.prompts)]
        self.repeat_share = args.repeat_share
        self.model = args.model
        self.seeds = []

    def next(self, rid, measured):
        kind, w, h = pick(self.rng, self.shapes)
        deadline = pick(self.rng, self.deadlines)
        policy = pick(self.rng, self.policies)
        req = Request(rid, kind, w, h, deadline, policy, measured)
        if self.seeds and self.rng.random() < self.repeat_share:
            prompt, seed, kind, w, h = self.rng.choice(self.seeds)
            req.kind, req.width, req.height = kind, w, h
        else:
            prompt = self.rng.choice(self.prompts)
            seed = self.rng.getrandbits(52)  # unique in practice: no result-cache hits
            if len(self.seeds) < 256:
                self.seeds.append((prompt, seed, kind, w, h))
        header = {"type": "generate", "id": rid, "kind": req.kind, "prompt": prompt, "seed": seed,
                  "width": req.width, "height": req.height, "steps": self.steps,
                  "format": {"type": self.format}}
        if self.model:
            header["model"] = self.model
        if deadline is not None:
            header["deadline_ms"] = deadline
            header["on_miss"] = policy
        return req, [SIGNATURE, json.dumps(header, separators=(",", ":")).encode()]


# ---------------------------------------------------------------------------- runner

def make_socket(context, endpoint):
    s = context.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.setsockopt(zmq.SNDHWM, 100000)
    s.setsockopt(zmq.RCVHWM, 100000)
    s.connect(endpoint)
    return s


def control_call(context, endpoint, header, timeout=5.0):
    s = make_socket(context, endpoint)
    try:
        s.send_multipart([SIGNATURE, json.dumps(header).encode()])
        if not s.poll(timeout * 1000):
            return None
        reply, _ = parse_reply(s.recv_multipart())
        return reply
    finally:
        s.close(linger=0)


def run_load(args, rate, duration, closed_loop=False, window=1, label="run", quiet=False):
    """One run; returns (requests, info)."""
    rng = random.Random(args.seed if args.seed is not None else None)
    context = zmq.Context.instance()
    sockets = [make_socket(context, args.endpoint) for _ in range(args.clients)]
    poller = zmq.Poller()
    for s in sockets:
        poller.register(s, zmq.POLLIN)
    by_socket = {s: i for i, s in enumerate(sockets)}
    pending = [dict() for _ in sockets]
    workload = Workload(args, rng)
    requests = []
    counters = [0] * len(sockets)
    send_failures = 0
    unknown = duplicates = broken = 0
    stats_before = control_call(context, args.endpoint, {"type": "stats", "id": "loadgen-stats"}) if args.server_stats else None
    time.sleep(0.2)  # let the DEALERs connect before the clock starts

    start = clock()
    measure_from = start + args.warmup
    stop_sending = measure_from + duration
    hard_stop = stop_sending + args.drain

    def send(i, now):
        nonlocal send_failures
        counters[i] += 1
        rid = "c%d-%d" % (i, counters[i])
        req, frames = workload.next(rid, measured=now >= measure_from)
        req.sent = clock()
        try:
            sockets[i].send_multipart(frames, flags=zmq.NOBLOCK)
        except zmq.Again:
            send_failures += 1
            req.received = None
            requests.append(req)
            return
        pending[i][rid] = req
        requests.append(req)

    heap = []
    if closed_loop:
        for i in range(len(sockets)):
            for _ in range(window):
                send(i, start)
    else:
        per_client = rate / len(sockets)
        for i in range(len(sockets)):
            heapq.heappush(heap, (start + rng.expovariate(per_client), i))

    while True:
        now = clock()
        if not closed_loop:
            while heap and heap[0][0] <= now and now < stop_sending:
                t, i = heapq.heappop(heap)
                send(i, t)
                heapq.heappush(heap, (t + rng.expovariate(rate / len(sockets)), i))
                now = clock()
        if now >= stop_sending and not any(pending):
            break
        if now >= hard_stop:
            break
        if not closed_loop and heap and now < stop_sending:
            timeout = max(0.0, min(heap[0][0], stop_sending) - now) * 1000.0
        else:
            timeout = max(0.0, min(0.05, (stop_sending if now < stop_sending else hard_stop) - now)) * 1000.0
        events = poller.poll(timeout)
        for s, _ in events:
            i = by_socket[s]
            while True:
                try:
                    frames = s.recv_multipart(flags=zmq.NOBLOCK)
                except zmq.Again:
                    break
                t = clock()
                header, payload = parse_reply(frames)
                if header is None:
                    broken += 1
                    continue
                rid = header.get("id")
                req = pending[i].pop(rid, None)
                if req is None:
                    if any(r.id == rid and r.received is not None for r in requests):
                        duplicates += 1
                    else:
                        unknown += 1
                    continue
                req.record(header, payload, t)
                if closed_loop and t < stop_sending:
                    send(i, t)
    end = clock()
    for s in sockets:
        s.close(linger=0)
    stats_after = control_call(context, args.endpoint, {"type": "stats", "id": "loadgen-stats"}) if args.server_stats else None
    info = {"label": label, "rate": None if closed_loop else rate, "closed_loop": closed_loop,
            "window": window if closed_loop else None, "clients": args.clients, "duration_s": duration,
            "warmup_s": args.warmup, "elapsed_s": end - start, "send_failures": send_failures,
            "unknown_replies": unknown, "duplicate_replies": duplicates, "broken_replies": broken,
            "stats_before": stats_before, "stats_after": stats_after}
    return requests, info


def summarize(requests, info, duration):
    measured = [r for r in requests if r.measured]
    classes = {c: 0 for c in CLASSES}
    for r in measured:
        classes[r.classify()] += 1
    replied = [r for r in measured if r.received is not None]
    with_deadline = [r for r in measured if r.deadline_ms is not None]
    on_time_ok = sum(1 for r in with_deadline if r.classify() in ON_TIME_OK)
    full = [r for r in replied if r.status == "ok" and not r.degraded]
    lat = [r.latency_ms for r in replied]
    lat_full = [r.latency_ms for r in full]
    server_ms = [r.server_ms for r in replied if r.server_ms is not None]
    late_by = [r.latency_ms - r.deadline_ms for r in replied if r.classify() == "late"]
    late_codes, late_policies = {}, {}
    for r in replied:
        if r.classify() == "late":
            key = "ok" if r.status == "ok" else r.code
            late_codes[key] = late_codes.get(key, 0) + 1
            late_policies[r.on_miss] = late_policies.get(r.on_miss, 0) + 1
    errors = {}
    for r in replied:
        if r.classify() == "error":
            errors[r.code] = errors.get(r.code, 0) + 1
    degraded_reasons = {}
    for r in replied:
        if r.degraded:
            degraded_reasons[r.reason] = degraded_reasons.get(r.reason, 0) + 1
    t0 = min((r.sent for r in requests), default=0.0)
    shapes = {}
    for r in measured:
        shapes.setdefault(r.shape, []).append(r)
    per_shape = {}
    for name, rs in sorted(shapes.items()):
        l = [r.latency_ms for r in rs if r.received is not None]
        per_shape[name] = {"requests": len(rs), "p50_ms": percentile(l, 50), "p99_ms": percentile(l, 99),
                           **{c: sum(1 for r in rs if r.classify() == c) for c in CLASSES}}
    out = dict(info)
    out.update({
        "requests": len(measured),
        "sent_per_s": len(measured) / duration if duration else None,
        "replies_per_s": len(replied) / duration if duration else None,
        "full_per_s": len(full) / duration if duration else None,
        "classes": classes,
        "with_deadline": len(with_deadline),
        "on_time_ok": on_time_ok,
        "on_time_share": on_time_ok / len(with_deadline) if with_deadline else None,
        "full_on_time_share": classes["full"] / len(measured) if measured else None,
        "latency_ms": {"p50": percentile(lat, 50), "p90": percentile(lat, 90), "p99": percentile(lat, 99),
                       "p99.9": percentile(lat, 99.9), "max": max(lat) if lat else None},
        "latency_full_ms": {"p50": percentile(lat_full, 50), "p99": percentile(lat_full, 99)},
        "server_total_ms": {"p50": percentile(server_ms, 50), "p99": percentile(server_ms, 99)},
        "late_by_ms": {"p50": percentile(late_by, 50), "max": max(late_by) if late_by else None},
        "late_by_status": late_codes,
        "late_by_policy": late_policies,
        "server_flagged_late": sum(1 for r in replied if r.late_flag),
        "errors": errors,
        "bad_payloads": sum(1 for r in replied if not r.payload_ok),
        "per_shape": per_shape,
        "degraded_reasons": degraded_reasons,
        "late_requests": [{"shape": r.shape, "deadline_ms": r.deadline_ms, "on_miss": r.on_miss,
                           "latency_ms": round(r.latency_ms, 2), "status": r.status, "code": r.code,
                           "steps": r.steps, "degraded": r.degraded, "sent_at_s": round(r.sent - t0, 3),
                           "timings": r.timings} for r in replied if r.classify() == "late"][:100],
    })
    return out


def print_summary(s, title=None):
    p = print
    if title:
        p("== %s" % title)
    mode = "closed loop, %d in flight per client" % s["window"] if s["closed_loop"] else "open loop, %.1f req/s offered" % s["rate"]
    p("%d clients, %s, %.0f s measured after %.0f s warm-up" % (s["clients"], mode, s["duration_s"], s["warmup_s"]))
    p("requests %d: sent %.2f/s, replies %.2f/s, full results %.2f/s"
      % (s["requests"], s["sent_per_s"], s["replies_per_s"], s["full_per_s"]))
    n = max(1, s["requests"])
    p("classes: " + ", ".join("%s %d (%.2f%%)" % (c, s["classes"][c], 100.0 * s["classes"][c] / n) for c in CLASSES))
    if s["on_time_share"] is not None:
        p("before deadline as full/degraded/deadline_unmet|dropped: %d of %d = %.3f%%"
          % (s["on_time_ok"], s["with_deadline"], 100.0 * s["on_time_share"]))
    L = s["latency_ms"]
    p("latency ms (all replies): p50 %s p90 %s p99 %s p99.9 %s max %s"
      % tuple(fmt_ms(L[k]).strip() for k in ("p50", "p90", "p99", "p99.9", "max")))
    p("latency ms (full results): p50 %s p99 %s; server total_ms p50 %s p99 %s"
      % (fmt_ms(s["latency_full_ms"]["p50"]).strip(), fmt_ms(s["latency_full_ms"]["p99"]).strip(),
         fmt_ms(s["server_total_ms"]["p50"]).strip(), fmt_ms(s["server_total_ms"]["p99"]).strip()))
    if s["classes"]["late"]:
        p("late: by status %s, by on_miss %s; late by p50 %s ms, max %s ms; server flagged late: %d"
          % (json.dumps(s["late_by_status"]), json.dumps(s["late_by_policy"]), fmt_ms(s["late_by_ms"]["p50"]).strip(),
             fmt_ms(s["late_by_ms"]["max"]).strip(), s["server_flagged_late"]))
    if s["errors"]:
        p("other errors: %s" % json.dumps(s["errors"]))
    problems = [k for k in ("send_failures", "unknown_replies", "duplicate_replies", "broken_replies", "bad_payloads") if s.get(k)]
    if problems:
        p("PROTOCOL PROBLEMS: " + ", ".join("%s %d" % (k, s[k]) for k in problems))
    p("%-18s %6s %9s %9s %6s %6s %6s %6s %6s %6s" % ("shape", "n", "p50 ms", "p99 ms", *CLASSES))
    for name, v in s["per_shape"].items():
        p("%-18s %6d %s %s %6d %6d %6d %6d %6d %6d" % (name, v["requests"], fmt_ms(v["p50_ms"]) + " ",
                                                     fmt_ms(v["p99_ms"]) + " ", *[v[c] for c in CLASSES]))
    if s.get("stats_after"):
        d = s["stats_after"].get("deadlines")
        if d:
            p("server deadlines counters (since start): %s" % json.dumps(d, sort_keys=True))
    sys.stdout.flush()


# --------------------------------------------------------------------------- commands

def cmd_run(args):
    requests, info = run_load(args, args.rate, args.duration, closed_loop=args.closed_loop, window=args.window)
    s = summarize(requests, info, args.duration)
    print_summary(s, "run")
    write_json(args, {"command": sys.argv, "run": s})
    return 0 if s["classes"]["lost"] == 0 and not s["duplicate_replies"] else 1


def cmd_cache_hit(args):
    context = zmq.Context.instance()
    sock = make_socket(context, args.endpoint)
    kind, w, h = args.shape
    header = {"type": "generate", "id": "warm", "kind": kind, "prompt": "cache hit probe", "seed": 12345,
              "width": w, "height": h, "steps": args.steps, "format": {"type": args.format}}
    if args.model:
        header["model"] = args.model
    if args.deadline_ms is not None:
        header["deadline_ms"] = args.deadline_ms
    poller = zmq.Poller()
    poller.register(sock, zmq.POLLIN)

    def call(rid):
        header["id"] = rid
        frames = [SIGNATURE, json.dumps(header, separators=(",", ":")).encode()]
        t0 = clock()
        sock.send_multipart(frames)
        if not poller.poll(args.timeout * 1000):
            raise TimeoutError("no reply to %s within %g s" % (rid, args.timeout))
        reply, payload = parse_reply(sock.recv_multipart())
        return (clock() - t0) * 1000.0, reply, payload

    ms, reply, payload = call("warm-0")  # computes and fills the result cache
    if reply is None or reply.get("status") != "ok":
        print("warm-up request failed: %r" % reply, file=sys.stderr)
        return 1
    for i in range(args.warmup_count):
        call("warm-%d" % (i + 1))
    rtts, misses, payload_bytes = [], 0, sum(len(f) for f in payload)
    for i in range(args.count):
        ms, reply, _ = call("hit-%d" % i)
        if reply.get("status") != "ok" or reply.get("delivered", {}).get("cache") != "hit":
            misses += 1
        rtts.append(ms)
    sock.close(linger=0)
    s = {"shape": "%s %dx%d" % (kind, w, h), "format": args.format, "payload_bytes": payload_bytes,
         "count": len(rtts), "not_hits": misses,
         "rtt_ms": {"p50": percentile(rtts, 50), "p90": percentile(rtts, 90), "p99": percentile(rtts, 99),
                    "p99.9": percentile(rtts, 99.9), "max": max(rtts), "mean": sum(rtts) / len(rtts)}}
    r = s["rtt_ms"]
    print("== cache-hit round trip: %s %s, %d payload bytes, %d requests, %d not served as hits"
          % (s["shape"], s["format"], payload_bytes, s["count"], misses))
    print("rtt ms: p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f mean %.3f"
          % (r["p50"], r["p90"], r["p99"], r["p99.9"], r["max"], r["mean"]))
    print("p99 <= 1 ms: %s" % ("yes" if r["p99"] <= 1.0 else "NO"))
    write_json(args, {"command": sys.argv, "cache_hit": s})
    return 0 if misses == 0 else 1


def sustained(s, args):
    """A rate is sustained when at least --sustain of its requests got a result (full or
    degraded) before their deadline, and none was lost: the daemon kept up without shedding."""
    n = s["requests"]
    served = s["classes"]["full"] + s["classes"]["degraded"]
    return n > 0 and served / n >= args.sustain and s["classes"]["lost"] == 0


def ramp_step(args, rate, title):
    requests, info = run_load(args, rate, args.step_duration, label="ramp %.2f/s" % rate)
    s = summarize(requests, info, args.step_duration)
    ok = sustained(s, args)
    n = max(1, s["requests"])
    print_summary(s, "%s %.2f req/s: %s (%.1f%% served on time)"
                  % (title, rate, "sustained" if ok else "NOT sustained",
                     100.0 * (s["classes"]["full"] + s["classes"]["degraded"]) / n))
    return s, ok


def cmd_find_capacity(args):
    results = {"command": sys.argv}
    capacity = args.capacity
    if capacity is None:
        # 1. Saturation probe: closed loop, no deadlines: full results per second at most.
        probe_args = argparse.Namespace(**vars(args))
        probe_args.deadlines = [(None, 1.0)]
        requests, info = run_load(probe_args, None, args.probe_duration, closed_loop=True, window=args.window,
                                  label="probe")
        probe = summarize(requests, info, args.probe_duration)
        print_summary(probe, "saturation probe (closed loop, no deadlines)")
        results["probe"] = probe
        saturation = probe["full_per_s"]
        results["saturation_full_per_s"] = saturation
        if not saturation:
            print("no full results in the probe; is the daemon running?", file=sys.stderr)
            return 1
        # 2. Open-loop ramp with the deadline mix, from --ramp-start x saturation upwards.
        ramp = []
        rate = saturation * args.ramp_start
        while rate <= saturation * args.ramp_max:
            s, ok = ramp_step(args, rate, "ramp step (%.0f%% of saturation)" % (100 * rate / saturation))
            ramp.append(s)
            if not ok:
                break
            capacity = rate
            rate *= args.ramp_factor
        if capacity is None:  # even the first step failed: step down until one holds
            rate = saturation * args.ramp_start
            for _ in range(4):
                rate /= args.ramp_factor ** 2
                s, ok = ramp_step(args, rate, "ramp down")
                ramp.append(s)
                if ok:
                    capacity = rate
                    break
        results["ramp"] = ramp
        if capacity is None:
            print("could not find a sustained rate", file=sys.stderr)
            write_json(args, results)
            return 1
        print("\nsaturation %.2f full results/s (closed loop); highest sustained open-loop rate %.2f req/s"
              % (saturation, capacity))
    results["capacity_req_per_s"] = capacity
    # 3. The benchmark run at --overload x capacity.
    target = capacity * args.overload
    print("running at %.2f x %.2f = %.2f req/s for %.0f s" % (args.overload, capacity, target, args.duration))
    requests, info = run_load(args, target, args.duration, label="overload")
    s = summarize(requests, info, args.duration)
    print_summary(s, "benchmark at %.2f x capacity = %.2f req/s" % (args.overload, target))
    results["overload"] = s
    share = s["on_time_share"] or 0.0
    print("acceptance (>= 99.9%% before deadline as full, degraded or explicit deadline_unmet): %.3f%% -> %s"
          % (100 * share, "PASS" if share >= 0.999 else "MISS by %.3f points" % (100 * (0.999 - share))))
    write_json(args, results)
    return 0


def write_json(args, data):
    if getattr(args, "json", None):
        with open(args.json, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True, default=str)
        print("wrote %s" % args.json)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p):
        p.add_argument("--endpoint", default="tcp://127.0.0.1:5555", help="control endpoint (ROUTER)")
        p.add_argument("--model", help="model name (default: the daemon's default)")
        p.add_argument("--steps", type=int, default=4, help="steps per request (default 4)")
        p.add_argument("--format", choices=["rgba8", "png"], default="rgba8")
        p.add_argument("--json", help="also write the results as JSON here")

    def load(p):
        common(p)
        p.add_argument("--clients", type=int, default=8, help="DEALER sockets (default 8)")
        p.add_argument("--mix", type=lambda t: parse_weighted(t, parse_shape),
                       default=parse_weighted(DEFAULT_MIX, parse_shape),
                       help="weighted kind:WxH list (default %s)" % DEFAULT_MIX)
        p.add_argument("--deadlines", type=lambda t: parse_weighted(t, parse_deadline),
                       default=parse_weighted(DEFAULT_DEADLINES, parse_deadline),
                       help="weighted deadline_ms list, 'none' for no deadline (default %s)" % DEFAULT_DEADLINES)
        p.add_argument("--on-miss", dest="on_miss", type=lambda t: parse_weighted(t, parse_policy),
                       default=parse_weighted("degrade:3,drop:1", parse_policy),
                       help="weighted on_miss list (default degrade:3,drop:1)")
        p.add_argument("--prompts", type=int, default=len(PROMPTS), help="distinct prompts (default %d)" % len(PROMPTS))
        p.add_argument("--repeat-share", dest="repeat_share", type=float, default=0.0,
                       help="share of requests repeating an earlier one (result-cache hits); default 0")
        p.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (default 3)")
        p.add_argument("--drain", type=float, default=15.0, help="seconds to wait for replies after sending stops")
        p.add_argument("--window", type=int, default=1, help="closed loop: requests in flight per client")
        p.add_argument("--seed", type=int, help="random seed of the workload")
        p.add_argument("--no-server-stats", dest="server_stats", action="store_false",
                       help="do not query the daemon's stats before and after")

    p = sub.add_parser("run", help="one load run")
    load(p)
    p.add_argument("--rate", type=float, default=10.0, help="open loop: requests per second, all clients together")
    p.add_argument("--closed-loop", dest="closed_loop", action="store_true")
    p.add_argument("--duration", type=float, default=30.0, help="measured seconds (default 30)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("cache-hit", help="round trip of result-cache hits")
    common(p)
    p.add_argument("--shape", type=parse_shape, default=parse_shape("tile:32x32"), help="kind:WxH (default tile:32x32)")
    p.add_argument("--count", type=int, default=5000)
    p.add_argument("--warmup-count", dest="warmup_count", type=int, default=200)
    p.add_argument("--deadline-ms", dest="deadline_ms", type=int, default=None)
    p.add_argument("--timeout", type=float, default=30.0)
    p.set_defaults(func=cmd_cache_hit)

    p = sub.add_parser("find-capacity", help="find the sustainable rate, then run at 1.5x it")
    load(p)
    p.add_argument("--probe-duration", dest="probe_duration", type=float, default=15.0, help="seconds of the closed-loop probe")
    p.add_argument("--step-duration", dest="step_duration", type=float, default=20.0, help="seconds per ramp step")
    p.add_argument("--ramp-start", dest="ramp_start", type=float, default=0.4, help="first rate, x saturation")
    p.add_argument("--ramp-factor", dest="ramp_factor", type=float, default=1.15)
    p.add_argument("--ramp-max", dest="ramp_max", type=float, default=1.3, help="last rate tried, x saturation")
    p.add_argument("--sustain", type=float, default=0.95,
                   help="a rate is sustained when this share of its requests gets a result, full or degraded, "
                        "before its deadline, and none is lost (default 0.95)")
    p.add_argument("--capacity", type=float, help="skip the search: use this rate (req/s) as the capacity")
    p.add_argument("--overload", type=float, default=1.5, help="benchmark rate, x capacity (default 1.5)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds of the benchmark run")
    p.set_defaults(func=cmd_find_capacity)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
