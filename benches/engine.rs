//! `cargo bench`: prints the engine's speed figures (see `fude::bench`).

fn main() {
    fude::tune_allocator();
    if let Err(e) = fude::bench::run("all", None, fude::models::DeviceChoice::Cpu, 3) {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}
