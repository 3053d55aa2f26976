//! The commands and files the docs name exist: every `--example`, `--test` and `--bench` target in
//! `README.md` and `models/README.md` is in the tree (the long fuzzing run's example was once removed
//! while the README still told readers to build it), and every repository path `README.md` names
//! (`tools/…`, `src/…`, `tests/…`, `docs/…`, …) is there. `models/README.md` is a log of sessions,
//! so its paths may name files that a later session removed; its commands must still run.

mod support;

use std::path::Path;

fn read(doc: &str) -> String {
    std::fs::read_to_string(support::root().join(doc)).unwrap()
}

/// The words following `flag ` in `text` that look like a target name.
fn targets_after<'a>(text: &'a str, flag: &str) -> Vec<&'a str> {
    text.match_indices(flag)
        .filter_map(|(i, _)| {
            let rest = &text[i + flag.len()..];
            let name: &str = rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
            (!name.is_empty() && text[..i].ends_with(|c: char| c.is_whitespace() || c == '`')).then_some(name)
        })
        .collect()
}

#[test]
fn every_cargo_target_the_docs_name_exists() {
    let root = support::root();
    let mut named = 0;
    for doc in ["README.md", "models/README.md"] {
        let text = read(doc);
        for (flag, dir) in [("--example ", "examples"), ("--test ", "tests"), ("--bench ", "benches")] {
            for name in targets_after(&text, flag) {
                named += 1;
                assert!(root.join(dir).join(format!("{name}.rs")).is_file(), "{doc} names `{flag}{name}`, but {dir}/{name}.rs is not in the tree");
            }
        }
    }
    assert!(named >= 10, "the docs name {named} cargo targets: the search found too few to be checking anything");
}

#[test]
fn every_repository_path_the_readme_names_exists() {
    let root = support::root();
    let text = read("README.md");
    let mut named = 0;
    for top in ["tools/", "src/", "tests/", "benches/", "examples/", "docs/", "assets/"] {
        for (i, _) in text.match_indices(top) {
            // A path starts the word (after a space, a backtick or a bracket), not inside a longer one.
            if !text[..i].ends_with(|c: char| c.is_whitespace() || "`([".contains(c)) {
                continue;
            }
            let path: &str = text[i..].split(|c: char| !(c.is_ascii_alphanumeric() || "_./-".contains(c))).next().unwrap_or("");
            let path = path.trim_end_matches('.');
            let is_file = Path::new(path).extension().is_some_and(|e| ["rs", "py", "sh", "png", "md", "json", "ttf", "otf", "txt"].contains(&e.to_str().unwrap_or("")));
            if is_file {
                named += 1;
                assert!(root.join(path).exists(), "README.md names {path}, which is not in the tree");
            }
        }
    }
    assert!(named >= 10, "README.md names {named} files: the search found too few to be checking anything");
}

#[test]
fn the_target_search_reads_a_command_as_written() {
    let text = "run `cargo test --release --test kuzushiji_reader -- --nocapture` and\n    cargo build --release --example fuzz\nnot a--test x";
    assert_eq!(targets_after(text, "--test "), vec!["kuzushiji_reader"]);
    assert_eq!(targets_after(text, "--example "), vec!["fuzz"]);
}
