//! The tree-structured Parzen estimator (Bergstra et al. 2011) with Optuna's defaults as the
//! reference: the first 10 trials are random; after that the finished trials are split into the
//! best `γ(n) = min(⌈0.1 n⌉, 25)` and the rest, each parameter gets a Parzen estimator (a
//! mixture of truncated normals, or of category weights, plus a prior component of weight 1)
//! over the good values `l(x)` and over the others `g(x)`, 24 candidates are drawn from `l`, and
//! the one with the largest `l(x) / g(x)` is taken. Parameters are drawn independently
//! (Optuna's default `multivariate = False`); a parameter only sees the trials it was active in.
//! Pruned trials count among the others, never among the good.

use euterpe_base::SplitMix64;

use crate::space::{Distribution, Parameter, Params, SearchSpace};
use crate::trial::{Direction, Trial, TrialState};

/// The settings, Optuna's defaults unless changed.
#[derive(Debug, Clone, Copy)]
pub struct TpeSettings {
    /// Random trials before the estimator is used (10).
    pub startup_trials: usize,
    /// Candidates drawn from `l(x)` per parameter (24).
    pub candidates: usize,
    /// Weight of the prior component (1.0).
    pub prior_weight: f64,
}

impl Default for TpeSettings {
    fn default() -> Self {
        TpeSettings {
            startup_trials: 10,
            candidates: 24,
            prior_weight: 1.0,
        }
    }
}

/// How many of `n` finished trials count as good: Optuna's `default_gamma`.
pub fn gamma(n: usize) -> usize {
    (n.div_ceil(10)).min(25)
}

/// The weights of `n` observations in trial order: Optuna's `default_weights` (older ones
/// weigh less once there are more than 25).
pub fn default_weights(n: usize) -> Vec<f64> {
    if n < 25 {
        return vec![1.0; n];
    }
    let ramp = n - 25;
    let mut w: Vec<f64> = (0..ramp)
        .map(|i| {
            if ramp == 1 {
                1.0 / n as f64
            } else {
                1.0 / n as f64 + (1.0 - 1.0 / n as f64) * i as f64 / (ramp - 1) as f64
            }
        })
        .collect();
    w.extend(std::iter::repeat_n(1.0, 25));
    w
}

/// A Parzen estimator over one parameter's internal space.
#[derive(Debug, Clone)]
pub enum Parzen {
    /// Truncated normals on `[low, high]`.
    Numeric {
        /// Component means (the prior's last).
        mus: Vec<f64>,
        /// Component deviations.
        sigmas: Vec<f64>,
        /// Component weights, summing to 1.
        weights: Vec<f64>,
        /// The range.
        low: f64,
        /// The range.
        high: f64,
    },
    /// Weights of the categories, summing to 1.
    Categorical(Vec<f64>),
}

impl Parzen {
    /// The estimator of `observations` (internal values, in trial order) of a parameter.
    pub fn new(distribution: &Distribution, observations: &[f64], prior_weight: f64) -> Parzen {
        let weights = default_weights(observations.len());
        if let Distribution::Choice(values) = distribution {
            let k = values.len();
            let mut w = vec![prior_weight / k as f64; k];
            for (x, wi) in observations.iter().zip(&weights) {
                if let Some(slot) = w.get_mut(*x as usize) {
                    *slot += wi;
                }
            }
            let total: f64 = w.iter().sum();
            return Parzen::Categorical(w.into_iter().map(|x| x / total).collect());
        }
        let (low, high) = distribution.internal_range().unwrap_or((0.0, 1.0));
        let n = observations.len();
        let mut sigmas = neighbour_bandwidths(observations, low, high);
        let max_sigma = high - low;
        // Optuna's "magic clip": no kernel narrower than the range over min(100, n + 1).
        let min_sigma = (high - low) / (100.0f64).min(1.0 + (n + 1) as f64);
        for s in &mut sigmas {
            *s = s.clamp(min_sigma, max_sigma);
        }
        let mut mus = observations.to_vec();
        let mut w = weights;
        mus.push(0.5 * (low + high));
        sigmas.push(max_sigma);
        w.push(prior_weight);
        let total: f64 = w.iter().sum();
        Parzen::Numeric {
            mus,
            sigmas,
            weights: w.into_iter().map(|x| x / total).collect(),
            low,
            high,
        }
    }

    /// A draw.
    pub fn sample(&self, rng: &mut SplitMix64) -> f64 {
        match self {
            Parzen::Categorical(w) => pick(w, rng) as f64,
            Parzen::Numeric {
                mus,
                sigmas,
                weights,
                low,
                high,
            } => {
                let i = pick(weights, rng);
                for _ in 0..100 {
                    let x = mus[i] + sigmas[i] * normal(rng);
                    if (*low..=*high).contains(&x) {
                        return x;
                    }
                }
                low + rng.unit() * (high - low)
            }
        }
    }

    /// The log density at `x`.
    pub fn log_pdf(&self, x: f64) -> f64 {
        match self {
            Parzen::Categorical(w) => w.get(x as usize).map_or(f64::NEG_INFINITY, |p| p.ln()),
            Parzen::Numeric {
                mus,
                sigmas,
                weights,
                low,
                high,
            } => {
                let terms: Vec<f64> = mus
                    .iter()
                    .zip(sigmas)
                    .zip(weights)
                    .map(|((&mu, &sigma), &w)| {
                        let z = (x - mu) / sigma;
                        let mass = phi((high - mu) / sigma) - phi((low - mu) / sigma);
                        w.ln()
                            - 0.5 * z * z
                            - (sigma * (2.0 * std::f64::consts::PI).sqrt()).ln()
                            - mass.max(1e-300).ln()
                    })
                    .collect();
                log_sum_exp(&terms)
            }
        }
    }
}

/// Each observation's distance to its farther neighbour in sorted order, the range's ends
/// standing in for missing neighbours; at the two ends, the distance to the one inner
/// neighbour (Optuna's `consider_endpoints = False`).
fn neighbour_bandwidths(observations: &[f64], low: f64, high: f64) -> Vec<f64> {
    let n = observations.len();
    if n == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| observations[a].total_cmp(&observations[b]));
    let sorted: Vec<f64> = order.iter().map(|&i| observations[i]).collect();
    let mut padded = vec![low];
    padded.extend(&sorted);
    padded.push(high);
    let mut sigmas_sorted: Vec<f64> = (1..=n)
        .map(|i| (padded[i] - padded[i - 1]).max(padded[i + 1] - padded[i]))
        .collect();
    if n >= 2 {
        sigmas_sorted[0] = sorted[1] - sorted[0];
        sigmas_sorted[n - 1] = sorted[n - 1] - sorted[n - 2];
    }
    let mut sigmas = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        sigmas[i] = sigmas_sorted[rank];
    }
    sigmas
}

/// The values of a new trial by TPE, or `None` while there are too few finished trials (the
/// caller draws at random then).
pub fn suggest(
    space: &SearchSpace,
    history: &[Trial],
    direction: Direction,
    settings: &TpeSettings,
    rng: &mut SplitMix64,
) -> Option<Params> {
    let finished: Vec<&Trial> = history
        .iter()
        .filter(|t| {
            (t.state == TrialState::Complete && t.value.is_some()) || t.state == TrialState::Pruned
        })
        .collect();
    if finished.len() < settings.startup_trials {
        return None;
    }
    // The good: the best γ(n) complete trials; pruned trials are never among them.
    let mut complete: Vec<&Trial> = finished
        .iter()
        .copied()
        .filter(|t| t.state == TrialState::Complete)
        .collect();
    complete.sort_by(|a, b| {
        let (a, b) = (
            direction.as_loss(a.value.unwrap_or(f64::INFINITY)),
            direction.as_loss(b.value.unwrap_or(f64::INFINITY)),
        );
        a.total_cmp(&b)
    });
    let n_good = gamma(finished.len()).min(complete.len());
    let good: Vec<usize> = complete[..n_good].iter().map(|t| t.number).collect();
    let mut params = Params::new();
    for p in space.in_dependency_order() {
        if !space.is_active(p, &params) {
            continue;
        }
        let value = suggest_one(p, &finished, &good, settings, rng);
        params.insert(p.key.clone(), value);
    }
    Some(params)
}

fn suggest_one(
    p: &Parameter,
    finished: &[&Trial],
    good: &[usize],
    settings: &TpeSettings,
    rng: &mut SplitMix64,
) -> toml::Value {
    let d = &p.distribution;
    let (mut below, mut above) = (Vec::new(), Vec::new());
    // In trial order, so that the weights favour recent trials as Optuna's do.
    let mut ordered: Vec<&&Trial> = finished.iter().collect();
    ordered.sort_by_key(|t| t.number);
    for t in ordered {
        let Some(x) = t.params.get(&p.key).and_then(|v| d.internal_of(v)) else {
            continue;
        };
        if good.contains(&t.number) {
            below.push(x);
        } else {
            above.push(x);
        }
    }
    let l = Parzen::new(d, &below, settings.prior_weight);
    let g = Parzen::new(d, &above, settings.prior_weight);
    let mut best = (f64::NEG_INFINITY, l.sample(rng));
    for _ in 0..settings.candidates {
        let x = l.sample(rng);
        let score = l.log_pdf(x) - g.log_pdf(x);
        if score > best.0 {
            best = (score, x);
        }
    }
    d.value_of(best.1)
}

fn pick(weights: &[f64], rng: &mut SplitMix64) -> usize {
    let mut u = rng.unit() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.unit().max(f64::MIN_POSITIVE);
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos()
}

/// The standard normal CDF.
fn phi(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2))
}

fn log_sum_exp(terms: &[f64]) -> f64 {
    let m = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + terms.iter().map(|t| (t - m).exp()).sum::<f64>().ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_and_weights_are_optunas() {
        assert_eq!(
            [gamma(1), gamma(10), gamma(11), gamma(100), gamma(1000)],
            [1, 1, 2, 10, 25]
        );
        assert_eq!(default_weights(3), vec![1.0; 3]);
        let w = default_weights(30);
        assert_eq!(w.len(), 30);
        assert!((w[0] - 1.0 / 30.0).abs() < 1e-12);
        assert!((w[4] - 1.0).abs() < 1e-12);
        assert!(w[1] > w[0] && w[5..].iter().all(|&x| x == 1.0));
    }

    #[test]
    fn a_numeric_estimator_is_a_density_on_its_range() {
        let d = Distribution::Uniform {
            low: 0.0,
            high: 10.0,
        };
        let p = Parzen::new(&d, &[2.0, 2.5, 7.0], 1.0);
        let n = 20_000;
        let step = 10.0 / n as f64;
        let integral: f64 = (0..n)
            .map(|i| p.log_pdf((i as f64 + 0.5) * step).exp() * step)
            .sum();
        assert!((integral - 1.0).abs() < 1e-3, "{integral}");
        // Denser near the observations than far from them.
        assert!(p.log_pdf(2.2) > p.log_pdf(5.0));
        let mut rng = SplitMix64::new(1);
        assert!((0..1000).all(|_| (0.0..=10.0).contains(&p.sample(&mut rng))));
    }

    #[test]
    fn bandwidths_are_the_farther_neighbour_distance() {
        let s = neighbour_bandwidths(&[5.0, 1.0, 2.0], 0.0, 10.0);
        // Sorted 1, 2, 5: ends take their inner neighbour's distance, the middle the larger.
        assert_eq!(s, vec![3.0, 1.0, 3.0]);
    }

    #[test]
    fn categories_weigh_by_count_plus_the_prior() {
        let d = Distribution::Choice(vec![1.into(), 2.into(), 3.into()]);
        let Parzen::Categorical(w) = Parzen::new(&d, &[0.0, 0.0, 2.0], 1.0) else {
            panic!()
        };
        let expected = [2.0 + 1.0 / 3.0, 1.0 / 3.0, 1.0 + 1.0 / 3.0].map(|x| x / 4.0);
        for (a, b) in w.iter().zip(expected) {
            assert!((a - b).abs() < 1e-12);
        }
    }
}
