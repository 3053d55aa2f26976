//! Fuzzing fude's file readers on stable Rust: a mutation loop over seed files (bit flips, byte
//! and number substitutions, cuts, splices, format tokens) that feeds each reader the way a file
//! from disk would be, and counts executions, accepted inputs and crashes (panics). A reader that
//! allocates without bounds shows up as the process being killed, so long runs are measured under
//! `/usr/bin/time -v` (see the README). `cargo run --release --example fuzz -- --help`.

mod mutate;
pub mod seeds;

use crate::data::classes::ClassMap;
use crate::ink::{model_input, Drawing};
use crate::models::checkpoint_io::{check_recorded, check_weights_header, load_weights, parse_sidecar};
use mutate::{Mutator, Rng};
use std::time::Instant;

/// Largest input the mutator makes, in bytes (the limits under test are checked from headers,
/// so small inputs reach them).
pub const MAX_INPUT_BYTES: usize = 64 << 10;

/// The readers that can be fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Drawing JSON, rasterized and preprocessed as `predict` does.
    Drawing,
    /// Pictures (PNG, JPEG, BMP, GIF, WebP, TIFF), decoded and preprocessed.
    Picture,
    /// `.npz` archives of `uint8` arrays.
    Npz,
    /// Class-map CSV.
    ClassMap,
    /// A recognizer sidecar with its safetensors weights (length-prefixed sidecar, then weights).
    Checkpoint,
    /// A recognizer sidecar alone (JSON), parsed and checked; an accepted one's architecture is
    /// checked against the shipped weights' header, as loading does before allocating.
    RecognizerSidecar,
    /// A generator sidecar alone (JSON), likewise.
    GeneratorSidecar,
    /// A font file (TrueType or CFF), read for its kana outlines as `fonts=FILE` does.
    Font,
    /// The `--data` spec (text), parsed.
    Spec,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 9] = [
        Target::Drawing,
        Target::Picture,
        Target::Npz,
        Target::ClassMap,
        Target::Checkpoint,
        Target::RecognizerSidecar,
        Target::GeneratorSidecar,
        Target::Font,
        Target::Spec,
    ];

    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Target::Drawing => "drawing",
            Target::Picture => "picture",
            Target::Npz => "npz",
            Target::ClassMap => "classmap",
            Target::Checkpoint => "checkpoint",
            Target::RecognizerSidecar => "rec-sidecar",
            Target::GeneratorSidecar => "gen-sidecar",
            Target::Font => "font",
            Target::Spec => "spec",
        }
    }

    /// The target with this name.
    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether inputs are text (mutations then also insert format tokens).
    fn is_text(self) -> bool {
        matches!(self, Target::Drawing | Target::ClassMap | Target::RecognizerSidecar | Target::GeneratorSidecar | Target::Spec)
    }
}

/// Feeds one input to a target's reader; `true` if it was accepted. Refusals are `false`; a
/// panic propagates (the loop counts it as a crash).
pub fn run_one(target: Target, input: &[u8]) -> bool {
    match target {
        Target::Drawing => {
            let Ok(text) = std::str::from_utf8(input) else {
                return false;
            };
            match Drawing::from_json(text) {
                Ok(d) => {
                    let _ = crate::ink::drawing_input(&d);
                    true
                }
                Err(_) => false,
            }
        }
        Target::Picture => match crate::ink::decode::from_bytes(input) {
            Ok(img) => {
                let _ = model_input(&img);
                true
            }
            Err(_) => false,
        },
        Target::Npz => crate::data::npz::read_u8_from(std::io::Cursor::new(input), input.len() as u64).is_ok(),
        Target::ClassMap => std::str::from_utf8(input).is_ok_and(|t| ClassMap::parse(t).is_ok()),
        Target::Checkpoint => {
            let (sidecar, weights) = seeds::split_checkpoint(input);
            let Ok(sidecar) = std::str::from_utf8(sidecar) else {
                return false;
            };
            if check_recorded(sidecar, weights).is_err() {
                return false;
            }
            let parsed = parse_sidecar::<crate::models::Sidecar>(sidecar, "recognizer", |s| s.check()).is_ok();
            let (expected, varmap) = seeds::tiny_parameters();
            load_weights(weights, &expected, &varmap, &candle_core::Device::Cpu).is_ok() && parsed
        }
        Target::RecognizerSidecar => {
            let Ok(text) = std::str::from_utf8(input) else {
                return false;
            };
            let _ = crate::models::checkpoint_io::declared_kind(text);
            match parse_sidecar::<crate::models::Sidecar>(text, "recognizer", |s| s.check()) {
                Ok(s) => {
                    let weights = crate::models::recognizer::checkpoint::bundled_bytes().map_or(&[][..], |(w, _)| w);
                    let _ = check_weights_header(weights, &s.architecture.parameter_shapes());
                    true
                }
                Err(_) => false,
            }
        }
        Target::GeneratorSidecar => {
            let Ok(text) = std::str::from_utf8(input) else {
                return false;
            };
            match parse_sidecar::<crate::models::generator::GeneratorSidecar>(text, "generator", |s| s.check()) {
                Ok(s) => {
                    let weights = crate::models::generator::checkpoint::bundled_bytes().map_or(&[][..], |(w, _)| w);
                    let _ = check_weights_header(weights, &s.architecture.parameter_shapes());
                    true
                }
                Err(_) => false,
            }
        }
        Target::Font => crate::data::fonts::KanaFont::from_bytes("fuzz.ttf", input).is_ok(),
        Target::Spec => std::str::from_utf8(input).is_ok_and(|t| crate::data::spec::parse(&[t.to_string()]).is_ok()),
    }
}

/// What a fuzzing run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Inputs fed to the reader.
    pub executions: u64,
    /// Inputs the reader accepted.
    pub accepted: u64,
    /// Inputs that made the reader panic, with the panic message.
    pub crashes: Vec<(Vec<u8>, String)>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Runs `iterations` mutated inputs (seeded by `seed`) through `target`'s reader. Panics are
/// caught and reported (their message is not printed); `on_crash` sees each crashing input.
pub fn fuzz(target: Target, iterations: u64, seed: u64, mut on_crash: impl FnMut(&[u8], &str)) -> Report {
    let corpus = seeds::seeds(target);
    let mut mutator = Mutator::new(corpus, target.is_text(), MAX_INPUT_BYTES);
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    let start = Instant::now();
    let last_panic = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let previous_hook = std::panic::take_hook();
    {
        let last_panic = std::sync::Arc::clone(&last_panic);
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut m) = last_panic.lock() {
                *m = info.to_string();
            }
        }));
    }
    for _ in 0..iterations {
        // One drawing in eight is built whole (valid JSON, hostile numbers and counts), so
        // the rasterizer sees more than the few mutated texts that still parse.
        let input = if target == Target::Drawing && rng.below(8) == 0 {
            mutate::structured_drawing(&mut rng)
        } else {
            mutator.next(&mut rng)
        };
        let outcome = std::panic::catch_unwind(|| run_one(target, &input));
        report.executions += 1;
        match outcome {
            Ok(true) => {
                report.accepted += 1;
                mutator.keep(input, &mut rng);
            }
            Ok(false) => {}
            Err(_) => {
                let msg = last_panic.lock().map(|m| m.clone()).unwrap_or_default();
                on_crash(&input, &msg);
                report.crashes.push((input, msg));
            }
        }
    }
    std::panic::set_hook(previous_hook);
    report.seconds = start.elapsed().as_secs_f64();
    report
}
