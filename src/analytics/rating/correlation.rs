//! Pairwise asset correlations from the obligors' `region` and `industry` tags, and their
//! Cholesky factor (docs/rating.md "Correlation").

use nalgebra::DMatrix;

use crate::error::Error;
use crate::rating_model::{Correlations, ObligorCredit};

/// The correlation of two different obligors: same region and industry, same region only, same
/// industry only, or neither. A missing tag matches nothing.
pub fn pair(a: &ObligorCredit, b: &ObligorCredit, c: &Correlations) -> f64 {
    let same =
        |x: &Option<String>, y: &Option<String>| matches!((x, y), (Some(x), Some(y)) if x == y);
    match (same(&a.region, &b.region), same(&a.industry, &b.industry)) {
        (true, true) => c.same_region_and_industry,
        (true, false) => c.same_region,
        (false, true) => c.same_industry,
        (false, false) => c.neither,
    }
}

/// The n × n correlation matrix (1 on the diagonal), row-major.
pub fn matrix(credits: &[ObligorCredit], c: &Correlations) -> Vec<f64> {
    let n = credits.len();
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            m[i * n + j] = if i == j {
                1.0
            } else {
                pair(&credits[i], &credits[j], c)
            };
        }
    }
    m
}

/// The lower Cholesky factor L (L Lᵀ = the matrix) of the correlation matrix of `credits`,
/// packed by rows (row i holds its i + 1 entries), computed by nalgebra.
///
/// Errors (exit code 2) when the matrix is not positive definite, naming the first obligor at
/// which a leading block stops being positive definite and the pair of obligors with the
/// largest correlation in that block.
pub fn cholesky(
    names: &[&str],
    credits: &[ObligorCredit],
    c: &Correlations,
) -> Result<Vec<f64>, Error> {
    let n = credits.len();
    let m = matrix(credits, c);
    let full = DMatrix::from_row_slice(n, n, &m);
    let Some(ch) = full.clone().cholesky() else {
        return Err(not_positive_definite(names, credits, c, &m, n));
    };
    let l = ch.l();
    let mut packed = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in 0..=i {
            packed.push(l[(i, j)]);
        }
    }
    Ok(packed)
}

fn not_positive_definite(
    names: &[&str],
    credits: &[ObligorCredit],
    c: &Correlations,
    m: &[f64],
    n: usize,
) -> Error {
    // The first leading k × k block that fails.
    let mut k = n;
    for size in 2..=n {
        let block = DMatrix::from_fn(size, size, |i, j| m[i * n + j]);
        if block.cholesky().is_none() {
            k = size;
            break;
        }
    }
    let last = k - 1;
    let (mut worst, mut at) = (f64::NEG_INFINITY, 0);
    for j in 0..last {
        let r = pair(&credits[last], &credits[j], c);
        if r > worst {
            worst = r;
            at = j;
        }
    }
    Error::Usage(format!(
        "the obligors' correlation matrix is not positive definite: it stops being so at \
         obligor `{}` (number {} of {n}), whose correlation with `{}` is {worst}; the \
         correlations in use are same region and industry {}, same region {}, same industry \
         {}, neither {}. Expected correlations that form a valid correlation matrix, e.g. a \
         larger `neither` or smaller same-region/same-industry values in [rating_model] \
         (docs/rating.md)",
        names.get(last).copied().unwrap_or("?"),
        last + 1,
        names.get(at).copied().unwrap_or("?"),
        c.same_region_and_industry,
        c.same_region,
        c.same_industry,
        c.neither
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating_model::CreditCurve;

    fn ob(r: &str, i: &str) -> ObligorCredit {
        ObligorCredit {
            curve: CreditCurve::Rating(1),
            region: Some(r.into()),
            industry: Some(i.into()),
        }
    }

    #[test]
    fn pairs_follow_the_tags() {
        let c = Correlations::default();
        assert_eq!(pair(&ob("a", "x"), &ob("a", "x"), &c), 0.40);
        assert_eq!(pair(&ob("a", "x"), &ob("a", "y"), &c), 0.25);
        assert_eq!(pair(&ob("a", "x"), &ob("b", "x"), &c), 0.35);
        assert_eq!(pair(&ob("a", "x"), &ob("b", "y"), &c), 0.10);
    }

    #[test]
    fn a_matrix_that_is_not_positive_definite_is_named() {
        // Same region 0.9, neither -0.9: A~B 0.9, A~C 0.9 (same region), B~C -0.9 is not a
        // valid correlation matrix (1 + 2·0.9·0.9·(−0.9) − 0.81·3 < 0).
        let c = Correlations {
            same_region_and_industry: 0.9,
            same_region: 0.9,
            same_industry: 0.9,
            neither: -0.9,
        };
        let credits = [ob("a", "x"), ob("a", "y"), ob("b", "x"), ob("c", "z")];
        // a-x ~ a-y: 0.9; a-x ~ b-x: 0.9; a-y ~ b-x: -0.9.
        let err = cholesky(&["A", "B", "C", "D"], &credits, &c).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("obligor `C` (number 3 of 4)"), "{msg}");
        assert_eq!(err.exit_code(), 2);
    }
}
