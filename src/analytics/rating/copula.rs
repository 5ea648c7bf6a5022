//! The Gaussian copula (docs/rating.md "Simulation"): correlated standard normals
//! `X = L Z` (L the Cholesky factor of the correlation matrix, Z independent standard
//! normals); obligor i defaults when `X_i < Φ⁻¹(PD_i(T_i))`, T_i its exposure term, at the time
//! `t` with `PD_i(t) = Φ(X_i)`.
//!
//! Random numbers: path p uses ChaCha8 (`rand_chacha`) keyed by `ChaCha8Rng::seed_from_u64(seed)`
//! on stream p, position 0; Z_1 … Z_n are drawn in obligor order by `rand_distr`'s
//! `StandardNormal` (Ziggurat). A path's draws therefore depend on (seed, p) only, never on the
//! thread that runs it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::error::Error;
use crate::rating_model::{CreditCurve, PdTable, pd_at, time_at};

/// An obligor's cumulative default probability as a function of time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Curve {
    /// A row of the rating × term table.
    Row([f64; 10]),
    /// `pd × t / term`, reaching the explicit PD at the end of the exposure term.
    Linear { pd: f64, term: f64 },
}

impl Curve {
    pub fn from_credit(curve: &CreditCurve, table: &PdTable, term: f64) -> Curve {
        match *curve {
            CreditCurve::Rating(i) => Curve::Row(table.rows[i].1),
            CreditCurve::Explicit(pd) => Curve::Linear { pd, term },
        }
    }

    /// Cumulative PD over `t` years.
    pub fn pd(&self, t: f64) -> f64 {
        match *self {
            Curve::Row(row) => pd_at(&row, t),
            Curve::Linear { pd, term } => {
                if term <= 0.0 {
                    pd
                } else {
                    pd * (t / term).clamp(0.0, 1.0)
                }
            }
        }
    }

    /// The first time at which the cumulative PD reaches `p`.
    pub fn time(&self, p: f64) -> f64 {
        match *self {
            Curve::Row(row) => time_at(&row, p),
            Curve::Linear { pd, term } => {
                if pd <= 0.0 {
                    term
                } else {
                    term * (p / pd)
                }
            }
        }
    }
}

/// The standard normal distribution (statrs).
fn std_normal() -> Result<Normal, Error> {
    Normal::new(0.0, 1.0).map_err(|e| Error::Internal(format!("standard normal: {e}")))
}

/// Φ⁻¹(p), with ±∞ at 0 and 1.
pub fn normal_quantile(p: f64) -> Result<f64, Error> {
    if p <= 0.0 {
        Ok(f64::NEG_INFINITY)
    } else if p >= 1.0 {
        Ok(f64::INFINITY)
    } else {
        Ok(std_normal()?.inverse_cdf(p))
    }
}

/// The default model of one pool: everything a path needs.
#[derive(Debug, Clone)]
pub struct DefaultModel {
    n: usize,
    /// Lower Cholesky factor, packed by rows or by columns.
    factor: Factor,
    /// Φ⁻¹(PD_i(T_i)).
    threshold: Vec<f64>,
    curves: Vec<Curve>,
    /// Exposure terms T_i, years.
    terms: Vec<f64>,
    normal: Normal,
    base: ChaCha8Rng,
}

impl DefaultModel {
    /// `chol`: the packed lower Cholesky factor of the n × n correlation matrix; `curves` and
    /// `terms` per obligor.
    pub fn new(
        chol: Vec<f64>,
        curves: Vec<Curve>,
        terms: Vec<f64>,
        seed: u64,
    ) -> Result<Self, Error> {
        let n = curves.len();
        if chol.len() != n * (n + 1) / 2 || terms.len() != n {
            return Err(Error::Internal("default model: inconsistent sizes".into()));
        }
        let threshold = curves
            .iter()
            .zip(&terms)
            .map(|(c, &t)| normal_quantile(c.pd(t)))
            .collect::<Result<Vec<f64>, Error>>()?;
        let factor = if n < COLUMNS_FROM {
            Factor::Rows(chol)
        } else {
            // Column k is entry (i, k) of each row i ≥ k, at i(i+1)/2 + k in the packing by
            // rows.
            Factor::Columns(
                (0..n)
                    .flat_map(|k| (k..n).map(move |i| i * (i + 1) / 2 + k))
                    .map(|at| chol[at])
                    .collect(),
            )
        };
        Ok(DefaultModel {
            n,
            factor,
            threshold,
            curves,
            terms,
            normal: std_normal()?,
            base: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    pub fn obligors(&self) -> usize {
        self.n
    }

    /// PD of obligor i over its exposure term.
    pub fn term_pd(&self, i: usize) -> f64 {
        self.curves[i].pd(self.terms[i])
    }

    /// Simulates path `path`: pushes (obligor, default time in years) for every obligor that
    /// defaults, in obligor order, onto `out` (cleared first). `z` is scratch space (2n).
    pub fn path(&self, path: u64, z: &mut Vec<f64>, out: &mut Vec<(u32, f64)>) {
        out.clear();
        for (i, &x) in self.latent(path, z).iter().enumerate() {
            if x < self.threshold[i] {
                let u = self.normal.cdf(x);
                let t = self.curves[i].time(u).clamp(0.0, self.terms[i]);
                out.push((i as u32, t));
            }
        }
    }

    /// The obligors' latent variables on path `path`, in `z` (scratch space, 2n).
    ///
    /// Obligor i's is `x_i = Σ_{k ≤ i} L_ik z_k`, summed in the order of k from −0.0 (as
    /// `Iterator::sum` of `f64` sums a row). From [`COLUMNS_FROM`] obligors it is computed
    /// column by column: each `x_i` takes its terms in the same order, with the same roundings
    /// (a product, then a sum; never a fused multiply-add), so the bits are those of the
    /// row-by-row sum. The updates of one column are independent of each other, so the
    /// compiler can vectorize them, where a row's sum is one chain of dependent additions.
    fn latent<'z>(&self, path: u64, z: &'z mut Vec<f64>) -> &'z [f64] {
        let n = self.n;
        let mut rng = self.base.clone();
        rng.set_stream(path);
        z.clear();
        z.extend((0..n).map(|_| rng.sample::<f64, _>(StandardNormal)));
        z.resize(2 * n, -0.0);
        let (z, x) = z.split_at_mut(n);
        match &self.factor {
            Factor::Rows(rows) => {
                let mut off = 0;
                for (i, xi) in x.iter_mut().enumerate() {
                    let row = &rows[off..off + i + 1];
                    off += i + 1;
                    *xi = row.iter().zip(z.iter()).map(|(a, b)| a * b).sum();
                }
            }
            Factor::Columns(cols) => {
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx") {
                    // SAFETY: this CPU has AVX, checked just above.
                    unsafe { by_columns_avx(cols, z, x) };
                    return x;
                }
                by_columns(cols, z, x);
            }
        }
        x
    }
}

/// The pool size from which [`DefaultModel`] keeps its factor by columns. Below it a row's
/// short sum is quicker than a column update's loads and stores; `ipabs-bench rating`, one
/// thread: 15 obligors 0.23 µs a path by rows, 0.27 by columns; 40 obligors 0.71 and 0.68;
/// 60 obligors 1.31 and 1.00; 1,000 obligors 390 and 69 (docs/performance.md, session 20).
const COLUMNS_FROM: usize = 40;

/// A packed lower-triangular factor.
#[derive(Debug, Clone)]
enum Factor {
    /// Row i holds columns 0..=i.
    Rows(Vec<f64>),
    /// Column k holds rows k..n.
    Columns(Vec<f64>),
}

/// `x_i += L_ik z_k` for each column k in turn (`cols`: the factor packed by columns), each a
/// product and then a sum, rounded one at a time.
#[inline(always)]
fn by_columns(cols: &[f64], z: &[f64], x: &mut [f64]) {
    let n = z.len();
    let mut off = 0;
    for (k, &zk) in z.iter().enumerate() {
        let col = &cols[off..off + n - k];
        off += n - k;
        for (xi, &a) in x[k..].iter_mut().zip(col) {
            *xi += a * zk;
        }
    }
}

/// [`by_columns`] compiled for AVX: four lanes a column at a time. The lanes do what the
/// plain loop does, a rounded product and then a rounded sum (AVX has no fused multiply-add,
/// and Rust never fuses one on its own), so the bits are the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn by_columns_avx(cols: &[f64], z: &[f64], x: &mut [f64]) {
    by_columns(cols, z, x);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_path_gives_the_same_defaults() {
        let curves = vec![Curve::Linear { pd: 0.5, term: 1.0 }; 3];
        let chol = vec![1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        let m = DefaultModel::new(chol, curves, vec![1.0; 3], 7).unwrap();
        let (mut z, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
        m.path(41, &mut z, &mut a);
        m.path(3, &mut z, &mut b);
        m.path(41, &mut z, &mut b);
        assert_eq!(a, b);
        assert!(a.iter().all(|&(_, t)| (0.0..=1.0).contains(&t)));
    }

    /// The latent variables are, bit for bit, the row-by-row sums `Σ_k L_ik z_k` (the oracle:
    /// `Iterator::sum` over each packed row, as the model summed before it went by columns), on
    /// a random dense factor with entries of both signs and of many magnitudes, where another
    /// order of additions would round differently; for a pool kept by rows and one kept by
    /// columns.
    #[test]
    fn latent_variables_are_the_row_sums_to_the_bit() {
        for n in [COLUMNS_FROM - 1, 61] {
            latent_variables_are_the_row_sums(n);
        }
    }

    fn latent_variables_are_the_row_sums(n: usize) {
        let mut g = ChaCha8Rng::seed_from_u64(99);
        let rows: Vec<f64> = (0..n * (n + 1) / 2)
            .map(|_| {
                let m: f64 = g.sample(StandardNormal);
                m * 10f64.powi(g.random_range(-6..3))
            })
            .collect();
        let curves = vec![Curve::Linear { pd: 0.3, term: 1.0 }; n];
        let m = DefaultModel::new(rows.clone(), curves, vec![1.0; n], 5).unwrap();
        assert_eq!(matches!(m.factor, Factor::Columns(_)), n >= COLUMNS_FROM);
        let mut z = Vec::new();
        let mut differ = 0;
        for path in 0..300 {
            let mut rng = m.base.clone();
            rng.set_stream(path);
            let normals: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
            let x = m.latent(path, &mut z).to_vec();
            let mut off = 0;
            for (i, xi) in x.iter().enumerate() {
                let row = &rows[off..off + i + 1];
                off += i + 1;
                let oracle: f64 = row.iter().zip(&normals).map(|(a, b)| a * b).sum();
                assert_eq!(xi.to_bits(), oracle.to_bits(), "path {path}, obligor {i}");
                // The same terms summed from the last: how often the order shows.
                let reversed: f64 = row.iter().zip(&normals).rev().map(|(a, b)| a * b).sum();
                differ += usize::from(reversed.to_bits() != oracle.to_bits());
            }
        }
        // The test can tell orders apart: summed in reverse, many sums round differently.
        assert!(differ > 10 * n, "{n} obligors: {differ}");
    }

    #[test]
    fn quantiles_at_the_ends_are_infinite() {
        assert_eq!(normal_quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0).unwrap(), f64::INFINITY);
        assert!((normal_quantile(0.975).unwrap() - 1.959964).abs() < 1e-6);
    }
}
