#!/usr/bin/env python3
"""Seeds for the soundfont fuzz target: tiny SoundFonts built from scratch.

usage: tiny_sf2.py OUT_DIR

`tiny_sine.sf2` is byte for byte the SoundFont of crates/euterpe-render/tests/common/mod.rs
(`tiny_sf2`: one preset, one instrument, a looped sine at A4). The others vary it: two presets
(one in the drum bank 128), and an instrument zone with envelope, filter, key range, tuning, pan and
effect-send generators.
"""
import math
import os
import struct
import sys


def chunk(cid, data):
    return cid + struct.pack('<I', len(data)) + data + (b'\0' if len(data) & 1 else b'')


def riff_list(kind, chunks):
    return chunk(b'LIST', kind + b''.join(chunks))


def name20(name):
    return name.encode().ljust(20, b'\0')


def u16s(values):
    return b''.join(struct.pack('<H', v & 0xffff) for v in values)


def tiny(frames=2000, presets=((0, 0),), loop=(100, 1900), generators=()):
    smpl = b''.join(
        struct.pack('<h', round(16000 * math.sin(i / 100 * 2 * math.pi)) if i < frames else 0)
        for i in range(frames + 46))
    info = riff_list(b'INFO', [chunk(b'ifil', u16s([2, 1])), chunk(b'isng', b'EMU8000\0'),
                               chunk(b'INAM', b'tiny sine\0\0\0')])
    sdta = riff_list(b'sdta', [chunk(b'smpl', smpl)])
    phdr = pbag = pgen = b''
    for k, (bank, program) in enumerate(presets):
        phdr += name20('Sine' if k == 0 else 'Sine%d' % k) + u16s([program, bank, k]) + b'\0' * 12
        pbag += u16s([k, 0])
        pgen += u16s([41, 0])  # instrument 0
    phdr += name20('EOP') + u16s([0, 0, len(presets)]) + b'\0' * 12
    pbag += u16s([len(presets), 0])
    pgen += u16s([0, 0])
    inst = name20('SineInst') + u16s([0]) + name20('EOI') + u16s([1])
    gens = list(generators) + [(54, 1), (53, 0)]  # sampleModes = loop, sampleID = 0
    ibag = u16s([0, 0, len(gens), 0])
    igen = b''.join(u16s([op, amount]) for op, amount in gens) + u16s([0, 0])
    shdr = name20('sine') + struct.pack('<5I', 0, frames, loop[0], loop[1], 44000)
    shdr += bytes([69, 0]) + u16s([0, 1])  # original pitch A4, mono sample
    shdr += name20('EOS') + b'\0' * 26
    pdta = riff_list(b'pdta', [
        chunk(b'phdr', phdr), chunk(b'pbag', pbag), chunk(b'pmod', b'\0' * 10),
        chunk(b'pgen', pgen), chunk(b'inst', inst), chunk(b'ibag', ibag),
        chunk(b'imod', b'\0' * 10), chunk(b'igen', igen), chunk(b'shdr', shdr)])
    return chunk(b'RIFF', b'sfbk' + info + sdta + pdta)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {
    'tiny_sine.sf2': tiny(),
    'tiny_two_presets_drums.sf2': tiny(frames=400, presets=((0, 0), (128, 0)), loop=(0, 400)),
    # key range, attack/decay/sustain/release, filter cutoff and Q, coarse tune, pan, reverb send
    'tiny_generators.sf2': tiny(frames=300, loop=(50, 250), generators=[
        (43, 0x7f00), (34, -1200), (36, 2000), (37, 300), (38, 3000), (8, 4000), (9, 60),
        (51, -12), (17, 250), (16, 500)]),
}
for name, data in seeds.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
