//! Helpers of the CPU (`flex`) kernels: contiguous `f32` views of tensors, a vectorisable `tanh`,
//! and compilation for AVX2+FMA with runtime dispatch.

use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::ops::FloatTensorOps;
use burn::tensor::{f16, DType, FloatDType, TensorData, TensorMetadata};

/// A contiguous `f32` tensor, or `None` for another element type.
pub(crate) fn contiguous(t: &FlexTensor) -> Option<FlexTensor> {
    if t.dtype() != DType::F32 {
        return None;
    }
    Some(if t.is_contiguous() {
        t.clone()
    } else {
        t.to_contiguous()
    })
}

/// The values of a contiguous `f32` tensor, without copying.
pub(crate) fn view(t: &FlexTensor) -> &[f32] {
    let (start, end) = t
        .layout()
        .contiguous_offsets()
        .expect("made contiguous by `contiguous`");
    &t.storage::<f32>()[start..end]
}

/// The values of a contiguous half-precision tensor (inference weights, see
/// [`ModelBackend::inference_weight`](crate::ModelBackend::inference_weight)), or `None` for
/// another element type or layout.
pub(crate) fn half_view(t: &FlexTensor) -> Option<&[f16]> {
    if t.dtype() != DType::F16 {
        return None;
    }
    let (start, end) = t.layout().contiguous_offsets()?;
    Some(&t.storage::<f16>()[start..end])
}

/// `t` in half precision (`f32` tensors only; others are returned as they are).
pub(crate) fn to_half(t: FlexTensor) -> FlexTensor {
    if t.dtype() == DType::F32 {
        Flex::float_cast(t, FloatDType::F16)
    } else {
        t
    }
}

/// Rows per block of the blocked copy (see [`to_inference_half`]).
pub(crate) const BLOCK_ROWS: usize = 4;
/// Columns per block of the blocked copy: one vector of eight `f32`.
pub(crate) const BLOCK_COLS: usize = 8;
/// What follows the blocked copy in the storage: a tag, then the shape `[k, n]` it was made for
/// (see [`blocked_tail`]), so that a tensor that merely has a longer storage (a narrowed one), or
/// a reshaped view of one that carries the copy, is never read as carrying it.
// "eutb", two ASCII bytes per value.
const BLOCKED_TAG: [u16; 2] = [0x7565, 0x6274];

/// The values that follow a blocked copy for weights `[k, n]`: the tag and both sizes as two
/// 16-bit halves each.
fn blocked_tail(k: usize, n: usize) -> [u16; 6] {
    let halves = |v: usize| [(v & 0xffff) as u16, ((v >> 16) & 0xffff) as u16];
    let ([k0, k1], [n0, n1]) = (halves(k), halves(n));
    [BLOCKED_TAG[0], BLOCKED_TAG[1], k0, k1, n0, n1]
}

/// A weight matrix `[k, n]` in its CPU inference form: half precision, and, when `k` is a
/// multiple of [`BLOCK_ROWS`] and `n` at least [`BLOCK_COLS`], a second copy of the values of
/// its first `n / 8 × 8` columns laid out for the one-row loop of generation steps (see
/// [`blocked_view`]).
///
/// The tensor is an ordinary `[k, n]` half-precision tensor to everything else: the second copy
/// lies in its storage past the values its layout covers (burn's CPU tensors allow a storage
/// longer than their view, as a narrowed tensor has), so burn's operations, `half_view` and
/// the multi-row loops read the row-major values and never see it.
///
/// Why a second layout: a step's product streams every weight once, four rows at a time. Read
/// row-major, that is four streams 2 KB apart for a 1024-wide matrix; in blocks (four rows'
/// first eight values, then their next eight, …) it is one sequential stream, which the
/// hardware prefetchers keep ahead of: 27 → 35–40 G weights/s on an AMD EPYC for matrices
/// read from L3. The arithmetic is the same, in the same order.
pub(crate) fn to_inference_half(t: FlexTensor) -> FlexTensor {
    let half = to_half(t);
    let shape: Vec<usize> = half.shape().iter().copied().collect();
    let &[k, n] = shape.as_slice() else {
        return half;
    };
    // The columns that fill vectors of eight; the one-row loop reads any others row-major.
    let wide = n / BLOCK_COLS * BLOCK_COLS;
    let blockable = k > 0 && wide > 0 && k % BLOCK_ROWS == 0 && k < 1 << 32 && n < 1 << 32;
    let Some(rows) = half_view(&half).filter(|_| blockable) else {
        return half;
    };
    let tail = blocked_tail(k, n);
    let mut storage: Vec<f16> = Vec::with_capacity(k * (n + wide) + tail.len());
    storage.extend_from_slice(rows);
    for block in rows.chunks_exact(BLOCK_ROWS * n) {
        for col in (0..wide).step_by(BLOCK_COLS) {
            for row in block.chunks_exact(n) {
                storage.extend_from_slice(&row[col..col + BLOCK_COLS]);
            }
        }
    }
    storage.extend(tail.map(f16::from_bits));
    FlexTensor::new(
        burn::tensor::Bytes::from_elems(storage),
        burn::backend::flex::Layout::contiguous(burn::tensor::Shape::from(shape)),
        DType::F16,
    )
}

/// The blocked copy of a tensor made by [`to_inference_half`], if it carries one: for every
/// [`BLOCK_ROWS`] rows of `[k, n]`, for every [`BLOCK_COLS`] of its first `n / 8 × 8` columns,
/// those rows' values.
pub(crate) fn blocked_view(t: &FlexTensor) -> Option<&[f16]> {
    let values = half_view(t)?;
    let shape = t.shape();
    let &[k, n] = shape.as_slice() else {
        return None;
    };
    let tail = blocked_tail(k, n);
    let storage = t.storage::<f16>();
    let len = values.len();
    let end = len + k * (n / BLOCK_COLS * BLOCK_COLS);
    let carries = t.layout().contiguous_offsets() == Some((0, len))
        && storage.len() == end + tail.len()
        && storage[end..]
            .iter()
            .zip(tail)
            .all(|(v, expected)| v.to_bits() == expected);
    carries.then(|| &storage[len..end])
}

/// `t` widened to `f32` if it is in half precision, for the operations that have no
/// half-precision loop. Products of many rows widen the inference weights on every step, so the
/// common (contiguous) case converts the slice with F16C vectors rather than value by value.
pub(crate) fn widen(t: FlexTensor) -> FlexTensor {
    if t.dtype() != DType::F16 {
        return t;
    }
    match half_view(&t) {
        Some(values) => {
            let mut wide = vec![0.0f32; values.len()];
            half::slice::HalfFloatSliceExt::convert_to_f32_slice(values, &mut wide);
            let shape: Vec<usize> = t.shape().iter().copied().collect();
            tensor(wide, &shape)
        }
        None => Flex::float_cast(t, FloatDType::F32),
    }
}

/// burn's `log_softmax` over the rows of a `[rows, classes]` tensor on the CPU backend, in one
/// pass and in place when the tensor's storage is its own (the logits of a step are): the same
/// operations in the same order as burn's five tensor operations (see [`log_softmax_row`]), so
/// the same bits. Anything but a two-dimensional `f32` tensor goes to burn's.
pub(crate) fn log_softmax_rows(mut logits: FlexTensor) -> FlexTensor {
    let shape: Vec<usize> = logits.shape().iter().copied().collect();
    let &[rows, classes] = shape.as_slice() else {
        return crate::ops::burn_log_softmax_rows::<Flex>(logits);
    };
    if logits.dtype() != DType::F32 || rows == 0 || classes == 0 {
        return crate::ops::burn_log_softmax_rows::<Flex>(logits);
    }
    let whole = logits.layout().contiguous_offsets() == Some((0, rows * classes));
    if whole {
        if let Some(values) = logits.try_storage_mut::<f32>() {
            if values.len() == rows * classes {
                values.chunks_exact_mut(classes).for_each(log_softmax_row);
                return logits;
            }
        }
    }
    let Some(c) = contiguous(&logits) else {
        return crate::ops::burn_log_softmax_rows::<Flex>(logits);
    };
    let mut values = view(&c).to_vec();
    values.chunks_exact_mut(classes).for_each(log_softmax_row);
    tensor(values, &shape)
}

/// The log-softmax of one row as burn's CPU backend computes it: the maximum by a left-to-right
/// scan (a NaN wins), `shifted = x − max`, `lse = ln(Σ exp(shifted))` summed left to right, then
/// `shifted − lse`. Summing in another order would change the last bits, and with them which
/// token a seeded sampler picks.
pub(crate) fn log_softmax_row(row: &mut [f32]) {
    let Some(&first) = row.first() else {
        return;
    };
    let mut max = first;
    for &v in row.iter() {
        if v.is_nan() {
            max = f32::NAN;
            break;
        }
        if v > max {
            max = v;
        }
    }
    row.iter_mut().for_each(|v| *v -= max);
    let lse = row.iter().map(|v| v.exp()).sum::<f32>().ln();
    row.iter_mut().for_each(|v| *v -= lse);
}

/// A tensor of `values` with `shape`.
pub(crate) fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

/// `tanh` as a rational function (Eigen's `ptanh` for `float`, a few ulp from the exact value),
/// branch-free so that the element-wise loops vectorise; libm's `tanhf` is a scalar call.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Eigen's coefficients, as published.
pub(crate) fn tanh(x: f32) -> f32 {
    let x = x.clamp(-7.905_311, 7.905_311);
    let x2 = x * x;
    let p = x2 * -2.760_768_5e-16 + 2.000_187_9e-13;
    let p = p * x2 + -8.604_671_5e-11;
    let p = p * x2 + 5.122_297e-8;
    let p = p * x2 + 1.485_722_4e-5;
    let p = p * x2 + 6.372_619_3e-4;
    let p = p * x2 + 4.893_524_6e-3;
    let q = x2 * 1.198_258_4e-6 + 1.185_347_1e-4;
    let q = q * x2 + 2.268_434_6e-3;
    let q = q * x2 + 4.893_525_2e-3;
    x * p / q
}

/// The logistic function through the rational `tanh`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * tanh(0.5 * x)
}

/// A matrix inside a slice: element `(r, c)` at `offset + r·row + c·col`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Strided {
    pub(crate) offset: usize,
    pub(crate) row: usize,
    pub(crate) col: usize,
}

impl Strided {
    /// Rows `stride` apart, starting at `offset`.
    pub(crate) fn rows(offset: usize, stride: usize) -> Self {
        Strided {
            offset,
            row: stride,
            col: 1,
        }
    }

    /// The same elements read as the transpose.
    pub(crate) fn t(self) -> Self {
        Strided {
            row: self.col,
            col: self.row,
            ..self
        }
    }

    /// The matrix from row `r` on.
    pub(crate) fn down(self, r: usize) -> Self {
        Strided {
            offset: self.offset + r * self.row,
            ..self
        }
    }

    /// Whether all of an `m × n` matrix here lies inside `len` elements.
    fn fits(self, m: usize, n: usize, len: usize) -> bool {
        self.offset + (m - 1) * self.row + (n - 1) * self.col < len
    }
}

/// `dst[m×n] = beta · a[m×k] · b[k×n]`, added to `dst` with `accumulate`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    d: Strided,
    accumulate: bool,
    a: &[f32],
    av: Strided,
    b: &[f32],
    bv: Strided,
    beta: f32,
) {
    assert!(m > 0 && n > 0 && k > 0 && d.fits(m, n, dst.len()));
    // SAFETY: the assert keeps every element written inside `dst`, which is borrowed mutably and
    // cannot alias `a` or `b`; its (row, column) places are distinct.
    unsafe {
        gemm_into(
            dst.as_mut_ptr(),
            d,
            accumulate,
            (m, n, k),
            [a, b],
            [av, bv],
            beta,
        )
    }
}

/// `beta · a[m×k] · b[k×n]` as a new row-major `[m, n]` buffer, written by `gemm` without
/// zeroing it first (for large products the zeroing is a pass over memory of its own).
pub(crate) fn new_product(
    (m, n, k): (usize, usize, usize),
    a: &[f32],
    av: Strided,
    b: &[f32],
    bv: Strided,
    beta: f32,
) -> Vec<f32> {
    let mut out = Vec::<f32>::with_capacity(m * n);
    let d = Strided::rows(0, n);
    // SAFETY: `out` has room for the m × n row-major elements; with `accumulate` false gemm
    // writes every one of them without reading any (it sets alpha to zero), so all of them are
    // initialised when the length is set.
    unsafe {
        gemm_into(
            out.as_mut_ptr(),
            d,
            false,
            (m, n, k),
            [a, b],
            [av, bv],
            beta,
        );
        out.set_len(m * n);
    }
    out
}

/// `gemm` of `a` and `b` read through their strides into `dst` at `d` (see [`product`]).
///
/// # Safety
/// `dst` must be valid for writes (and, with `accumulate`, reads) of every element of the
/// `m × n` matrix at `d`, and not overlap `a` or `b`.
unsafe fn gemm_into(
    dst: *mut f32,
    d: Strided,
    accumulate: bool,
    (m, n, k): (usize, usize, usize),
    [a, b]: [&[f32]; 2],
    [av, bv]: [Strided; 2],
    beta: f32,
) {
    assert!(m > 0 && n > 0 && k > 0);
    assert!(av.fits(m, k, a.len()) && bv.fits(k, n, b.len()));
    // SAFETY: the asserts keep every element gemm reads inside `a` and `b`; the caller vouches
    // for `dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.add(d.offset),
            d.col as isize,
            d.row as isize,
            accumulate,
            a.as_ptr().add(av.offset),
            av.col as isize,
            av.row as isize,
            b.as_ptr().add(bv.offset),
            bv.col as isize,
            bv.row as isize,
            if accumulate { 1.0 } else { 0.0 },
            beta,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// A stored value read as `f32`: `f32` itself, or half precision (inference weights, the
/// key/value cache beside them).
pub(crate) trait Widen: Copy {
    /// The value as `f32`.
    fn widen(self) -> f32;
}

impl Widen for f32 {
    #[inline(always)]
    fn widen(self) -> f32 {
        self
    }
}

impl Widen for f16 {
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
}

/// `a · b` with eight partial sums, so that the loop vectorises; `b` of either precision.
#[inline(always)]
pub(crate) fn dot<T: Widen>(a: &[f32], b: &[T]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .map(|(x, y)| x * y.widen())
        .sum();
    for (x, y) in a8.zip(b8) {
        for i in 0..8 {
            acc[i] += x[i] * y[i].widen();
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `Σ term(a[i], b[i])` in eight lanes: lane `i mod 8` adds its terms in index order, and the
/// lanes are added 0 to 7 at the end, the order of an `acc[i % 8] += …` loop. Written over chunks
/// of eight so that the accumulator stays in one vector register: the indexed loop kept it in
/// memory and ran one element at a time. `a` and `b` have the same length.
#[inline(always)]
pub(crate) fn lane_sum(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let mut acc = [0.0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let (a_tail, b_tail) = (a8.remainder(), b8.remainder());
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            acc[k] += term(x[k], y[k]);
        }
    }
    for (k, (&x, &y)) in a_tail.iter().zip(b_tail).enumerate() {
        acc[k] += term(x, y);
    }
    acc.iter().sum()
}

/// The largest of `values` (`-∞` for none; NaNs are skipped, as `f32::max` skips them), in eight
/// lanes like [`lane_sum`] so that the loop runs in a vector register.
#[inline(always)]
pub(crate) fn lane_max(values: &[f32]) -> f32 {
    let mut maxima = [f32::NEG_INFINITY; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for k in 0..8 {
            maxima[k] = maxima[k].max(chunk[k]);
        }
    }
    for (k, &x) in tail.iter().enumerate() {
        maxima[k] = maxima[k].max(x);
    }
    maxima.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `eˣ` by Cephes' `expf` (range reduction by powers of two and a degree-6 polynomial, within
/// two ulp of the exact value), branch-free so that the softmax loops vectorise; libm's `expf` is a
/// scalar call. Below about −87.3 it returns the smallest normal number instead of 0 or a
/// subnormal.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients, as published.
pub(crate) fn exp(x: f32) -> f32 {
    // Adding 1.5·2²³ rounds to the nearest integer and leaves it in the low mantissa bits, which
    // gives 2ⁿ below with integer operations only (a float-to-int cast would not vectorise).
    const SHIFT: f32 = 12_582_912.0;
    let x = x.clamp(-87.336_55, 88.376_26);
    let shifted = x * std::f32::consts::LOG2_E + SHIFT;
    let n = shifted - SHIFT;
    // x − n·ln 2 in two parts, so that the reduction loses no bits.
    let r = x - n * 0.693_359_375 - n * -2.121_944_4e-4;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5.000_000_1e-1;
    let y = p * r * r + r + 1.0;
    // 2ⁿ from its exponent bits; n lies in [−126, 127] after the clamp.
    let biased = shifted
        .to_bits()
        .wrapping_sub(SHIFT.to_bits())
        .wrapping_add(127);
    y * f32::from_bits(biased << 23)
}

/// Runs `body` compiled for AVX2 and FMA when the CPU has them (the element-wise loops and the
/// few-row products then use 8-wide vectors; the default x86-64 target has only SSE2).
macro_rules! dispatch {
    ($body:ident($($arg:expr),* $(,)?)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn wide<T>(f: impl FnOnce() -> T) -> T {
                f()
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has just been checked for the enabled features.
                return unsafe { wide(#[inline(always)] || $body($($arg),*)) };
            }
        }
        $body($($arg),*)
    }};
}
pub(crate) use dispatch;

#[cfg(test)]
mod tests {
    #[test]
    fn the_one_pass_log_softmax_is_burns_bit_for_bit() {
        use burn::backend::Flex;
        use burn::tensor::{Distribution, Tensor, TensorPrimitive};
        // Rows of the widths generation meets (one, a few, a vocabulary), with spreads from
        // narrow to wide, masked entries (-inf, as grammar masks give) and a NaN row; the fused
        // form must give burn's bits, in place (a fresh tensor) and from a shared one.
        let device = Default::default();
        let bits = |t: Tensor<Flex, 2>| -> Vec<u32> {
            let values = t.into_data().to_vec::<f32>().expect("f32");
            values.iter().map(|v| v.to_bits()).collect()
        };
        for (rows, classes) in [(1, 1), (1, 130), (3, 17), (8, 300)] {
            for scale in [0.1f32, 4.0, 60.0] {
                let logits: Tensor<Flex, 2> =
                    Tensor::random([rows, classes], Distribution::Normal(0.0, 1.0), &device)
                        .mul_scalar(scale);
                let mut values: Vec<f32> = logits.to_data().to_vec().expect("f32");
                for (i, v) in values.iter_mut().enumerate() {
                    if i % 7 == 3 {
                        *v = f32::NEG_INFINITY;
                    }
                }
                if rows == 3 {
                    values[classes + 2] = f32::NAN;
                }
                let original: Vec<u32> = values.iter().map(|v| v.to_bits()).collect();
                let logits = Tensor::<Flex, 2>::from_data(
                    burn::tensor::TensorData::new(values, [rows, classes]),
                    &device,
                );
                let want = bits(burn::tensor::activation::log_softmax(logits.clone(), 1));
                let shared = logits.clone().into_primitive().tensor();
                let fresh = Tensor::<Flex, 2>::from_data(logits.to_data(), &device)
                    .into_primitive()
                    .tensor();
                for (how, t) in [("shared", shared), ("own", fresh)] {
                    let got = bits(Tensor::from_primitive(TensorPrimitive::Float(
                        super::log_softmax_rows(t),
                    )));
                    assert_eq!(got, want, "{rows}×{classes}, scale {scale}, {how}");
                }
                // The shared input itself is left as it was.
                let after = bits(logits);
                assert_eq!(
                    after, original,
                    "{rows}×{classes}: the shared input changed"
                );
            }
        }
    }

    #[test]
    fn lane_sums_add_in_the_order_of_an_indexed_eight_lane_loop() {
        // Values of very different sizes, so that another order of additions would round
        // differently: the results must be equal bit for bit, as layer norm and softmax relied on
        // that order before the chunked form.
        let values: Vec<f32> = (0..67)
            .map(|i| ((i * 7919 % 101) as f32 - 50.0) * 10f32.powi(i % 7 - 3))
            .collect();
        let others: Vec<f32> = values.iter().rev().map(|v| v * 0.37 + 1.0).collect();
        for len in 0..values.len() {
            let (a, b) = (&values[..len], &others[..len]);
            let mut lanes = [0.0f32; 8];
            for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
                lanes[i % 8] += x * y;
            }
            let indexed: f32 = lanes.iter().sum();
            let chunked = super::lane_sum(a, b, |x, y| x * y);
            assert_eq!(chunked.to_bits(), indexed.to_bits(), "{len} values");
            let max = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(super::lane_max(a), max, "{len} values");
        }
        assert_eq!(super::lane_max(&[f32::NAN, 2.0, f32::NAN]), 2.0);
    }

    #[test]
    fn the_fast_tanh_is_accurate_everywhere() {
        let mut worst = 0.0f32;
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4;
            worst = worst.max((super::tanh(x) - x.tanh()).abs());
        }
        for x in [-1e30f32, -88.0, 88.0, 1e30, 1e-30] {
            assert!((super::tanh(x) - x.tanh()).abs() < 1e-6, "{x}");
        }
        assert!(worst < 5e-7, "largest error {worst}");
    }

    #[test]
    fn the_fast_exp_is_accurate_everywhere() {
        let mut worst = 0.0f32;
        for i in -870_000..=880_000 {
            let x = i as f32 * 1e-4;
            let exact = (x as f64).exp();
            worst = worst.max(((super::exp(x) as f64 - exact) / exact).abs() as f32);
        }
        assert!(worst < 3e-7, "largest relative error {worst}");
        assert_eq!(super::exp(0.0), 1.0);
        assert!(super::exp(-1e30) < 1.2e-38 && super::exp(-1e30) >= 0.0);
        assert!(super::exp(f32::NEG_INFINITY) < 1.2e-38);
    }
}
