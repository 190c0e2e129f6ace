//! The recurrences on the CPU backend: per step, one matrix product straight into strided rows
//! (`gemm`, or a vector loop for one to four rows, as in generation) and one pass of fused
//! element-wise work with vectorisable `tanh` and sigmoid; no allocation per step. Falls back to
//! [`generic`] for element types other than `f32`.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::{f16, DType, TensorMetadata};

use super::{generic, Cell, Initial, Params, Trace};
use crate::cpu::{
    blocked_view, contiguous, dispatch, half_view, sigmoid, tanh, tensor, view, widen, BLOCK_COLS,
    BLOCK_ROWS,
};

/// The most rows for which products stream the weights row by row (generation steps); more rows
/// go to `gemm`. Half-precision weights are widened to `f32` beyond it.
const FEW_ROWS: usize = 4;

/// A row-major block inside a buffer: rows start at `offset` and are `stride` apart.
#[derive(Clone, Copy)]
struct Rows {
    offset: usize,
    stride: usize,
}

/// `dst[m×n] (+)= a[m×k] · b`, where `b` is `w` (`[k, n]` row-major) or, with `transpose_b`, the
/// transpose of `w` stored as `[n, k]`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    d: Rows,
    accumulate: bool,
    a: &[f32],
    ar: Rows,
    w: &[f32],
    transpose_b: bool,
) {
    // The bounds that keep the raw-pointer call below inside the slices.
    assert!(m > 0 && n > 0 && k > 0);
    assert!(d.offset + (m - 1) * d.stride + n <= dst.len() && d.stride >= n);
    assert!(ar.offset + (m - 1) * ar.stride + k <= a.len() && ar.stride >= k);
    assert!(w.len() >= k * n);
    if m <= FEW_ROWS && !transpose_b {
        // A few rows (generation): stream `w` once, row by row, with vectorised updates; gemm
        // would pack the whole of `w` for every call.
        for r in 0..m {
            if !accumulate {
                dst[d.offset + r * d.stride..][..n].fill(0.0);
            }
        }
        // Four rows of `w` per pass over the output, so that the output row is loaded and
        // stored once per four rows instead of once per row.
        let full = k / 4 * 4;
        for kk in (0..full).step_by(4) {
            let w4 = &w[kk * n..(kk + 4) * n];
            let (w0, rest) = w4.split_at(n);
            let (w1, rest) = rest.split_at(n);
            let (w2, w3) = rest.split_at(n);
            for r in 0..m {
                let c = &a[ar.offset + r * ar.stride + kk..][..4];
                let out = &mut dst[d.offset + r * d.stride..][..n];
                for j in 0..n {
                    out[j] += c[0] * w0[j] + c[1] * w1[j] + c[2] * w2[j] + c[3] * w3[j];
                }
            }
        }
        for kk in full..k {
            let w_row = &w[kk * n..(kk + 1) * n];
            for r in 0..m {
                let coef = a[ar.offset + r * ar.stride + kk];
                let out = &mut dst[d.offset + r * d.stride..][..n];
                for (o, &x) in out.iter_mut().zip(w_row) {
                    *o += coef * x;
                }
            }
        }
        return;
    }
    let (b_cs, b_rs) = if transpose_b {
        (k as isize, 1)
    } else {
        (1, n as isize)
    };
    // SAFETY: the asserts above keep every element gemm reads or writes inside its slice; `dst`
    // is borrowed mutably and cannot alias `a` or `w`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr().add(d.offset),
            1,
            d.stride as isize,
            accumulate,
            a.as_ptr().add(ar.offset),
            1,
            ar.stride as isize,
            w.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// The most rows for which products read half-precision weights as they are (generation steps,
/// a batch of outputs or beams); beyond it they are widened to `f32` for `gemm`.
const HALF_ROWS: usize = 32;

/// Half-precision weights `[k, n]` as the few-row loops read them: row-major, and the blocked
/// copy that [`to_inference_half`](crate::cpu::to_inference_half) adds, which the one-row loop
/// reads instead when it is there.
#[derive(Clone, Copy)]
struct HalfWeight<'a> {
    rows: &'a [f16],
    blocked: Option<&'a [f16]>,
}

impl<'a> HalfWeight<'a> {
    /// The weights of a contiguous half-precision tensor, or `None` for another element type.
    fn of(t: &'a FlexTensor) -> Option<Self> {
        Some(HalfWeight {
            rows: half_view(t)?,
            blocked: blocked_view(t),
        })
    }
}

/// `dst[m×n] += a[m×k] · w` for up to [`HALF_ROWS`] rows, with `w` `[k, n]` in half precision
/// (inference weights): half the bytes of `f32` weights to stream per generation step, so that
/// a model of a few MiB stays in the core's cache instead of being read from L3 for every token.
fn few_rows_half(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    d: Rows,
    a: &[f32],
    ar: Rows,
    w: HalfWeight<'_>,
) {
    // The bounds that keep the raw-pointer loops below inside the slices.
    assert!(m > 0 && m <= HALF_ROWS && n > 0 && k > 0);
    assert!(d.offset + (m - 1) * d.stride + n <= dst.len() && d.stride >= n);
    assert!(ar.offset + (m - 1) * ar.stride + k <= a.len() && ar.stride >= k);
    assert!(w.rows.len() >= k * n);
    // A blocked copy is read only where it describes exactly these `[k, n]` weights.
    let blocked = w
        .blocked
        .filter(|b| b.len() == k * (n / BLOCK_COLS * BLOCK_COLS) && k % BLOCK_ROWS == 0);
    let w = HalfWeight {
        rows: w.rows,
        blocked,
    };
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c")
    {
        // SAFETY: the CPU has just been checked for the enabled features; the asserts above keep
        // every access inside its slice.
        unsafe { few_rows_half_f16c((m, n, k), dst, d, a, ar, w) };
        return;
    }
    for r in 0..m {
        let x = &a[ar.offset + r * ar.stride..][..k];
        let out = &mut dst[d.offset + r * d.stride..][..n];
        for (kk, &coef) in x.iter().enumerate() {
            for (o, &wv) in out.iter_mut().zip(&w.rows[kk * n..][..n]) {
                *o += coef * wv.to_f32();
            }
        }
    }
}

/// [`few_rows_half`] with F16C conversions and FMA: for every four weight rows and eight
/// columns, the converted weights are applied to every row of `a`, so each weight is read once.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C; the slices must hold the rows that `d`, `ar` and
/// `(m, n, k)` describe (checked by [`few_rows_half`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn few_rows_half_f16c(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    d: Rows,
    a: &[f32],
    ar: Rows,
    w: HalfWeight<'_>,
) {
    use std::arch::x86_64::*;
    let wp = w.rows.as_ptr().cast::<u16>();
    let bp = w.blocked.map(|b| b.as_ptr().cast::<u16>());
    // SAFETY: only called with pointers into `w` that the bounds below keep in range.
    let half = |p: *const u16| f16::from_bits(unsafe { *p }).to_f32();
    let base = dst.as_mut_ptr();
    // SAFETY: only called with rows r < m, which `few_rows_half` checked lie inside `dst`.
    let out_row = |r: usize| unsafe { base.add(d.offset + r * d.stride) };
    let coef = |r: usize, kk: usize| a[ar.offset + r * ar.stride + kk];
    let coef_row = |r: usize| &a[ar.offset + r * ar.stride..][..k];
    let wide_n = n / 8 * 8;
    // One row alone: the AVX2 loop below is as fast (measured on an AMD EPYC with AVX-512,
    // where 16-wide conversions issue at half the rate of 8-wide ones).
    if m > 1 && std::is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F was detected; the rows lie inside `dst` and `a` as checked by
        // `few_rows_half`.
        unsafe { few_rows_half_avx512((m, n, k), &out_row, &coef_row, wp, bp) };
        return;
    }
    if m <= FEW_ROWS {
        // One row at a time, its coefficients in registers: the fastest form for a batch of one;
        // the weights (in L2) are read once per row.
        for r in 0..m {
            // SAFETY: the bounds of row r as checked by `few_rows_half`, and of the blocked copy.
            unsafe { one_row(n, k, out_row(r), coef_row(r), wp, bp) };
        }
        return;
    }
    let mut kk = 0;
    while kk + 4 <= k {
        // SAFETY: (for the block) rows kk..kk + 4 of `w` and the `n` outputs of each row are in
        // bounds.
        unsafe {
            let p = [
                wp.add(kk * n),
                wp.add((kk + 1) * n),
                wp.add((kk + 2) * n),
                wp.add((kk + 3) * n),
            ];
            // The four coefficients of every row, broadcast once per block of weight rows.
            let mut cv = [[_mm256_setzero_ps(); 4]; HALF_ROWS];
            for (r, c) in cv[..m].iter_mut().enumerate() {
                *c = [0, 1, 2, 3].map(|q| _mm256_set1_ps(coef(r, kk + q)));
            }
            let mut j = 0;
            while j < wide_n {
                let wv = p.map(|p| _mm256_cvtph_ps(_mm_loadu_si128(p.add(j).cast())));
                for (r, c) in cv[..m].iter().enumerate() {
                    let o = out_row(r).add(j);
                    let mut acc = _mm256_loadu_ps(o);
                    acc = _mm256_fmadd_ps(c[0], wv[0], acc);
                    acc = _mm256_fmadd_ps(c[1], wv[1], acc);
                    acc = _mm256_fmadd_ps(c[2], wv[2], acc);
                    acc = _mm256_fmadd_ps(c[3], wv[3], acc);
                    _mm256_storeu_ps(o, acc);
                }
                j += 8;
            }
            for j in wide_n..n {
                for r in 0..m {
                    let o = out_row(r).add(j);
                    for (q, &pq) in p.iter().enumerate() {
                        *o += coef(r, kk + q) * half(pq.add(j));
                    }
                }
            }
        }
        kk += 4;
    }
    for kk in kk..k {
        for r in 0..m {
            for j in 0..n {
                // SAFETY: row kk of `w` and output j of row r are in bounds.
                unsafe { *out_row(r).add(j) += coef(r, kk) * half(wp.add(kk * n + j)) };
            }
        }
    }
}

/// [`few_rows_half`] with AVX-512: rows four at a time (see [`super::row_avx512`]), a last row
/// alone with the AVX2 loop.
///
/// # Safety
/// The CPU must have AVX-512F, AVX2, FMA and F16C (the last three checked by [`few_rows_half`]);
/// `out_row(r)` must point at `n` outputs and `coef_row(r)` hold `k` coefficients for every
/// r < m; `wp` must hold `k × n` weights.
#[cfg(target_arch = "x86_64")]
unsafe fn few_rows_half_avx512<'a>(
    (m, n, k): (usize, usize, usize),
    out_row: &dyn Fn(usize) -> *mut f32,
    coef_row: &dyn Fn(usize) -> &'a [f32],
    wp: *const u16,
    bp: Option<*const u16>,
) {
    use super::row_avx512::rows_half;
    use std::array::from_fn;
    let mut r = 0;
    while r < m {
        let left = m - r;
        // SAFETY: rows r..r + min(left, 4) are below m, whose outputs and coefficients the
        // caller guarantees, as it does the CPU features.
        unsafe {
            match left {
                1 => one_row(n, k, out_row(r), coef_row(r), wp, bp),
                2 => rows_half::<2>(
                    n,
                    k,
                    from_fn(|i| out_row(r + i)),
                    from_fn(|i| coef_row(r + i)),
                    wp,
                ),
                3 => rows_half::<3>(
                    n,
                    k,
                    from_fn(|i| out_row(r + i)),
                    from_fn(|i| coef_row(r + i)),
                    wp,
                ),
                _ => rows_half::<4>(
                    n,
                    k,
                    from_fn(|i| out_row(r + i)),
                    from_fn(|i| coef_row(r + i)),
                    wp,
                ),
            }
        }
        r += left.min(4);
    }
}

/// `out[n] += x[k] · w` for one row: from the blocked copy at `bp` where there is one
/// ([`one_row_blocked_f16c`]), else from the row-major weights at `wp`.
///
/// # Safety
/// As for [`one_row_half_f16c`]; a blocked copy at `bp` must hold the blocked values of the
/// first `n / 8 × 8` columns (see [`one_row_blocked_f16c`]), with `k` a multiple of
/// [`BLOCK_ROWS`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn one_row(
    n: usize,
    k: usize,
    out: *mut f32,
    x: &[f32],
    wp: *const u16,
    bp: Option<*const u16>,
) {
    // SAFETY: the caller's guarantees, passed on.
    unsafe {
        match bp {
            Some(bp) => one_row_blocked_f16c(n, k, out, x, bp, wp),
            None => one_row_half_f16c(n, k, out, x, wp),
        }
    }
}

/// [`one_row_half_f16c`] over the blocked copy of the weights (see
/// [`to_inference_half`](crate::cpu::to_inference_half)): the same multiply-adds in the same
/// order, so the same results bit for bit, with the weights read as one sequential stream
/// instead of four. The copy holds the columns that fill vectors of eight; the others (the
/// vocabulary of an output layer is seldom a multiple of eight) come from the row-major weights
/// at `wp`, as in the row-major loop.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C; `out` must hold `n` values, `wp` the `k × n` row-major
/// values and `bp` the blocked values of their first `n / 8 × 8` columns; `k` must be a multiple
/// of [`BLOCK_ROWS`] (four).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn one_row_blocked_f16c(
    n: usize,
    k: usize,
    out: *mut f32,
    x: &[f32],
    bp: *const u16,
    wp: *const u16,
) {
    use std::arch::x86_64::*;
    const { assert!(BLOCK_ROWS == 4, "the loop below takes four coefficients") };
    // SAFETY: only called with pointers into the `k × n` row-major weights at `wp`.
    let half = |p: *const u16| f16::from_bits(unsafe { *p }).to_f32();
    let wide_n = n / BLOCK_COLS * BLOCK_COLS;
    let mut block = bp;
    for (b, c) in x[..k].chunks_exact(BLOCK_ROWS).enumerate() {
        let cv = [c[0], c[1], c[2], c[3]].map(|c| _mm256_set1_ps(c));
        for j in (0..wide_n).step_by(BLOCK_COLS) {
            // SAFETY: outputs j..j + 8 are in bounds (j + 8 ≤ wide_n ≤ n), and `block` walks
            // the k × wide_n blocked values once, 32 at a time.
            unsafe {
                let mut acc = _mm256_loadu_ps(out.add(j));
                for (q, c) in cv.iter().enumerate() {
                    let wv = _mm256_cvtph_ps(_mm_loadu_si128(block.add(q * BLOCK_COLS).cast()));
                    acc = _mm256_fmadd_ps(*c, wv, acc);
                }
                _mm256_storeu_ps(out.add(j), acc);
                block = block.add(BLOCK_ROWS * BLOCK_COLS);
            }
        }
        for j in wide_n..n {
            // SAFETY: output j < n and rows 4b..4b + 4 of the row-major weights are in bounds.
            unsafe {
                let mut o = *out.add(j);
                for (q, &c) in c.iter().enumerate() {
                    o += c * half(wp.add((b * BLOCK_ROWS + q) * n + j));
                }
                *out.add(j) = o;
            }
        }
    }
}

/// `out[n] += x[k] · w` for one row with half-precision `w` `[k, n]` at `wp`.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C; `out` must hold `n` values and `wp` `k × n`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn one_row_half_f16c(n: usize, k: usize, out: *mut f32, x: &[f32], wp: *const u16) {
    use std::arch::x86_64::*;
    // SAFETY: only called with pointers into the `k × n` weights at `wp`.
    let half = |p: *const u16| f16::from_bits(unsafe { *p }).to_f32();
    let wide_n = n / 8 * 8;
    let mut kk = 0;
    while kk + 4 <= k {
        let c = [x[kk], x[kk + 1], x[kk + 2], x[kk + 3]];
        // SAFETY: (for the block) rows kk..kk + 4 of `w` and the `n` outputs are in bounds.
        unsafe {
            let p = [
                wp.add(kk * n),
                wp.add((kk + 1) * n),
                wp.add((kk + 2) * n),
                wp.add((kk + 3) * n),
            ];
            let cv = c.map(|c| _mm256_set1_ps(c));
            let mut j = 0;
            while j < wide_n {
                let mut acc = _mm256_loadu_ps(out.add(j));
                for q in 0..4 {
                    let wv = _mm256_cvtph_ps(_mm_loadu_si128(p[q].add(j).cast()));
                    acc = _mm256_fmadd_ps(cv[q], wv, acc);
                }
                _mm256_storeu_ps(out.add(j), acc);
                j += 8;
            }
            for j in wide_n..n {
                let mut o = *out.add(j);
                for q in 0..4 {
                    o += c[q] * half(p[q].add(j));
                }
                *out.add(j) = o;
            }
        }
        kk += 4;
    }
    for (kk, &coef) in x.iter().enumerate().skip(kk) {
        for j in 0..n {
            // SAFETY: row kk of `w` and output j are in bounds.
            unsafe { *out.add(j) += coef * half(wp.add(kk * n + j)) };
        }
    }
}

/// The f32 forms of a forward pass's inputs, or `None` for another element type.
struct Inputs {
    xp: FlexTensor,
    input_bias: FlexTensor,
    w: FlexTensor,
    hidden_bias: Option<FlexTensor>,
    h0: Option<FlexTensor>,
    c0: Option<FlexTensor>,
}

fn inputs(
    xp: &FlexTensor,
    params: &Params<Flex>,
    initial: &Option<Initial<Flex>>,
) -> Option<Inputs> {
    Some(Inputs {
        xp: contiguous(xp)?,
        input_bias: contiguous(&params.input_bias)?,
        // Half-precision weights stay as they are (contiguous, checked by `forward`).
        w: if params.w.dtype() == DType::F16 {
            params.w.clone()
        } else {
            contiguous(&params.w)?
        },
        hidden_bias: match &params.hidden_bias {
            Some(b) => Some(contiguous(b)?),
            None => None,
        },
        h0: match initial {
            Some(s) => Some(contiguous(&s.hidden)?),
            None => None,
        },
        c0: match initial.as_ref().and_then(|s| s.cell.clone()) {
            Some(c) => Some(contiguous(&c)?),
            None => None,
        },
    })
}

/// The forward pass (see [`ModelBackend::recurrence_forward`](super::ModelBackend)).
pub fn forward(
    cell: Cell,
    xp: FlexTensor,
    mut params: Params<Flex>,
    initial: Option<Initial<Flex>>,
) -> Trace<Flex> {
    // Half-precision weights are streamed as they are for the few rows of a generation step and
    // widened for anything else.
    let few = xp.dtype() == DType::F32 && xp.shape()[0] <= HALF_ROWS;
    if !(few && half_view(&params.w).is_some()) {
        params.w = widen(params.w);
    }
    dispatch!(forward_body(cell, xp, params, initial))
}

#[inline(always)]
fn forward_body(
    cell: Cell,
    xp: FlexTensor,
    params: Params<Flex>,
    initial: Option<Initial<Flex>>,
) -> Trace<Flex> {
    let Some(t) = inputs(&xp, &params, &initial) else {
        let params = Params {
            w: widen(params.w),
            ..params
        };
        return generic::forward::<Flex>(cell, xp, params, initial);
    };
    drop(xp);
    let shape = t.xp.shape();
    let (batch, time) = (shape[0], shape[1]);
    let h = t.w.shape()[0];
    assert_eq!(
        shape[2],
        cell.gates() * h,
        "input projections of {} gates × {h} units",
        cell.gates()
    );
    let run = Run {
        cell,
        batch,
        time,
        hidden: h,
        xp: view(&t.xp),
        input_bias: view(&t.input_bias),
        hidden_bias: t.hidden_bias.as_ref().map(view),
        w: weight_of(&t.w),
    };
    let sw = cell.saved_width() * h;
    let mut hidden = vec![0.0f32; batch * time * h];
    let mut saved = vec![0.0f32; batch * time * sw];
    let mut h_last =
        t.h0.as_ref()
            .map_or_else(|| vec![0.0; batch * h], |x| view(x).to_vec());
    let mut c_last =
        t.c0.as_ref()
            .map_or_else(|| vec![0.0; batch * h], |x| view(x).to_vec());
    run.steps(
        t.h0.is_some(),
        RunState {
            h_last: &mut h_last,
            c_last: &mut c_last,
            hidden: &mut hidden,
            saved: &mut saved,
        },
    );
    Trace {
        hidden: tensor(hidden, &[batch, time, h]),
        saved: (sw > 0).then(|| tensor(saved, &[batch, time, sw])),
    }
}

/// The recurrent weight as the step loops read it: half precision (inference weights, few rows)
/// or `f32`.
#[derive(Clone, Copy)]
enum Weight<'a> {
    Half(HalfWeight<'a>),
    Full(&'a [f32]),
}

/// The weight of a contiguous tensor that is either in half precision or `f32`.
fn weight_of(w: &FlexTensor) -> Weight<'_> {
    HalfWeight::of(w).map_or_else(|| Weight::Full(view(w)), Weight::Half)
}

/// What a forward run over raw buffers reads: the input projections `[batch, time, gates ×
/// hidden]` (without their bias), the biases and the recurrent weight `[hidden, gates × hidden]`.
#[derive(Clone, Copy)]
struct Run<'a> {
    cell: Cell,
    batch: usize,
    time: usize,
    hidden: usize,
    xp: &'a [f32],
    input_bias: &'a [f32],
    hidden_bias: Option<&'a [f32]>,
    w: Weight<'a>,
}

/// What a forward run writes: the carried state (`[batch, hidden]` each, the state before the
/// first step on entry and after the last on return), the hidden states of every step and the
/// activations kept for the backward pass (see [`Cell::saved_width`]).
struct RunState<'a> {
    h_last: &'a mut [f32],
    c_last: &'a mut [f32],
    hidden: &'a mut [f32],
    saved: &'a mut [f32],
}

impl Run<'_> {
    /// Every step, from the carried state; while that is the zero state (`started` false, the
    /// first step of training) its matrix product is skipped.
    #[inline(always)]
    fn steps(&self, started: bool, state: RunState<'_>) {
        let RunState {
            h_last,
            c_last,
            hidden,
            saved,
        } = state;
        let (cell, batch, time, h) = (self.cell, self.batch, self.time, self.hidden);
        let (xp, bi, bh) = (self.xp, self.input_bias, self.hidden_bias);
        let g = cell.gates();
        let sw = cell.saved_width() * h;
        // The pre-activations of one step: input plus hidden projection, except for the GRU,
        // whose reset gate multiplies the hidden projection alone.
        let mut pre = vec![0.0f32; batch * g * h];
        let rows = Rows {
            offset: 0,
            stride: g * h,
        };
        let last = Rows {
            offset: 0,
            stride: h,
        };
        for step in 0..time {
            for (b, p) in pre.chunks_exact_mut(g * h).enumerate() {
                match (cell, bh) {
                    (Cell::Gru, Some(bh)) => p.copy_from_slice(bh),
                    (Cell::Gru, None) => p.fill(0.0),
                    _ => {
                        let x = &xp[(b * time + step) * g * h..][..g * h];
                        for ((p, &x), &bias) in p.iter_mut().zip(x).zip(bi) {
                            *p = x + bias;
                        }
                    }
                }
            }
            if started || step > 0 {
                match self.w {
                    Weight::Half(w) => {
                        few_rows_half((batch, g * h, h), &mut pre, rows, h_last, last, w)
                    }
                    Weight::Full(w) => matmul(
                        (batch, g * h, h),
                        &mut pre,
                        rows,
                        true,
                        h_last,
                        last,
                        w,
                        false,
                    ),
                }
            }
            for b in 0..batch {
                let at = b * time + step;
                let p = &pre[b * g * h..][..g * h];
                let out = &mut hidden[at * h..][..h];
                let keep = &mut saved[at * sw..][..sw];
                let h_prev = &mut h_last[b * h..][..h];
                match cell {
                    Cell::Rnn => {
                        for (o, &p) in out.iter_mut().zip(p) {
                            *o = tanh(p);
                        }
                    }
                    Cell::Lstm => {
                        let c_prev = &mut c_last[b * h..][..h];
                        let (gates, cells) = keep.split_at_mut(4 * h);
                        for (k, gate) in gates.chunks_exact_mut(h).enumerate() {
                            let pk = &p[k * h..][..h];
                            if k == 2 {
                                gate.iter_mut().zip(pk).for_each(|(o, &x)| *o = tanh(x));
                            } else {
                                gate.iter_mut().zip(pk).for_each(|(o, &x)| *o = sigmoid(x));
                            }
                        }
                        let (i, rest) = gates.split_at(h);
                        let (f, rest) = rest.split_at(h);
                        let (gg, o) = rest.split_at(h);
                        lstm_forward_row([i, f, gg, o], c_prev, cells, out);
                    }
                    Cell::Gru => {
                        let x = &xp[at * 3 * h..][..3 * h];
                        let (xr, xz, xn) = (&x[..h], &x[h..2 * h], &x[2 * h..]);
                        let (br, bz, bn) = (&bi[..h], &bi[h..2 * h], &bi[2 * h..]);
                        let (hr, hz, hn) = (&p[..h], &p[h..2 * h], &p[2 * h..]);
                        let (r, rest) = keep.split_at_mut(h);
                        let (z, rest) = rest.split_at_mut(h);
                        let (n, kept_hn) = rest.split_at_mut(h);
                        gru_forward_row(
                            [xr, xz, xn, br, bz, bn, hr, hz, hn, h_prev],
                            r,
                            z,
                            n,
                            kept_hn,
                            out,
                        );
                    }
                }
                h_prev.copy_from_slice(out);
            }
        }
    }
}

/// One inference step of a layer for a few rows (see
/// [`ModelBackend::recurrent_step`](crate::ModelBackend::recurrent_step)): the input projection
/// and the recurrence over raw buffers, the same arithmetic in the same order as
/// [`affine`] followed by [`forward`] over one step, without the tensors between them. Anything
/// but `f32` inputs of at most [`HALF_ROWS`] rows goes to [`generic::step`].
pub fn step(
    cell: Cell,
    x: FlexTensor,
    input_weight: FlexTensor,
    params: Params<Flex>,
    state: Initial<Flex>,
) -> Initial<Flex> {
    let rows = x.shape()[0];
    // Everything read as a slice where it lies, without copies or clones of the tensors.
    let flat =
        |t: &FlexTensor| t.dtype() == DType::F32 && t.layout().contiguous_offsets().is_some();
    let weight = |w: &FlexTensor| half_view(w).is_some() || flat(w);
    let ready = rows > 0
        && rows <= HALF_ROWS
        && flat(&x)
        && flat(&params.input_bias)
        && params.hidden_bias.as_ref().is_none_or(flat)
        && flat(&state.hidden)
        && state.cell.as_ref().is_none_or(flat)
        && weight(&input_weight)
        && weight(&params.w);
    if !ready {
        return generic::step::<Flex>(cell, x, input_weight, params, state);
    }
    dispatch!(step_body(cell, &x, &input_weight, &params, &state))
}

#[inline(always)]
fn step_body(
    cell: Cell,
    x: &FlexTensor,
    input_weight: &FlexTensor,
    params: &Params<Flex>,
    state: &Initial<Flex>,
) -> Initial<Flex> {
    let (rows, width) = (x.shape()[0], x.shape()[1]);
    let h = params.w.shape()[0];
    let n = cell.gates() * h;
    // `x · w_ih`, as `affine` computes it without a bias.
    let w_ih = weight_of(input_weight);
    let xp = affine_values(
        view(x),
        (rows, width),
        n,
        None,
        |dims, out, d, a, ar| match w_ih {
            Weight::Half(w) => few_rows_half(dims, out, d, a, ar, w),
            Weight::Full(w) => matmul(dims, out, d, true, a, ar, w, false),
        },
    );
    let run = Run {
        cell,
        batch: rows,
        time: 1,
        hidden: h,
        xp: &xp,
        input_bias: view(&params.input_bias),
        hidden_bias: params.hidden_bias.as_ref().map(view),
        w: weight_of(&params.w),
    };
    let mut hidden = vec![0.0f32; rows * h];
    let mut saved = vec![0.0f32; rows * cell.saved_width() * h];
    let mut h_last = view(&state.hidden).to_vec();
    assert_eq!(h_last.len(), rows * h, "a hidden state of {rows} × {h}");
    // Only the LSTM reads a cell state.
    let mut c_last = match (cell, &state.cell) {
        (Cell::Lstm, Some(c)) => view(c).to_vec(),
        (Cell::Lstm, None) => vec![0.0; rows * h],
        _ => Vec::new(),
    };
    run.steps(
        true,
        RunState {
            h_last: &mut h_last,
            c_last: &mut c_last,
            hidden: &mut hidden,
            saved: &mut saved,
        },
    );
    Initial {
        hidden: tensor(hidden, &[rows, h]),
        cell: (cell == Cell::Lstm).then(|| tensor(c_last, &[rows, h])),
    }
}

/// The backward pass (see [`ModelBackend::recurrence_backward`](super::ModelBackend)).
pub fn backward(
    cell: Cell,
    w: FlexTensor,
    trace: Trace<Flex>,
    grad_hidden: FlexTensor,
) -> (FlexTensor, FlexTensor) {
    let w = widen(w);
    dispatch!(backward_body(cell, w, trace, grad_hidden))
}

#[inline(always)]
fn backward_body(
    cell: Cell,
    w: FlexTensor,
    trace: Trace<Flex>,
    grad_hidden: FlexTensor,
) -> (FlexTensor, FlexTensor) {
    let prepared = (|| {
        Some((
            contiguous(&w)?,
            contiguous(&trace.hidden)?,
            match &trace.saved {
                Some(s) => Some(contiguous(s)?),
                None => None,
            },
            contiguous(&grad_hidden)?,
        ))
    })();
    let Some((w_t, hidden_t, saved_t, grad_t)) = prepared else {
        return generic::backward::<Flex>(cell, w, trace, grad_hidden);
    };
    drop((w, trace, grad_hidden));
    let shape = hidden_t.shape();
    let (batch, time, h) = (shape[0], shape[1], shape[2]);
    let g = cell.gates();
    let sw = cell.saved_width() * h;
    let (w, hidden, grad) = (view(&w_t), view(&hidden_t), view(&grad_t));
    // wᵀ `[gates × hidden, hidden]`, contiguous, for the per-step product dh₋ = dhp · wᵀ.
    let wt = {
        let n = g * h;
        let mut wt = vec![0.0f32; n * h];
        for r in 0..h {
            for c in 0..n {
                wt[c * h + r] = w[r * n + c];
            }
        }
        wt
    };
    let saved = saved_t.as_ref().map_or(&[][..], view);
    let mut dx = vec![0.0f32; batch * time * g * h];
    // For the GRU the hidden-projection gradient differs from dx; the others share dx.
    let mut dhp = vec![
        0.0f32;
        if cell == Cell::Gru {
            batch * time * g * h
        } else {
            0
        }
    ];
    let mut dh_next = vec![0.0f32; batch * h];
    let mut dc_next = vec![0.0f32; if cell == Cell::Lstm { batch * h } else { 0 }];
    // The state before the first step, where there is no earlier one to read.
    let zeros = vec![0.0f32; h];
    for step in (0..time).rev() {
        for b in 0..batch {
            let at = b * time + step;
            // Every slice below is cut to exactly `h` elements, so that the element loops run
            // without bounds checks, in vector registers.
            let dh_in = &grad[at * h..][..h];
            let dhn = &mut dh_next[b * h..][..h];
            let d = &mut dx[at * g * h..][..g * h];
            match cell {
                Cell::Rnn => {
                    let y = &hidden[at * h..][..h];
                    let d = &mut d[..h];
                    for j in 0..h {
                        d[j] = (dh_in[j] + dhn[j]) * (1.0 - y[j] * y[j]);
                    }
                }
                Cell::Lstm => {
                    let s = &saved[at * sw..][..sw];
                    let (i, f, gg, o, c) = (
                        &s[..h],
                        &s[h..2 * h],
                        &s[2 * h..3 * h],
                        &s[3 * h..4 * h],
                        &s[4 * h..5 * h],
                    );
                    let c_prev = if step > 0 {
                        &saved[(at - 1) * sw + 4 * h..][..h]
                    } else {
                        &zeros[..h]
                    };
                    let dcn = &mut dc_next[b * h..][..h];
                    let (di, rest) = d.split_at_mut(h);
                    let (df, rest) = rest.split_at_mut(h);
                    let (dg, d_o) = rest.split_at_mut(h);
                    lstm_backward_row(
                        [i, f, gg, o, c, c_prev, dh_in, dhn],
                        dcn,
                        di,
                        df,
                        dg,
                        &mut d_o[..h],
                    );
                }
                Cell::Gru => {
                    let s = &saved[at * sw..][..sw];
                    let (r, z, n, hn) = (&s[..h], &s[h..2 * h], &s[2 * h..3 * h], &s[3 * h..4 * h]);
                    let h_prev = if step > 0 {
                        &hidden[(at - 1) * h..][..h]
                    } else {
                        &zeros[..h]
                    };
                    let e = &mut dhp[at * g * h..][..g * h];
                    let (dr, rest) = d.split_at_mut(h);
                    let (dz, dn) = rest.split_at_mut(h);
                    let (er, rest) = e.split_at_mut(h);
                    let (ez, en) = rest.split_at_mut(h);
                    gru_backward_row([r, z, n, hn, h_prev, dh_in], dhn, dr, dz, dn, er, ez, en);
                }
            }
        }
        // dh₋ = (hidden-projection gradient) · wᵀ, for all rows of this step at once.
        let src = if cell == Cell::Gru { &dhp } else { &dx };
        let rows = Rows {
            offset: step * g * h,
            stride: time * g * h,
        };
        let dst = Rows {
            offset: 0,
            stride: h,
        };
        let accumulate = cell == Cell::Gru;
        matmul(
            (batch, h, g * h),
            &mut dh_next,
            dst,
            accumulate,
            src,
            rows,
            &wt,
            false,
        );
    }
    let dx_tensor = tensor(dx, &[batch, time, g * h]);
    let dhp_tensor = if cell == Cell::Gru {
        tensor(dhp, &[batch, time, g * h])
    } else {
        dx_tensor.clone()
    };
    (dx_tensor, dhp_tensor)
}

/// One row of the LSTM's forward step after the gates' activations `i, f, g, o`: the new cell
/// (kept in `cells` and carried in `c_prev`) and the output. A function of its own for the reason
/// given at [`lstm_backward_row`].
#[inline(always)]
fn lstm_forward_row(
    [i, f, gg, o]: [&[f32]; 4],
    c_prev: &mut [f32],
    cells: &mut [f32],
    out: &mut [f32],
) {
    let h = out.len();
    let (i, f, gg, o) = (&i[..h], &f[..h], &gg[..h], &o[..h]);
    let (c_prev, cells) = (&mut c_prev[..h], &mut cells[..h]);
    for j in 0..h {
        let c = f[j] * c_prev[j] + i[j] * gg[j];
        cells[j] = c;
        c_prev[j] = c;
        out[j] = o[j] * tanh(c);
    }
}

/// One row of the GRU's forward step from the input projections `x`, the input biases `b`, the
/// hidden projections `hp` and the previous state: the gates `r, z, n`, the kept hidden
/// projection of the candidate and the output. A function of its own for the reason given at
/// [`lstm_backward_row`].
#[inline(always)]
fn gru_forward_row(
    [xr, xz, xn, br, bz, bn, hr, hz, hn, h_prev]: [&[f32]; 10],
    r: &mut [f32],
    z: &mut [f32],
    n: &mut [f32],
    kept_hn: &mut [f32],
    out: &mut [f32],
) {
    let h = out.len();
    let (xr, xz, xn, br, bz, bn) = (&xr[..h], &xz[..h], &xn[..h], &br[..h], &bz[..h], &bn[..h]);
    let (hr, hz, hn, h_prev) = (&hr[..h], &hz[..h], &hn[..h], &h_prev[..h]);
    let (r, z, n, kept_hn) = (&mut r[..h], &mut z[..h], &mut n[..h], &mut kept_hn[..h]);
    for j in 0..h {
        r[j] = sigmoid(xr[j] + br[j] + hr[j]);
        z[j] = sigmoid(xz[j] + bz[j] + hz[j]);
        n[j] = tanh(xn[j] + bn[j] + r[j] * hn[j]);
        kept_hn[j] = hn[j];
        out[j] = (1.0 - z[j]) * n[j] + z[j] * h_prev[j];
    }
}

/// One row of the LSTM's backward step: from the gates `i, f, g, o`, the cell `c`, the previous
/// cell, the incoming and carried hidden gradients, it writes the pre-activation gradients and
/// carries the cell gradient `dcn` back a step.
///
/// A function of its own so that the compiler knows the slices it writes overlap nothing (a
/// guarantee of every `&mut` argument, kept when it is inlined; not of references inside an array
/// or struct argument): inside the caller, ten slices of a few buffers needed more run-time
/// overlap checks than the vectoriser makes, and the loop ran one element at a time. The
/// arithmetic is the same either way.
#[inline(always)]
fn lstm_backward_row(
    [i, f, gg, o, c, c_prev, dh_in, dhn]: [&[f32]; 8],
    dcn: &mut [f32],
    di: &mut [f32],
    df: &mut [f32],
    dg: &mut [f32],
    d_o: &mut [f32],
) {
    let h = dcn.len();
    let (i, f, gg, o, c, c_prev, dh_in, dhn) = (
        &i[..h],
        &f[..h],
        &gg[..h],
        &o[..h],
        &c[..h],
        &c_prev[..h],
        &dh_in[..h],
        &dhn[..h],
    );
    let (di, df, dg, d_o) = (&mut di[..h], &mut df[..h], &mut dg[..h], &mut d_o[..h]);
    for j in 0..h {
        let dh = dh_in[j] + dhn[j];
        let tc = tanh(c[j]);
        let dc = dcn[j] + dh * o[j] * (1.0 - tc * tc);
        dcn[j] = dc * f[j];
        di[j] = dc * gg[j] * i[j] * (1.0 - i[j]);
        df[j] = dc * c_prev[j] * f[j] * (1.0 - f[j]);
        dg[j] = dc * i[j] * (1.0 - gg[j] * gg[j]);
        d_o[j] = dh * tc * o[j] * (1.0 - o[j]);
    }
}

/// One row of the GRU's backward step: from the gates `r, z, n`, the kept hidden projection of
/// the candidate, the previous hidden state and the incoming hidden gradient plus the carried one
/// (`dhn`, replaced by the direct path's part of the next carry), it writes the pre-activation
/// gradients of the input (`d`) and hidden (`e`) projections. A function of its own for the
/// reason given at [`lstm_backward_row`].
#[inline(always)]
#[allow(clippy::too_many_arguments)] // each output its own reference argument: see above
fn gru_backward_row(
    [r, z, n, hn, h_prev, dh_in]: [&[f32]; 6],
    dhn: &mut [f32],
    dr: &mut [f32],
    dz: &mut [f32],
    dn: &mut [f32],
    er: &mut [f32],
    ez: &mut [f32],
    en: &mut [f32],
) {
    let h = dhn.len();
    let (r, z, n, hn, h_prev, dh_in) = (
        &r[..h],
        &z[..h],
        &n[..h],
        &hn[..h],
        &h_prev[..h],
        &dh_in[..h],
    );
    let (dr, dz, dn) = (&mut dr[..h], &mut dz[..h], &mut dn[..h]);
    let (er, ez, en) = (&mut er[..h], &mut ez[..h], &mut en[..h]);
    for j in 0..h {
        let dh = dh_in[j] + dhn[j];
        let hp = h_prev[j];
        let dn_pre = dh * (1.0 - z[j]) * (1.0 - n[j] * n[j]);
        let dz_pre = dh * (hp - n[j]) * z[j] * (1.0 - z[j]);
        let dr_pre = dn_pre * hn[j] * r[j] * (1.0 - r[j]);
        dr[j] = dr_pre;
        dz[j] = dz_pre;
        dn[j] = dn_pre;
        er[j] = dr_pre;
        ez[j] = dz_pre;
        en[j] = dn_pre * r[j];
        // The direct path h₋ → h; the product after the rows adds the gated one.
        dhn[j] = dh * z[j];
    }
}

/// `x · w (+ b)` (see [`ModelBackend::affine`](super::ModelBackend::affine)): the
/// vector loop for one to four rows, the general matrix product (`gemm` straight into rows that
/// start as the bias) otherwise.
pub fn affine(x: FlexTensor, w: FlexTensor, b: Option<FlexTensor>) -> FlexTensor {
    let rows = x.shape()[0];
    let prepared = (|| {
        let b = match &b {
            Some(b) => Some(contiguous(b)?),
            None => None,
        };
        Some((contiguous(&x)?, b))
    })();
    let Some((x, b)) = prepared else {
        return generic::affine::<Flex>(x, widen(w), b);
    };
    if rows <= HALF_ROWS {
        if let Some(half) = HalfWeight::of(&w) {
            let n = w.shape()[1];
            return affine_rows(&x, n, b.as_ref(), |dims, out, d, a, ar| {
                few_rows_half(dims, out, d, a, ar, half)
            });
        }
    }
    let w = widen(w);
    let sizes = rows > 0 && x.shape()[1] > 0 && w.shape()[1] > 0;
    match contiguous(&w) {
        Some(wc) if sizes => dispatch!(affine_body(&x, &wc, b.as_ref())),
        _ => generic::affine::<Flex>(x, w, b),
    }
}

#[inline(always)]
fn affine_body(x: &FlexTensor, w: &FlexTensor, b: Option<&FlexTensor>) -> FlexTensor {
    let values = view(w);
    affine_rows(
        x,
        w.shape()[1],
        b,
        #[inline(always)]
        |dims, out, d, a, ar| matmul(dims, out, d, true, a, ar, values, false),
    )
}

/// `x · w (+ b)` into a new `[rows, n]` tensor: the bias rows, then `product` adds `x · w`.
#[inline(always)]
fn affine_rows(
    x: &FlexTensor,
    n: usize,
    b: Option<&FlexTensor>,
    product: impl FnOnce((usize, usize, usize), &mut [f32], Rows, &[f32], Rows),
) -> FlexTensor {
    let (rows, k) = (x.shape()[0], x.shape()[1]);
    let out = affine_values(view(x), (rows, k), n, b.map(view), product);
    tensor(out, &[rows, n])
}

/// `x · w (+ b)` for `x` `[rows, k]` as values `[rows, n]`: rows that start as the bias (copied,
/// not zeroed first) or at zero, then `product` adds `x · w`.
#[inline(always)]
fn affine_values(
    x: &[f32],
    (rows, k): (usize, usize),
    n: usize,
    b: Option<&[f32]>,
    product: impl FnOnce((usize, usize, usize), &mut [f32], Rows, &[f32], Rows),
) -> Vec<f32> {
    let mut out = match b {
        Some(b) => b.repeat(rows),
        None => vec![0.0f32; rows * n],
    };
    let d = Rows {
        offset: 0,
        stride: n,
    };
    let a = Rows {
        offset: 0,
        stride: k,
    };
    product((rows, n, k), &mut out, d, x, a);
    out
}

/// Writes `value` `[batch, heads, 1, d_k]` into position `at` of `cache` `[batch, heads,
/// capacity, d_k]` in place, rounded to half precision where the cache is kept in it; gives both
/// back when the cache is shared, not contiguous, or neither `f32` nor `f16` (the caller then
/// copies).
#[allow(clippy::result_large_err)]
pub fn cache_write(
    mut cache: FlexTensor,
    at: usize,
    value: FlexTensor,
) -> Result<FlexTensor, (FlexTensor, FlexTensor)> {
    let shape = cache.shape();
    let (rows, capacity, d_k) = (shape[0] * shape[1], shape[2], shape[3]);
    let in_place = matches!(cache.dtype(), DType::F32 | DType::F16)
        && cache
            .layout()
            .contiguous_offsets()
            .is_some_and(|(start, _)| start == 0)
        && at < capacity;
    let Some(value_c) = contiguous(&value) else {
        return Err((cache, value));
    };
    if !in_place || value_c.shape().num_elements() != rows * d_k {
        return Err((cache, value));
    }
    let src = view(&value_c);
    let written = if cache.dtype() == DType::F16 {
        cache.try_storage_mut::<f16>().map(|dst| {
            for (r, row) in src.chunks_exact(d_k).enumerate() {
                let dst = &mut dst[(r * capacity + at) * d_k..][..d_k];
                half::slice::HalfFloatSliceExt::convert_from_f32_slice(dst, row);
            }
        })
    } else {
        cache.try_storage_mut::<f32>().map(|dst| {
            for (r, row) in src.chunks_exact(d_k).enumerate() {
                dst[(r * capacity + at) * d_k..][..d_k].copy_from_slice(row);
            }
        })
    };
    match written {
        Some(()) => Ok(cache),
        None => Err((cache, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Distribution, Tensor};

    /// The half-precision product equals the `f32` one on weights that half precision represents
    /// exactly, for shapes with remainders in both loops and strided rows.
    #[test]
    fn the_half_precision_product_matches_the_full_one() {
        for (m, n, k) in [
            (1, 13, 7),
            (1, 300, 20),
            (2, 80, 5),
            (3, 24, 9),
            (4, 1031, 64),
            (17, 40, 33),
        ] {
            let w: Vec<f32> = (0..k * n)
                .map(|i| ((i * 37 % 129) as f32 - 64.0) / 64.0)
                .collect();
            let w16: Vec<f16> = w.iter().map(|&x| f16::from_f32(x)).collect();
            let stride = k + 3;
            let a: Vec<f32> = (0..m * stride)
                .map(|i| ((i * 11 % 17) as f32 - 8.0) / 8.0)
                .collect();
            let (d, ar) = (
                Rows {
                    offset: 2,
                    stride: n + 1,
                },
                Rows { offset: 0, stride },
            );
            let start: Vec<f32> = (0..2 + m * (n + 1)).map(|i| (i % 5) as f32).collect();
            let (mut want, mut got) = (start.clone(), start);
            matmul((m, n, k), &mut want, d, true, &a, ar, &w, false);
            let rows = HalfWeight {
                rows: &w16,
                blocked: None,
            };
            few_rows_half((m, n, k), &mut got, d, &a, ar, rows);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g - w).abs() < 1e-4 * w.abs().max(1.0),
                    "{m}x{n}x{k} at {i}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn the_blocked_copy_gives_the_row_major_results_bit_for_bit() {
        // Inference weights carry a blocked copy for the one-row loop; every product read from
        // it must equal the row-major one exactly, for one row (the blocked loop) and several
        // (which read the rows), and the tensor must look like its plain half-precision self to
        // burn. Columns past the last eight come from the rows; shapes that cannot be blocked
        // carry no copy.
        let device = Default::default();
        for (k, n, blocked) in [
            (8, 16, true),
            (64, 1024, true),
            (256, 136, true),
            (6, 16, false),
            (8, 130, true),
            (8, 5, false),
        ] {
            let w = Tensor::<Flex, 2>::random([k, n], Distribution::Uniform(-1.0, 1.0), &device);
            let plain = crate::cpu::to_half(w.clone().into_primitive().tensor());
            let inference = crate::cpu::to_inference_half(w.into_primitive().tensor());
            assert_eq!(
                crate::cpu::blocked_view(&inference).is_some(),
                blocked,
                "{k}x{n}"
            );
            assert!(crate::cpu::blocked_view(&plain).is_none());
            let as_data = |t: &FlexTensor| t.clone().into_data().to_vec::<f16>().expect("f16");
            assert_eq!(as_data(&inference), as_data(&plain), "{k}x{n}: burn's view");
            assert_eq!(inference.shape().dims::<2>(), [k, n]);
            // A reshaped view shares the storage but not the shape the copy was laid out for.
            let matrix: Tensor<Flex, 2> =
                Tensor::from_primitive(burn::tensor::TensorPrimitive::Float(inference.clone()));
            let reshaped = matrix.reshape([n, k]);
            let reshaped = reshaped.into_primitive().tensor();
            assert!(
                crate::cpu::blocked_view(&reshaped).is_none(),
                "{k}x{n} as {n}x{k}"
            );
            for m in [1, 2, 5] {
                let a: Vec<f32> = (0..m * k)
                    .map(|i| ((i * 7 % 23) as f32 - 11.0) / 9.0)
                    .collect();
                let rows = |t: &FlexTensor| -> Vec<u32> {
                    let mut out: Vec<f32> = (0..m * n).map(|i| (i % 3) as f32 * 0.5).collect();
                    let d = Rows {
                        offset: 0,
                        stride: n,
                    };
                    let ar = Rows {
                        offset: 0,
                        stride: k,
                    };
                    let w = HalfWeight::of(t).expect("half precision");
                    few_rows_half((m, n, k), &mut out, d, &a, ar, w);
                    out.iter().map(|v| v.to_bits()).collect()
                };
                assert_eq!(rows(&inference), rows(&plain), "{m}x{n}x{k}");
            }
        }
    }
}
