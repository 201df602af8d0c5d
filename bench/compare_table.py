#!/usr/bin/env python3
# Turns Google Benchmark JSON from bench/compare into one markdown table: figure, baseline, ratio.
# SPDX-License-Identifier: MIT
"""Usage: compare_table.py RESULTS.json...

Reads the median and cv aggregates of each benchmark `<group>/<implementation>/<size>` and
prints one row per (implementation, baseline) pair of a group at the same size, where
baselines are the implementations named baseline_*. The figure is the first rate counter of
FIGURES that both report; the ratio is converge's time over the baseline's for the same work.
"""
import json
import sys

FIGURES = ("entries", "inserts", "ops")


def load(paths):
    """{run_name: {aggregate_name: counters and times}}, and where each run was registered:
    random interleaving shuffles the order in which they are reported."""
    runs, order = {}, {}
    for file_index, path in enumerate(paths):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not text.strip():  # the filter matched nothing in that binary
            continue
        for b in json.loads(text)["benchmarks"]:
            # With one repetition there are no aggregates: the run itself stands for the median.
            name = b["run_name"]
            if b["run_type"] == "aggregate":
                runs.setdefault(name, {})[b["aggregate_name"]] = b
            else:
                runs.setdefault(name, {}).setdefault("median", b)
            order[name] = (file_index, b["family_index"], b["per_family_instance_index"])
    return runs, order


def scaled(value, units):
    for factor, suffix in units:
        if value >= factor:
            return f"{value / factor:.3g} {suffix}"
    return f"{value:.3g}"


def figure(median, unit):
    if unit == "ops":  # whole operations read better as a time per operation
        return scaled(1e9 / median[unit], [(1e6, "ms"), (1e3, "µs"), (1, "ns")])
    text = scaled(median[unit], [(1e9, "G"), (1e6, "M"), (1e3, "k"), (1, "")]) + f" {unit}/s"
    if "bytes_per_entry" in median:
        text += f", {median['bytes_per_entry']:.2f} B/entry, {median['bytes_per_second'] / 2**20:.0f} MiB/s"
    return text


def ratio(r):
    if r >= 10:
        return f"{r:.0f}×"
    if r >= 0.5:
        return f"{r:.2f}×"
    return f"{r:.2g}× (1/{1 / r:.0f})"


def main(paths):
    runs, order = load(paths)
    groups = {}  # (group, size) -> [implementation], in the order they were registered
    for name in sorted(runs, key=order.get):
        group, impl, size = name.split("/", 2)
        groups.setdefault((group, size), []).append(impl)

    def registered(key):  # a group where its first implementation was registered, then its size
        group, size = key
        file_index, family, instance = order[f"{group}/{groups[key][0]}/{size}"]
        return (file_index, family, instance)

    print("| benchmark | converge | baseline | baseline figure | time ratio | noise |")
    print("| --- | ---: | --- | ---: | ---: | ---: |")
    for (group, size), impls in sorted(groups.items(), key=lambda kv: registered(kv[0])):
        baselines = [i for i in impls if i.startswith("baseline_")]
        for subject in (i for i in impls if not i.startswith("baseline_")):
            s = runs[f"{group}/{subject}/{size}"]
            for base in baselines or [None]:
                if base is None:
                    unit = next(u for u in FIGURES if u in s["median"])
                    print(f"| {group}/{subject}/{size} | {figure(s['median'], unit)} | — | — | — | — |")
                    continue
                b = runs[f"{group}/{base}/{size}"]
                unit = next(u for u in FIGURES if u in s["median"] and u in b["median"])
                r = b["median"][unit] / s["median"][unit]
                cvs = [x["cv"][unit] for x in (s, b) if "cv" in x]
                noise = f"{max(cvs):.0%}" if cvs else "—"
                print(f"| {group}/{subject}/{size} | {figure(s['median'], unit)} | {base} "
                      f"| {figure(b['median'], unit)} | {ratio(r)} | {noise} |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
