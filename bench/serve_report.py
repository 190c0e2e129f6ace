"""Writes the "## Serving" section of docs/benchmarks.md from bench/serve.sh's raw results in
bench/out/serve/ (NAME.wrk.txt, NAME.usage.json, NAME.warmup.jsonl for NAME in SERVERS), and
prints the table. Called by bench/serve.sh; BENCH_DATE, BENCH_MACHINE and BENCH_RUSTC come from
the environment."""

import argparse
import json
import os
import platform
import statistics
import subprocess
from importlib.metadata import version
from pathlib import Path

# Row name, label in the table.
SERVERS = [
    ("euterpe", "euterpe serve"),
    ("flask", "Flask + PyTorch (gunicorn)"),
    ("flask-no-onednn", "Flask + PyTorch (gunicorn), oneDNN off"),
]
TITLE = "Serving"


def replace_section(text, title, body):
    """Replaces the `## title` section (up to the next `## `) or appends it."""
    head = f"## {title}\n"
    start = text.find(head)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + head + "\n" + body + "\n"
    end = text.find("\n## ", start + len(head))
    end = len(text) if end < 0 else end + 1
    return text[:start] + head + "\n" + body + "\n" + ("\n" if end < len(text) else "") + text[end:]


def load(out, name):
    """wrk's summary (the SERVE_WRK_JSON line), memory and CPU, and the warm-up answers."""
    wrk = None
    for line in (out / f"{name}.wrk.txt").read_text().splitlines():
        if line.startswith("SERVE_WRK_JSON "):
            wrk = json.loads(line.split(" ", 1)[1])
    if wrk is None:
        raise SystemExit(f"no SERVE_WRK_JSON line in {out / f'{name}.wrk.txt'}")
    usage = json.loads((out / f"{name}.usage.json").read_text())
    warmup = [json.loads(l) for l in (out / f"{name}.warmup.jsonl").read_text().splitlines() if l]
    return {"wrk": wrk, "usage": usage, "warmup": warmup}


def status_counts(wrk):
    """(2xx, 5xx, other) response counts."""
    counts = {int(k): v for k, v in wrk["status"].items()}
    ok = sum(v for k, v in counts.items() if 200 <= k < 300)
    server = sum(v for k, v in counts.items() if 500 <= k < 600)
    return ok, server, sum(counts.values()) - ok - server


def mib(kib):
    return f"{kib / 1024:,.0f}"


def ms(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def tool_versions():
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            return (r.stdout or r.stderr).splitlines()[0].strip()
        except (OSError, IndexError):
            return "?"

    py = ", ".join(
        f"{name} {version(name)}" for name in ["torch", "flask", "gunicorn", "mido", "matplotlib"]
    )
    return (
        f"{py} (Python {platform.python_version()}); {first_line(['fluidsynth', '--version'])}; "
        f"{' '.join(first_line(['wrk', '--version']).split()[:2])}; euterpe at this commit, "
        f"release profile, {os.environ.get('BENCH_RUSTC', 'rustc ?')}"
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", type=Path, default=Path("bench/out/serve"))
    p.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"))
    p.add_argument("--duration", type=int, required=True)
    p.add_argument("--connections", type=int, required=True)
    p.add_argument("--workers", type=int, required=True)
    p.add_argument("--bars", type=int, required=True)
    p.add_argument("--tokens-per-bar", type=float, required=True)
    p.add_argument("--samples", type=int, required=True)
    a = p.parse_args()

    res = {name: load(a.out, name) for name, _ in SERVERS}
    ours = res["euterpe"]["wrk"]
    ours_rps = ours["requests"] / ours["duration_s"]
    lines = [
        "| server | workers | req/s | p50 ms | p99 ms | 5xx | other non-2xx | timeouts "
        "| RSS MiB before → after | CPU s per request | euterpe ÷ server, req/s | euterpe ÷ server, p50 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label in SERVERS:
        r = res[name]
        wrk, usage = r["wrk"], r["usage"]
        rps = wrk["requests"] / wrk["duration_s"]
        ok, server_errors, other = status_counts(wrk)
        cpu = (usage["after"]["cpu_s"] - usage["before"]["cpu_s"]) / max(wrk["requests"], 1)
        ratio = (
            ("1.00 (reference)", "1.00 (reference)")
            if name == "euterpe"
            else (f"{ours_rps / rps:.1f}×", f"{ours['p50_ms'] / wrk['p50_ms']:.2f}")
        )
        lines.append(
            f"| {label} | {a.workers} | {rps:,.2f} | {ms(wrk['p50_ms'])} | {ms(wrk['p99_ms'])} "
            f"| {server_errors} | {other + wrk['errors']['connect'] + wrk['errors']['read'] + wrk['errors']['write']} "
            f"| {wrk['errors']['timeout']} "
            f"| {mib(usage['before']['rss_kib'])} → {mib(usage['after']['rss_kib'])} "
            f"| {cpu:.3f} | {ratio[0]} | {ratio[1]} |"
        )
    table = "\n".join(lines)

    # Unloaded figures from the warm-up requests (sequential, one at a time).
    detail = [
        "| server | sequential requests | tokens (mean) | notes (mean) | audio s (mean) "
        "| generation s (median) | request s (median) | PSS MiB after | processes "
        "| load average at the end |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, label in SERVERS:
        r = res[name]
        answers = [w["answer"] for w in r["warmup"]]
        detail.append(
            f"| {label} | {len(answers)} | {statistics.mean(x['new_tokens'] for x in answers):.1f} "
            f"| {statistics.mean(x['notes'] for x in answers):.1f} "
            # serve_ref.py's pieces are BARS bars of 4/4 at 120 bpm (FluidSynth adds its release).
            f"| {statistics.mean(x.get('duration_seconds', a.bars * 2.0) for x in answers):.1f} "
            f"| {statistics.median(x['generation_seconds'] for x in answers):.3f} "
            f"| {statistics.median(w['seconds'] for w in r['warmup']):.3f} "
            f"| {mib(r['usage']['after']['pss_kib'])} | {r['usage']['after']['processes']} "
            f"| {r['usage']['loadavg']} |"
        )

    tokens = a.tokens_per_bar * a.bars
    notes = []
    for name, label in SERVERS[1:]:
        wrk = res[name]["wrk"]
        ok, server_errors, other = status_counts(wrk)
        e = wrk["errors"]
        notes.append(
            f"{label}: {ok:,} answers with 2xx, {server_errors} with 5xx, {other} others, "
            f"{e['timeout']} timeouts (no answer within 120 s), "
            f"{e['connect'] + e['read'] + e['write']} socket errors"
        )
    flask_note = "; ".join(notes) + "."

    def unloaded(name):
        """Median generation and request seconds of the warm-up requests."""
        w = res[name]["warmup"]
        return (statistics.median(x["answer"]["generation_seconds"] for x in w),
                statistics.median(x["seconds"] for x in w))

    ours_audio = statistics.mean(w["answer"]["duration_seconds"] for w in res["euterpe"]["warmup"])
    shares = []
    for name, label in SERVERS:
        gen, req = unloaded(name)
        shares.append(f"{label} spends {gen * 1000:,.0f} ms of a {req * 1000:,.0f} ms request "
                      f"sampling tokens ({(1 - gen / req) * 100:.0f} % elsewhere)")
    where = (
        "Unloaded, " + "; ".join(shares) + ". Elsewhere is writing the MIDI, rendering the WAV, "
        "drawing the PNG and HTTP. Flask's pieces are "
        f"{a.bars * 2.0 / ours_audio:.2f} times as long as euterpe's on average, so it renders "
        "that much more audio per request. Under load the latency is mostly waiting: "
        f"{a.connections} connections share {a.workers} workers, so p50 is close to "
        f"{a.connections} ÷ req/s for every server, and the p50 ratio follows the req/s ratio."
    )
    body = (
        f"`POST /generate_music` with `{{\"bars\": {a.bars}, \"seed\": N}}` (a fresh seed per request) "
        f"from `wrk` with {a.connections} connections for {a.duration} s (2 threads, `--timeout 120s`, "
        f"`--latency`, `bench/serve_wrk.lua`), against each server in turn on loopback, "
        f"{a.workers} workers each, on the same machine as wrk. Each server is warmed up first "
        "with sequential requests (the second table); memory is read after the warm-up (before) "
        "and when wrk ends (after): VmRSS summed over the server's processes (gunicorn's master "
        "and workers); CPU s per request is the servers' user + system time during the load "
        "(waited-for children such as fluidsynth included) over the requests answered. Latency "
        "percentiles are wrk's, over answered requests; 5xx must be 0 for euterpe, whose queue "
        f"({a.connections}) holds every connection beyond the busy workers.\n\n"
        "* Command: `bash bench/serve.sh` (installs `wrk` and `fluidsynth` with apt-get, and "
        "Flask, gunicorn, mido, matplotlib into `bench/.venv-torch`, when missing)\n"
        f"* Date: {os.environ.get('BENCH_DATE', '?')}\n"
        f"* Machine: {os.environ.get('BENCH_MACHINE', '?')}; wrk and the server share the cores, "
        "and the machine is shared with other work\n"
        f"* Versions: {tool_versions()}\n\n"
        + table + "\n\n"
        + "Unloaded (the warm-up requests, one at a time), and memory after the load:\n\n"
        + "\n".join(detail) + "\n\n"
        f"{flask_note} {where} The ratios are euterpe's figure divided by the server's: above 1 for req/s "
        "and below 1 for p50 mean euterpe is better.\n\n"
        "What each server does per request:\n\n"
        "* **euterpe serve** (`euterpe serve --workers "
        f"{a.workers} --queue {a.connections} --timeout 120 --soundfont TimGM6mb.sf2 --store TMPDIR`): the "
        f"built-in, trained folk model (REMI LSTM, vocabulary 642, embedding 64, 2 × 256) samples "
        f"until {a.bars} bars are complete, with the REMI grammar masks, "
        f"{tokens:.1f} tokens on average over seeds 1–{a.samples}; the piece is decoded to a score "
        "and written as MIDI, rendered to a 44.1 kHz stereo WAV in-process with the SoundFont "
        "(normalised to −1 dBFS, 1.5 s tail) and drawn as a PNG piano roll. One process: async "
        "I/O threads take every connection, a bounded pool of generation threads runs the "
        "requests, and a request past the queue would get 503. Logs every request (to a file "
        "here).\n"
        "* **Flask + PyTorch** (`bench/serve_ref.py` under `gunicorn --workers "
        f"{a.workers}`, sync workers, `--access-logfile` to a file): the same LSTM shape with "
        f"**random weights** (the benchmark measures serving cost, not music), sampling exactly "
        f"{round(tokens)} tokens per request (euterpe's mean for {a.bars} bars) one at a time with "
        "the carried state under `torch.no_grad()`, batch 1, one PyTorch thread per worker; no "
        "grammar masks, and a stand-in decoder (one note per 4 tokens) instead of REMI decoding. "
        f"It writes the MIDI with mido ({a.bars} bars of 4/4 at 120 bpm: {a.bars * 2} s of music, "
        "longer on average than euterpe's pieces, see the audio column), renders the WAV by running the `fluidsynth` command line "
        "with the same SoundFont (a new process that loads the SoundFont on every request, as "
        "midi2audio does; 44.1 kHz stereo, FluidSynth's reverb and chorus, not normalised) and "
        "draws the PNG with matplotlib. Each worker process holds its own PyTorch and model and "
        "serves one connection at a time; the others wait in the kernel's listen backlog, so "
        "there is no bound and no 503, and a request whose client has gone is still generated.\n"
        "* **oneDNN off**: the same Flask server with `torch.backends.mkldnn.enabled = False`. "
        "Stock PyTorch runs `nn.LSTM` through oneDNN on the CPU, which is several times slower "
        "for batch-1 steps (see Generation speed); this row is what a Python user who knows that "
        "gets.\n\n"
        "Both servers keep at most 512 MiB of pieces (Flask: each worker half of it). The "
        "fluidsynth processes' memory is not in the RSS columns (they exit with each request); "
        "summed RSS counts pages the gunicorn workers share (PyTorch's libraries) once per "
        "process, the PSS column counts them once. The figures come from one run on a small, "
        "shared machine with wrk on the same cores: read them as a comparison, not as capacity "
        "planning."
    )
    text = a.docs.read_text() if a.docs.exists() else "# Benchmarks\n"
    a.docs.write_text(replace_section(text, TITLE, body))
    print(table)
    print()
    print("\n".join(detail))


if __name__ == "__main__":
    main()
