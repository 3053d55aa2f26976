//! The Help window (writing, a line, small kana, the model's eye, shortcuts) and the About window (version,
//! models, licences of the fonts and data).

/// Every keyboard shortcut, as (keys, what they do).
pub const SHORTCUTS: [(&str, &str); 15] = [
    ("Enter", "take the top candidate"),
    ("Space", "take the top candidate (or insert a space when the canvas is empty)"),
    ("1 … 9, 0", "take candidate 1 … 10"),
    ("Ctrl+Z", "undo (strokes, picks and text edits: one history)"),
    ("Ctrl+Shift+Z, Ctrl+Y", "redo"),
    ("Esc", "close the open menu or window; when nothing is open, clear the canvas"),
    ("Delete", "clear the canvas"),
    ("Backspace", "remove the character before the cursor"),
    ("Ctrl+C", "copy the text (or the selection in the text)"),
    ("Tab, Shift+Tab", "move the keyboard focus (Space or Enter presses the focused button)"),
    ("Ctrl+K", "keep the drawing for training"),
    ("Ctrl+Plus, Ctrl+Minus", "zoom the whole window in and out"),
    ("Ctrl+0", "reset the zoom"),
    ("F1", "show or hide this help"),
    ("Ctrl+Q", "quit"),
];

/// Shows the Help window while `open`.
pub fn help_ui(ctx: &egui::Context, open: &mut bool) {
    let area = crate::app::window_area(ctx);
    egui::Window::new("Help")
        .open(open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(60.0, 12.0))
        .collapsible(false)
        .default_width(460.0)
        .max_height(area.height() * 0.8)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                ui.heading("Writing");
                ui.label(
                    "Write one kana in the box with the mouse, a pen or a finger. The candidates on the right \
                     update while you write; take one with Enter, its number key or a click, and it goes into \
                     the text at the cursor. Click in the text to move the cursor or select; type, Backspace \
                     and Delete work there as in any text field. The buttons above the text add a space and \
                     punctuation.",
                );
                ui.heading("A line");
                ui.label(
                    "The toggle above the canvas switches to a line: write a whole word, left to right, without \
                     picking each character. The cells are only guides; characters may touch, and a dakuten may \
                     come last. The best reading is shown large with up to five others; Enter (or 1 … 6, or a \
                     click) takes one into the text as one undo step. Click a character of the reading to see \
                     and pick its own candidates.",
                );
                ui.heading("Small kana");
                ui.label(
                    "Size and position in the box count: write a small kana (ゃ, っ, ァ…) small and low, in the \
                     lower-left quarter marked by the dashed guides. A full-size kana may be written smaller than \
                     the box, centred or high; written small and low, it reads as the small kana.",
                );
                ui.heading("The model's eye");
                ui.label(
                    "The small black square under the candidates is exactly what the network sees: your strokes \
                     redrawn with the model's pen, cleaned up and scaled to 28×28. If it looks wrong, the \
                     candidates will be too. A drawing outside the box is not seen at all.",
                );
                ui.heading("Keyboard");
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.strong(keys);
                        ui.label(what);
                        ui.end_row();
                    }
                });
            });
        });
}

/// Shows the About window while `open`; `model` and `generator` name the models in use.
pub fn about_ui(ctx: &egui::Context, open: &mut bool, model: &str, generator: &str) {
    let area = crate::app::window_area(ctx);
    egui::Window::new("About fude")
        .open(open)
        .constrain_to(area)
        .default_pos(area.min + egui::vec2(80.0, 24.0))
        .collapsible(false)
        .resizable(false)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.heading(format!("fude {}", env!("CARGO_PKG_VERSION")));
            ui.label("Japanese kana handwriting recognition and generation.");
            ui.separator();
            egui::Grid::new("about").show(ui, |ui| {
                ui.strong("Recognizer");
                ui.label(model);
                ui.end_row();
                ui.strong("Generator");
                ui.label(generator);
                ui.end_row();
            });
            ui.separator();
            ui.strong("Licences");
            ui.label(
                "UI font: Noto Sans CJK JP (SIL Open Font License 1.1), subset to kana and Latin. \
                 Training fonts: each under its own licence (SIL OFL 1.1, BSD-3-Clause or public domain), \
                 listed with the files in assets/fonts/.",
            );
            ui.label(
                "Kuzushiji data: CC BY-SA 4.0, \"KMNIST Dataset\" by CODH, adapted from \"Kuzushiji Dataset\" \
                 by NIJL and others, doi:10.20676/00000341. The bundled models were trained partly on it.",
            );
        });
}
