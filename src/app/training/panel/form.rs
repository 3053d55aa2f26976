//! The form of the training panel: the data source rows, where the new model starts, and the
//! settings of the next run, with the messages the panel shows.

use crate::data::spec::{DataSpec, SourceKind};
use crate::training::{ModelKind, TrainConfig};
use std::path::PathBuf;

/// A data source row in the panel.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRow {
    /// The source (its argument, if it takes one, is [`SourceRow::arg`]).
    pub kind: SourceKind,
    /// Whether it is used.
    pub enabled: bool,
    /// Its weight in the mixture.
    pub weight: f64,
    /// Its argument (a folder, the npz's three paths, or chosen fonts), if it takes one.
    pub arg: String,
}

impl SourceRow {
    /// The row's source name (`fonts`, `k49`, ...), which keys its preview.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    pub(super) fn title(&self) -> &'static str {
        match self.kind {
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => "Generated kana",
            SourceKind::Drawings => "Synthetic drawings",
            SourceKind::ShrunkDrawings { .. } => "Synthetic drawings, shrunk",
            SourceKind::Pens => "Pen-like drawings",
            SourceKind::Scans { .. } => "Thin-pen scans",
            SourceKind::K49(_) => "Kuzushiji-49 folder",
            SourceKind::Npz { .. } => "npz: images, labels, class map",
            SourceKind::Mine(_) => "My handwriting",
        }
    }

    /// What the source is, for the row's hover text.
    pub(super) fn explanation(&self) -> &'static str {
        match self.kind {
            SourceKind::Fonts | SourceKind::ChosenFonts(_) => "Kana rendered from fonts with random size, shift, rotation, blur and noise",
            SourceKind::Drawings => "Font glyphs traced to strokes and redrawn with a round pen",
            SourceKind::ShrunkDrawings { .. } => "The drawings of the full-size kana, each shrunk about its centre",
            SourceKind::Pens => "The drawings with real writers' habits: loose joins, overshoots, uneven and thin pens, dots, specks, JPEG",
            SourceKind::Scans { .. } => "Thin-pen writing in scanned form cells, read as pictures (cropped to the character)",
            SourceKind::K49(_) => "Kuzushiji-49: 270,912 classical hiragana images (Download fetches them)",
            SourceKind::Npz { .. } => "Any uint8 images + labels npz pair with a class-map CSV",
            SourceKind::Mine(_) => "The characters you kept with Keep for training",
        }
    }

    /// Whether the row has an argument to type (a folder or the npz's paths).
    pub(super) fn takes_arg(&self) -> bool {
        matches!(self.kind, SourceKind::K49(_) | SourceKind::Npz { .. })
    }

    /// The row's data spec: its source with its argument and weight (the reason when the
    /// argument does not fit the source).
    pub fn spec(&self) -> crate::Result<DataSpec> {
        Ok(DataSpec { kind: self.kind.with_argument(&self.arg)?, weight: self.weight })
    }

    /// The `--data` text of the row's spec (as typed, when its argument does not fit).
    pub fn spec_text(&self) -> String {
        self.spec().map(|s| s.to_string()).unwrap_or_else(|_| format!("{}={}", self.name(), self.arg.trim()))
    }
}

/// Why the panel could not do what was asked: shown in the error colour.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PanelError {
    /// The form's data sources cannot be used.
    #[error("Data: {0}")]
    Data(String),
    /// No run folder could be made.
    #[error("{0}")]
    RunFolder(String),
    /// A past run cannot be resumed.
    #[error("Cannot resume: {0}")]
    Resume(String),
    /// The training thread did not start.
    #[error("Cannot start the training thread: {0}")]
    Thread(String),
    /// The run failed.
    #[error("Training failed: {0}")]
    Run(String),
}

/// The line under the panel's controls: how the last run ended, or why an action failed.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelMessage {
    /// A plain note (a run finished or was stopped).
    Note(String),
    /// Something went wrong.
    Error(PanelError),
}

impl std::fmt::Display for PanelMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PanelMessage::Note(text) => f.write_str(text),
            PanelMessage::Error(e) => write!(f, "{e}"),
        }
    }
}

/// Where the new model starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// Fresh weights.
    Scratch,
    /// The model the app uses now.
    Current,
}

/// What the panel will train, as set in its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingForm {
    /// What is trained.
    pub model: ModelKind,
    /// Where the model starts.
    pub start: StartFrom,
    /// Data sources.
    pub sources: Vec<SourceRow>,
    /// Hyper-parameters (the CLI's defaults).
    pub cfg: TrainConfig,
    /// Continuing a recognizer: it also learns the current model's reading (the model as a
    /// teacher, `fude train --teacher`), so it forgets less of what the chosen data leaves out.
    pub keep_what_it_knows: bool,
}

impl Default for TrainingForm {
    fn default() -> Self {
        let row = |kind, enabled| SourceRow { kind, enabled, weight: 1.0, arg: String::new() };
        let mut form = TrainingForm {
            model: ModelKind::Recognizer,
            // "Teach it my handwriting" means the model in use, trained further.
            start: StartFrom::Current,
            sources: vec![
                row(SourceKind::Fonts, true),
                row(SourceKind::Drawings, true),
                row(SourceKind::Pens, false),
                row(SourceKind::Scans { as_box: false }, false),
                row(SourceKind::K49(PathBuf::new()), false),
                row(SourceKind::Npz { images: PathBuf::new(), labels: PathBuf::new(), classmap: PathBuf::new() }, false),
                row(SourceKind::Mine(None), false),
            ],
            cfg: TrainConfig::default(),
            keep_what_it_knows: false,
        };
        form.quick();
        form
    }
}

impl TrainingForm {
    /// "Quick": about two minutes on a 2-core machine.
    pub fn quick(&mut self) {
        self.cfg = match self.model {
            ModelKind::Recognizer => TrainConfig { epochs: 3, epoch_size: 25_600, ..TrainConfig::default() },
            ModelKind::Generator => TrainConfig { epochs: 2, epoch_size: 3_200, ..Self::generator_defaults() },
        };
    }

    /// "Full": the CLI's defaults (the bundled model's settings).
    pub fn full(&mut self) {
        self.cfg = match self.model {
            ModelKind::Recognizer => TrainConfig::default(),
            ModelKind::Generator => Self::generator_defaults(),
        };
    }

    /// Switches what is trained, with that model's Quick settings.
    pub fn set_model(&mut self, model: ModelKind) {
        self.model = model;
        self.quick();
    }

    /// The generator's defaults, the Full preset of a generator run.
    fn generator_defaults() -> TrainConfig {
        crate::training::generator::GeneratorConfig::schedule()
    }

    /// The data specs of the enabled rows (errors name the bad spec); none enabled is refused.
    pub fn specs(&self) -> crate::Result<Vec<DataSpec>> {
        let specs = self.sources.iter().filter(|r| r.enabled).map(SourceRow::spec).collect::<crate::Result<Vec<_>>>()?;
        if specs.is_empty() {
            return Err(crate::Error::Invalid("no data given: e.g. --data fonts,drawings".into()));
        }
        Ok(specs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_rows_become_specs() {
        let mut f = TrainingForm::default();
        assert_eq!(f.cfg.epochs, 3, "Quick by default");
        assert_eq!(f.start, StartFrom::Current, "continuing the model in use by default");
        let specs = f.specs().unwrap();
        assert_eq!(specs.iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts", "drawings"]);
        f.sources[0].weight = 2.0;
        let k49 = f.sources.iter().position(|r| matches!(r.kind, SourceKind::K49(_))).unwrap();
        f.sources[k49].enabled = true;
        f.sources[k49].arg = "/data/k49".into();
        assert_eq!(f.specs().unwrap().iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts@2", "drawings", "k49=/data/k49"]);
        f.sources[k49].arg.clear();
        assert!(f.specs().is_err(), "k49 without a folder is refused");
        f.sources[k49].enabled = false;
        for row in f.sources.iter_mut().filter(|r| matches!(r.kind, SourceKind::Pens | SourceKind::Scans { .. })) {
            (row.enabled, row.weight) = (true, 0.5);
        }
        assert_eq!(f.specs().unwrap().iter().map(ToString::to_string).collect::<Vec<_>>(), ["fonts@2", "drawings", "pens@0.5", "scans@0.5"]);
        f.full();
        assert_eq!(f.cfg, TrainConfig::default());
        f.set_model(ModelKind::Generator);
        assert_eq!((f.cfg.lr, f.cfg.batch), (1e-3, 64), "the generator's defaults");
        assert!(f.cfg.epoch_size < 25_600, "a smaller Quick preset");
        f.full();
        assert_eq!(f.cfg, crate::training::generator::GeneratorConfig::schedule());
    }
}
