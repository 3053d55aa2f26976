//! Build script: embeds the bundled fonts (listed in assets/fonts/fonts.json) and, when present,
//! the bundled recognizer (models/recognizer.safetensors + .json) and generator
//! (models/generator.safetensors + .json) and the Kuzushiji reader's networks (every
//! models/kuzushiji/*.safetensors with its .json), so the binary works from any directory. A checkout
//! without trained models still builds (the first `fude train` makes one).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    println!("cargo::rustc-check-cfg=cfg(fude_bundled_model)");
    println!("cargo::rustc-check-cfg=cfg(fude_bundled_generator)");
    println!("cargo::rerun-if-changed=models/kuzushiji");
    println!("cargo::rerun-if-changed=models/generator.safetensors");
    println!("cargo::rerun-if-changed=models/generator.json");
    println!("cargo::rerun-if-changed=assets/fonts/fonts.json");
    println!("cargo::rerun-if-changed=models/recognizer.safetensors");
    println!("cargo::rerun-if-changed=models/recognizer.json");

    let fonts = fonts_table(&root);
    if let Err(e) = fs::write(out.join("fonts.rs"), fonts) {
        panic!("cannot write fonts table: {e}");
    }
    if let Err(e) = fs::write(out.join("kuzushiji_readers.rs"), kuzushiji_readers_table(&root)) {
        panic!("cannot write the Kuzushiji reader's table: {e}");
    }

    let model = root.join("models/recognizer.safetensors");
    let sidecar = root.join("models/recognizer.json");
    if model.is_file() && sidecar.is_file() {
        println!("cargo::rustc-cfg=fude_bundled_model");
    } else {
        println!("cargo::warning=no bundled model in models/: the binary will need --model");
    }
    if root.join("models/generator.safetensors").is_file() && root.join("models/generator.json").is_file() {
        println!("cargo::rustc-cfg=fude_bundled_generator");
    } else {
        println!("cargo::warning=no bundled generator in models/: generation will need --model");
    }
}

/// Rust source for a `&[(&[u8], &str)]` literal: the weights and sidecar of every
/// `models/kuzushiji/*.safetensors` that has its `.json` beside it, in file-name order (empty when
/// there is none).
fn kuzushiji_readers_table(root: &Path) -> String {
    let mut members: Vec<PathBuf> = fs::read_dir(root.join("models/kuzushiji"))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    members.retain(|p| {
        p.extension().is_some_and(|x| x == "safetensors") && p.with_extension("json").is_file()
    });
    members.sort();
    let mut s = String::from("&[\n");
    // `rerun-if-changed=models/kuzushiji` (in `main`) already watches every file in the folder.
    for weights in members {
        let _ = writeln!(
            s,
            "    (include_bytes!({:?}), include_str!({:?})),",
            weights.display().to_string(),
            weights.with_extension("json").display().to_string()
        );
    }
    s.push(']');
    s
}

/// Rust source for a `&[FontInfo]` literal with one entry per font in the manifest.
fn fonts_table(root: &Path) -> String {
    let manifest = root.join("assets/fonts/fonts.json");
    let mut s = String::from("&[\n");
    let Ok(text) = fs::read_to_string(&manifest) else {
        println!("cargo::warning=assets/fonts/fonts.json missing: no fonts embedded");
        s.push(']');
        return s;
    };
    let entries: Vec<serde_json::Value> = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => panic!("assets/fonts/fonts.json is not a JSON array: {e}"),
    };
    for e in entries {
        let field = |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        let file = field("file");
        let path = root.join("assets/fonts").join(&file);
        if file.is_empty() || !path.is_file() {
            panic!("assets/fonts/fonts.json lists {file:?}, which is not in assets/fonts");
        }
        println!("cargo::rerun-if-changed={}", path.display());
        let _ = writeln!(
            s,
            "    FontInfo {{ file: {:?}, family: {:?}, style: {:?}, validation: {}, bytes: include_bytes!({:?}) }},",
            file,
            field("family"),
            field("style"),
            field("split") == "validation",
            path.display().to_string()
        );
    }
    s.push(']');
    s
}
