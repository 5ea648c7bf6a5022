//! `ipabs schema`: every example deal, scenario and actuals file in the repository validates
//! against the JSON Schema, and every unknown-key case of tests/bad_deals and
//! tests/bad_actuals is refused by it at the key the validator names
//! (tests/python/check_schema.py, with Python's `tomllib` and `jsonschema`).

use std::path::Path;
use std::process::Command;

#[test]
fn repository_files_validate_against_the_json_schema() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("python3")
        .arg(root.join("tests/python/check_schema.py"))
        .arg(env!("CARGO_BIN_EXE_ipabs"))
        .arg(root)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schema check failed (install jsonschema with `pip install jsonschema`, or run \
         `bash .ci/run`):\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // "N passed, 0 failed" with N > 0 (review 27a item 5: "0 passed" satisfied it).
    let passed: usize = stdout
        .lines()
        .find_map(|l| l.strip_suffix(" passed, 0 failed"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pass count: {stdout}"));
    assert!(passed > 20, "{stdout}");
}

#[test]
fn schema_refuses_an_unknown_key_and_documents_keys() {
    let out = Command::new(env!("CARGO_BIN_EXE_ipabs"))
        .args(["schema", "deal"])
        .output()
        .expect("ipabs runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // `[deal]` refuses keys it does not list, and `legal_maturity` carries its doc comment.
    assert!(text.contains("\"additionalProperties\": false"));
    assert!(text.contains("\"description\": \"Legal maturity, after the closing date.\""));
    // `[revolving.asset] kind` offers the two kinds a purchase can be (session 25: the
    // schema listed the four asset kinds, two of which validation refuses).
    let schema: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let kind = &schema["$defs"]["RevolvingKind"]["enum"];
    assert_eq!(kind, &serde_json::json!(["loan", "lease"]), "{text}");
    let asset_kind = &schema["$defs"]["AssetKind"]["enum"];
    assert_eq!(asset_kind.as_array().map(Vec::len), Some(4), "{text}");
}
