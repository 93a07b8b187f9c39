//! Target `xml_bodies`: the request XML readers besides CORS. The raw bytes go through
//! `xml::parse` and every body reader (DeleteMultipleObjects, CompleteMultipartUpload,
//! CreateBucketConfiguration, the CORS document): nothing may panic. Then the bytes as typed
//! documents: an element tree rendered with `XmlWriter` parses back to the same tree, and each
//! body written from values parses back to those values (or to the error the values call for).

use arbitrary::Arbitrary;
use ossd_proto::ErrorCode;
use ossd_proto::docs::complete_multipart::{CompleteMultipartUpload, CompletePart};
use ossd_proto::docs::create_bucket::CreateBucketConfiguration;
use ossd_proto::docs::delete::DeleteRequest;
use ossd_proto::request::MAX_KEY_BYTES;
use ossd_proto::xml::{self, Element, XmlWriter, escape_into};

/// The parser's nesting limit (`xml::parse` refuses a 17th open element).
const MAX_DEPTH: usize = 16;

#[derive(Arbitrary, Debug)]
struct Node {
    name: String,
    prefix: bool,
    text: String,
    children: Vec<Node>,
}

#[derive(Arbitrary, Debug)]
enum Quiet {
    Absent,
    True { upper: bool, pad: bool },
    False { upper: bool, pad: bool },
    Raw(String),
}

#[derive(Arbitrary, Debug)]
struct DeleteIn {
    quiet: Quiet,
    keys: Vec<String>,
    /// A long key (this many bytes of `k`), to reach the key length limit.
    long_key: Option<u16>,
    newlines: bool,
}

#[derive(Arbitrary, Debug)]
struct PartIn {
    number: u32,
    etag: String,
    /// 1: no `PartNumber`; 2: no `ETag`; 3: a `PartNumber` that is not a number.
    omit: u8,
}

#[derive(Arbitrary, Debug)]
struct CreateIn {
    storage_class: Option<String>,
    blank: Option<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    tree: Node,
    delete: DeleteIn,
    parts: Vec<PartIn>,
    create: CreateIn,
}

fn parse_delete(raw: &[u8]) -> Result<DeleteRequest, ossd_proto::ApiError> {
    DeleteRequest::parse(raw)
}

fn parse_complete(raw: &[u8]) -> Result<Vec<CompletePart>, ossd_proto::ApiError> {
    CompleteMultipartUpload::parse(raw).map(|c| c.parts)
}

fn parse_create_bucket(raw: &[u8]) -> Result<Option<String>, ossd_proto::ApiError> {
    CreateBucketConfiguration::parse(raw).map(|c| c.storage_class)
}

/// The target: every reader on the raw bytes, then `data` as typed documents.
pub fn run(data: &[u8]) {
    let _ = xml::parse(data);
    let _ = parse_delete(data);
    let _ = parse_complete(data);
    let _ = parse_create_bucket(data);
    let _ = ossd_proto::cors_xml::parse_cors_configuration(data);
    if let Some(input) = crate::input::<Input>(data) {
        check_tree(&input.tree);
        check_delete(&input.delete);
        check_complete(&input.parts);
        check_create(&input.create);
    }
}

// ---- the element tree -------------------------------------------------------------------------

/// An XML name made of the characters of `s` that may appear in one (ASCII), never empty.
fn xml_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(20)
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, 'e');
    }
    out
}

/// Writes `node` as `XmlWriter` would (escaped text first, then the children) and returns the
/// tree the parser should give back, and its depth.
fn render(node: &Node, out: &mut String) -> (Element, usize) {
    let local = xml_name(&node.name);
    let tag = if node.prefix { format!("p:{local}") } else { local.clone() };
    out.push_str(&format!("<{tag}>"));
    escape_into(out, &node.text);
    let mut depth = 0;
    let mut children = Vec::new();
    for c in node.children.iter().take(8) {
        let (el, d) = render(c, out);
        depth = depth.max(d);
        children.push(el);
    }
    out.push_str(&format!("</{tag}>"));
    (Element { name: local, text: xml_safe(&node.text), children }, depth + 1)
}

/// What `escape_into` makes of text once parsed back: every character XML cannot carry (NUL and
/// the other C0 controls but tab, LF and CR; U+FFFE, U+FFFF) becomes U+FFFD.
fn xml_safe(s: &str) -> String {
    s.chars().map(|c| if xml::is_xml_char(c) { c } else { '\u{FFFD}' }).collect()
}

fn check_tree(tree: &Node) {
    let mut doc = XmlWriter::new().finish();
    let (want, depth) = render(tree, &mut doc);
    match xml::parse(doc.as_bytes()) {
        Ok(got) => {
            assert!(depth <= MAX_DEPTH, "a tree {depth} deep was accepted");
            assert_eq!(got, want, "document {doc:?}");
        }
        Err(e) => assert!(depth > MAX_DEPTH, "document {doc:?} refused: {e}"),
    }
}

// ---- DeleteMultipleObjects --------------------------------------------------------------------

fn check_delete(input: &DeleteIn) {
    let nl = if input.newlines { "\n  " } else { "" };
    let mut doc = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Delete>");
    let quiet: Result<bool, ()> = match &input.quiet {
        Quiet::Absent => Ok(false),
        Quiet::True { upper, pad } | Quiet::False { upper, pad } => {
            let v = matches!(input.quiet, Quiet::True { .. });
            let mut s = if v { "true" } else { "false" }.to_owned();
            if *upper {
                s = s.to_ascii_uppercase();
            }
            if *pad {
                s = format!(" {s}\n");
            }
            doc.push_str(&format!("{nl}<Quiet>{s}</Quiet>"));
            Ok(v)
        }
        Quiet::Raw(s) => {
            doc.push_str(&format!("{nl}<Quiet>"));
            escape_into(&mut doc, s);
            doc.push_str("</Quiet>");
            let t = s.trim();
            if t.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if t.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(())
            }
        }
    };
    let mut keys: Vec<String> = input.keys.clone();
    if let Some(n) = input.long_key {
        keys.push("k".repeat(usize::from(n) % 1100));
    }
    for k in &keys {
        doc.push_str(&format!("{nl}<Object><Key>"));
        escape_into(&mut doc, k);
        doc.push_str("</Key></Object>");
    }
    doc.push_str("</Delete>");
    let got = parse_delete(doc.as_bytes());
    let want: Result<DeleteRequest, ErrorCode> = (|| {
        let quiet = quiet.map_err(|()| ErrorCode::MalformedXML)?;
        for k in &keys {
            if k.is_empty() {
                return Err(ErrorCode::InvalidObjectName);
            }
            if k.len() > MAX_KEY_BYTES {
                return Err(ErrorCode::KeyTooLong);
            }
        }
        if keys.is_empty() || keys.len() > 1000 {
            return Err(ErrorCode::MalformedXML);
        }
        // The writer replaces what XML cannot carry with U+FFFD; the keys read back so.
        Ok(DeleteRequest {
            quiet,
            keys: keys.iter().map(|k| xml_safe(k)).collect(),
            version_ids: vec![None; keys.len()],
        })
    })();
    assert_eq!(got.map_err(|e| e.code), want, "document {doc:?}");
}

// ---- CompleteMultipartUpload ------------------------------------------------------------------

fn check_complete(parts: &[PartIn]) {
    let mut w = XmlWriter::new();
    w.open("CompleteMultipartUpload");
    let mut want: Result<Vec<CompletePart>, ErrorCode> = Ok(Vec::new());
    for p in parts {
        w.open("Part");
        match p.omit % 4 {
            1 => {}
            3 => w.elem("PartNumber", &format!("{}x", p.number)),
            _ => w.elem("PartNumber", &p.number.to_string()),
        }
        if p.omit % 4 != 2 {
            w.elem("ETag", &p.etag);
        }
        w.close("Part");
        if let Ok(list) = &mut want {
            if p.omit % 4 != 0 {
                want = Err(ErrorCode::MalformedXML);
            } else if p.number == 0 || list.last().is_some_and(|l| p.number <= l.number) {
                want = Err(ErrorCode::InvalidPartOrder);
            } else {
                list.push(CompletePart {
                    number: p.number,
                    etag: xml_safe(&p.etag).trim().to_owned(),
                });
            }
        }
    }
    w.close("CompleteMultipartUpload");
    let doc = w.finish();
    assert_eq!(parse_complete(doc.as_bytes()).map_err(|e| e.code), want, "document {doc:?}");
}

// ---- CreateBucketConfiguration ----------------------------------------------------------------

fn check_create(input: &CreateIn) {
    if let Some(n) = input.blank {
        let blank: String = " \t\r\n".chars().cycle().take(usize::from(n) % 9).collect();
        assert_eq!(parse_create_bucket(blank.as_bytes()).map_err(|e| e.code), Ok(None));
    }
    let mut w = XmlWriter::new();
    w.open("CreateBucketConfiguration");
    w.opt("StorageClass", input.storage_class.as_deref());
    w.close("CreateBucketConfiguration");
    let doc = w.finish();
    let want: Result<Option<String>, ErrorCode> =
        Ok(input.storage_class.as_deref().map(|s| xml_safe(s).trim().to_owned()));
    assert_eq!(parse_create_bucket(doc.as_bytes()).map_err(|e| e.code), want, "{doc:?}");
}
