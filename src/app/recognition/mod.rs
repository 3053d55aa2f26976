//! Recognition: the worker that reads the canvas and the app's side of it (posting, taking in
//! results), the candidates and the script choice in the right-hand panel, and line mode (its
//! reader, its readings, what it shows).

pub mod candidates;
pub mod client;
pub(in crate::app) mod line_mode;
pub mod line_reading;
pub mod line_view;
mod panel;
pub mod script_choice;
pub mod worker;
