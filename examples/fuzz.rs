//! The long fuzzing run of fude's file readers (see `fude::fuzz` and the README):
//!
//! `cargo run --release --example fuzz -- [TARGET|all] [ITERATIONS] [SEED] [CRASH_DIR]`
//!
//! TARGET is drawing, picture, npz, classmap, checkpoint, rec-sidecar, gen-sidecar, font, spec or
//! all (default all); ITERATIONS per
//! target (default 1,000,000); crashing inputs are written to CRASH_DIR (default `fuzz-crashes`).
//! Prints one line per target; the exit status is 1 if any input crashed a reader.

use fude::fuzz::{fuzz, Target};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str);
    let names = Target::ALL.map(Target::name).join(", ");
    if matches!(which, "-h" | "--help") {
        println!("usage: fuzz [TARGET|all] [ITERATIONS] [SEED] [CRASH_DIR]\n\nTARGET: {names} or all (default all)\nITERATIONS per target (default 1000000), SEED (default 1), CRASH_DIR for crashing inputs (default fuzz-crashes)\nExit status 1 if any input crashed a reader.");
        return ExitCode::SUCCESS;
    }
    let iterations: u64 = args.get(1).and_then(|a| a.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let seed: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let crash_dir = std::path::PathBuf::from(args.get(3).map_or("fuzz-crashes", String::as_str));
    let targets: Vec<Target> = match which {
        "all" => Target::ALL.to_vec(),
        name => match Target::from_name(name) {
            Some(t) => vec![t],
            None => {
                eprintln!("unknown target {name:?}: {names} or all");
                return ExitCode::FAILURE;
            }
        },
    };
    let mut crashed = false;
    for target in targets {
        let mut saved = 0usize;
        let report = fuzz(target, iterations, seed, |input, msg| {
            crashed = true;
            if saved < 100 && std::fs::create_dir_all(&crash_dir).is_ok() {
                let p = crash_dir.join(format!("{}-{saved}.bin", target.name()));
                let _ = std::fs::write(&p, input);
                eprintln!("crash in {}: {msg} (input in {})", target.name(), p.display());
                saved += 1;
            }
        });
        println!(
            "{:<11} executions {:>10}  accepted {:>9}  crashes {}  {:.1} s  ({:.0} exec/s)",
            target.name(),
            report.executions,
            report.accepted,
            report.crashes.len(),
            report.seconds,
            report.executions as f64 / report.seconds.max(1e-9)
        );
    }
    if crashed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
