//! A short run of every fuzz target (the long run is `cargo run --release --example fuzz`, see
//! the README): no input may crash a reader, and each target accepts some inputs (so the seeds
//! reach the reader's insides, not only its first check).

use fude::fuzz::{fuzz, run_one, seeds::seeds, Target};

#[test]
fn every_seed_is_accepted_or_refused_without_a_crash() {
    for target in Target::ALL {
        let seeds = seeds(target);
        assert!(seeds.len() >= 2, "{}: seeds", target.name());
        let accepted = seeds.iter().filter(|s| run_one(target, s)).count();
        assert!(accepted >= 1, "{}: no seed is accepted", target.name());
    }
}

#[test]
fn short_fuzz_runs_find_no_crash() {
    for (target, iterations) in [
        (Target::Drawing, 20_000),
        (Target::Picture, 3_000),
        (Target::Npz, 5_000),
        (Target::ClassMap, 20_000),
        (Target::Checkpoint, 3_000),
        (Target::RecognizerSidecar, 5_000),
        (Target::GeneratorSidecar, 1_000),
        (Target::Font, 1_000),
        (Target::Spec, 20_000),
    ] {
        let report = fuzz(target, iterations, 12, |_, _| {});
        let first = report.crashes.first().map(|(input, msg)| format!("{msg} on {:?}", String::from_utf8_lossy(input)));
        assert!(report.crashes.is_empty(), "{}: {} crashes, first: {first:?}", target.name(), report.crashes.len());
        assert_eq!(report.executions, iterations);
        assert!(report.accepted > 0, "{}: nothing accepted", target.name());
        println!("{:<10} {iterations} executions, {} accepted, {:.1} s", target.name(), report.accepted, report.seconds);
    }
}
