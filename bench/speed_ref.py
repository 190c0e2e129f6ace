"""PyTorch reference for euterpe's token-model speed benchmarks (single-threaded CPU).

The same token language models as euterpe's `TokenLm`, built from stock PyTorch modules:

* rnn / lstm / gru: Embedding(vocab, embedding) -> nn.RNN(tanh) / nn.LSTM / nn.GRU(embedding,
  hidden, layers, batch_first) -> Linear(hidden, vocab).
* transformer: token Embedding(vocab, hidden) + learned positional Embedding(max_len, hidden) ->
  `layers` pre-norm nn.TransformerEncoderLayer blocks (GELU, 4*hidden feed-forward, no dropout)
  under a causal mask -> LayerNorm(hidden) -> Linear(hidden, vocab).

Subcommands (each prints exactly one JSON line on stdout; diagnostics go to stderr):

    python bench/speed_ref.py train --cell lstm [--batch 32 --seq 128 --steps 10 --warmup 2]
        [--device cpu|cuda[:N]]
        Full training steps (forward, mean cross-entropy, backward, Adam lr 1e-3) on fresh
        seeded random ids and targets; warm-up steps are not timed. On a GPU every step ends
        with torch.cuda.synchronize(), so that its wall-clock time counts its kernels.

    python bench/speed_ref.py sample --cell transformer [--tokens 2000 --warmup 20] [--batch 1]
        [--check]
        Autoregressive sampling of --batch rows (default 1) from token 1, one token per row and
        step with carried state (the recurrent hidden state, or a key/value cache for the
        transformer), under torch.inference_mode(). The warm-up is a separate, untimed
        generation of --warmup steps; the timed one generates --tokens steps from scratch. --check first verifies that
        step-by-step log-probabilities match a full causal forward over 32 random tokens
        (within 1e-4) and exits with status 1 if they do not.

Common flags: --cell rnn|lstm|gru|transformer, --vocab 130, --embedding 64, --hidden 256,
--layers (2 recurrent, 4 transformer), --heads 4, --seed 1, and --no-mkldnn, which turns off
oneDNN: stock PyTorch runs nn.LSTM (not RNN/GRU) on CPU through oneDNN, which is several times
slower than its native kernel for batch-1 sampling. `train --compile` wraps the model in
torch.compile (off by default; its compilation happens during the warm-up steps).
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

RECURRENT = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = [*RECURRENT, "transformer"]
START_TOKEN = 1
LEARNING_RATE = 1e-3
CHECK_TOKENS = 32
CHECK_TOLERANCE = 1e-4


class RecurrentLm(nn.Module):
    """Embedding -> stacked RNN/LSTM/GRU -> vocabulary logits."""

    def __init__(self, cell, vocab, embedding, hidden, layers):
        super().__init__()
        kwargs = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.embedding = nn.Embedding(vocab, embedding)
        self.core = RECURRENT[cell](
            embedding, hidden, num_layers=layers, batch_first=True, dropout=0.0, **kwargs
        )
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        """Logits [batch, time, vocab] for ids [batch, time]."""
        h, _ = self.core(self.embedding(ids))
        return self.head(h)

    def initial_state(self, batch=1):
        return None

    def step(self, ids, state):
        """Logits [batch, vocab] after feeding ids [batch, 1], and the new (h, c) / h state."""
        h, state = self.core(self.embedding(ids), state)
        return self.head(h[:, -1]), state


class TransformerLm(nn.Module):
    """Token + learned positional embedding -> pre-norm causal encoder blocks -> logits."""

    def __init__(self, vocab, hidden, layers, heads, max_len):
        super().__init__()
        self.heads = heads
        self.max_len = max_len
        self.embedding = nn.Embedding(vocab, hidden)
        self.position = nn.Embedding(max_len, hidden)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model=hidden,
                nhead=heads,
                dim_feedforward=4 * hidden,
                dropout=0.0,
                activation="gelu",
                batch_first=True,
                norm_first=True,
            )
            for _ in range(layers)
        )
        self.norm = nn.LayerNorm(hidden)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        """Logits [batch, time, vocab] for ids [batch, time], causally masked."""
        t = ids.shape[1]
        x = self.embedding(ids) + self.position(torch.arange(t, device=ids.device))
        mask = nn.Transformer.generate_square_subsequent_mask(t, device=ids.device)
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.norm(x))

    def initial_state(self, batch=1):
        """An empty key/value cache [layers, 2, batch × heads, max_len, head_dim] and position 0
        (batch and heads in one dimension, so that the attention is two 3-D batched products on
        views of the cache, as at batch 1)."""
        hidden = self.embedding.embedding_dim
        shape = (len(self.blocks), 2, batch * self.heads, self.max_len, hidden // self.heads)
        return torch.zeros(shape), 0

    def step(self, ids, state):
        """Logits [batch, vocab] after feeding ids [batch, 1] at the cache's position."""
        cache, pos = state
        x = self.embedding(ids[:, 0]) + self.position.weight[pos]  # [batch, hidden]
        for block, layer_cache in zip(self.blocks, cache):
            x = cached_block(block, x, layer_cache, pos, self.heads)
        return self.head(self.norm(x)), (cache, pos + 1)


def cached_block(block, x, cache, pos, heads):
    """One pre-norm TransformerEncoderLayer on one new position x [batch, hidden], written with
    the layer's own weights; its keys and values go into cache[:, :, pos] ([2, batch × heads,
    max_len, dh])."""
    attn = block.self_attn
    batch, hidden = x.shape
    dh = hidden // heads
    rows = batch * heads
    q, k, v = F.linear(block.norm1(x), attn.in_proj_weight, attn.in_proj_bias).split(hidden, -1)
    cache[0, :, pos] = k.reshape(rows, dh)
    cache[1, :, pos] = v.reshape(rows, dh)
    keys, values = cache[0, :, : pos + 1], cache[1, :, : pos + 1]  # [rows, pos+1, dh]
    scores = keys @ (q.reshape(rows, dh, 1) / math.sqrt(dh))  # [rows, pos+1, 1]
    mixed = (values.transpose(1, 2) @ torch.softmax(scores, dim=1)).reshape(batch, hidden)
    x = x + attn.out_proj(mixed)
    return x + block.linear2(block.activation(block.linear1(block.norm2(x))))


def build_model(args, max_len):
    torch.manual_seed(args.seed)
    if args.cell == "transformer":
        return TransformerLm(args.vocab, args.hidden, args.layers, args.heads, max_len)
    return RecurrentLm(args.cell, args.vocab, args.embedding, args.hidden, args.layers)


def parameter_count(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def synchronize(device):
    """Waits for the device's queued work (a no-op on the CPU), so that wall-clock times count it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train(args):
    device = torch.device(args.device)
    model = build_model(args, max(args.seq, 16)).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    forward = torch.compile(model) if args.compile else model
    generator = torch.Generator().manual_seed(args.seed)
    shape = (args.batch, args.seq)
    wall = cpu = loss_sum = 0.0
    for step in range(args.warmup + args.steps):
        ids = torch.randint(args.vocab, shape, generator=generator).to(device)
        targets = torch.randint(args.vocab, shape, generator=generator).to(device)
        synchronize(device)
        t0, c0 = time.perf_counter(), time.process_time()
        logits = forward(ids)
        loss = F.cross_entropy(logits.reshape(-1, args.vocab), targets.reshape(-1))
        value = loss.item()
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        synchronize(device)
        if step >= args.warmup:
            wall += time.perf_counter() - t0
            cpu += time.process_time() - c0
            loss_sum += value
    tokens = args.steps * args.batch * args.seq
    return {
        "tool": "pytorch",
        "cell": args.cell,
        "device": str(device),
        "batch": args.batch,
        "seq": args.seq,
        "steps": args.steps,
        "parameters": parameter_count(model),
        "tokens": tokens,
        "wall_s": wall,
        "cpu_s": cpu,
        "tokens_per_s": tokens / wall,
        "tokens_per_cpu_s": tokens / cpu,
        "mean_loss": loss_sum / args.steps,
        "torch": torch.__version__,
    }


def generate(model, tokens, temperature, generator, batch=1):
    """Samples `tokens` steps of `batch` rows from START_TOKEN with carried state; returns the
    ids [batch, 1] of every step."""
    state = model.initial_state(batch)
    token = torch.full((batch, 1), START_TOKEN)
    out = []
    for _ in range(tokens):
        logits, state = model.step(token, state)
        probs = torch.softmax(logits / temperature, dim=-1)
        token = torch.multinomial(probs, 1, generator=generator)
        out.append(token)
    return out


def check_cached(model, vocab, length, seed):
    """Largest |step-by-step - full forward| log-probability over `length` random tokens."""
    ids = torch.randint(vocab, (1, length), generator=torch.Generator().manual_seed(seed))
    full = torch.log_softmax(model(ids)[0], dim=-1)
    state = model.initial_state()
    steps = []
    for t in range(length):
        logits, state = model.step(ids[:, t : t + 1], state)
        steps.append(torch.log_softmax(logits[0], dim=-1))
    return (torch.stack(steps) - full).abs().max().item()


def sample(args):
    max_len = max(args.tokens, args.warmup, 1)
    model = build_model(args, max_len).eval()
    generator = torch.Generator().manual_seed(args.seed)
    with torch.inference_mode():
        if args.check:
            length = min(CHECK_TOKENS, max_len)
            diff = check_cached(model, args.vocab, length, args.seed)
            ok = diff <= CHECK_TOLERANCE
            print(f"check: {length} tokens, max |diff| {diff:.3g} ({'ok' if ok else 'FAIL'})",
                  file=sys.stderr)
            if not ok:
                sys.exit(1)
        generate(model, args.warmup, args.temperature, generator, args.batch)
        t0, c0 = time.perf_counter(), time.process_time()
        generate(model, args.tokens, args.temperature, generator, args.batch)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    tokens = args.tokens * args.batch
    return {
        "tool": "pytorch",
        "mode": "sample",
        "cell": args.cell,
        "batch": args.batch,
        "tokens": tokens,
        "wall_s": wall,
        "cpu_s": cpu,
        "tokens_per_s": tokens / wall,
        "tokens_per_cpu_s": tokens / cpu,
        "parameters": parameter_count(model),
        "torch": torch.__version__,
    }


def parse_args(argv):
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--cell", choices=CELLS, default="lstm")
    common.add_argument("--vocab", type=int, default=130)
    common.add_argument("--embedding", type=int, default=64)
    common.add_argument("--hidden", type=int, default=256)
    common.add_argument("--layers", type=int, help="default 2 recurrent, 4 transformer")
    common.add_argument("--heads", type=int, default=4)
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--no-mkldnn", action="store_true",
                        help="disable oneDNN (PyTorch's default CPU LSTM path; slow at batch 1)")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("train", parents=[common], help="training-step throughput")
    p.add_argument("--seq", type=int, help="default 128 recurrent, 256 transformer")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--compile", action="store_true", help="wrap the model in torch.compile")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda[:N]")
    p = sub.add_parser("sample", parents=[common], help="sampling throughput")
    p.add_argument("--tokens", type=int, default=2000, help="steps (tokens per row)")
    p.add_argument("--batch", type=int, default=1, help="rows sampled side by side")
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--check", action="store_true",
                   help="verify stepwise log-probs against a full causal forward first")
    args = parser.parse_args(argv)
    transformer = args.cell == "transformer"
    if args.layers is None:
        args.layers = 4 if transformer else 2
    if args.command == "train" and args.seq is None:
        args.seq = 256 if transformer else 128
    return args


def main(argv=None):
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    args = parse_args(argv)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    result = train(args) if args.command == "train" else sample(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
