//! Source files handed to the core, and locations inside them.
//!
//! The core never reads the file system: front ends pass `SourceFile`s in.

use serde::{Serialize, Serializer};
use std::cell::RefCell;
use std::sync::Arc;

/// One input file: its display name (a path relative to where the user ran the tool) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// A located range in a source file. Lines and columns are 1-based; columns count characters.
/// `offset` and `len` are byte offsets into the file's text, for renderers that underline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
pub struct Loc {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub offset: usize,
    pub len: usize,
}

impl Loc {
    /// A location covering a whole file's start (for errors that have no better place).
    pub fn file_start(file: &str) -> Self {
        Loc {
            file: Arc::from(file),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 1,
            offset: 0,
            len: 0,
        }
    }
}

thread_local! {
    /// While set, locations serialize as ids into this table (see [`with_loc_ids`]).
    static LOC_TABLE: RefCell<Option<Vec<Loc>>> = const { RefCell::new(None) };
}

#[derive(Serialize)]
struct LocFields<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    offset: usize,
    len: usize,
}

impl Serialize for Loc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let id = LOC_TABLE.with(|t| {
            t.borrow_mut().as_mut().map(|table| {
                table.push(self.clone());
                table.len() - 1
            })
        });
        match id {
            Some(id) => serializer.serialize_u64(id as u64),
            None => LocFields {
                file: &self.file,
                line: self.line,
                column: self.column,
                end_line: self.end_line,
                end_column: self.end_column,
                offset: self.offset,
                len: self.len,
            }
            .serialize(serializer),
        }
    }
}

/// Runs `f` with locations serialized as small integer ids, and returns the table that maps
/// them back. The Rego input stays small (a location is one number) and rules pass ids through
/// to findings untouched.
pub fn with_loc_ids<T>(f: impl FnOnce() -> T) -> (T, Vec<Loc>) {
    LOC_TABLE.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let out = f();
    let table = LOC_TABLE
        .with(|t| t.borrow_mut().take())
        .unwrap_or_default();
    (out, table)
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Maps character indices (as the YAML scanner reports them) to byte offsets, lines and columns.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    ascii: bool,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        LineIndex {
            text,
            line_starts,
            ascii: text.is_ascii(),
        }
    }

    /// Byte offset of a 1-based line and 0-based character column.
    pub fn byte_offset(&self, line: usize, col_chars: usize) -> usize {
        let start = self
            .line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len());
        if self.ascii {
            return (start + col_chars).min(self.text.len());
        }
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col_chars)
            .map(|(i, _)| start + i)
            .unwrap_or(self.text.len())
    }

    /// 1-based line and 1-based character column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = if self.ascii {
            offset - start
        } else {
            self.text
                .get(start..offset)
                .map(|s| s.chars().count())
                .unwrap_or(offset - start)
        };
        (line as u32 + 1, col as u32 + 1)
    }

    /// A `Loc` for a byte range.
    pub fn loc(&self, file: &str, start: usize, end: usize) -> Loc {
        self.loc_in(&Arc::from(file), start, end)
    }

    /// A `Loc` for a byte range, sharing the file name.
    pub fn loc_in(&self, file: &Arc<str>, start: usize, end: usize) -> Loc {
        let (line, column) = self.line_col(start);
        let (end_line, end_column) = self.line_col(end.max(start));
        Loc {
            file: file.clone(),
            line,
            column,
            end_line,
            end_column,
            offset: start,
            len: end.saturating_sub(start),
        }
    }
}
