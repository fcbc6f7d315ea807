//! Writing a report's rows: CSV (RFC 4180, with formula-looking cells
//! neutralised) or NDJSON, gathered into chunks of about 64 KiB so a
//! stream carries a few large writes rather than one small one per row.

use serde_json::Value;
use std::borrow::Cow;

/// The file formats rows are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

/// A cell as a spreadsheet will not execute it: anything that starts like a
/// formula gets a leading apostrophe.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// One cell of an exported row. Text may borrow from what the producer
/// holds (the shipments export lends most of a row from the stored
/// document), so a row need not copy what it shows.
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Json(Value),
}

impl Cell<'_> {
    pub const NULL: Cell<'static> = Cell::Json(Value::Null);
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(text: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(text))
    }
}

impl From<String> for Cell<'_> {
    fn from(text: String) -> Self {
        Cell::Text(Cow::Owned(text))
    }
}

impl<'a> From<Cow<'a, str>> for Cell<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        Cell::Text(text)
    }
}

impl<'a, T: Into<Cell<'a>>> From<Option<T>> for Cell<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::NULL, Into::into)
    }
}

impl serde::Serialize for Cell<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Json(value) => value.serialize(serializer),
        }
    }
}

/// Turns rows into the chosen format. Rows are gathered into chunks of
/// about `CHUNK_BYTES`, so the stream carries a few large writes rather
/// than one small one per row.
pub struct Encoder {
    columns: &'static [&'static str],
    sink: Sink,
}

enum Sink {
    Csv(Box<csv::Writer<Vec<u8>>>),
    Ndjson(Vec<u8>),
}

const CHUNK_BYTES: usize = 64 * 1024;

impl Encoder {
    pub fn new(format: Format, columns: &'static [&'static str]) -> Self {
        let sink = match format {
            Format::Csv => Sink::Csv(Box::new(csv_writer())),
            Format::Ndjson => Sink::Ndjson(Vec::with_capacity(CHUNK_BYTES * 2)),
        };
        Self { columns, sink }
    }

    /// The CSV header row; NDJSON has none.
    pub fn header(&mut self) {
        if let Sink::Csv(writer) = &mut self.sink {
            // Writing to memory cannot fail.
            let _ = writer.write_record(self.columns);
        }
    }

    pub fn row(&mut self, values: Vec<Cell>) {
        match &mut self.sink {
            Sink::Csv(writer) => {
                for value in &values {
                    let _ = match value {
                        Cell::Text(s) => writer.write_field(neutralise(s).as_bytes()),
                        Cell::Json(Value::Null) => writer.write_field(""),
                        Cell::Json(Value::String(s)) => {
                            writer.write_field(neutralise(s).as_bytes())
                        }
                        Cell::Json(other) => {
                            writer.write_field(neutralise(&other.to_string()).as_bytes())
                        }
                    };
                }
                let _ = writer.write_record(None::<&[u8]>);
            }
            Sink::Ndjson(out) => {
                use serde::ser::{SerializeMap, Serializer};
                let mut serializer = serde_json::Serializer::new(&mut *out);
                // Serialising strings and numbers into memory cannot fail.
                if let Ok(mut map) = serializer.serialize_map(Some(self.columns.len())) {
                    for (column, value) in self.columns.iter().zip(&values) {
                        let _ = map.serialize_entry(column, value);
                    }
                    let _ = map.end();
                }
                out.push(b'\n');
            }
        }
    }

    /// Whether a chunk's worth of output is waiting.
    pub fn full(&self) -> bool {
        match &self.sink {
            Sink::Csv(writer) => writer.get_ref().len() >= CHUNK_BYTES,
            Sink::Ndjson(out) => out.len() >= CHUNK_BYTES,
        }
    }

    /// Everything written so far, leaving the encoder empty.
    pub fn take(&mut self) -> Vec<u8> {
        match &mut self.sink {
            Sink::Csv(writer) => std::mem::replace(writer.as_mut(), csv_writer())
                .into_inner()
                .unwrap_or_default(),
            Sink::Ndjson(out) => std::mem::replace(out, Vec::with_capacity(CHUNK_BYTES * 2)),
        }
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(CHUNK_BYTES * 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trips_awkward_cells_and_defuses_formulas() {
        let mut encoder = Encoder::new(Format::Csv, &["a", "b", "c", "d"]);
        encoder.header();
        let awkward = vec![
            Cell::from("comma, inside"),
            Cell::from("\"quoted\" text".to_owned()),
            Cell::from("two\nlines"),
            Cell::from("=HYPERLINK(\"http://evil\")"),
        ];
        encoder.row(awkward);
        // Owned JSON strings and numbers are neutralised the same way.
        encoder.row(vec![
            Cell::Json(Value::String("+1".into())),
            Cell::Json(serde_json::json!(-2)),
            Cell::from("@SUM(A1)"),
            Cell::Json(Value::String("\tTAB".into())),
        ]);
        let bytes = encoder.take();
        assert!(encoder.take().is_empty(), "take leaves the encoder empty");
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(
            rows[0],
            [
                "comma, inside",
                "\"quoted\" text",
                "two\nlines",
                "'=HYPERLINK(\"http://evil\")"
            ]
        );
        assert_eq!(rows[1], ["'+1", "'-2", "'@SUM(A1)", "'\tTAB"]);
    }

    #[test]
    fn ndjson_lines_are_objects() {
        let mut encoder = Encoder::new(Format::Ndjson, &["id", "n"]);
        encoder.header();
        encoder.row(vec![Cell::from("x\ny"), Cell::Json(serde_json::json!(3))]);
        let line = encoder.take();
        assert!(line.ends_with(b"\n"));
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let parsed: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(parsed, serde_json::json!({ "id": "x\ny", "n": 3 }));
    }

    #[test]
    fn rows_gather_into_chunks() {
        let mut encoder = Encoder::new(Format::Csv, &["a"]);
        encoder.header();
        let mut rows = 0;
        while !encoder.full() {
            encoder.row(vec![Cell::from("x".repeat(100))]);
            rows += 1;
        }
        assert!(rows > 100, "a chunk holds many rows, not one: {rows}");
        let chunk = encoder.take();
        assert!(chunk.len() >= CHUNK_BYTES);
        assert!(!encoder.full());
        let mut reader = csv::Reader::from_reader(chunk.as_slice());
        assert_eq!(reader.records().count(), rows);
    }
}
