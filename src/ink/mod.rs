//! Ink: everything between what a person (or a font, or a scanner) puts down and the 28x28 model
//! input. Strokes are rasterized with tiny-skia ([`raster`]); every source then goes through the one
//! preprocessing function [`preprocess::model_input`].

pub mod components;
pub mod decode;
pub mod drawing;
pub mod image;
pub mod picture;
pub mod preprocess;
pub mod raster;

pub use self::image::InkImage;
pub use drawing::{Drawing, Stroke};
pub use preprocess::{is_blank, model_input, ModelInput, INPUT_FORMAT, INPUT_SIDE};
pub use raster::drawing_input;
