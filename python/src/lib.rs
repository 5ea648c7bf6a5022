//! `import ipabs`: the Rust half of the Python package (python/ipabs/ is the Python half).
//!
//! Every entry point runs the `ipabs` crate with the GIL released, inside
//! `std::panic::catch_unwind`: an [`ipabs::error::Error`] becomes a Python exception of the
//! matching class (an input error carries file, line, column, key path, problem and expected as
//! attributes) and a panic becomes [`InternalError`]; no panic crosses into Python.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ipabs::error::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

create_exception!(
    ipabs,
    IpabsError,
    PyException,
    "Base class of every ipabs error; `exit_code` is the command line's exit code."
);
create_exception!(
    ipabs,
    InputError,
    IpabsError,
    "A deal, scenario or actuals file is wrong: `file`, `line`, `column`, `key_path`, \
     `problem`, `expected` (of the first problem) and `errors` (every problem, as dicts)."
);
create_exception!(
    ipabs,
    UsageError,
    IpabsError,
    "Bad arguments (exit code 2 on the command line)."
);
create_exception!(
    ipabs,
    OutputError,
    IpabsError,
    "Results could not be written (exit code 1)."
);
create_exception!(
    ipabs,
    DifferencesError,
    IpabsError,
    "reconcile: reported lines differ from the waterfall (exit code 4)."
);
create_exception!(
    ipabs,
    InternalError,
    IpabsError,
    "A bug in ipabs (exit code 3): an engine invariant failed, or a panic was caught."
);

/// The Python exception of `e`, with its attributes.
fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    let code = e.exit_code();
    let err = match &e {
        Error::Input(_) => InputError::new_err(message),
        Error::Read { .. } | Error::Usage(_) => UsageError::new_err(message),
        Error::Write { .. } => OutputError::new_err(message),
        Error::Differences(_) => DifferencesError::new_err(message),
        Error::Internal(_) => InternalError::new_err(message),
    };
    let value = err.value(py);
    let _ = value.setattr("exit_code", code);
    if let Error::Input(list) = &e {
        let errors = PyList::empty(py);
        for (i, x) in list.iter().enumerate() {
            let d = PyDict::new(py);
            let fields: [(&str, Py<PyAny>); 6] = [
                (
                    "file",
                    x.file
                        .clone()
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
                (
                    "line",
                    x.line
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
                (
                    "column",
                    x.column
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
                (
                    "key_path",
                    x.key_path
                        .clone()
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
                (
                    "problem",
                    x.problem
                        .clone()
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
                (
                    "expected",
                    x.expected
                        .clone()
                        .into_pyobject(py)
                        .map_or_else(|_| py.None(), |v| v.into_any().unbind()),
                ),
            ];
            for (k, v) in fields {
                if i == 0 {
                    let _ = value.setattr(k, v.clone_ref(py));
                }
                let _ = d.set_item(k, v);
            }
            let _ = errors.append(d);
        }
        let _ = value.setattr("errors", errors);
    }
    err
}

/// Runs `work` without the GIL, catching panics: `Error` and panics become exceptions.
fn guarded<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, Error> + Send) -> PyResult<T> {
    match py.detach(|| catch_unwind(AssertUnwindSafe(work))) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(py, e)),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            let err = InternalError::new_err(format!(
                "internal error (a bug in ipabs, please report it with the deal file): {what}"
            ));
            let _ = err.value(py).setattr("exit_code", 3);
            Err(err)
        }
    }
}

/// Runs one ipabs command, e.g. `["ipabs", "sweep", "deal.toml", "--out", "dir", "--quiet"]`.
#[pyfunction]
fn run_command(py: Python<'_>, args: Vec<String>) -> PyResult<()> {
    guarded(py, move || ipabs::cli::run_args(args))
}

/// The Markdown `ipabs notice` prints for `args`, e.g. `["ipabs", "notice", "deal.toml",
/// "--period", "3"]`.
#[pyfunction]
fn notice_text(py: Python<'_>, args: Vec<String>) -> PyResult<String> {
    guarded(py, move || ipabs::cli::notice_of_args(args))
}

/// Validates a deal file's text (`file` names it in messages); returns what the deal holds.
#[pyfunction]
fn check_deal<'py>(py: Python<'py>, file: String, text: String) -> PyResult<Bound<'py, PyDict>> {
    let loaded = guarded(py, move || ipabs::validate::deal_from_str(&file, &text))?;
    let d = &loaded.deal;
    let out = PyDict::new(py);
    out.set_item("name", &d.name)?;
    out.set_item(
        "tranches",
        d.tranches
            .iter()
            .map(|t| t.name.clone())
            .collect::<Vec<_>>(),
    )?;
    out.set_item(
        "obligors",
        d.obligors
            .iter()
            .map(|o| o.name.clone())
            .collect::<Vec<_>>(),
    )?;
    out.set_item("payment_dates", d.periods.len())?;
    out.set_item("pool_balance", d.pool_balance().to_string())?;
    out.set_item("issue_size", d.issue_size().to_string())?;
    out.set_item(
        "warnings",
        loaded
            .warnings
            .iter()
            .map(|w| w.to_string())
            .collect::<Vec<_>>(),
    )?;
    Ok(out)
}

/// The JSON Schema of an input format (`deal`, `scenarios` or `actuals`), as text.
#[pyfunction]
fn schema(kind: &str) -> PyResult<String> {
    use ipabs::json_schema::{Format, schema_text};
    let format = match kind {
        "deal" => Format::Deal,
        "scenarios" => Format::Scenarios,
        "actuals" => Format::Actuals,
        other => {
            return Err(UsageError::new_err(format!(
                "no schema `{other}`: expected deal, scenarios or actuals"
            )));
        }
    };
    Ok(schema_text(format))
}

/// Panics inside the guard: lets the tests check that a panic arrives as `InternalError`.
#[pyfunction]
fn _panic_for_test(py: Python<'_>) -> PyResult<()> {
    guarded(py, || -> Result<(), Error> {
        panic!("a deliberate panic (test of the guard)")
    })
}

#[pymodule]
fn _ipabs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // Ctrl-C in Python (or Jupyter's interrupt) must stay a KeyboardInterrupt: the command
    // line's handler would exit the whole process.
    ipabs::output::guard::leave_signals_alone();
    let py = m.py();
    m.add_function(wrap_pyfunction!(run_command, m)?)?;
    m.add_function(wrap_pyfunction!(notice_text, m)?)?;
    m.add_function(wrap_pyfunction!(check_deal, m)?)?;
    m.add_function(wrap_pyfunction!(schema, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_test, m)?)?;
    m.add("IpabsError", py.get_type::<IpabsError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("DifferencesError", py.get_type::<DifferencesError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("__build__", ipabs::BUILD)?;
    Ok(())
}
