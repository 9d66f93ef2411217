"""Benchmark charts. matplotlib comes from Debian (python3-matplotlib, tools/deps), so the
drawing runs under Debian's /usr/bin/python3 (the `python3` on PATH may be another one):
render() starts `/usr/bin/python3 -m harness.chart KIND JSON PNG`, which draws the chart of
that kind from a benchmark's JSON results."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

from . import ROOT, module_command

CHART_PYTHON = "/usr/bin/python3"  # Debian's, with python3-matplotlib


def render(kind: str, json_path: Path, png: Path) -> tuple[bool, str]:
    """Draw chart `kind` of the results in `json_path` into `png`: (done, why not)."""
    if not Path(CHART_PYTHON).is_file():
        return False, f"no {CHART_PYTHON}"
    r = subprocess.run(module_command("harness.chart", kind, str(json_path), str(png), python=CHART_PYTHON),
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False, f"python3-matplotlib missing? tools/deps installs it: {r.stderr.strip()[-500:]}"
    return True, ""


def publish(kind: str, doc: dict, json_path: Path, png: Path, print_report: Callable[[dict], None],
            say: Callable[[str], None], readme_asset: bool = False) -> bool:
    """A benchmark's results out: `doc` written to `json_path`, its report printed, chart `kind`
    drawn into `png` (or why not said), both paths printed; with `readme_asset` the chart is
    also copied to docs/bench/<kind>.png, which the README shows. Whether the chart was drawn."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(doc, indent=2) + "\n")
    print_report(doc)
    png.parent.mkdir(parents=True, exist_ok=True)
    drawn, why_not = render(kind, json_path, png)
    if drawn:
        print(f"\nchart: {png}")
    else:
        say(f"chart skipped: {why_not}")
    print(f"results: {json_path}")
    if drawn and readme_asset:
        dest = ROOT / "docs" / "bench" / f"{kind}.png"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, dest)
        print(f"chart copied to {dest.relative_to(ROOT)}")
    return drawn


def http(doc: dict, png: Path) -> None:
    """tools/bench http: requests/s of both guests per load generator, with their ratio, and
    QEMU start -> first HTTP 200 of each."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = doc["slots"]
    sa, sb = doc["summary"][a], doc["summary"][b]
    ta, tb = doc["titles"][a], doc["titles"][b]
    ctx = doc["context"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6), gridspec_kw={"width_ratios": [3, 1.3]})
    groups = [("ab", "ab -k -c100"), ("wrk", "wrk -c100"), ("wrk_pipelined", "wrk -c100\npipelined x16")]
    width = 0.38
    colors = ("#2a7ab0", "#b0b0b0")
    ticks = []
    for i, (key, label) in enumerate(groups):
        va, vb = sa[key]["median"] or 0, sb[key]["median"] or 0
        for j, (v, c) in enumerate(((va, colors[0]), (vb, colors[1]))):
            x = i + (j - 0.5) * width
            left.bar(x, v, width, color=c, label=(ta, tb)[j] if i == 0 else None)
            left.text(x, v, f"{v:,.0f}" if v else "failed", ha="center", va="bottom", fontsize=8)
        ticks.append(label + (f"\n{va / vb:.2f}x" if va and vb else ""))
    left.set_xticks(range(len(groups)), ticks)
    left.set_ylabel("requests / s (median)")
    left.set_ylim(0, max([(s[k]["median"] or 0) for s in (sa, sb) for k, _ in groups] + [1]) * 1.12)
    left.legend(loc="upper left", fontsize=9)
    left.set_title(f"GET /, 14-byte text/plain; under each pair: {ta} / {tb}", fontsize=10)
    fa, fb = sa["first_response_s"]["median"] or 0, sb["first_response_s"]["median"] or 0
    for j, (v, c) in enumerate(((fa, colors[0]), (fb, colors[1]))):
        right.bar(j, v, 0.6, color=c)
        right.text(j, v, f"{v:.2f} s" if v else "failed", ha="center", va="bottom", fontsize=8)
    right.set_xticks([0, 1], [ta, tb], fontsize=8)
    right.set_ylabel("seconds (median)")
    right.set_ylim(0, max(fa, fb, 0.1) * 1.25)
    title = "QEMU start -> first HTTP 200"
    if fa and fb:
        title += f"\n{fb / fa:.1f}x sooner" if fa < fb else f"\n{fa / fb:.1f}x later"
    right.set_title(title, fontsize=10)
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"{ta} vs {tb} on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def connections(doc: dict, png: Path) -> None:
    """tools/bench connections: bytes per idle connection against the number held, and wrk
    requests/s against its connections, one line per guest (medians; failed points left out)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ctx, cfg = doc["context"], doc["config"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    colors = ("#2a7ab0", "#909090")
    for n, (slot, color) in enumerate(zip(doc["slots"], colors)):
        summary, title = doc["summary"][slot], doc["titles"][slot]
        for axis, key, xs, scale in ((left, "memory", cfg["counts"], 1 / 1024),
                                     (right, "wrk", cfg["wrk_connections"], 1)):
            points = [(x, summary[key][str(x)]["median"]) for x in xs
                      if summary[key][str(x)]["median"] is not None]
            if not points:
                continue
            axis.plot([x for x, _ in points], [y * scale for _, y in points], "o-", color=color, label=title)
            for x, y in points:
                axis.annotate(f"{y * scale:,.1f}" if key == "memory" else f"{y:,.0f}", (x, y * scale),
                              textcoords="offset points", xytext=(0, 6 if n == 0 else -13), ha="center",
                              fontsize=8)  # the first guest's figures above its points, the other's below
    for axis, xs, xlabel, ylabel, title in (
            (left, cfg["counts"], "idle connections open", "KiB per connection (median)",
             "memory per idle connection, by each guest's own accounting"),
            (right, cfg["wrk_connections"], "wrk connections", "requests / s (median)",
             f"wrk -t{cfg['wrk_threads']} -d{cfg['wrk_seconds']:g}s, GET /")):
        axis.set_xscale("log")
        axis.set_xticks(xs, [f"{x:,}" for x in xs])
        axis.minorticks_off()
        axis.set_xlabel(xlabel)
        axis.set_ylabel(ylabel)
        axis.set_ylim(0, axis.get_ylim()[1] * 1.12)
        axis.set_title(title, fontsize=10)
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=len(doc["slots"]), fontsize=9)
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"Many connections on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}", fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))  # room for the legend below
    fig.savefig(png, dpi=120)


def redis(doc: dict, png: Path) -> None:
    """tools/bench redis: requests/s of both guests per redis-benchmark test (log scale: the
    tests differ by 100x), unpipelined and pipelined, with A / B under each pair and "n/a"
    where a server lacks the command; and bytes per key after DEBUG POPULATE."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = doc["slots"]
    ta, tb = doc["titles"][a], doc["titles"][b]
    sa, sb = doc["summary"][a], doc["summary"][b]
    ctx, cfg = doc["context"], doc["config"]
    modes = cfg["modes"]
    fig, axes = plt.subplots(1, len(modes) + 1, figsize=(5.4 * len(modes) + 2.4, 5),
                             gridspec_kw={"width_ratios": [3] * len(modes) + [1]})
    colors = ("#2a7ab0", "#b0b0b0")
    width = 0.4

    def na(entry: dict) -> bool:
        return bool(entry["runs"]) and entry["unsupported"] == entry["runs"]

    values = [e["median"] for s in (sa, sb) for e in s["tests"].values() if e["median"]]
    low, high = (min(values) / 4, max(values) * 4) if values else (1, 10)
    for axis, pipeline in zip(axes, modes):
        keys = [t if pipeline <= 1 else f"{t} -P {pipeline}" for t in cfg["tests"]]
        ticks = []
        for i, key in enumerate(keys):
            ea, eb = sa["tests"][key], sb["tests"][key]
            va, vb = ea["median"], eb["median"]
            for j, (entry, v) in enumerate(((ea, va), (eb, vb))):
                x = i + (j - 0.5) * width
                if v:
                    axis.bar(x, v, width, color=colors[j], label=(ta, tb)[j] if i == 0 else None)
                text = (f"{v / 1000:,.1f}k" if v < 10000 else f"{v / 1000:,.0f}k") if v else (
                    "n/a" if na(entry) else "failed")
                axis.text(x, v or low * 1.3, text, ha="center", va="bottom", fontsize=6.5, rotation=90)
            ticks.append(cfg["tests"][i].upper().replace("_", "\n") + (f"\n{va / vb:.1f}x" if va and vb else "\n–"))
        axis.set_yscale("log")
        axis.set_ylim(low, high)
        axis.set_xticks(range(len(keys)), ticks, fontsize=7)
        axis.set_ylabel("requests / s (median, log scale)")
        axis.set_title(f"-P {pipeline}" if pipeline > 1 else "not pipelined", fontsize=9)
        axis.legend(loc="upper right", fontsize=8)
    right = axes[-1]
    for j, entry in enumerate((sa["bytes_per_key"], sb["bytes_per_key"])):
        v = entry["median"] or 0
        right.bar(j, v, 0.6, color=colors[j])
        right.text(j, v, f"{v:.0f}" if v else ("n/a" if na(entry) else "failed"), ha="center", va="bottom",
                   fontsize=8)
    right.set_xticks([0, 1], [t.replace(" + ", " +\n") for t in (ta, tb)], fontsize=8)
    right.set_ylim(0, max(sa["bytes_per_key"]["median"] or 0, sb["bytes_per_key"]["median"] or 0, 1) * 1.25)
    right.set_ylabel("bytes per key (median)")
    right.set_title(f"memory per key\n(DEBUG POPULATE {cfg['populate']:,})", fontsize=9)
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"{ta} vs {tb} on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}\nredis-benchmark -c {cfg['clients']} -d {cfg['data_size']} "
                 f"-r {cfg['keyspace']}; under each pair: {ta} / {tb}", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def websocket(doc: dict, png: Path) -> None:
    """tools/bench websocket: per row of the matrix, each server's figure as a multiple of the
    best Linux-guest server's (echoes/s, rounds/s, connections alive), with the raw numbers on
    the bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary, cfg, ctx = doc["summary"], doc["config"], doc["context"]
    servers = [n for n in ("coronet", "ws", "beast") if n in summary]
    rows = [m[0] for m in cfg["matrix"]]
    colors = {"coronet": "#2a7ab0", "ws": "#b0b0b0", "beast": "#707070"}
    width = 0.8 / max(1, len(servers))
    fig, axis = plt.subplots(figsize=(2.0 * len(rows) + 2, 5))
    for i, key in enumerate(rows):
        linux = [summary[n]["rows"].get(key, {}).get("median") for n in servers if n != "coronet"]
        best = max((v for v in linux if v), default=None)
        for j, n in enumerate(servers):
            v = summary[n]["rows"].get(key, {}).get("median")
            x = i + (j - (len(servers) - 1) / 2) * width
            height = v / best if v and best else 0
            axis.bar(x, height, width, color=colors[n], label=summary[n]["title"] if i == 0 else None)
            axis.text(x, height, f"{v:,.0f}" if v else "failed", ha="center", va="bottom", fontsize=7,
                      rotation=90)
    axis.axhline(1.0, color="#444444", linewidth=0.8, linestyle=":")
    axis.set_xticks(range(len(rows)), [r.replace(" ", "\n") for r in rows], fontsize=8)
    axis.set_ylabel("× the best Linux-guest server (median)")
    axis.legend(loc="upper right", fontsize=8)
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"WebSocket on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}\nws_load; echoes/s, rounds/s, connections alive", fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def proxy(doc: dict, png: Path) -> None:
    """tools/bench proxy: requests/s through each guest's reverse proxy per row, with the ratio
    over the bars, and p99 latency beside it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary, cfg, ctx = doc["summary"], doc["config"], doc["context"]
    labels = [l for l in ("coronet", "linux") if l in summary]
    rows = [r[0] for r in cfg["rows"]]
    colors = {"coronet": "#2a7ab0", "linux": "#b0b0b0"}
    fig, (rps_axis, p99_axis) = plt.subplots(1, 2, figsize=(10, 4.5))
    width = 0.38
    for axis, field, unit in ((rps_axis, "median", "requests/s (median)"), (p99_axis, "p99_ms", "p99 latency, ms")):
        for j, label in enumerate(labels):
            values = [summary[label]["rows"].get(key, {}).get(field) or 0 for key in rows]
            xs = [i + (j - 0.5) * width for i in range(len(rows))]
            axis.bar(xs, values, width, color=colors[label], label=summary[label]["title"])
            for x, v in zip(xs, values):
                axis.text(x, v, f"{v:,.0f}" if field == "median" else f"{v:.1f}", ha="center", va="bottom",
                          fontsize=8)
        axis.set_xticks(range(len(rows)), rows)
        axis.set_ylabel(unit)
    for i, key in enumerate(rows):
        c = summary.get("coronet", {}).get("rows", {}).get(key, {}).get("median")
        l = summary.get("linux", {}).get("rows", {}).get(key, {}).get("median")
        if c and l:
            rps_axis.text(i, max(c, l) * 1.08, f"{c / l:.1f}×", ha="center", fontsize=10, weight="bold")
    rps_axis.set_ylim(top=rps_axis.get_ylim()[1] * 1.15)
    rps_axis.legend(loc="upper right", fontsize=8)
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"Reverse proxy on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}\nwrk -c {cfg['connections']} through each guest to the same upstream nginx",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


def net(doc: dict, png: Path) -> None:
    """tools/bench net: per figure, the first guest's median as a multiple of the second's
    (Coronet / Linux) on a log scale, a bar up from 1 where the first is ahead and down where it
    is behind; for a time (lower is better) the multiple is inverted, so up is better
    throughout. Both medians are written under each bar."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = doc["slots"]
    sa, sb = doc["summary"][a], doc["summary"][b]
    ta, tb = doc["titles"][a], doc["titles"][b]
    ctx, cfg = doc["context"], doc["config"]
    rows = doc["metrics"]

    def show(v: float, unit: str) -> str:
        return "failed" if v is None else f"{v:.2f} {unit}" if unit == "s" else (
            f"{v:,.0f} {unit}" if v >= 100 else f"{v:,.1f} {unit}")

    fig, axis = plt.subplots(figsize=(1.3 * len(rows) + 2.5, 5.4))
    ratios, labels = [], []
    for i, (key, name, title, unit, higher) in enumerate(rows):
        va, vb = sa[f"{key}.{name}"]["median"], sb[f"{key}.{name}"]["median"]
        r = (va / vb if higher else vb / va) if va and vb else None
        if r:
            ratios.append(r)
            axis.bar(i, r - 1, 0.6, bottom=1, color="#2a7ab0" if r >= 1 else "#c0504d")
            axis.text(i, r, f"{r:.2f}x", ha="center", va="bottom" if r >= 1 else "top", fontsize=8)
        labels.append(title.replace(", ", "\n").replace(": ", ":\n") + f"\n{ta}: {show(va, unit)}"
                      f"\n{tb}: {show(vb, unit)}")
    axis.axhline(1.0, color="#444444", linewidth=0.8)
    axis.set_yscale("log", base=2)
    top = max(ratios + [2.0]) * 1.6
    axis.set_ylim(min(ratios + [0.5]) / 1.6, top)
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:g}x"))
    axis.set_xticks(range(len(rows)), labels, fontsize=6.5)
    axis.set_ylabel(f"{ta} / {tb} (median; times inverted: up is better)")
    qemu = ctx["qemu"].split("(")[0].replace("emulator version ", "").strip()
    fig.suptitle(f"Network: {ta} vs {tb} on {ctx['board']}: 1 vCPU, -m {ctx['memory']}, tap; {qemu}, TCG; "
                 f"host {ctx['cpu']}\niperf3 -t {cfg['iperf_seconds']}; echo {cfg['stream_mib']} MiB; impaired: "
                 f"{doc.get('impairment_text', '')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=120)


CHARTS = {"http": http, "connections": connections, "redis": redis, "websocket": websocket, "proxy": proxy,
          "net": net}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m harness.chart", description=__doc__)
    p.add_argument("kind", choices=sorted(CHARTS))
    p.add_argument("json", type=Path, help="the benchmark's results")
    p.add_argument("png", type=Path, help="where to write the chart")
    args = p.parse_args(argv)
    CHARTS[args.kind](json.loads(args.json.read_text()), args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
