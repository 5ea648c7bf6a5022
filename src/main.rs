//! The `ipabs` command line. All the work is in [`ipabs::cli`].

fn main() {
    std::process::exit(ipabs::cli::main());
}
