//! Minimal XML writing (escaped, no declaration duplication) and a small DOM parser for request bodies.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Builds an XML document with the `<?xml ...?>` declaration OSS sends.
pub struct XmlWriter {
    buf: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    /// A new document starting with the XML declaration.
    pub fn new() -> XmlWriter {
        let mut buf = String::with_capacity(512);
        buf.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        XmlWriter { buf }
    }
    /// Opens an element.
    pub fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }
    /// Closes an element.
    pub fn close(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }
    /// Writes `<name>escaped text</name>`.
    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.buf, text);
        self.close(name);
    }
    /// Writes an element only when the value is present.
    pub fn opt(&mut self, name: &str, text: Option<&str>) {
        if let Some(t) = text {
            self.elem(name, t);
        }
    }
    /// The finished document.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// Appends `s` to `out` escaped for element text (`&`, `<`, `>`; `\r` as `&#xD;` so that parsers
/// do not fold it into `\n`; quotes stay literal as OSS sends them, e.g. in `<ETag>`). A
/// character XML 1.0 cannot carry at all (other C0 controls, U+FFFE, U+FFFF) becomes U+FFFD: the
/// output is always well-formed. New keys holding such characters are refused
/// (`request::check_new_key`); only older records or echoed request values can hold them.
pub fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// Whether XML 1.0 can carry `c` in a document (its `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A parsed element: name (without namespace prefix), text content, children in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// Local name.
    pub name: String,
    /// Concatenated text directly inside this element (untrimmed).
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    /// All children with this name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// Trimmed text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.trim())
    }
}

/// Why a body is not acceptable XML.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed, a DOCTYPE, too deep, or not UTF-8.
    #[error("malformed XML: {0}")]
    Malformed(String),
}

const MAX_DEPTH: usize = 16;

/// Parses a whole document into its root element. DOCTYPE is refused (no entity expansion).
pub fn parse(body: &[u8]) -> Result<Element, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError::Malformed("not UTF-8".into()))?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let ev = reader.read_event().map_err(|e| XmlError::Malformed(e.to_string()))?;
        match ev {
            Event::Start(s) => {
                if root.is_some() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::Malformed("too deep".into()));
                }
                stack.push(Element { name: local(s.name().as_ref())?, ..Default::default() });
            }
            Event::Empty(s) => {
                let el = Element { name: local(s.name().as_ref())?, ..Default::default() };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError::Malformed("two root elements".into())),
                }
            }
            Event::End(_) => {
                let el =
                    stack.pop().ok_or_else(|| XmlError::Malformed("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| XmlError::Malformed(e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(XmlError::Malformed("text outside the root".into())),
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(c.as_ref())
                    .map_err(|_| XmlError::Malformed("not UTF-8".into()))?;
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(s);
                }
            }
            Event::DocType(_) => return Err(XmlError::Malformed("DOCTYPE is not allowed".into())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or_else(|| XmlError::Malformed("no root element".into()))
}

fn local(name: &[u8]) -> Result<String, XmlError> {
    let s = std::str::from_utf8(name).map_err(|_| XmlError::Malformed("not UTF-8".into()))?;
    Ok(match s.rsplit_once(':') {
        Some((_, l)) => l.to_owned(),
        None => s.to_owned(),
    })
}
