"""PyTorch counterpart of `euterpe train --config configs/jsb-lstm.toml --set train.epochs=1`,
for the peak-memory comparison in bench/memory.sh (single-threaded CPU).

The same frame model as euterpe's `FrameLm` with a Bernoulli head: the 88-key piano-roll frame
(0/1 floats) -> nn.LSTM(88, 200, 1 layer, batch_first) -> Dropout(0.3) -> Linear(200, 88), one
logit per key. One epoch over the train split in shuffled batches of 4 whole sequences (padded,
masked; the input is frames 0..T-2, the target frames 1..T-1), summed Bernoulli NLL divided by
the scored frames, Adam lr 3e-3, gradient norm clipped to 1.0; then one pass over the valid split
in batches of 64 under torch.no_grad() (euterpe's default eval_batch_size).

    python bench/memory_ref.py --data ../shared/data/polyphonic/jsb_chorales.json

Prints one JSON line on stdout (frames, NLLs, parameters, seconds, torch version).
"""

import argparse
import json
import random
import time

import torch
import torch.nn.functional as F
from torch import nn

KEYS = 88
LOWEST = 21


class FrameLm(nn.Module):
    def __init__(self, hidden, dropout):
        super().__init__()
        self.core = nn.LSTM(KEYS, hidden, num_layers=1, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, KEYS)

    def forward(self, frames):
        h, _ = self.core(frames)
        return self.head(self.dropout(h))


def roll(sequence):
    """[steps, 88] float piano roll of a list of steps of MIDI pitches."""
    out = torch.zeros(len(sequence), KEYS)
    for t, pitches in enumerate(sequence):
        for p in pitches:
            out[t, p - LOWEST] = 1.0
    return out


def batch_of(rolls):
    """Inputs, targets [batch, T, 88] and mask [batch, T] of sequences padded to the longest."""
    steps = max(r.shape[0] for r in rolls) - 1
    inputs = torch.zeros(len(rolls), steps, KEYS)
    targets = torch.zeros(len(rolls), steps, KEYS)
    mask = torch.zeros(len(rolls), steps)
    for i, r in enumerate(rolls):
        n = r.shape[0] - 1
        inputs[i, :n], targets[i, :n], mask[i, :n] = r[:-1], r[1:], 1.0
    return inputs, targets, mask


def nll(model, rolls):
    """Summed Bernoulli NLL over the scored frames and their count."""
    inputs, targets, mask = batch_of(rolls)
    logits = model(inputs)
    per_key = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    return (per_key.sum(-1) * mask).sum(), mask.sum()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True)
    p.add_argument("--hidden", type=int, default=200)
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--eval-batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.manual_seed(a.seed)
    t0 = time.perf_counter()
    with open(a.data) as f:
        data = json.load(f)
    train = [roll(s) for s in data["train"] if len(s) > 1]
    valid = [roll(s) for s in data["valid"] if len(s) > 1]
    model = FrameLm(a.hidden, a.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=a.lr)
    order = list(range(len(train)))
    random.Random(a.seed).shuffle(order)
    model.train()
    total = frames = 0.0
    for start in range(0, len(order), a.batch):
        loss, n = nll(model, [train[i] for i in order[start : start + a.batch]])
        (loss / n).backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        total, frames = total + loss.item(), frames + n.item()
    model.eval()
    v_total = v_frames = 0.0
    with torch.no_grad():
        for start in range(0, len(valid), a.eval_batch):
            loss, n = nll(model, valid[start : start + a.eval_batch])
            v_total, v_frames = v_total + loss.item(), v_frames + n.item()
    print(json.dumps({
        "tool": "pytorch",
        "model": "jsb-lstm",
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_frames": frames,
        "train_nll": total / frames,
        "valid_nll": v_total / v_frames,
        "seconds": time.perf_counter() - t0,
        "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
