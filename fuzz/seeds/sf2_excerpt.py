#!/usr/bin/env python3
"""Seeds for the soundfont fuzz target: excerpts of a real SoundFont.

usage: sf2_excerpt.py SOURCE.sf2 OUT.sf2 MAX_FRAMES BANK:PROGRAM...

Writes a small, valid SF2 holding the named presets of SOURCE with their instruments, zones,
generators, modulators and samples; each sample is cut to at most MAX_FRAMES frames (loop points
clamped into it) and made mono. Used on Debian's TimGM6mb (apt-get install timgm6mb-soundfont).
"""
import struct, sys

def chunks(data, pos, end):
    while pos + 8 <= end:
        cid = data[pos:pos+4]; size = struct.unpack('<I', data[pos+4:pos+8])[0]
        yield cid, pos + 8, size
        pos += 8 + size + (size & 1)

def parse(path):
    data = open(path, 'rb').read()
    assert data[:4] == b'RIFF' and data[8:12] == b'sfbk'
    out = {}
    for cid, p, size in chunks(data, 12, len(data)):
        if cid == b'LIST':
            kind = data[p:p+4]
            for sid, sp, ssize in chunks(data, p + 4, p + size):
                out[(kind, sid)] = data[sp:sp+ssize]
    return out

def recs(raw, n):
    return [raw[i:i+n] for i in range(0, len(raw), n)]

def main(src, dst, preset_specs, maxlen):
    c = parse(src)
    P = lambda s: c[(b'pdta', s)]
    phdr = recs(P(b'phdr'), 38); pbag = recs(P(b'pbag'), 4); pgen = recs(P(b'pgen'), 4); pmod = recs(P(b'pmod'), 10)
    inst = recs(P(b'inst'), 22); ibag = recs(P(b'ibag'), 4); igen = recs(P(b'igen'), 4); imod = recs(P(b'imod'), 10)
    shdr = recs(P(b'shdr'), 46)
    smpl = c[(b'sdta', b'smpl')]
    u16 = lambda b, o: struct.unpack_from('<H', b, o)[0]
    wanted = []
    for i, h in enumerate(phdr[:-1]):
        prog, bank = u16(h, 20), u16(h, 22)
        if (bank, prog) in preset_specs: wanted.append(i)
    new = dict(phdr=[], pbag=[], pgen=[], pmod=[], inst=[], ibag=[], igen=[], imod=[], shdr=[])
    inst_map, samp_map = {}, {}
    new_smpl = bytearray()
    def add_sample(si):
        if si in samp_map: return samp_map[si]
        h = bytearray(shdr[si]); start, end, ls, le, rate = struct.unpack_from('<5I', h, 20)
        n = min(end - start, maxlen)
        base = len(new_smpl) // 2
        new_smpl.extend(smpl[2*start:2*(start+n)]); new_smpl.extend(b'\0' * 92)
        ls2 = min(max(ls - start, 0), n); le2 = min(max(le - start, 0), n)
        if le2 <= ls2: ls2, le2 = 0, n
        struct.pack_into('<5I', h, 20, base, base + n, base + ls2, base + le2, rate)
        struct.pack_into('<HH', h, 42, 0, 1)  # link 0, mono sample
        samp_map[si] = len(new['shdr']); new['shdr'].append(bytes(h))
        return samp_map[si]
    def add_inst(ii):
        if ii in inst_map: return inst_map[ii]
        h = bytearray(inst[ii]); struct.pack_into('<H', h, 20, len(new['ibag']))
        idx = len(new['inst']); inst_map[ii] = idx; new['inst'].append(bytes(h))
        for b in range(u16(inst[ii], 20), u16(inst[ii+1], 20)):
            nb = bytearray(ibag[b]); struct.pack_into('<HH', nb, 0, len(new['igen']), len(new['imod']))
            new['ibag'].append(bytes(nb))
            for g in range(u16(ibag[b], 0), u16(ibag[b+1], 0)):
                gen = bytearray(igen[g])
                if u16(gen, 0) == 53: struct.pack_into('<H', gen, 2, add_sample(u16(gen, 2)))
                new['igen'].append(bytes(gen))
            for m in range(u16(ibag[b], 2), u16(ibag[b+1], 2)): new['imod'].append(imod[m])
        return idx
    for pi in wanted:
        h = bytearray(phdr[pi]); struct.pack_into('<H', h, 24, len(new['pbag'])); new['phdr'].append(bytes(h))
        for b in range(u16(phdr[pi], 24), u16(phdr[pi+1], 24)):
            nb = bytearray(pbag[b]); struct.pack_into('<HH', nb, 0, len(new['pgen']), len(new['pmod']))
            new['pbag'].append(bytes(nb))
            for g in range(u16(pbag[b], 0), u16(pbag[b+1], 0)):
                gen = bytearray(pgen[g])
                if u16(gen, 0) == 41: struct.pack_into('<H', gen, 2, add_inst(u16(gen, 2)))
                new['pgen'].append(bytes(gen))
            for m in range(u16(pbag[b], 2), u16(pbag[b+1], 2)): new['pmod'].append(pmod[m])
    # terminal records
    eop = bytearray(38); eop[:3] = b'EOP'; struct.pack_into('<H', eop, 24, len(new['pbag'])); new['phdr'].append(bytes(eop))
    new['pbag'].append(struct.pack('<HH', len(new['pgen']), len(new['pmod'])))
    new['pgen'].append(b'\0' * 4); new['pmod'].append(b'\0' * 10)
    eoi = bytearray(22); eoi[:3] = b'EOI'; struct.pack_into('<H', eoi, 20, len(new['ibag'])); new['inst'].append(bytes(eoi))
    new['ibag'].append(struct.pack('<HH', len(new['igen']), len(new['imod'])))
    new['igen'].append(b'\0' * 4); new['imod'].append(b'\0' * 10)
    eos = bytearray(46); eos[:3] = b'EOS'; new['shdr'].append(bytes(eos))
    def ck(cid, body):
        b = cid + struct.pack('<I', len(body)) + body
        return b + (b'\0' if len(body) & 1 else b'')
    def lst(kind, parts): return ck(b'LIST', kind + b''.join(parts))
    info = lst(b'INFO', [ck(b'ifil', c[(b'INFO', b'ifil')]), ck(b'isng', b'EMU8000\0'), ck(b'INAM', b'TimGM6mb excerpt\0\0')])
    sdta = lst(b'sdta', [ck(b'smpl', bytes(new_smpl))])
    pdta = lst(b'pdta', [ck(k.encode(), b''.join(new[k])) for k in ['phdr','pbag','pmod','pgen','inst','ibag','imod','igen','shdr']])
    open(dst, 'wb').write(ck(b'RIFF', b'sfbk' + info + sdta + pdta))

if __name__ == '__main__':
    src, dst, maxlen = sys.argv[1], sys.argv[2], int(sys.argv[3])
    specs = set(tuple(map(int, s.split(':'))) for s in sys.argv[4:])
    main(src, dst, specs, maxlen)
