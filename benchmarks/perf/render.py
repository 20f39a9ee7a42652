"""``docs/performance.md`` and ``docs/performance.png`` from the latest saved result of every part.

Whatever follows the ``NOTES`` marker in the existing file (hand-written analysis) is kept when it is rendered
again; a part with no saved result shows as not measured."""

from __future__ import annotations

import math
from pathlib import Path

NOTES = "<!-- Hand-written notes below this line are kept when benchmarks/performance.py renders the file again. -->"
STORES = ("embedded", "server")


def _met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def _ms(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x:.1f}"


def _row(measure: str, figure: str, target: str = "", ok: bool | None = None) -> str:
    return f"| {measure} | {figure} | {target} | {_met(ok)} |"


def _missing(part: str) -> str:
    return _row(f"*{part}*", f"not measured yet (`benchmarks/performance.py --part {part}`)")


def ingest_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("ingest")]
    workers = f", `workers={r['workers']}`" if r.get("workers") else ""
    return [
        _row(f"ingest throughput (`NewsBot.ingest_many`, {r['articles']} distinct articles, {r['backend']}{workers})",
             f"{r['ingest_texts_per_s']:.1f} texts/s ({r['chunks']:,} passages + {r['sentences']:,} sentences), "
             f"{r['articles_per_s']:.2f} articles/s"),
        _row(f"raw torch `SentenceTransformer.encode`, the same {r['texts']:,} texts (batch 64)", f"{r['raw_texts_per_s']:.1f} texts/s"),
        _row("ingest / raw encode", f"{r['ratio']:.2f}×", "≥ 2.0×", r["ratio"] >= 2.0),
    ]


def scale_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("scale")]
    out = []
    rows = r["rows"]
    for store in STORES:
        mine = sorted((x for x in rows if x["store"] == store), key=lambda x: x["articles"])
        if not mine:
            continue
        worst = max(mine, key=lambda x: x["scoped_over_embedding"])
        big, one = mine[-1], next((x for x in mine if x["articles"] == 1), None)
        out.append(_row(f"warm scoped question p50 / one query embedding p50, {store} (worst of the sizes)",
                        f"{worst['scoped_over_embedding']:.2f}× (at {worst['articles']:,}: {_ms(worst['scoped']['p50_ms'])} / "
                        f"{_ms(worst['query_embedding']['p50_ms'])} ms)", "≤ 1.1×", worst["scoped_over_embedding"] <= 1.1))
        out.append(_row(f"warm scoped question at {big['articles']:,} articles, {store}: p50 / p95",
                        f"{_ms(big['scoped']['p50_ms'])} / {_ms(big['scoped']['p95_ms'])} ms"))
        out.append(_row(f"warm unscoped question at {big['articles']:,} articles, {store}: p50 / p95",
                        f"{_ms(big['unscoped']['p50_ms'])} / {_ms(big['unscoped']['p95_ms'])} ms"))
        if one is not None and big is not one:
            ratio = big["unscoped"]["p50_ms"] / one["unscoped"]["p50_ms"]
            out.append(_row(f"unscoped p50 at {big['articles']:,} / at 1 article, {store}",
                            f"{ratio:.2f}× ({_ms(big['unscoped']['p50_ms'])} / {_ms(one['unscoped']['p50_ms'])} ms)",
                            "≤ 3×" if big["articles"] >= 100_000 else "≤ 3× (at 100,000)",
                            ratio <= 3 if big["articles"] >= 100_000 else None))
    return out


def memory_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("memory")]
    at = f"{r['articles']:,} articles"
    out = []
    for store, label in (("server", "Chroma server"), ("embedded", "embedded store")):
        m = r.get(store)
        if m is None:
            continue
        target, ok = ("≤ 1 GiB (peak)", m["hwm_mib"] <= 1024) if store == "server" and r["articles"] >= 100_000 else ("", None)
        if store == "server" and r["articles"] < 100_000:
            target = "≤ 1 GiB at 100,000"
        out.append(_row(f"`bot serve` resident memory, {label}, {at}, after {r['questions']} questions: now / peak",
                        f"{m['rss_mib']:.0f} / {m['hwm_mib']:.0f} MiB"
                        + (f" ({sum(m['errors'].values())} requests failed: {m['errors']})" if m["errors"] else ""), target, ok))
    return out


def cold_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("cold")]
    return [
        _row(f"cold `bot ask` to its first answer (new process, {r['articles']} articles, median of {len(r['ask_runs_s'])})",
             f"{r['ask_s']:.2f} s", "≤ 2.0 s", r["ask_s"] <= 2.0),
        _row('`python -c "import torch"`, beside it', f"{r['import_torch_s']:.2f} s"),
    ]


def concurrent_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("concurrent")]
    head = f"`/api/ask`, {r['clients']} concurrent clients, {r['seconds']:.0f} s"
    return [
        _row(f"{head}: p50 / p95", f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} ms", "p95 ≤ 0.5 s", r["p95_ms"] <= 500),
        _row("… requests, errors, throughput", f"{r['requests']:,} requests, {r['errors']} errors, {r['rps']:.1f} req/s",
             "0 errors", r["errors"] == 0),
        _row("… CPU used by the clients / by `bot serve` (cores of the machine's "
             f"{r['machine']['cores']}); event-loop lag p95", f"{r['client_cpu_cores']:.2f} "
             f"({r.get('client_cpu_ms_per_request', float('nan')):.1f} ms a request) / {r['server_cpu_cores']:.2f}; "
             f"{r['loop_lag_p95_ms']:.1f} ms"),
    ] + ([] if "uncached" not in r else [_uncached_row(head, r["uncached"])])


def _uncached_row(head: str, u: dict) -> str:
    return _row(f"{head}, `BOT_ANSWER_CACHE=0` (every question answered afresh): p50 / p95; requests, errors, throughput; "
                "server CPU", f"{u['p50_ms']:.0f} / {u['p95_ms']:.0f} ms; {u['requests']:,} requests, {u['errors']} errors, "
                f"{u['rps']:.1f} req/s; {u['server_cpu_cores']:.2f} cores")


def quality_rows(r: dict | None) -> list[str]:
    if r is None:
        return [_missing("quality")]
    base, other = r["backends"]
    return [_row(f"quality, {s['name']}: largest \\|{other} − {base}\\| of the rates",
                 f"{s['max_diff']:.3f} ({max(s['diff'], key=s['diff'].get).replace('_', ' ')})", "≤ 0.005",
                 s["max_diff"] <= 0.005) for s in r["sets"]]


def _after(x: dict) -> str:
    """A worker's first questions after another process ingested, scoped then unscoped (not in older results)."""
    if "scoped_after_ingest_ms" not in x:
        return "not measured"
    return " / ".join(", ".join(f"{t:.0f}" for t in x[f"{kind}_after_ingest_ms"]) or "—" for kind in ("scoped", "unscoped"))


def size_table(r: dict) -> list[str]:
    out = ["| store | articles | built in | scoped p50 / p95 (ms) | unscoped p50 / p95 (ms) | query embedding p50 (ms) | "
           "scoped / embedding | worker warm-up (s) | first questions after an ingest (ms) |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for x in sorted(r["rows"], key=lambda x: (STORES.index(x["store"]), x["articles"])):
        built = f"{x['build_s']:.0f} s" + (f" ({x['build_articles_per_s']:.1f}/s)" if x.get("build_articles_per_s") else "")
        out.append(f"| {x['store']} | {x['articles']:,} | {built} | {_ms(x['scoped']['p50_ms'])} / {_ms(x['scoped']['p95_ms'])} | "
                   f"{_ms(x['unscoped']['p50_ms'])} / {_ms(x['unscoped']['p95_ms'])} | {_ms(x['query_embedding']['p50_ms'])} | "
                   f"{x['scoped_over_embedding']:.2f}× | {x['scoped_warm_up_s']:.1f} / {x['unscoped_warm_up_s']:.1f} | "
                   f"{_after(x)} |")
    return out


def quality_tables(r: dict) -> list[str]:
    base, other = r["backends"]
    out = []
    for s in r["sets"]:
        a, b = s["figures"][base], s["figures"][other]
        out += [f"**{s['name']}** ({a['answerable']} answerable, {a['unanswerable']} unanswerable; `bot eval` took "
                f"{s['seconds'][base]:.0f} s with {base}, {s['seconds'][other]:.0f} s with {other})", "",
                f"| figure | {base} | {other} | difference |", "|---|---:|---:|---:|"]
        for key, fmt in (("answered_correctly", "{:.3f}"), ("cited_gold", "{:.3f}"), ("citation_validity", "{:.3f}"),
                         ("refused_unanswerable", "{:.3f}"), ("wrongly_refused", "{:.3f}"), ("mean_answer_chars", "{:.0f}"),
                         ("p50_ms", "{:.1f}"), ("p95_ms", "{:.1f}")):
            diff = s["diff"].get(key)
            out.append(f"| {key.replace('_', ' ')} | {fmt.format(a[key])} | {fmt.format(b[key])} | "
                       f"{'' if diff is None else f'{diff:.3f}'} |")
        out.append("")
    return out


def how_built(results: dict[str, dict]) -> str:
    scale, ingest = results.get("scale"), results.get("ingest")
    distinct = f"{scale['distinct_texts']:,}" if scale else "10,000"
    questions = scale["questions"] if scale else 100
    repeats = {1: "one run each", 2: "best of two", 3: "best of three"}.get(ingest["repeats"] if ingest else 2, "best of several")
    return (
        "The archive is real prose: the news corpora (`benchmarks/news`, `benchmarks/newsroom`, "
        "233 articles with their questions), the bundled article (with `dev.jsonl`) and SQuAD 2.0 paragraphs (the 16 dev "
        "and 10 training articles, 1,340 paragraphs) two to an article, a different pair each time. Article *i* is text "
        f"*i* mod {distinct} of {distinct} distinct texts under its own id (same text, same title), so an archive "
        f"larger than {distinct} repeats texts; building reuses the vectors of repeated text (a memo around the "
        "embedder, passages, sentences and word pieces alike) and grows one archive step by step (1, then up to "
        "1,000, …), so it takes minutes, not hours. Ingest speed is measured apart, on distinct articles, each side "
        f"in its own process, {repeats}. At each size a fresh worker bot (`NewsBot` over the same settings, "
        f"`warm_up()` and 5 questions of no archive article first) asks up to {questions} distinct questions about "
        "articles spread evenly over the whole archive, so unscoped questions land on articles the worker has not "
        "seen; scoped and unscoped questions are asked by separate workers about different articles (with one "
        "article, the same 25 questions), and the query embedding is timed in the scoped worker on 50 texts it has "
        "not embedded. Then another bot (another process, as far as caches go) ingests one article and each worker, "
        "a second later, asks 3 more questions (the last column): the store's generation has changed, so whatever a "
        "worker keeps per generation is looked up again; the article is removed after. Memory is that of a `bot "
        "serve` process with the default settings after a few hundred "
        "`/api/ask` questions over the largest archive, read from `/proc/PID/status` (VmRSS now, VmHWM the peak). "
        "The concurrent clients ask about the bundled article (dev.jsonl) and 8 news articles, each question scoped "
        "and unscoped in turn, on a `bot serve` of those 9 articles (embedded store, default settings, rate limit "
        "off); they are asyncio tasks in the benchmark process, each on a keep-alive connection of its own (plain "
        "HTTP/1.1 on asyncio streams: httpx's client took most of a core at this rate); the CPU "
        "they use and how late the event loop wakes up are printed, to show the server, not the client, sets the "
        "pace. A cold `bot ask` is a new process after one untimed run (the disk cache warm, as on a server that "
        "has run the bot before)."
    )


def render(results: dict[str, dict], out_dir: Path, command: str) -> Path:
    md = out_dir / "performance.md"
    notes = ""
    if md.is_file() and NOTES in md.read_text(encoding="utf-8"):
        notes = md.read_text(encoding="utf-8").split(NOTES, 1)[1].strip()
    dates = sorted({r["machine"]["date"][:10] for r in results.values()})
    some = next(iter(results.values()), None)
    where = (f"{some['machine']['cores']} cores ({some['machine']['cpu']}), {some['machine']['memory_gb']} GB, no GPU"
             if some else "")
    lines = ["# Performance", "",
             f"Measured by `{command}` on {', '.join(dates) or '—'}, on this project's machine kind ({where}).", "",
             "| measure | figure | target | met? |", "|---|---|---|---|"]
    for rows in (ingest_rows(results.get("ingest")), scale_rows(results.get("scale")), memory_rows(results.get("memory")),
                 cold_rows(results.get("cold")), concurrent_rows(results.get("concurrent")), quality_rows(results.get("quality"))):
        lines += rows
    lines += ["", "## Latency at each archive size", ""]
    if "scale" in results:
        lines += size_table(results["scale"]) + ["", "![warm question latency against archive size](performance.png)", ""]
        plot(results["scale"], out_dir / "performance.png")
    else:
        lines += ["Not measured yet.", ""]
    if "quality" in results:
        base, other = results["quality"]["backends"]
        lines += ["## Quality under both embedding backends", "",
                  f"`bot eval --json` with `BOT_EMBEDDING_BACKEND={base}` (fp32) and `{other}` (the default is "
                  f"`{results['quality']['default']}`).", ""]
        lines += quality_tables(results["quality"])
    lines += ["## How it was built", "", how_built(results), "", NOTES, ""]
    if notes:
        lines += [notes, ""]
    md.write_text("\n".join(lines), encoding="utf-8")
    return md


def plot(scale: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), dpi=110, sharey=True)
    for ax, store in zip(axes, STORES):
        mine = sorted((x for x in scale["rows"] if x["store"] == store), key=lambda x: x["articles"])
        sizes = [x["articles"] for x in mine]
        for kind, color in (("scoped", "tab:blue"), ("unscoped", "tab:orange")):
            ax.plot(sizes, [x[kind]["p50_ms"] for x in mine], marker="o", color=color, label=f"{kind} p50")
            ax.plot(sizes, [x[kind]["p95_ms"] for x in mine], marker="s", ls="--", color=color, label=f"{kind} p95")
        ax.plot(sizes, [x["query_embedding"]["p50_ms"] for x in mine], ls=":", color="grey", label="one query embedding p50")
        ax.set_xscale("log")
        ax.set_xticks(sizes)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda x, _: ""))
        ax.set_title("embedded store" if store == "embedded" else "Chroma server")
        ax.set_xlabel("articles in the archive")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("warm question latency (ms)")
    axes[0].set_ylim(bottom=0)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
