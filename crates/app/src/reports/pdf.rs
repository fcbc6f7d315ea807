//! A small PDF writer: pages of text in the built-in Helvetica fonts and
//! filled rectangles, enough for the oversight report. Built-in fonts need
//! no font files, so the report renders the same anywhere, offline.

use std::fmt::Write as _;

/// Page size: US Letter, in points.
pub const WIDTH: f64 = 612.0;
pub const HEIGHT: f64 = 792.0;

#[derive(Default)]
pub struct Document {
    pages: Vec<String>,
}

/// Drawing on one page; `y` counts from the bottom, as in PDF.
pub struct Page<'a> {
    content: &'a mut String,
}

/// PDF text strings: WinAnsi, with `(`, `)` and `\` escaped. Characters
/// outside Latin-1 become `?`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '–' | '—' => out.push('-'),
            '→' => out.push_str("->"),
            c if (c as u32) < 0x20 => out.push(' '),
            c if (c as u32) < 0x7f => out.push(c),
            c if (0xa0..=0xff).contains(&(c as u32)) => {
                let _ = write!(out, "\\{:03o}", c as u32);
            }
            _ => out.push('?'),
        }
    }
    out
}

impl Page<'_> {
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, text: &str) {
        let font = if bold { "F2" } else { "F1" };
        let _ = writeln!(
            self.content,
            "BT /{font} {size} Tf {x:.1} {y:.1} Td ({}) Tj ET",
            escape(text)
        );
    }

    /// A filled rectangle in a grey level from 0 (black) to 1 (white).
    pub fn rect(&mut self, x: f64, y: f64, width: f64, height: f64, grey: f64) {
        let _ = writeln!(
            self.content,
            "{grey:.2} g {x:.1} {y:.1} {width:.1} {height:.1} re f 0 g"
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        let _ = writeln!(self.content, "0.5 w {x1:.1} {y1:.1} m {x2:.1} {y2:.1} l S");
    }
}

impl Document {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn page(&mut self) -> Page<'_> {
        self.pages.push(String::new());
        let last = self.pages.len() - 1;
        Page {
            content: &mut self.pages[last],
        }
    }

    /// The finished file.
    pub fn finish(self, title: &str) -> Vec<u8> {
        // Objects: 1 catalog, 2 pages, 3 and 4 fonts, 5 info, then a page and
        // its content stream for each page.
        let mut objects: Vec<String> = Vec::new();
        let page_ids: Vec<usize> = (0..self.pages.len()).map(|i| 6 + 2 * i).collect();
        objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
        objects.push(format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            page_ids
                .iter()
                .map(|id| format!("{id} 0 R"))
                .collect::<Vec<_>>()
                .join(" "),
            self.pages.len()
        ));
        objects.push(
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
                .into(),
        );
        objects.push("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".into());
        objects.push(format!(
            "<< /Title ({}) /Producer (Interdict) >>",
            escape(title)
        ));
        for (i, content) in self.pages.iter().enumerate() {
            objects.push(format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                page_ids[i] + 1
            ));
            objects.push(format!(
                "<< /Length {} >>\nstream\n{content}endstream",
                content.len()
            ));
        }
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, object) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
        for offset in offsets {
            let _ = writeln!(table, "{offset:010} 00000 n ");
        }
        out.extend_from_slice(table.as_bytes());
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_pdf_strings() {
        assert_eq!(escape("a (b) \\ c"), "a \\(b\\) \\\\ c");
        assert_eq!(escape("é→中"), "\\351->?");
    }

    #[test]
    fn writes_a_file_with_a_cross_reference_table() {
        let mut doc = Document::new();
        let mut page = doc.page();
        page.text(72.0, 720.0, 12.0, false, "Hello (world)");
        page.rect(72.0, 600.0, 100.0, 20.0, 0.5);
        let bytes = doc.finish("Test");
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(
            text.contains("(Hello \\\\(world\\\\)) Tj") || text.contains("(Hello \\(world\\)) Tj")
        );
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
