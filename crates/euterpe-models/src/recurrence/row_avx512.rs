//! The few-row products of generation steps, `out[m × n] += x[m × k] · w` with half-precision
//! `w` `[k, n]`, for CPUs with AVX-512: sixteen columns per vector and the outputs of a block of
//! columns held in registers across all `k` weight rows, so that the only memory traffic is the
//! weights themselves, read once in the order of their rows. Two to four rows share each converted
//! weight vector, so that the conversions from half precision, which bound a one-row loop, are
//! paid once for up to four rows.

use burn::tensor::f16;

/// Columns per accumulator vector.
const LANES: usize = 16;

/// `out[r] += x[r] · w` for `R` rows (2 to 4), `w` `[k, n]` at `wp`; row `r`'s outputs start at
/// `out[r]` and its coefficients are `x[r][..k]`.
///
/// # Safety
/// The CPU must have AVX-512F; every `out[r]` must hold `n` values and `wp` `k × n`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn rows_half<const R: usize>(
    n: usize,
    k: usize,
    out: [*mut f32; R],
    x: [&[f32]; R],
    wp: *const u16,
) {
    debug_assert!(x.iter().all(|x| x.len() >= k));
    let mut j = 0;
    while j + 4 * LANES <= n {
        // SAFETY: columns j..j + 64 of every row are in bounds (the loop condition).
        unsafe { rows_block::<R, 4>(n, k, out.map(|o| o.add(j)), x, wp.add(j)) };
        j += 4 * LANES;
    }
    while j + LANES <= n {
        // SAFETY: columns j..j + 16 of every row are in bounds.
        unsafe { rows_block::<R, 1>(n, k, out.map(|o| o.add(j)), x, wp.add(j)) };
        j += LANES;
    }
    for col in j..n {
        for (o, x) in out.iter().zip(x) {
            let mut acc = 0.0f32;
            for (kk, &c) in x[..k].iter().enumerate() {
                // SAFETY: row kk, column col of the `k × n` weights.
                acc += c * f16::from_bits(unsafe { *wp.add(kk * n + col) }).to_f32();
            }
            // SAFETY: col < n.
            unsafe { *o.add(col) += acc };
        }
    }
}

/// `V × 16` columns of `R` rows: each weight vector is converted once and applied to every row.
///
/// # Safety
/// As [`rows_half`], for the `V × 16` columns at each `out[r]` and at `wp`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn rows_block<const R: usize, const V: usize>(
    n: usize,
    k: usize,
    out: [*mut f32; R],
    x: [&[f32]; R],
    wp: *const u16,
) {
    use std::arch::x86_64::*;
    // SAFETY: every pointer below stays in the block's columns of rows 0..k (the caller's bounds).
    unsafe {
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        for (row, o) in acc.iter_mut().zip(out) {
            for (v, a) in row.iter_mut().enumerate() {
                *a = _mm512_loadu_ps(o.add(v * LANES));
            }
        }
        let mut wrow = wp;
        for kk in 0..k {
            let w: [__m512; V] = std::array::from_fn(|v| {
                _mm512_cvtph_ps(_mm256_loadu_si256(wrow.add(v * LANES).cast()))
            });
            for (row, x) in acc.iter_mut().zip(x) {
                let cv = _mm512_set1_ps(*x.get_unchecked(kk));
                for (a, w) in row.iter_mut().zip(w) {
                    *a = _mm512_fmadd_ps(cv, w, *a);
                }
            }
            // Wrapping: past the last row this points beyond the weights, never read.
            wrow = wrow.wrapping_add(n);
        }
        for (row, o) in acc.iter().zip(out) {
            for (v, a) in row.iter().enumerate() {
                _mm512_storeu_ps(o.add(v * LANES), *a);
            }
        }
    }
}
