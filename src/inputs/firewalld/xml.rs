//! A small element tree over quick-xml for firewalld's shallow XML files, with the byte offset
//! of every start tag and attribute value (for located findings).

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

/// One attribute: its name, its value (entities expanded) and where the raw value sits.
#[derive(Debug, Clone)]
pub(super) struct Attr {
    pub name: String,
    pub value: String,
    /// Byte range of the raw value in the file (inside the quotes); the element's start tag when
    /// the reader did not lend it.
    pub span: (usize, usize),
}

#[derive(Debug, Clone)]
pub(super) struct Elem {
    pub name: String,
    /// Byte range of the start tag (`<port ... />`) in the file.
    pub tag: (usize, usize),
    pub attrs: Vec<Attr>,
    pub children: Vec<Elem>,
}

impl Elem {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.attr(name).map(|a| a.value.as_str())
    }
}

/// A well-formedness error at a byte offset of the file.
#[derive(Debug, Clone)]
pub(super) struct XmlError {
    pub message: String,
    pub offset: usize,
    /// For an unclosed element: where it opens.
    pub opened: Option<usize>,
}

/// Byte offset of `part` inside `whole`, when `part` is a slice of it.
fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    (p >= start && p + part.len() <= start + whole.len()).then(|| p - start)
}

/// Parses `text` (a whole file) into its root element. Nesting deeper than `max_depth`, a second
/// root, text outside the root, an unclosed element and every error quick-xml reports (mismatched
/// or truncated tags, bad attributes, unknown entities) are errors.
pub(super) fn parse(text: &str, max_depth: usize) -> Result<Elem, XmlError> {
    // quick-xml skips a BOM but then counts offsets from after it; parse after it ourselves.
    let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = text.get(base..).unwrap_or("");
    let mut reader = Reader::from_str(body);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut stack: Vec<Elem> = Vec::new();
    let mut root: Option<Elem> = None;
    loop {
        let start = base + reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| XmlError {
            message: e.to_string(),
            offset: base + reader.error_position() as usize,
            opened: None,
        })?;
        let end = base + reader.buffer_position() as usize;
        match event {
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError {
                    message: "a second root element: a firewalld file has exactly one".into(),
                    offset: start,
                    opened: None,
                });
            }
            Event::Start(tag) => {
                if stack.len() >= max_depth {
                    return Err(XmlError {
                        message: format!("elements nest deeper than {max_depth} levels"),
                        offset: start,
                        opened: None,
                    });
                }
                stack.push(element(text, &tag, (start, end))?);
            }
            Event::Empty(tag) => {
                let elem = element(text, &tag, (start, end))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(elem),
                    None => root = Some(elem),
                }
            }
            Event::End(_) => {
                // quick-xml has checked that the name matches the open element.
                if let Some(elem) = stack.pop() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(elem),
                        None => root = Some(elem),
                    }
                }
            }
            Event::Text(t) => {
                let raw = t.into_inner();
                if stack.is_empty() && !raw.trim().is_empty() {
                    let offset = start + raw.len() - raw.trim_start().len();
                    let message = if root.is_some() {
                        "text after the root element"
                    } else {
                        "text before the root element"
                    };
                    return Err(XmlError {
                        message: message.into(),
                        offset,
                        opened: None,
                    });
                }
            }
            Event::CData(_) | Event::GeneralRef(_) if stack.is_empty() => {
                return Err(XmlError {
                    message: "text outside the root element".into(),
                    offset: start,
                    opened: None,
                });
            }
            Event::Eof => break,
            // Declarations, comments, processing instructions, DOCTYPE (its entities are never
            // expanded: an attribute that uses one is an error), text inside elements.
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            message: format!("unexpected end of file: <{}> is not closed", open.name),
            offset: text.len(),
            opened: Some(open.tag.0),
        });
    }
    root.ok_or(XmlError {
        message: "no root element: the file is empty or holds only comments".into(),
        offset: text.len(),
        opened: None,
    })
}

fn element(text: &str, tag: &BytesStart, span: (usize, usize)) -> Result<Elem, XmlError> {
    let name = tag.name().0.to_string();
    let mut attrs = Vec::new();
    for attr in tag.attributes().with_checks(true) {
        let attr = attr.map_err(|e| XmlError {
            message: format!("<{name}>: {e}"),
            offset: span.0,
            opened: None,
        })?;
        let key = attr.key.0.to_string();
        let raw: &str = &attr.value;
        let value_span = offset_in(text, raw)
            .map(|o| (o, o + raw.len()))
            .unwrap_or(span);
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| XmlError {
                message: format!("<{name} {key}=...>: {e}"),
                offset: value_span.0,
                opened: None,
            })?
            .into_owned();
        attrs.push(Attr {
            name: key,
            value,
            span: value_span,
        });
    }
    Ok(Elem {
        name,
        tag: span,
        attrs,
        children: Vec::new(),
    })
}
