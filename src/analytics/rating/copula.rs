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
    /// Lower Cholesky factor, packed by rows.
    chol: Vec<f64>,
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
        Ok(DefaultModel {
            n,
            chol,
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
    /// defaults, in obligor order, onto `out` (cleared first). `z` is scratch space of n.
    pub fn path(&self, path: u64, z: &mut Vec<f64>, out: &mut Vec<(u32, f64)>) {
        out.clear();
        let mut rng = self.base.clone();
        rng.set_stream(path);
        z.clear();
        z.extend((0..self.n).map(|_| rng.sample::<f64, _>(StandardNormal)));
        let mut off = 0;
        for i in 0..self.n {
            let row = &self.chol[off..off + i + 1];
            off += i + 1;
            let x: f64 = row.iter().zip(z.iter()).map(|(a, b)| a * b).sum();
            if x < self.threshold[i] {
                let u = self.normal.cdf(x);
                let t = self.curves[i].time(u).clamp(0.0, self.terms[i]);
                out.push((i as u32, t));
            }
        }
    }
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

    #[test]
    fn quantiles_at_the_ends_are_infinite() {
        assert_eq!(normal_quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0).unwrap(), f64::INFINITY);
        assert!((normal_quantile(0.975).unwrap() - 1.959964).abs() < 1e-6);
    }
}
