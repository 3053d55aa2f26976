//! Training: the training panel and its run views, the data sources (preview, fonts,
//! Kuzushiji-49 download, kept handwriting), the evaluation view, a generator run's samples, and
//! the app's side of it ("Keep for training", using or saving a trained model).

pub mod evaluation;
pub mod font_picker;
pub mod k49_download;
mod keep_and_use;
pub mod kept_view;
pub mod panel;
pub mod run_samples;
pub mod source_preview;
pub mod views;
