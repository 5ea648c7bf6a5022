//! `ipabs schema`: JSON Schemas of the input files, generated from the serde types of
//! [`crate::schema`] (docs/editor.md).
//!
//! Every type of [`crate::schema`] derives `schemars::JsonSchema` next to `Deserialize`; a
//! field's `///` comment becomes its `description`, `#[serde(deny_unknown_fields)]` becomes
//! `additionalProperties: false`, and [`crate::schema::Date`] has a hand-written schema (an
//! ISO date string, which is how editors present TOML's native dates to a schema).

use schemars::generate::SchemaSettings;

use crate::schema::{ActualsFile, DealFile, ScenarioFile};

/// The input formats that have a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A deal file (`ipabs run DEAL.toml`).
    Deal,
    /// A scenario file (`--scenarios FILE`).
    Scenarios,
    /// An actuals file (`ipabs reconcile --actuals FILE`).
    Actuals,
}

/// The JSON Schema (draft 2020-12, the schema of what is read) of `format`, pretty-printed.
pub fn schema_text(format: Format) -> String {
    let generator = SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let (schema, id) = match format {
        Format::Deal => (generator.into_root_schema_for::<DealFile>(), "deal"),
        Format::Scenarios => (
            generator.into_root_schema_for::<ScenarioFile>(),
            "scenarios",
        ),
        Format::Actuals => (generator.into_root_schema_for::<ActualsFile>(), "actuals"),
    };
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "title".into(),
            format!("ipabs {id} file ({})", env!("CARGO_PKG_VERSION")).into(),
        );
    }
    // A `Value` always serializes; the fallback is never reached.
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
