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
    Linear {
        /// The explicit cumulative PD over the exposure term (the `pd` tag), as a fraction.
        pd: f64,
        /// The exposure term T, in years (days / 365): the obligor's, or its group's longest
        /// (docs/rating.md).
        term: f64,
    },
}

impl Curve {
    /// The curve of a credit input: a row of `table`, or an explicit PD reached linearly over
    /// an exposure term of `term` years.
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
    /// Lower Cholesky factor, packed by columns: column k holds rows k..n.
    cols: Vec<f64>,
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
        // Column k is entry (i, k) of each row i ≥ k, at i(i+1)/2 + k in the packing by rows.
        let cols = (0..n)
            .flat_map(|k| (k..n).map(move |i| i * (i + 1) / 2 + k))
            .map(|at| chol[at])
            .collect();
        Ok(DefaultModel {
            n,
            cols,
            threshold,
            curves,
            terms,
            normal: std_normal()?,
            base: ChaCha8Rng::seed_from_u64(seed),
        })
    }

    /// Number of credits the model draws: one per obligor, an obligor group once.
    pub fn obligors(&self) -> usize {
        self.n
    }

    /// PD of obligor i over its exposure term.
    pub fn term_pd(&self, i: usize) -> f64 {
        self.curves[i].pd(self.terms[i])
    }

    /// Simulates path `path`: pushes (obligor, default time in years) for every obligor that
    /// defaults, in obligor order, onto `out` (cleared first). `z` is scratch space.
    pub fn path(&self, path: u64, z: &mut Vec<f64>, out: &mut Vec<(u32, f64)>) {
        let x = self.latent(path, 1, z);
        self.defaults(|i| x[i * LANES], out);
    }

    /// Simulates the paths `paths` in order, as [`DefaultModel::path`], and calls `each` with
    /// the defaults of each. `z` and `out` are scratch space. `LANES` (four) paths at a time share
    /// each pass over the Cholesky factor.
    pub fn each_path(
        &self,
        paths: std::ops::Range<u64>,
        z: &mut Vec<f64>,
        out: &mut Vec<(u32, f64)>,
        mut each: impl FnMut(&[(u32, f64)]),
    ) {
        let mut first = paths.start;
        while first < paths.end {
            let count = (paths.end - first).min(LANES as u64) as usize;
            let x = self.latent(first, count, z);
            for j in 0..count {
                self.defaults(|i| x[i * LANES + j], out);
                each(out);
            }
            first += count as u64;
        }
    }

    /// Pushes (obligor, default time) for each obligor i whose latent variable `x(i)` is below
    /// its threshold onto `out` (cleared first).
    fn defaults(&self, x: impl Fn(usize) -> f64, out: &mut Vec<(u32, f64)>) {
        out.clear();
        for i in 0..self.n {
            let x = x(i);
            if x < self.threshold[i] {
                let u = self.normal.cdf(x);
                let t = self.curves[i].time(u).clamp(0.0, self.terms[i]);
                out.push((i as u32, t));
            }
        }
    }

    /// Path `path`'s normals Z_1 … Z_n, in obligor order, into `z[k * stride]`.
    fn normals(&self, path: u64, z: &mut [f64], stride: usize) {
        let mut rng = self.base.clone();
        rng.set_stream(path);
        for zk in z.iter_mut().step_by(stride).take(self.n) {
            *zk = rng.sample(StandardNormal);
        }
    }

    /// The latent variables of the `count` (at most [`LANES`]) paths from `first`, in `z`
    /// (scratch space): obligor i's on path `first + j` at `i * LANES + j`.
    ///
    /// Obligor i's is `x_i = Σ_{k ≤ i} L_ik z_k`, summed in the order of k from −0.0 (as
    /// `Iterator::sum` of `f64` sums a row of L), each product and each sum rounded on its own
    /// (never a fused multiply-add). It is formed a column of L at a time: the updates of one
    /// column are independent of each other, where a row's sum is one chain of dependent
    /// additions, and the paths of a block share each entry of L read.
    fn latent<'z>(&self, first: u64, count: usize, z: &'z mut Vec<f64>) -> &'z [f64] {
        let n = self.n;
        z.clear();
        z.resize(2 * n * LANES, -0.0);
        let (z, x) = z.split_at_mut(n * LANES);
        for j in 0..count {
            self.normals(first + j as u64, &mut z[j..], LANES);
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: this CPU has AVX, checked just above.
            unsafe { by_columns_avx(&self.cols, z, x) };
            return x;
        }
        by_columns(&self.cols, z, x);
        x
    }
}

/// The paths whose latent variables are formed together: one AVX register of `f64`.
const LANES: usize = 4;

/// `x_i += L_ik z_k` for each column k in turn (`cols`: the factor packed by columns), for
/// [`LANES`] paths at once (`z` and `x` by obligor, then path), each a product and then a
/// sum, rounded one at a time.
#[inline(always)]
fn by_columns(cols: &[f64], z: &[f64], x: &mut [f64]) {
    let mut off = 0;
    for (k, zk) in z.chunks_exact(LANES).enumerate() {
        let n = x.len() / LANES;
        let col = &cols[off..off + n - k];
        off += n - k;
        for (xi, &a) in x[k * LANES..].chunks_exact_mut(LANES).zip(col) {
            for (xij, &zkj) in xi.iter_mut().zip(zk) {
                *xij += a * zkj;
            }
        }
    }
}

/// [`by_columns`] in AVX instructions: the four paths of a block in one register, each update
/// a rounded product (`vmulpd`) and then a rounded sum (`vaddpd`), as the plain loop does (AVX
/// has no fused multiply-add), so the bits are the same. Four columns are taken in one pass
/// over the sums, each sum loaded and stored once for the four and given their terms in the
/// order of the columns; the sums of the first three rows of such a group, which have fewer
/// than four of its columns, are updated first, a column at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn by_columns_avx(cols: &[f64], z: &[f64], x: &mut [f64]) {
    use std::arch::x86_64::{
        __m256d, _mm256_add_pd, _mm256_loadu_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_storeu_pd,
    };
    const _: () = assert!(LANES == 4);
    let n = x.len() / LANES;
    // SAFETY (every block below): each pointer is the start of a chunk of exactly LANES = 4
    // f64 (`chunks_exact`, `chunks_exact_mut`); unaligned loads and stores.
    let load = |v: &[f64]| unsafe { _mm256_loadu_pd(v.as_ptr()) };
    // `x += a z`, rounded after the product and after the sum.
    let term =
        |x: __m256d, a: f64, z: __m256d| _mm256_add_pd(x, _mm256_mul_pd(_mm256_set1_pd(a), z));
    let (mut k, mut off) = (0, 0);
    while k < n {
        let len = n - k;
        if len < 4 {
            // The last columns, one at a time.
            let zv = load(&z[k * LANES..]);
            for (xi, &a) in x[k * LANES..]
                .chunks_exact_mut(LANES)
                .zip(&cols[off..off + len])
            {
                unsafe { _mm256_storeu_pd(xi.as_mut_ptr(), term(load(xi), a, zv)) };
            }
            off += len;
            k += 1;
            continue;
        }
        // Columns k .. k + 4, of lengths len, len − 1, len − 2, len − 3.
        let c0 = &cols[off..off + len];
        let c1 = &cols[off + len..off + 2 * len - 1];
        let c2 = &cols[off + 2 * len - 1..off + 3 * len - 3];
        let c3 = &cols[off + 3 * len - 3..off + 4 * len - 6];
        let (z0, z1, z2, z3) = (
            load(&z[k * LANES..]),
            load(&z[(k + 1) * LANES..]),
            load(&z[(k + 2) * LANES..]),
            load(&z[(k + 3) * LANES..]),
        );
        let (top, rest) = x[k * LANES..].split_at_mut(3 * LANES);
        // Rows k, k + 1, k + 2: the group's columns up to the diagonal.
        let mut rows = top.chunks_exact_mut(LANES);
        if let (Some(r0), Some(r1), Some(r2)) = (rows.next(), rows.next(), rows.next()) {
            let v0 = term(load(r0), c0[0], z0);
            let v1 = term(term(load(r1), c0[1], z0), c1[0], z1);
            let v2 = term(term(term(load(r2), c0[2], z0), c1[1], z1), c2[0], z2);
            unsafe {
                _mm256_storeu_pd(r0.as_mut_ptr(), v0);
                _mm256_storeu_pd(r1.as_mut_ptr(), v1);
                _mm256_storeu_pd(r2.as_mut_ptr(), v2);
            }
        }
        // Rows k + 3 on: all four columns, in order.
        let terms = c0[3..].iter().zip(&c1[2..]).zip(&c2[1..]).zip(c3);
        for (xi, (((&a0, &a1), &a2), &a3)) in rest.chunks_exact_mut(LANES).zip(terms) {
            let v = term(term(term(term(load(xi), a0, z0), a1, z1), a2, z2), a3, z3);
            unsafe { _mm256_storeu_pd(xi.as_mut_ptr(), v) };
        }
        off += 4 * len - 6;
        k += 4;
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

    /// The latent variables are, bit for bit, the row-by-row sums `Σ_k L_ik z_k` (the oracle:
    /// `Iterator::sum` over each packed row, as the model summed before it went by columns), on
    /// a random dense factor with entries of both signs and of many magnitudes, where another
    /// order of additions would round differently; paths taken in blocks of 1 to `LANES`;
    /// both by the AVX kernel (on a CPU that has AVX) and by the plain loop.
    #[test]
    fn latent_variables_are_the_row_sums_to_the_bit() {
        for n in [3, 4, 7, 15, 61] {
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
        let mut z = Vec::new();
        // (path, its latent variables), 300 paths.
        let mut latent: Vec<(u64, Vec<f64>)> = Vec::new();
        let (mut first, mut count) = (0, 1);
        while first < 300 {
            let x = m.latent(first, count, &mut z).to_vec();
            // The plain loop on the same normals.
            let (normals, _) = z.split_at(n * LANES);
            let mut plain = vec![-0.0; n * LANES];
            by_columns(&m.cols, normals, &mut plain);
            for j in 0..count {
                let xj: Vec<f64> = (0..n).map(|i| x[i * LANES + j]).collect();
                let pj: Vec<f64> = (0..n).map(|i| plain[i * LANES + j]).collect();
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&xj), bits(&pj), "path {}", first + j as u64);
                latent.push((first + j as u64, xj));
            }
            first += count as u64;
            count = count % LANES + 1;
        }
        assert_eq!(latent.len(), 300);
        let mut differ = 0;
        for (path, x) in latent {
            let mut rng = m.base.clone();
            rng.set_stream(path);
            let normals: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
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

    /// `each_path` gives every path the defaults `path` gives it, over a range that neither
    /// starts nor ends at a multiple of `LANES`.
    #[test]
    fn each_path_is_path_after_path() {
        for n in [5, 45] {
            let mut g = ChaCha8Rng::seed_from_u64(7);
            // A valid factor: the identity plus a small lower part.
            let rows: Vec<f64> = (0..n)
                .flat_map(|i| (0..=i).map(move |k| (i, k)))
                .map(|(i, k)| if i == k { 1.0 } else { 0.1 * g.random::<f64>() })
                .collect();
            let curves = vec![Curve::Linear { pd: 0.2, term: 1.0 }; n];
            let m = DefaultModel::new(rows, curves, vec![1.0; n], 3).unwrap();
            let (mut z, mut out, mut one) = (Vec::new(), Vec::new(), Vec::new());
            let mut seen = Vec::new();
            m.each_path(3..106, &mut z, &mut out, |d| seen.push(d.to_vec()));
            assert_eq!(seen.len(), 103);
            let mut defaults = 0;
            for (p, d) in (3..106).zip(&seen) {
                m.path(p, &mut z, &mut one);
                assert_eq!(d, &one, "{n} obligors, path {p}");
                defaults += d.len();
            }
            // Defaults to compare: about a fifth of the obligors on each path.
            assert!(defaults > 103 * n / 10, "{defaults}");
        }
    }

    #[test]
    fn quantiles_at_the_ends_are_infinite() {
        assert_eq!(normal_quantile(0.0).unwrap(), f64::NEG_INFINITY);
        assert_eq!(normal_quantile(1.0).unwrap(), f64::INFINITY);
        assert!((normal_quantile(0.975).unwrap() - 1.959964).abs() < 1e-6);
    }
}
