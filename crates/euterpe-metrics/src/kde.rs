//! Gaussian kernel density estimates and the overlap of two of them (Yang & Lerch 2018, mgeval).
//!
//! Each set of values gets a Gaussian KDE with Scott's bandwidth, as SciPy's `gaussian_kde` builds
//! it in one dimension: `h = s · n^(−1/5)` with `s` the sample standard deviation (`n − 1` in the
//! denominator). The two densities are compared on one common grid of cells that reaches six of the
//! larger bandwidth beyond the smallest and largest value of both sets:
//!
//! * the **overlap area** is `∫ min(p, q) dx`, 1 for identical densities, 0 for disjoint ones.
//!   mgeval integrates only between the smallest and largest value, which cuts off the kernels'
//!   tails (a set then overlaps itself by less than 1); we integrate over the whole grid;
//! * the **KL divergence** `D(reference ‖ generated)` in nats, as mgeval's `kl_dist(A, B)` with the
//!   reference first, on the cell masses, with the generated masses floored at 1e-12 so that it
//!   stays finite (at most about 27.6 nats for disjoint sets). mgeval evaluates the two densities on
//!   two different grids; we use the common one.
//!
//! Each cell holds the kernels' exact mass over the cell (differences of the normal CDF), not a
//! point sample, so each density sums to 1 on the grid however narrow its kernels are.
//!
//! **Zero spread.** SciPy cannot build a KDE of a set whose values are all equal (or of a single
//! value): its covariance is singular. Here such a set borrows the other set's bandwidth, so that a
//! constant generated set is judged by how typical its value is of the reference spread. When both
//! sets have zero spread they are two point masses: the overlap is 1 and the divergence 0 if they
//! sit at the same value (to a relative 1e-9), else the overlap is 0 and the divergence is the
//! floor's cap, `ln 1e12 ≈ 27.6` nats. Nothing returns NaN. (Borrowing the *pooled* bandwidth
//! instead would make two constant sets overlap by the same amount however far apart they are.)

use serde::{Deserialize, Serialize};

/// Kernels are cut off this many bandwidths from their centre (the mass beyond is about 2e-9).
const CUTOFF: f64 = 6.0;
/// Fewest and most cells of the common grid.
const MIN_CELLS: usize = 64;
const MAX_CELLS: usize = 16_384;
/// Floor of the generated cell masses in the KL divergence.
const KL_FLOOR: f64 = 1e-12;

/// Scott's bandwidth of a set of values: sample standard deviation times `n^(−1/5)`. 0 for fewer
/// than two values or for values that are all equal.
pub fn scott_bandwidth(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let h = var.sqrt() * (n as f64).powf(-0.2);
    if h.is_finite() && h > 0.0 {
        h
    } else {
        0.0
    }
}

/// A one-dimensional Gaussian kernel density estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianKde {
    points: Vec<f64>,
    bandwidth: f64,
}

impl GaussianKde {
    /// A KDE with Scott's bandwidth; `None` when there are no finite values or their bandwidth is 0
    /// (a single value, or all values equal).
    pub fn new(values: &[f64]) -> Option<GaussianKde> {
        let points: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let h = scott_bandwidth(&points);
        GaussianKde::with_bandwidth(&points, h)
    }

    /// A KDE with a given bandwidth; `None` when there are no finite values or the bandwidth is not
    /// positive and finite.
    pub fn with_bandwidth(values: &[f64], bandwidth: f64) -> Option<GaussianKde> {
        let points: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        (!points.is_empty() && bandwidth.is_finite() && bandwidth > 0.0)
            .then_some(GaussianKde { points, bandwidth })
    }

    /// The kernels' standard deviation.
    pub fn bandwidth(&self) -> f64 {
        self.bandwidth
    }

    /// The estimated density at `x`.
    pub fn density(&self, x: f64) -> f64 {
        let h = self.bandwidth;
        let norm = 1.0 / (self.points.len() as f64 * h * (2.0 * std::f64::consts::PI).sqrt());
        norm * self
            .points
            .iter()
            .map(|p| (-0.5 * ((x - p) / h).powi(2)).exp())
            .sum::<f64>()
    }

    /// The estimate's mass in each of `cells` cells of width `step` from `lo`.
    fn cell_masses(&self, lo: f64, step: f64, cells: usize) -> Vec<f64> {
        let mut mass = vec![0.0; cells];
        let h = self.bandwidth;
        let weight = 1.0 / self.points.len() as f64;
        for &x in &self.points {
            let first = (((x - CUTOFF * h - lo) / step).floor().max(0.0) as usize).min(cells);
            let stop = (((x + CUTOFF * h - lo) / step).ceil().max(0.0) as usize).min(cells);
            let mut below = normal_cdf((lo + first as f64 * step - x) / h);
            for (i, cell) in mass.iter_mut().enumerate().take(stop).skip(first) {
                let upto = normal_cdf((lo + (i + 1) as f64 * step - x) / h);
                *cell += weight * (upto - below).max(0.0);
                below = upto;
            }
        }
        mass
    }
}

/// How two sets of values compare as distributions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistributionOverlap {
    /// `∫ min(p, q)`, from 0 (disjoint) to 1 (identical).
    pub area: f64,
    /// `D(reference ‖ generated)` in nats (0 for identical densities).
    pub kl_divergence: f64,
    /// The bandwidth of the generated set's KDE (0 when both sets have zero spread).
    pub bandwidth_generated: f64,
    /// The bandwidth of the reference set's KDE (0 when both sets have zero spread).
    pub bandwidth_reference: f64,
    /// Whether a set had zero spread and borrowed the other's bandwidth (or both were points).
    pub bandwidth_fallback: bool,
}

/// Compares the KDEs of two sets of values (see the module documentation); `None` when either set
/// has no finite value.
pub fn overlap(generated: &[f64], reference: &[f64]) -> Option<DistributionOverlap> {
    let gen: Vec<f64> = generated
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let reference: Vec<f64> = reference
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    if gen.is_empty() || reference.is_empty() {
        return None;
    }
    let pooled: Vec<f64> = gen.iter().chain(&reference).copied().collect();
    let (h_gen, h_ref) = (scott_bandwidth(&gen), scott_bandwidth(&reference));
    let fallback = h_gen == 0.0 || h_ref == 0.0;
    if h_gen == 0.0 && h_ref == 0.0 {
        // Two point masses (every value of each set is the same number).
        let (a, b) = (gen[0], reference[0]);
        let same = (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0);
        return Some(DistributionOverlap {
            area: if same { 1.0 } else { 0.0 },
            kl_divergence: if same { 0.0 } else { -KL_FLOOR.ln() },
            bandwidth_generated: 0.0,
            bandwidth_reference: 0.0,
            bandwidth_fallback: true,
        });
    }
    let p = GaussianKde::with_bandwidth(&gen, if h_gen > 0.0 { h_gen } else { h_ref })?;
    let q = GaussianKde::with_bandwidth(&reference, if h_ref > 0.0 { h_ref } else { h_gen })?;

    let h_max = p.bandwidth.max(q.bandwidth);
    let h_min = p.bandwidth.min(q.bandwidth);
    let lo = pooled.iter().copied().fold(f64::INFINITY, f64::min) - CUTOFF * h_max;
    let hi = pooled.iter().copied().fold(f64::NEG_INFINITY, f64::max) + CUTOFF * h_max;
    let cells = ((hi - lo) / (h_min / 2.0)).ceil();
    let cells = if cells.is_finite() {
        (cells as usize).clamp(MIN_CELLS, MAX_CELLS)
    } else {
        MAX_CELLS
    };
    let step = (hi - lo) / cells as f64;
    let gen_mass = p.cell_masses(lo, step, cells);
    let ref_mass = q.cell_masses(lo, step, cells);

    let area: f64 = gen_mass.iter().zip(&ref_mass).map(|(a, b)| a.min(*b)).sum();
    let gen_total: f64 = gen_mass.iter().sum();
    let ref_total: f64 = ref_mass.iter().sum();
    let kl: f64 = ref_mass
        .iter()
        .zip(&gen_mass)
        .filter(|(r, _)| **r > 0.0)
        .map(|(r, g)| {
            let r = r / ref_total;
            let g = (g / gen_total).max(KL_FLOOR);
            r * (r / g).ln()
        })
        .sum();
    Some(DistributionOverlap {
        area: area.clamp(0.0, 1.0),
        kl_divergence: kl.max(0.0),
        bandwidth_generated: p.bandwidth,
        bandwidth_reference: q.bandwidth,
        bandwidth_fallback: fallback,
    })
}

/// The standard normal CDF, `Φ(x) = erfc(−x/√2) / 2`.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The complementary error function (Chebyshev fit of Numerical Recipes' `erfcc`, relative error
/// below 1.2e-7 everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spread(n: usize, centre: f64, width: f64) -> Vec<f64> {
        // Deterministic, roughly bell-shaped values: sums of three evenly spread fractions.
        (0..n)
            .map(|i| {
                let u = |k: usize| ((i * k + k * 7) % n) as f64 / n as f64 - 0.5;
                centre + width * (u(1) + u(3) + u(7)) / 1.5
            })
            .collect()
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_746).abs() < 1e-7);
        assert!((normal_cdf(-1.96) - 0.024_997_895).abs() < 1e-7);
        assert!((erfc(0.5) - 0.479_500_122).abs() < 1e-7);
    }

    #[test]
    fn scott_bandwidth_matches_scipy() {
        // scipy.stats.gaussian_kde([1, 2, 3, 4, 5]).factor * np.std([1, 2, 3, 4, 5], ddof=1)
        let h = scott_bandwidth(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((h - 2.5f64.sqrt() * 5f64.powf(-0.2)).abs() < 1e-12);
        assert!((h - 1.145_977_27).abs() < 1e-8);
        assert_eq!(scott_bandwidth(&[3.0]), 0.0);
        assert_eq!(scott_bandwidth(&[3.0, 3.0, 3.0]), 0.0);
    }

    #[test]
    fn density_integrates_to_one() {
        let kde = GaussianKde::new(&[0.0, 0.5, 3.0]);
        let kde = kde.as_ref().map(|k| {
            let (lo, step) = (-10.0, 0.01);
            (0..2000)
                .map(|i| k.density(lo + (i as f64 + 0.5) * step) * step)
                .sum::<f64>()
        });
        assert!(kde.is_some_and(|mass| (mass - 1.0).abs() < 1e-6));
    }

    #[test]
    fn a_set_overlaps_itself_completely() {
        for values in [
            spread(50, 3.0, 1.0),
            vec![0.0, 1.0],
            spread(500, -20.0, 0.01),
        ] {
            let o = overlap(&values, &values);
            assert!(
                o.as_ref().is_some_and(|o| (o.area - 1.0).abs() < 1e-6),
                "{o:?}"
            );
            assert!(
                o.as_ref().is_some_and(|o| o.kl_divergence.abs() < 1e-9),
                "{o:?}"
            );
            assert!(o.is_some_and(|o| !o.bandwidth_fallback));
        }
    }

    #[test]
    fn disjoint_sets_do_not_overlap() {
        let a = spread(60, 0.0, 1.0);
        let b = spread(40, 100.0, 1.0);
        let o = overlap(&a, &b);
        assert!(o.as_ref().is_some_and(|o| o.area < 1e-6), "{o:?}");
        assert!(o.is_some_and(|o| o.kl_divergence > 20.0));
    }

    #[test]
    fn partial_overlap_of_two_normals_is_close_to_theory() {
        // Two wide, shifted sets: the overlap of N(0, 1) and N(1, 1) is 2Φ(−1/2) ≈ 0.617; the
        // KDEs are smoother than the normals, so allow some slack but require the right region.
        let a = spread(400, 0.0, 3.0);
        let b: Vec<f64> = a.iter().map(|v| v + 1.0).collect();
        let o = overlap(&a, &b);
        assert!(o.is_some_and(|o| o.area > 0.45 && o.area < 0.8));
    }

    #[test]
    fn cell_masses_agree_with_pointwise_integration() {
        let a = spread(30, 0.0, 2.0);
        let b = spread(70, 1.5, 0.7);
        let (p, q) = (GaussianKde::new(&a), GaussianKde::new(&b));
        let brute = p.zip(q).map(|(p, q)| {
            let (lo, step) = (-15.0, 1e-3);
            (0..30_000)
                .map(|i| {
                    let x = lo + (i as f64 + 0.5) * step;
                    p.density(x).min(q.density(x)) * step
                })
                .sum::<f64>()
        });
        let area = overlap(&a, &b).map(|o| o.area);
        assert!(
            brute.zip(area).is_some_and(|(x, y)| (x - y).abs() < 5e-4),
            "{brute:?} vs {area:?}"
        );
    }

    #[test]
    fn overlap_is_symmetric() {
        let a = spread(30, 0.0, 2.0);
        let b = spread(70, 1.0, 1.0);
        let ab = overlap(&a, &b).map(|o| o.area);
        let ba = overlap(&b, &a).map(|o| o.area);
        assert!(ab.zip(ba).is_some_and(|(x, y)| (x - y).abs() < 1e-9));
    }

    #[test]
    fn constant_sets_fall_back_without_nan() {
        let same = overlap(&[0.0; 10], &[0.0; 5]);
        assert!(same
            .as_ref()
            .is_some_and(|o| o.area == 1.0 && o.kl_divergence == 0.0));
        assert!(same.is_some_and(|o| o.bandwidth_fallback));

        let apart = overlap(&[0.0; 10], &[10.0; 10]);
        assert!(apart.as_ref().is_some_and(|o| o.area == 0.0));
        assert!(apart.is_some_and(|o| (o.kl_divergence - 1e12f64.ln()).abs() < 1e-9));

        // A constant set borrows the other's bandwidth: near its centre it overlaps a lot, far
        // out hardly at all.
        let spread_set = spread(40, 0.5, 1.0);
        let near = overlap(&[0.5; 8], &spread_set);
        assert!(near.as_ref().is_some_and(|o| o.bandwidth_fallback));
        assert!(near
            .as_ref()
            .is_some_and(|o| o.bandwidth_generated == o.bandwidth_reference));
        let far = overlap(&[5.0; 8], &spread_set);
        let (near, far) = (near.map(|o| o.area), far.map(|o| o.area));
        assert!(
            near.zip(far).is_some_and(|(n, f)| n > 0.5 && f < 1e-3),
            "{near:?} {far:?}"
        );

        let single = overlap(&[1.0], &[1.0, 2.0, 3.0]);
        assert!(single.is_some_and(|o| o.area.is_finite() && o.area > 0.0));
        assert!(overlap(&[], &[1.0]).is_none());
        assert!(overlap(&[f64::NAN], &[1.0]).is_none());
    }
}
