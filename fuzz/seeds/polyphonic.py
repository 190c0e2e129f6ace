#!/usr/bin/env python3
"""Seeds for the polyphonic_json fuzz target: small excerpts of the four benchmark files.

usage: polyphonic.py SHARED_DATA OUT_DIR

Each seed keeps the first steps of one to two sequences of a split (a few hundred bytes to 2 kB),
one also has a "test" split, and MuseData's is written with spaces after separators.
"""
import json
import os
import sys

data, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name in ['jsb_chorales', 'nottingham', 'piano_midi', 'musedata']:
    with open(os.path.join(data, 'polyphonic', name + '.json')) as f:
        d = json.load(f)
    for split, start, count, steps in [('train', 0, 2, 48), ('valid', 3, 1, 96)]:
        seqs = [s[:steps] for s in d[split][start:start + count]]
        doc = {split: seqs}
        if split == 'valid' and name == 'jsb_chorales':
            doc = {'train': seqs, 'test': [s[:16] for s in d['train'][5:6]]}
        separators = (', ', ': ') if name == 'musedata' else (',', ':')
        with open(os.path.join(out, f'{name}_{split}.json'), 'w') as f:
            json.dump(doc, f, separators=separators)
