"""Runs euterpe's token_speed / gen_speed examples and bench/speed_ref.py (PyTorch) interleaved,
then writes the medians as markdown tables into docs/benchmarks.md. Called by bench/speed.sh."""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CELLS = ["rnn", "lstm", "gru", "transformer"]
TOKEN_SPEED = "target/release/examples/token_speed"
GEN_SPEED = "target/release/examples/gen_speed"
TORCH = [sys.executable, "bench/speed_ref.py"]


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# Rows sampled side by side beyond batch 1, and the steps each such run samples.
ROWS = [8, 64, 256]
ROW_STEPS = 200
# PyTorch's configurations: oneDNN on (its default) and off; the better one is the comparison.
TORCH_TOOLS = ["pytorch", "pytorch --no-mkldnn"]


def sample_jobs(cell, label, args):
    yield "sample", label, "euterpe", [GEN_SPEED, *args]
    yield "sample", label, "pytorch", [*TORCH, "sample", *args]
    yield "sample", label, "pytorch --no-mkldnn", [*TORCH, "sample", *args, "--no-mkldnn"]


def jobs(steps, tokens, sections):
    """(section, row label, tool, command) for every measurement of one round."""
    if "train" in sections:
        for cell in CELLS:
            steps_here = max(2, steps // 2) if cell == "transformer" else steps
            train = ["--cell", cell, "--steps", str(steps_here)]
            yield "train", cell, "euterpe", [TOKEN_SPEED, *train]
            yield "train", cell, "pytorch", [*TORCH, "train", *train]
    if "sample" in sections:
        for cell in CELLS:
            yield from sample_jobs(cell, cell, ["--cell", cell, "--tokens", str(tokens)])
        for cell in CELLS:
            for rows in ROWS:
                args = ["--cell", cell, "--tokens", str(ROW_STEPS), "--batch", str(rows)]
                yield from sample_jobs(cell, f"{cell} × {rows}", args)
        yield "generate", "folk", "euterpe", [GEN_SPEED, "--builtin", "folk", "--bars", "32"]


def median(results, key):
    return statistics.median(r[key] for r in results)


def spread(results, key):
    values = [r[key] for r in results]
    return f"{min(values):,.0f}–{max(values):,.0f}"


def training_table(res):
    lines = [
        "| model | tool | parameters | tokens/CPU-s (range) | tokens/s | euterpe ÷ tool |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for cell in CELLS:
        ours = median(res[("train", cell, "euterpe")], "tokens_per_cpu_s")
        for tool in ["euterpe", "pytorch"]:
            r = res[(("train", cell, tool))]
            mine = median(r, "tokens_per_cpu_s")
            ratio = "1.00 (reference)" if tool == "euterpe" else f"{ours / mine:.2f}×"
            lines.append(
                f"| {cell} | {tool} | {r[0]['parameters']:,} | {mine:,.0f} ({spread(r, 'tokens_per_cpu_s')}) "
                f"| {median(r, 'tokens_per_s'):,.0f} | {ratio} |"
            )
    return "\n".join(lines)


def sampling_table(res, tokens):
    bar_tokens = median(res[("generate", "folk", "euterpe")], "tokens")
    lines = [
        f"| model | tool | tokens/s (range) | ms per token | 32 bars ({bar_tokens:,.0f} tokens), ms | euterpe ÷ tool |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for cell in CELLS:
        ours = median(res[("sample", cell, "euterpe")], "tokens_per_s")
        for tool in ["euterpe", *TORCH_TOOLS]:
            r = res[("sample", cell, tool)]
            mine = median(r, "tokens_per_s")
            ratio = "1.00 (reference)" if tool == "euterpe" else f"{ours / mine:.1f}×"
            lines.append(
                f"| {cell} | {tool} | {mine:,.0f} ({spread(r, 'tokens_per_s')}) | {1000 / mine:.3f} "
                f"| {1000 * bar_tokens / mine:,.0f} | {ratio} |"
            )
    return "\n".join(lines)


def rows_table(res):
    """Tokens per second at several rows per step, against PyTorch's better configuration."""
    lines = [
        "| model | rows | euterpe tokens/s (range) | pytorch | pytorch --no-mkldnn | euterpe ÷ best PyTorch |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for cell in CELLS:
        for rows in [1, *ROWS]:
            label = cell if rows == 1 else f"{cell} × {rows}"
            r = res[("sample", label, "euterpe")]
            ours = median(r, "tokens_per_s")
            theirs = [median(res[("sample", label, t)], "tokens_per_s") for t in TORCH_TOOLS]
            lines.append(
                f"| {cell} | {rows} | {ours:,.0f} ({spread(r, 'tokens_per_s')}) | {theirs[0]:,.0f} "
                f"| {theirs[1]:,.0f} | {ours / max(theirs):.1f}× |"
            )
    return "\n".join(lines)


def replace_section(text, title, body):
    """Replaces the `## title` section (up to the next `## `) or appends it."""
    head = f"## {title}\n"
    start = text.find(head)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + head + "\n" + body + "\n"
    end = text.find("\n## ", start + len(head))
    end = len(text) if end < 0 else end + 1
    return text[:start] + head + "\n" + body + "\n" + ("\n" if end < len(text) else "") + text[end:]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--tokens", type=int, default=2000)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--docs", type=Path, required=True)
    p.add_argument("--sections", default="train,sample",
                   help="which to measure and rewrite: train, sample or both (comma-separated)")
    p.add_argument("--from-results", type=Path,
                   help="rewrite the tables from a results.json of an earlier run instead of measuring")
    a = p.parse_args()
    sections = a.sections.split(",")
    if a.from_results:
        saved = json.loads(a.from_results.read_text())
        res = {tuple(k.split(" | ")): v for k, v in saved.items()}
    else:
        res = {}
        for round_ in range(a.rounds):
            for section, label, tool, cmd in jobs(a.steps, a.tokens, sections):
                print(f"[speed] round {round_ + 1}/{a.rounds}: {section} {label} {tool}", file=sys.stderr)
                res.setdefault((section, label, tool), []).append(run(cmd))
        (a.out / "results.json").write_text(
            json.dumps({" | ".join(k): v for k, v in res.items()}, indent=1)
        )
    any_torch = next(v for k, v in res.items() if k[2] == "pytorch")
    torch_version = any_torch[0]["torch"]
    env = os.environ
    common = (
        f"* Command: `bash bench/speed.sh` (installs PyTorch into `bench/.venv-torch`)\n"
        f"* Date: {env.get('BENCH_DATE', '?')}\n"
        f"* Machine: {env.get('BENCH_MACHINE', '?')}; shared with other work, hence {a.rounds} interleaved rounds (median, range)\n"
        f"* Versions: PyTorch {torch_version} (CPU, one thread); euterpe at this commit, release profile, {env.get('BENCH_RUSTC', '?')}\n"
    )
    text = a.docs.read_text() if a.docs.exists() else "# Benchmarks\n"
    if "train" in sections:
        text = replace_section(text, "Training speed", train_body(res, common))
        print(training_table(res))
    if "sample" in sections:
        text = replace_section(text, "Generation speed", sample_body(res, common, a.tokens))
        print(sampling_table(res, a.tokens))
        print(rows_table(res))
    a.docs.write_text(text)


def train_body(res, common):
    return (
        "Full training steps (forward, cross-entropy, backward, Adam) of the same token language "
        "models on identical shapes of seeded random tokens, one thread each, per CPU-second "
        "(`CLOCK_PROCESS_CPUTIME_ID`; Python's `time.process_time`). Recurrent models: vocabulary "
        "130, embedding 64, 2 × 256 hidden, batch 32 × 128 tokens; Transformer: 4 pre-norm layers, "
        "d = 256, 4 heads, feed-forward 1024, batch 32 × 256 tokens. euterpe: "
        "`crates/euterpe-train/examples/token_speed.rs`; PyTorch: `bench/speed_ref.py train` "
        "(nn.RNN/LSTM/GRU, nn.TransformerEncoderLayer; oneDNN on, PyTorch's default).\n\n"
        + common + "\n" + training_table(res) + "\n\n"
        "PyTorch's RNN and LSTM have two bias vectors per layer where euterpe's have one (the GRU "
        "needs both), hence slightly different parameter counts; the work per token is the same.\n\n"
        "Where the time goes (`perf`, AMD EPYC with AVX-512, 2026-12-07): a training step of the "
        "LSTM is about 5.4 MFLOP per token of matrix products (1.8 forward, twice that backward), "
        "so 15,800 tokens per second are about 85 GFLOP/s, near one core's FP32 FMA peak; 72 % of "
        "euterpe's step is gemm's micro-kernels and 4 % its packing. The recurrences are fused "
        "operations with hand-derived backward passes (`crates/euterpe-models/src/recurrence`); "
        "their element loops took 13 % of the LSTM's step until they were written so that the "
        "compiler vectorises them (each row in a function of its own, whose `&mut` arguments tell "
        "it that nothing overlaps; 8.5 % now, the same results bit for bit). The first layer's "
        "input projection is computed once per vocabulary entry and gathered per position "
        "whenever the vocabulary is smaller than the batch (`RecurrentStack::forward_ids`: 130 "
        "rows instead of 4,096 here, about 7 % of the LSTM's matrix work; training about 9 % "
        "faster for the LSTM and GRU, the same logits). What is left to win is the matrix "
        "kernel itself (gemm against MKL/oneDNN) and a few percent of element loops, hence the "
        "LSTM's ratio of 1.15–1.17×: at 19:00 UTC on 2026-12-07 (the table above; the same "
        "step as earlier that day) 76 % of its step was gemm's AVX-512 micro-kernels, already at "
        "the core's FMA rate, 3.5 % their packing, 8.7 % the element loops, and no other item "
        "above 2 % (zeroing and copies of buffers 3 %, page faults 1 %). The Transformer's causal self-attention "
        "(`causal_attention/`), its affine maps (`affine.rs`), GELU (`gelu.rs`) and layer norm "
        "(`layer_norm.rs`) are fused operations with hand-derived backward passes as well "
        "(attention keeps each row's log-sum-exp instead of the [T, T] probabilities and "
        "recomputes them block by block); 76 % of its step is gemm's micro-kernels and 8 % their "
        "packing, the rest GELU (4 %), the attention's loops (2 %), copies and zeroing (2 %), layer "
        "norm (under 1 %, 2.3 % before its sums were written over chunks of eight), bias "
        "gradients, residual additions and Adam. The ratios move with the machine's load on "
        "both sides: at 16:40 UTC the same day, with the same training code, they were RNN "
        "1.50×, LSTM 1.15×, GRU 1.56×, Transformer 1.27× (PyTorch's Transformer at 3,051 "
        "tokens/CPU-s against 3,263 here). On the Intel Xeon of 2026-12-06 (before the "
        "vectorised element loops) the ratios were RNN 1.36×, LSTM 1.04×, GRU 1.44×, Transformer "
        "1.09×."
    )


def sample_body(res, common, tokens):
    gen = res[("generate", "folk", "euterpe")]
    return (
        f"Batch-1 autoregressive sampling of {tokens} tokens from token 1, one token per step "
        "with carried state (hidden states; a key/value cache for the Transformer), softmax "
        "sampling at temperature 1, random weights, the same shapes as above. euterpe: "
        "`crates/euterpe-generate/examples/gen_speed.rs`; PyTorch: `bench/speed_ref.py sample` "
        "under `torch.inference_mode()`, with a hand-written key/value cache for the Transformer. "
        "`--no-mkldnn` turns off oneDNN, which stock PyTorch uses for nn.LSTM on the CPU and "
        "which is several times slower at batch 1; both PyTorch configurations are measured for "
        "every model.\n\n"
        + common + "\n" + sampling_table(res, tokens) + "\n\n"
        "The 32-bar column is the token count of 32 bars from the built-in folk model divided by "
        "each row's rate (untrained models do not end bars like a trained one).\n\n"
        "At batch 1 a step is bound by reading the weights (3.4 MB of `f32` per token for the "
        "LSTM, more than a core's L2 cache, so every token reads them from L3): euterpe "
        "generates with every weight matrix stored in half precision "
        "(`TokenLm::with_inference_weights`; arithmetic stays `f32`, the log-probabilities agree "
        "with the `f32` model to within 1e-2, tested), 1.7 MB for the LSTM, and streams each "
        "matrix once per step with F16C/FMA vector loops instead of a general matrix product. "
        "Read row-major, four weight rows at a time, that loop was four streams 2 KB apart "
        "(for a 1024-wide matrix) and ran at 27–29 G weights/s on the AMD EPYC (a standalone "
        "copy of it over four to seven 256 × 1024 matrices, more than L2); the inference "
        "weights now also carry a blocked copy of the same values (four rows' first eight "
        "values, then their next eight, …; `cpu::to_inference_half`), which the one-row loop "
        "reads as one sequential stream: 35–40 G weights/s, the same multiply-adds in the same "
        "order, so the same results bit for bit (tested). Tried and dropped: padding the rows to "
        "break the 2 KB spacing (no change), keeping some rows in `f32` (the same rounded "
        "values; whole matrices or rows interleaved with half-precision ones, 19–25 G "
        "weights/s), 16-wide AVX-512 conversions (29 G weights/s on the blocked copy, as that "
        "CPU issues them at half the rate). The blocked loop runs as fast from L2 (two "
        "matrices, 1 MB: 37 G weights/s) as from L3, so it is bound by the conversions and "
        "multiply-adds themselves, about ten weights per cycle; on the Intel Xeon of 2026-12-07 "
        "(1.25 MB of L2 per core) the row-major loop was bound by L3. The LSTM (0.88 M weights "
        "per token) spends about two thirds of its step in that loop (some 22 µs of 33); with "
        "nothing else in the step it would make about 45,000 tokens/s, against the 43,600 that "
        "10× the best PyTorch here asks for, so its row and the GRU's (0.67 M weights) stop "
        "short of 10× at the loop's throughput: the sampler, the element loops and the rest "
        "would have to cost nothing. "
        "Everything else in a step runs without tensors between the operations: a recurrent "
        "layer's step is one CPU operation (`ModelBackend::recurrent_step`: the input projection "
        "and the recurrence over raw buffers) and the log-softmax one pass over the logits in "
        "place (`ModelBackend::log_softmax_rows`), both with the tensor path's results bit for "
        "bit (tested; the built-in models write the same pieces), which made the batch-1 RNN "
        "1.48×, the LSTM 1.16× and the GRU 1.12× as fast as the commit before (interleaved "
        "runs on 2026-12-07 at 18:10 UTC: 46,817 → 69,474, 21,305 → 24,814 and 26,431 → 29,589 "
        "tokens/s); the blocked copy then made the LSTM 1.12×, the GRU 1.16× and the "
        "Transformer 1.22× as fast again (interleaved runs at 18:36 UTC: 24,840 → 27,749, "
        "29,365 → 34,212 and 3,512 → 4,291 tokens/s, the Transformer over 1,000 tokens), and "
        "extending it to the output layer (its last columns, past a multiple of eight, read "
        "row-major) and reading the layer step's inputs in place made the RNN about 1.1× as "
        "fast (median 64,600 → 71,000 tokens/s over six alternating runs). The RNN, whose "
        "0.25 M weights fit in L2, now spends half of its step in the weight loop, 17–19 % in "
        "the sampler (sorting and exponentiating 130 candidates: the sort orders packed integer "
        "keys, 64-bit ones when the scores are `f32` values as at temperature 1, the same order, "
        "tested; a byte-wise radix sort of those keys was tried and took 1.8 µs against 0.5 µs; "
        "the exponentials and the sums stay `f64` in sorted order, since the draw depends on "
        "every bit of them), 3 % in the element loop and the rest in small allocations, copies "
        "and tensor handles, none above 3 %. "
        "The Transformer's step attends over its key/value cache in one fused loop per head "
        "(`attention.rs`) instead of two batched matrix products. At 2,000 tokens an `f32` "
        "cache holds 16 MB and reading it was 45 % of the step, so beside half-precision weights "
        "the cache is kept in half precision too, and its loop scores four cached keys at a time "
        "and keeps each head's context in registers: 1.5–1.7× the previous commit's rate on the "
        "Intel Xeon (two sets of runs alternating with it, medians 625 → 1,071 and 488 → 720 "
        "tokens/s); with the blocked weights its step spends 41 % in the attention and 30 % in "
        "the weight loop (2,000 tokens, 2026-12-07 19:20 UTC). The machine's load swings these figures by "
        "up to ±30 % between runs; the ratios come from interleaved runs, and even they move "
        "between sets of runs on one AMD EPYC, with PyTorch's rate as much as euterpe's: in the "
        "table above PyTorch's RNN ran at 7,535 tokens/s, in the day's earlier runs at 4,596–7,622. "
        "The same day's sets of runs with the fused steps: RNN 9.3×, LSTM 5.6×, GRU 5.9×, "
        "Transformer 10.4× at 18:20 UTC (before the blocked copy), RNN 9.5×, LSTM 6.3×, GRU "
        "6.8×, Transformer 13.2× at 18:40 UTC (blocked copy, not yet for the output layer). "
        "Before the fused steps, on 2026-12-07, the batch-1 ratios were RNN 8.0×, LSTM 4.4×, "
        "GRU 4.5×, Transformer 8.1× at 03:57 UTC; RNN 5.5×, LSTM 4.5×, GRU 4.2×, Transformer "
        "10.5× at 04:18 UTC; RNN 11.5×, LSTM 5.3×, GRU 5.2×, Transformer 6.1× at 15:40 UTC, a "
        "busier hour; and RNN 7.6×, LSTM 4.4×, GRU 4.5×, Transformer 9.5× at 15:54 UTC. For "
        "comparison, on the "
        "Intel Xeon on 2026-12-07 00:47 UTC (the same half-precision cache, 128-bit sort keys) "
        "the batch-1 ratios against the best PyTorch configuration were RNN 7.1×, LSTM 3.8×, "
        "GRU 4.2×, Transformer 3.8×; on an AMD EPYC on 2026-12-06 (before the half-precision "
        "cache) RNN 6.7×, LSTM 4.9×, GRU 4.6×, Transformer 6.6×.\n\n"

        "Several rows per step (several candidates or outputs at once): up to 32 rows, with "
        "AVX-512, two to four rows share each converted weight vector and keep their outputs in "
        "registers across all weight rows (`recurrence/row_avx512.rs`); beyond that the half-precision weights "
        "are widened to `f32` once per step (a vectorised conversion) for the general matrix "
        "product. Steps of "
        f"{ROW_STEPS} tokens per row (the Transformer from an empty cache; the one-row lines "
        f"repeat the batch-1 runs above, {tokens} tokens), the same tools:\n\n"
        + rows_table(res) + "\n\n"
        f"The whole generator with the built-in model (`gen_speed --builtin folk --bars 32`: "
        f"grammar masks, sampling, decoding to a score): 32 bars, {median(gen, 'tokens'):,.0f} "
        f"tokens in {median(gen, 'wall_s') * 1000:,.0f} ms ({median(gen, 'tokens_per_s'):,.0f} tokens/s)."
    )


if __name__ == "__main__":
    main()
