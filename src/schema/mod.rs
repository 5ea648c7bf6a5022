//! Raw deal and scenario files: serde types that mirror the TOML one to one.
//!
//! Every struct denies unknown keys, so a typo is an error. Keys whose presence depends on
//! another key (an asset's `kind`, a step's `action`, …) are optional here and checked in
//! [`crate::validate`], which turns these types into [`crate::deal::Deal`] and
//! [`crate::scenario::Scenario`]. The file format is documented in `docs/deal-format.md`.
//!
//! One module per file kind: `deal` (a deal file), `scenarios` (a deal's `[scenario]` and
//! a scenario file), `cohort` (a cohort file), `actuals` (an actuals file); this one holds
//! what they share, the ISO date.

mod actuals;
mod cohort;
mod deal;
mod scenarios;

pub use actuals::*;
pub use cohort::*;
pub use deal::*;
pub use scenarios::*;

use std::fmt;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// A date written as a native TOML date (`2024-03-31`) or a string (`"2024-03-31"`).
/// A date-time (with a time or an offset) is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(pub NaiveDate);

/// The `expected` text of every date error.
pub const DATE_EXPECTED: &str = "a date like 2024-03-31";

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DateVisitor)
    }
}

struct DateVisitor;

impl<'de> Visitor<'de> for DateVisitor {
    type Value = Date;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(DATE_EXPECTED)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Date, E> {
        parse_iso_date(v).map(Date).ok_or_else(|| {
            E::custom(format_args!(
                "`{v}` is not a date, expected {DATE_EXPECTED}"
            ))
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Date, A::Error> {
        let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let invalid = || {
            de::Error::custom(format_args!(
                "the date-time `{dt}` has a time or an offset, expected {DATE_EXPECTED}"
            ))
        };
        match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
                    .map(Date)
                    .ok_or_else(invalid)
            }
            _ => Err(invalid()),
        }
    }
}

/// In the JSON Schema (`ipabs schema`), a date is a string in ISO form: taplo and other
/// editors present TOML's native dates to a schema as such strings.
impl JsonSchema for Date {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Date".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date",
            "description": "A date like 2024-03-31 (a native TOML date or a string); no time, no offset."
        })
    }
}

/// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day): calendar data and
/// dates written as strings in deal and scenario files.
pub fn parse_iso_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}
