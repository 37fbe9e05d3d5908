#!/usr/bin/env python3
"""Load generator and renderer for deploy/monitoring/dashboard.png (driven by render-dashboard.sh).

    render_dashboard.py load --bootstrap-servers HOST:PORT --minutes 6
        sends a mix of requests (a steady stream, then a burst; some unknown labels, undecodable records,
        duplicates, followed requests and cancels) to generation-requests and generation-control with kafka-python,
        and waits for their events.
    render_dashboard.py render --prometheus http://127.0.0.1:19090 --start UNIX --end UNIX --out dashboard.png
        runs every query of grafana/dashboards/diffusion-worker.json against Prometheus (query_range) and draws the
        panels where the dashboard puts them, with matplotlib.

The picture is a render of the dashboard's own PromQL over a real run, not a screenshot of Grafana (Grafana does not
run on the machine this was made on); panels fed by kafka-exporter say "no data" when it did not run.
"""
import argparse
import datetime as dt
import json
import math
import os
import random
import re
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
DASHBOARD = os.path.join(HERE, "grafana", "dashboards", "diffusion-worker.json")
LABELS = ["t-shirt/top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
# A skewed mix, as in docs/batching.md.
WEIGHTS = [50, 20, 10, 5, 5, 3, 3, 2, 1, 1]


# --- load ------------------------------------------------------------------------------------------------------------

def load(args):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    rng = random.Random(args.seed)
    run = "dash-%d" % int(time.time())
    consumer = KafkaConsumer(bootstrap_servers=args.bootstrap_servers, enable_auto_commit=False,
                             key_deserializer=lambda k: k.decode("utf-8") if k else None)
    partitions = [TopicPartition("generation-events", p) for p in sorted(consumer.partitions_for_topic("generation-events"))]
    consumer.assign(partitions)
    consumer.seek_to_end(*partitions)
    for tp in partitions:
        consumer.position(tp)
    producer = KafkaProducer(bootstrap_servers=args.bootstrap_servers, acks="all", key_serializer=str.encode)

    sent = set()
    answered = {}

    def send(request_id, payload):
        producer.send("generation-requests", key=request_id, value=payload)
        sent.add(request_id)

    def request(i, count, steps):
        request_id = "%s-%04d" % (run, i)
        body = {"requestId": request_id, "count": count, "steps": steps, "seed": i}
        if i % 4 == 1:
            body["events"] = ["started", "progress"]  # followed: STARTED and PROGRESS events
        if rng.random() < 0.08:
            body["label"] = "unicorn"  # FAILED UNKNOWN_LABEL
        else:
            body["label"] = rng.choices(LABELS, WEIGHTS)[0]
        return request_id, json.dumps(body).encode("utf-8")

    def drain(timeout_s):
        for records in consumer.poll(timeout_ms=int(timeout_s * 1000)).values():
            for r in records:
                if r.key in sent:
                    answered[r.key] = json.loads(r.value)["status"]

    # A steady stream (a request every --interval seconds) for the whole run, and a burst 35% into it: the lag
    # jumps, batches fill up, then it drains while the stream goes on. Every answer is read as it comes.
    start = time.monotonic()
    deadline = start + args.minutes * 60
    burst_at = start + args.minutes * 60 * 0.35
    burst_sent = False
    i = 0
    while time.monotonic() < deadline:
        request_id, payload = request(i, rng.choice([2, 4, 4, 8]), 20)
        send(request_id, payload)
        if i % 15 == 7:
            send(request_id, payload)  # a duplicate: answered from the store (deduplicated)
        if i % 25 == 12:
            send("%s-bad-%d" % (run, i), b"\x00not json")  # a dead letter
        if i % 10 == 3:
            # Taken back at once: canceled while queued or running (or after it finished: no effect).
            producer.send("generation-control", key=request_id, value=json.dumps(
                {"schemaVersion": 1, "action": "cancel", "requestId": request_id}).encode("utf-8"))
        if i % 50 == 20:
            producer.send("generation-control", key=None, value=b"not a cancel")  # counted, skipped
        i += 1
        if not burst_sent and time.monotonic() >= burst_at:
            print("load: burst of %d requests at %s" % (args.burst, dt.datetime.now().strftime("%H:%M:%S")),
                  file=sys.stderr)
            for _ in range(args.burst):
                request_id, payload = request(i, 8, 25)
                send(request_id, payload)
                i += 1
            burst_sent = True
        producer.flush()
        next_send = start + i * args.interval if not burst_sent else time.monotonic() + args.interval
        while time.monotonic() < min(next_send, deadline):
            drain(max(0.05, min(next_send, deadline) - time.monotonic()))
    producer.close()
    consumer.close()
    outcomes = {}
    for status in answered.values():
        outcomes[status] = outcomes.get(status, 0) + 1
    print("load: sent %d distinct ids, %d answered by the end of the run: %s" % (len(sent), len(answered), outcomes),
          file=sys.stderr)
    return 0


# --- render ----------------------------------------------------------------------------------------------------------

def query_range(prometheus, expr, start, end, step):
    url = "%s/api/v1/query_range?%s" % (prometheus, urllib.parse.urlencode(
        {"query": expr, "start": start, "end": end, "step": step}))
    with urllib.request.urlopen(url, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (expr, body))
    return body["data"]["result"]


def legend(template, metric):
    if not template:
        return ""
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), template).strip()


def format_value(value, unit, decimals=None):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "No data"
    if unit == "percentunit":
        return "%.*f%%" % (1 if decimals is None else decimals, value * 100)
    if unit == "s":
        return "%.2f s" % value if value < 10 else "%.0f s" % value
    if decimals is not None:
        return "%.*f" % (decimals, value)
    return "%.3g" % value


def render(args):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    dashboard = json.load(open(DASHBOARD))
    rate_interval = "%ds" % args.rate_interval
    panels = dashboard["panels"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    unit_h = 0.34  # inches per grid row
    width = 24.0
    height = rows * unit_h + 0.9 + 0.1
    bg, panel_bg, fg, grid_c = "#111217", "#181b1f", "#ccccdc", "#2c3235"
    palette = ["#73bf69", "#f2cc0c", "#5794f2", "#ff9830", "#f2495c", "#b877d9", "#8ab8ff", "#fade2a", "#ff7383"]
    fig = plt.figure(figsize=(width, height), facecolor=bg)
    fig.text(0.006, 1 - 0.25 / height, "%s  \u2014  a render of the Grafana dashboard's queries over a real run, not a"
             " Grafana screenshot" % dashboard["title"], color=fg, fontsize=15, va="top", fontweight="bold")
    fig.text(0.006, 1 - 0.58 / height, "Prometheus %s scraping the embedded demo worker (java -jar quarkus-run.jar"
             " demo) under render_dashboard.py load; %s to %s UTC; $__rate_interval = %s" % (
                 args.prometheus_version, dt.datetime.utcfromtimestamp(args.start).strftime("%Y-%m-%d %H:%M"),
                 dt.datetime.utcfromtimestamp(args.end).strftime("%H:%M"), rate_interval),
             color="#8e8e8e", fontsize=10, va="top")

    top = 0.9  # inches reserved for the title
    from matplotlib.patches import FancyBboxPatch

    def rect(left_in, bottom_in, width_in, height_in):
        return [left_in / width, bottom_in / height, width_in / width, height_in / height]

    for p in panels:
        g = p["gridPos"]
        cell_left = g["x"] * width / 24.0
        cell_w = g["w"] * width / 24.0
        cell_top = height - top - g["y"] * unit_h
        cell_h = g["h"] * unit_h
        if p["type"] == "row":
            fig.text((cell_left + 0.08) / width, (cell_top - cell_h / 2) / height, p["title"], color=fg, fontsize=12,
                     fontweight="bold", va="center")
            continue
        gap = 0.05
        fig.patches.append(FancyBboxPatch((cell_left + gap, cell_top - cell_h + gap), cell_w - 2 * gap,
                                          cell_h - 2 * gap, boxstyle="round,pad=0,rounding_size=0.04",
                                          transform=fig.dpi_scale_trans, facecolor=panel_bg, edgecolor=grid_c,
                                          linewidth=0.8, zorder=-10))
        fig.text((cell_left + 0.15) / width, (cell_top - 0.2) / height, p["title"], color=fg, fontsize=10.5,
                 va="center")
        if p["type"] == "stat":
            ax = fig.add_axes(rect(cell_left + 0.12, cell_top - cell_h + 0.1, cell_w - 0.24, cell_h - 0.45))
        else:
            ax = fig.add_axes(rect(cell_left + 0.62, cell_top - cell_h + 0.32, cell_w - 0.8, cell_h - 0.7))
        ax.set_facecolor(panel_bg)
        for spine in ax.spines.values():
            spine.set_visible(False)
        defaults = p.get("fieldConfig", {}).get("defaults", {})
        unit = defaults.get("unit", "short")
        decimals = defaults.get("decimals")
        series = []
        for target in p.get("targets", []):
            # The cluster and namespace variables at "All" (Grafana's allValue), as in a setup without those labels.
            expr = (target["expr"].replace("$__rate_interval", rate_interval)
                    .replace("$cluster", ".*").replace("$namespace", ".*"))
            for result in query_range(args.prometheus, expr, args.start, args.end, args.step):
                points = [(float(t), float(v)) for t, v in result["values"] if v not in ("NaN", "+Inf", "-Inf")]
                if points:
                    series.append((legend(target.get("legendFormat"), result["metric"]) or p["title"], points))
        if p["type"] == "stat":
            ax.set_xticks([])
            ax.set_yticks([])
            if not series:
                ax.text(0.5, 0.5, "No data", color="#8e8e8e", fontsize=20, ha="center", va="center",
                        transform=ax.transAxes)
                continue
            points = series[0][1]
            value = points[-1][1]
            color = "#73bf69"
            for step in defaults.get("thresholds", {}).get("steps", []):
                if step["value"] is None or value >= step["value"]:
                    color = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830"}.get(step["color"], step["color"])
            ts = [dt.datetime.utcfromtimestamp(t) for t, _ in points]
            ax.fill_between(ts, [v for _, v in points], color=color, alpha=0.18, linewidth=0)
            ax.plot(ts, [v for _, v in points], color=color, alpha=0.6, linewidth=1)
            ax.set_xlim(dt.datetime.utcfromtimestamp(args.start), dt.datetime.utcfromtimestamp(args.end))
            ax.text(0.5, 0.5, format_value(value, unit, decimals), color=color, fontsize=26, fontweight="bold",
                    ha="center", va="center", transform=ax.transAxes)
            continue
        ax.tick_params(colors="#8e8e8e", labelsize=8, length=0)
        ax.grid(color=grid_c, linewidth=0.6)
        ax.set_xlim(dt.datetime.utcfromtimestamp(args.start), dt.datetime.utcfromtimestamp(args.end))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
        if not series:
            note = "No data"
            if any("kafka_consumergroup" in t["expr"] for t in p.get("targets", [])):
                note = "No data: kafka-exporter did not run here (no Docker)"
            ax.text(0.5, 0.5, note, color="#8e8e8e", fontsize=12, ha="center", va="center", transform=ax.transAxes)
            continue
        stacked = p.get("fieldConfig", {}).get("defaults", {}).get("custom", {}).get("stacking", {}).get("mode") == "normal"
        if stacked:
            times = sorted({t for _, pts in series for t, _ in pts})
            base = [0.0] * len(times)
            for k, (name, pts) in enumerate(series):
                lookup = dict(pts)
                values = [lookup.get(t, 0.0) for t in times]
                upper = [b + v for b, v in zip(base, values)]
                xs = [dt.datetime.utcfromtimestamp(t) for t in times]
                ax.fill_between(xs, base, upper, color=palette[k % len(palette)], alpha=0.35, linewidth=0)
                ax.plot(xs, upper, color=palette[k % len(palette)], linewidth=1.4, label=name)
                base = upper
        else:
            for k, (name, pts) in enumerate(series):
                xs = [dt.datetime.utcfromtimestamp(t) for t, _ in pts]
                ax.plot(xs, [v for _, v in pts], color=palette[k % len(palette)], linewidth=1.6, label=name)
        if defaults.get("min") == 0:
            ax.set_ylim(bottom=0)
        if decimals == 0:
            ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
            ax.set_ylim(top=max(v for _, pts in series for _, v in pts) + 1)
        if unit == "s":
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%g s" % v))
        elif unit == "reqps":
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "%g req/s" % v))
        ax.legend(loc="upper left", fontsize=7.5, frameon=False, labelcolor=fg, ncol=3 if len(series) > 4 else 1)
    fig.savefig(args.out, dpi=args.dpi, facecolor=bg)
    print("render: wrote %s (%d panels)" % (args.out, sum(1 for p in panels if p["type"] != "row")), file=sys.stderr)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    l = sub.add_parser("load")
    l.add_argument("--bootstrap-servers", required=True)
    l.add_argument("--minutes", type=float, default=6)
    l.add_argument("--interval", type=float, default=4.0, help="seconds between stream requests")
    l.add_argument("--burst", type=int, default=30)
    l.add_argument("--seed", type=int, default=7)
    r = sub.add_parser("render")
    r.add_argument("--prometheus", default="http://127.0.0.1:19090")
    r.add_argument("--prometheus-version", default="")
    r.add_argument("--start", type=float, required=True)
    r.add_argument("--end", type=float, required=True)
    r.add_argument("--step", type=int, default=5)
    r.add_argument("--rate-interval", type=int, default=30)
    r.add_argument("--out", default=os.path.join(HERE, "dashboard.png"))
    r.add_argument("--dpi", type=int, default=80)
    args = parser.parse_args()
    return load(args) if args.command == "load" else render(args)


if __name__ == "__main__":
    sys.exit(main())
