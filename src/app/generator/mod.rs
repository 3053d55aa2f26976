//! The generator: its side panel and the panel's views, the generation worker, the pictures it
//! shows (ink textures, animation, style sheet), the latent map, the sliders' names, the kana
//! picker and "Write my text".

pub mod kana_picker;
pub mod latent_map;
pub mod panel;
pub mod pictures;
pub mod style_names;
pub mod worker;
pub mod write_text;
