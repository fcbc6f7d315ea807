//! Pages of text in the built-in Helvetica fonts, lines and filled
//! rectangles: enough for the oversight report, written with `pdf-writer`
//! (which keeps the cross-reference table and escapes strings). Built-in
//! fonts need no font files, so the report renders the same anywhere,
//! offline.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

/// Page size: US Letter, in points.
pub const WIDTH: f64 = 612.0;
pub const HEIGHT: f64 = 792.0;

const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");

#[derive(Default)]
pub struct Document {
    pages: Vec<Content>,
}

/// Drawing on one page; `y` counts from the bottom, as in PDF.
pub struct Page<'a> {
    content: &'a mut Content,
}

/// Text in the fonts' WinAnsi encoding: Latin-1 as it is, a few common
/// signs spelled out, anything else `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '–' | '—' => out.push(b'-'),
            '→' => out.extend_from_slice(b"->"),
            c if (c as u32) < 0x20 => out.push(b' '),
            c if (c as u32) < 0x7f => out.push(c as u8),
            c if (0xa0..=0xff).contains(&(c as u32)) => out.push(c as u32 as u8),
            _ => out.push(b'?'),
        }
    }
    out
}

impl Page<'_> {
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, text: &str) {
        let font = if bold { BOLD } else { REGULAR };
        self.content
            .begin_text()
            .set_font(font, size as f32)
            .next_line(x as f32, y as f32)
            .show(Str(&win_ansi(text)))
            .end_text();
    }

    /// A filled rectangle in a grey level from 0 (black) to 1 (white).
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, grey: f64) {
        self.content
            .set_fill_gray(grey as f32)
            .rect(x as f32, y as f32, width as f32, height as f32)
            .fill_nonzero()
            .set_fill_gray(0.0);
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        self.content
            .set_line_width(0.5)
            .move_to(x1 as f32, y1 as f32)
            .line_to(x2 as f32, y2 as f32)
            .stroke();
    }
}

impl Document {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn page(&mut self) -> Page<'_> {
        self.pages.push(Content::new());
        let last = self.pages.len() - 1;
        Page {
            content: &mut self.pages[last],
        }
    }

    /// The finished file.
    pub fn finish(self, title: &str) -> Vec<u8> {
        // Objects: 1 catalog, 2 page tree, 3 and 4 fonts, 5 information,
        // then a page and its content stream for each page.
        let (catalog, tree, regular, bold, info) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(3),
            Ref::new(4),
            Ref::new(5),
        );
        let page_ids: Vec<Ref> = (0..self.pages.len())
            .map(|i| Ref::new(6 + 2 * i as i32))
            .collect();
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(self.pages.len() as i32);
        for (id, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            pdf.type1_font(id)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("Interdict"));
        for (content, page_id) in self.pages.into_iter().zip(page_ids) {
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.parent(tree)
                .media_box(Rect::new(0.0, 0.0, WIDTH as f32, HEIGHT as f32))
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_written_in_win_ansi() {
        assert_eq!(win_ansi("a (b) \\ c"), b"a (b) \\ c");
        assert_eq!(win_ansi("é→中"), b"\xe9->?");
    }

    #[test]
    fn writes_a_file_with_a_cross_reference_table() {
        let mut doc = Document::new();
        let mut page = doc.page();
        page.text(72.0, 720.0, 12.0, false, "Hello (world)");
        page.rect(72.0, 600.0, 100.0, 20.0, 0.5);
        let bytes = doc.finish("Test");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-"));
        assert!(text.contains("(Hello (world)) Tj") || text.contains("(Hello \\(world\\)) Tj"));
        assert!(text.trim_end().ends_with("%%EOF"));
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(bytes[xref..].starts_with(b"xref"));
    }
}
