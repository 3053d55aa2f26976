//! The `fude` binary: see `fude --help`.

fn main() -> std::process::ExitCode {
    fude::cli::main()
}
