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
         larger `neither` or smaller same-region/same-industry values in \
         [rating_model.correlation]{} (docs/rating.md §3)",
        names.get(last).copied().unwrap_or("?"),
        last + 1,
        names.get(at).copied().unwrap_or("?"),
        c.same_region_and_industry,
        c.same_region,
        c.same_industry,
        c.neither,
        additive_advice(c)
    ))
}

/// The table's additive value of `same_region_and_industry` (same region + same industry −
/// neither), with which the matrix is positive definite for any pool (a sum of one block
/// matrix per tag, and the identity × (1 − that value): docs/rating.md §3), as advice; empty
/// when the other three do not allow it (`neither` below 0, a same-tag value below it, or
/// the sum not below 1). Shown at 6 places (0.25 + 0.35 − 0.1 is 0.5).
fn additive_advice(c: &Correlations) -> String {
    let x = c.same_region + c.same_industry - c.neither;
    if c.neither >= 0.0 && c.same_region >= c.neither && c.same_industry >= c.neither && x < 1.0 {
        format!(
            ", or `same_region_and_industry = {}` (same region + same industry − neither), \
             with which it is positive definite for any pool",
            (x * 1e6).round() / 1e6
        )
    } else {
        String::new()
    }
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
        // `neither` below 0: no additive table to offer.
        assert!(!msg.contains("for any pool"), "{msg}");
    }

    /// The default table on 2 regions × 2 industries × 7 obligors (found by the rate oracle,
    /// tests/oracle_rate): the vector +1 on the two cells (R0, I0), (R1, I1) and −1 on the
    /// other two has eigenvalue 1 − 0.4 + 7·(0.4 − 0.25 − 0.35 + 0.1) = 0.6 − 0.7 < 0. The
    /// message offers `same_region_and_industry = 0.5` (0.25 + 0.35 − 0.1), and with it the
    /// same pool factors.
    #[test]
    fn the_default_table_can_fail_and_the_additive_one_cannot() {
        let cells = [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y")];
        let credits: Vec<ObligorCredit> = cells
            .iter()
            .flat_map(|&(r, i)| (0..7).map(move |_| ob(r, i)))
            .collect();
        let names: Vec<String> = (0..credits.len()).map(|k| format!("O{k}")).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let default = Correlations {
            same_region_and_industry: 0.40,
            same_region: 0.25,
            same_industry: 0.35,
            neither: 0.10,
        };
        let msg = cholesky(&names, &credits, &default)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("`same_region_and_industry = 0.5` (same region + same industry − neither), with which it is positive definite for any pool"),
            "{msg}"
        );
        let additive = Correlations {
            same_region_and_industry: 0.5,
            ..default
        };
        assert!(cholesky(&names, &credits, &additive).is_ok());
    }
}
