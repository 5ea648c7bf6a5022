//! A scenario file's grid: axes whose product is a set of scenarios (docs/scenarios.md,
//! `[grid]`), and the names of its points.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::*;

/// Most points a grid may expand to.
pub const MAX_GRID_POINTS: u128 = 1_000_000;

/// One dimension of a [`Grid`]: the values it takes, in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Axis {
    /// `cdr` values.
    Cdr(Vec<Decimal>),
    /// `default_rate` values.
    DefaultRate(Vec<Decimal>),
    /// `recovery_rate` values.
    RecoveryRate(Vec<Decimal>),
    /// `recovery_lag_months` values.
    RecoveryLagMonths(Vec<u32>),
    /// (fraction, months).
    Delay(Vec<(Decimal, u32)>),
    /// `cpr` values.
    Cpr(Vec<Decimal>),
    /// Sets of obligor indices, all defaulting on `date`; a set replaces the base's defaults.
    DefaultedObligors {
        /// The sets, each of indices into the deal's obligors.
        sets: Vec<Vec<usize>>,
        /// The date every set defaults (`default_date`).
        date: NaiveDate,
    },
    /// Sets of support indices switched off; a set replaces the base's.
    SupportsOff(Vec<Vec<usize>>),
}

impl Axis {
    /// The keys of the dimensions, in the order of the variants.
    pub const KEYS: [&'static str; 8] = [
        "cdr",
        "default_rate",
        "recovery_rate",
        "recovery_lag_months",
        "delay",
        "cpr",
        "defaulted_obligors",
        "supports_off",
    ];

    /// The key of the dimension in a scenario file and in point names.
    pub fn key(&self) -> &'static str {
        Self::KEYS[match self {
            Axis::Cdr(_) => 0,
            Axis::DefaultRate(_) => 1,
            Axis::RecoveryRate(_) => 2,
            Axis::RecoveryLagMonths(_) => 3,
            Axis::Delay(_) => 4,
            Axis::Cpr(_) => 5,
            Axis::DefaultedObligors { .. } => 6,
            Axis::SupportsOff(_) => 7,
        }]
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Axis::Cdr(v) | Axis::DefaultRate(v) | Axis::RecoveryRate(v) | Axis::Cpr(v) => v.len(),
            Axis::RecoveryLagMonths(v) => v.len(),
            Axis::Delay(v) => v.len(),
            Axis::DefaultedObligors { sets, .. } => sets.len(),
            Axis::SupportsOff(v) => v.len(),
        }
    }

    /// Whether the dimension has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets value `i` on `s`.
    fn apply(&self, i: usize, s: &mut Scenario) {
        match self {
            Axis::Cdr(v) => s.cdr = v[i],
            Axis::DefaultRate(v) => s.default_rate = v[i],
            Axis::RecoveryRate(v) => s.recovery_rate = v[i],
            Axis::RecoveryLagMonths(v) => s.recovery_lag_months = v[i],
            Axis::Delay(v) => (s.delay_fraction, s.delay_months) = v[i],
            Axis::Cpr(v) => s.cpr = v[i],
            Axis::DefaultedObligors { sets, date } => {
                s.obligor_defaults = sets[i].iter().map(|&o| (o, *date)).collect();
            }
            Axis::SupportsOff(v) => {
                // A support off from the start no longer fails from a date; the base's other
                // failures stay (review 28c item 7).
                s.supports_off = v[i].clone();
                s.support_failures.retain(|(x, _)| !v[i].contains(x));
            }
        }
    }

    /// Value `i` as written in a point name.
    fn label(&self, i: usize, names: &PointNames) -> String {
        let join = |set: &[usize], name: &dyn Fn(usize) -> Option<String>| {
            if set.is_empty() {
                "none".to_string()
            } else {
                set.iter()
                    .map(|&x| name(x).unwrap_or_else(|| x.to_string()))
                    .collect::<Vec<_>>()
                    .join("+")
            }
        };
        match self {
            Axis::Cdr(v) | Axis::DefaultRate(v) | Axis::RecoveryRate(v) | Axis::Cpr(v) => {
                v[i].normalize().to_string()
            }
            Axis::RecoveryLagMonths(v) => v[i].to_string(),
            Axis::Delay(v) => format!("{}@{}m", v[i].0.normalize(), v[i].1),
            Axis::DefaultedObligors { sets, .. } => {
                join(&sets[i], &|o| names_of(names.obligors, o))
            }
            Axis::SupportsOff(v) => join(&v[i], &|x| names_of(names.supports, x)),
        }
    }
}

/// A deal's obligor and support names by index, for grid point names.
#[derive(Debug, Clone, Copy)]
pub struct PointNames<'a> {
    /// Obligor names, by index.
    pub obligors: &'a [&'a str],
    /// Support names, by index.
    pub supports: &'a [&'a str],
}

/// The name at `i`, if there is one.
fn names_of(names: &[&str], i: usize) -> Option<String> {
    names.get(i).map(|n| (*n).to_string())
}

/// A grid of scenarios: the Cartesian product of its axes applied to `base`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Prefix of the point names.
    pub prefix: String,
    /// The scenario whose other fields every point inherits.
    pub base: Scenario,
    /// Dimensions, slowest-varying first.
    pub axes: Vec<Axis>,
}

impl Grid {
    /// Number of points: the product of the axis lengths (1 with no axes), saturating.
    pub fn size(&self) -> u128 {
        self.axes
            .iter()
            .fold(1u128, |n, a| n.saturating_mul(a.len() as u128))
    }

    /// Point `index` (0-based, `< size()`): the last axis varies fastest. Its name is
    /// `prefix[key=value,...]` over the axes with two or more values, or `prefix` alone when
    /// there are none.
    pub fn point(&self, index: usize, names: &PointNames) -> Scenario {
        self.point_with(index, &self.labels(names))
    }

    /// The name label of every value of every axis with two or more values.
    fn labels(&self, names: &PointNames) -> Vec<Vec<String>> {
        self.axes
            .iter()
            .map(|a| {
                if a.len() > 1 {
                    (0..a.len())
                        .map(|i| format!("{}={}", a.key(), a.label(i, names)))
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect()
    }

    fn point_with(&self, index: usize, labels: &[Vec<String>]) -> Scenario {
        let mut s = self.base.clone();
        let mut rest = index;
        let mut picks = vec![0usize; self.axes.len()];
        for (pick, axis) in picks.iter_mut().zip(&self.axes).rev() {
            let n = axis.len().max(1);
            *pick = rest % n;
            rest /= n;
        }
        let mut name = self.prefix.clone();
        let mut sep = '[';
        for ((&i, axis), labels) in picks.iter().zip(&self.axes).zip(labels) {
            if axis.is_empty() {
                continue;
            }
            axis.apply(i, &mut s);
            if let Some(l) = labels.get(i) {
                name.push(sep);
                name.push_str(l);
                sep = ',';
            }
        }
        if sep == ',' {
            name.push(']');
        }
        s.name = name;
        s
    }

    /// Every point, in order (see [`Grid::point`]). The caller keeps `size()` reasonable
    /// (validation caps it at [`MAX_GRID_POINTS`]).
    pub fn expand(&self, names: &PointNames) -> Vec<Scenario> {
        let n = usize::try_from(self.size()).unwrap_or(usize::MAX);
        let labels = self.labels(names);
        (0..n).map(|i| self.point_with(i, &labels)).collect()
    }
}
