//! The NADE on the CPU backend: key by key per frame, `O(H)` scratch memory, vectorisable loops
//! (AVX2+FMA when the CPU has them).

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::TensorMetadata;

use super::{generic, NadeInputs};
use crate::cpu::{contiguous, dispatch, sigmoid, tensor, view};

/// The contiguous f32 inputs, or `None` for another element type.
struct Views {
    bh: FlexTensor,
    bv: FlexTensor,
    w: FlexTensor,
    vt: Vec<f32>,
    targets: FlexTensor,
    frames: usize,
    keys: usize,
    hidden: usize,
}

fn views(x: &NadeInputs<Flex>) -> Option<Views> {
    let (frames, keys) = (x.targets.shape()[0], x.targets.shape()[1]);
    let hidden = x.w.shape()[1];
    let v = contiguous(&x.v)?;
    // v is [H, K]; the loops read one key's column at a time, so keep it as vᵀ [K, H].
    let vv = view(&v);
    let mut vt = vec![0.0f32; keys * hidden];
    for h in 0..hidden {
        for k in 0..keys {
            vt[k * hidden + h] = vv[h * keys + k];
        }
    }
    Some(Views {
        bh: contiguous(&x.bh)?,
        bv: contiguous(&x.bv)?,
        w: contiguous(&x.w)?,
        vt,
        targets: contiguous(&x.targets)?,
        frames,
        keys,
        hidden,
    })
}

/// The logits `[frames, K]`.
pub fn forward(x: NadeInputs<Flex>) -> FlexTensor {
    match views(&x) {
        Some(v) => dispatch!(forward_body(&v)),
        None => generic::forward::<Flex>(x),
    }
}

#[inline(always)]
fn forward_body(v: &Views) -> FlexTensor {
    let (k, h) = (v.keys, v.hidden);
    let (bh, bv, w, t) = (view(&v.bh), view(&v.bv), view(&v.w), view(&v.targets));
    let mut out = vec![0.0f32; v.frames * k];
    let mut a = vec![0.0f32; h];
    let mut s = vec![0.0f32; h];
    for f in 0..v.frames {
        a.copy_from_slice(&bh[f * h..][..h]);
        for i in 0..k {
            for (s, &a) in s.iter_mut().zip(&a) {
                *s = sigmoid(a);
            }
            let vt = &v.vt[i * h..][..h];
            let dot: f32 = s.iter().zip(vt).map(|(x, y)| x * y).sum();
            out[f * k + i] = bv[f * k + i] + dot;
            let ti = t[f * k + i];
            if ti != 0.0 {
                for (a, &wv) in a.iter_mut().zip(&w[i * h..][..h]) {
                    *a += ti * wv;
                }
            }
        }
    }
    tensor(out, &[v.frames, k])
}

/// The gradients `(dbh, dbv, dw, dv)` given the logits' gradient `dl`.
pub fn backward(
    x: NadeInputs<Flex>,
    dl: FlexTensor,
) -> (FlexTensor, FlexTensor, FlexTensor, FlexTensor) {
    match (views(&x), contiguous(&dl)) {
        (Some(v), Some(dl)) => dispatch!(backward_body(&v, dl)),
        _ => generic::backward::<Flex>(x, dl),
    }
}

#[inline(always)]
fn backward_body(v: &Views, dl_t: FlexTensor) -> (FlexTensor, FlexTensor, FlexTensor, FlexTensor) {
    let (k, h) = (v.keys, v.hidden);
    let (bh, w, t, dl) = (view(&v.bh), view(&v.w), view(&v.targets), view(&dl_t));
    let mut dbh = vec![0.0f32; v.frames * h];
    let mut dw = vec![0.0f32; k * h];
    let mut dvt = vec![0.0f32; k * h];
    // The activations a_i of every key of one frame, recomputed from the biases and targets.
    let mut acts = vec![0.0f32; k * h];
    let mut suffix = vec![0.0f32; h];
    for f in 0..v.frames {
        acts[..h].copy_from_slice(&bh[f * h..][..h]);
        for i in 1..k {
            let (done, rest) = acts.split_at_mut(i * h);
            let (prev, next) = (&done[(i - 1) * h..], &mut rest[..h]);
            let ti = t[f * k + i - 1];
            let wi = &w[(i - 1) * h..][..h];
            for j in 0..h {
                next[j] = prev[j] + ti * wi[j];
            }
        }
        suffix.fill(0.0);
        for i in (0..k).rev() {
            let g = dl[f * k + i];
            let ti = t[f * k + i];
            if ti != 0.0 {
                for (d, &s) in dw[i * h..][..h].iter_mut().zip(&suffix) {
                    *d += ti * s;
                }
            }
            let a = &acts[i * h..][..h];
            let vt = &v.vt[i * h..][..h];
            let dv = &mut dvt[i * h..][..h];
            for j in 0..h {
                let s = sigmoid(a[j]);
                dv[j] += g * s;
                suffix[j] += g * vt[j] * s * (1.0 - s);
            }
        }
        dbh[f * h..][..h].copy_from_slice(&suffix);
    }
    // dvᵀ [K, H] back to the layout of v, [H, K].
    let mut dv = vec![0.0f32; h * k];
    for kk in 0..k {
        for j in 0..h {
            dv[j * k + kk] = dvt[kk * h + j];
        }
    }
    (
        tensor(dbh, &[v.frames, h]),
        dl_t,
        tensor(dw, &[k, h]),
        tensor(dv, &[h, k]),
    )
}
