//! Target `form`: the streaming `multipart/form-data` reader of PostObject. A form is built from
//! typed parts (names, files, padding, near-miss delimiters in the values, long headers), maybe
//! mutated or cut, and fed to `FormReader` in the input's chunking and whole. What the reader
//! reports (each part's head and value, the end, or the error) must equal a whole-buffer reference
//! parse, for every chunking; and for a well-formed form the reference must give back the parts
//! the form was built from.

use arbitrary::Arbitrary;
use bytes::Bytes;
use ossd_proto::{ApiError, ErrorCode};
use ossd_server::form::{Chunks, FormReader, MAX_PADDING, MAX_PART_HEADERS, PartHead, boundary};
use std::collections::VecDeque;
use std::future::Future;
use std::task::{Context, Poll, Waker};

#[derive(Arbitrary, Debug)]
enum BoundaryChoice {
    /// `----ossdFormBoundary<n>`, as browsers make them.
    Simple(u8),
    /// Any characters RFC 2046 allows in a boundary (no space), 1 to 70 of them.
    Chars(String),
}

#[derive(Arbitrary, Debug)]
enum NearMiss {
    /// The delimiter followed by a byte that is not `-`, padding or CR.
    Suffix(u8),
    /// A proper prefix of the delimiter, this long.
    Prefix(u8),
    /// The delimiter, padding, then something else than CRLF.
    Padded(u8),
}

#[derive(Arbitrary, Debug)]
struct PartIn {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    /// Spaces and tabs after the delimiter, before its CRLF.
    padding: u8,
    value: Vec<u8>,
    near_miss: Option<(NearMiss, u16)>,
    /// An extra header line this long, to reach the header limit.
    long_header: Option<u16>,
    /// Header names in upper case.
    upper: bool,
    /// Skip the value (`next_part` without `read_value`).
    skip: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    boundary: BoundaryChoice,
    preamble: Vec<u8>,
    parts: Vec<PartIn>,
    close: bool,
    epilogue: Vec<u8>,
    chunks: Vec<u8>,
    cut: Option<u32>,
    flips: Vec<(u32, u8)>,
    content_type: String,
}

/// One thing the reader reports, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Head(PartHead),
    Value(Vec<u8>),
    End,
    Err(ErrorCode),
}

/// The target: `data` as a form and a chunking, then the checks.
pub fn run(data: &[u8]) {
    if let Some(input) = crate::input::<Input>(data) {
        check(&input);
    }
}

// ---- driving the reader -----------------------------------------------------------------------

/// Polls a future whose source is always ready; the reader never waits on anything else.
fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    match f.as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the form reader waited although its source is always ready"),
    }
}

struct Fixed(VecDeque<Bytes>);

impl Chunks for Fixed {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, ApiError> {
        Ok(self.0.pop_front())
    }
}

/// `body` cut into chunks whose sizes come from `sizes` (cycled); one chunk if `sizes` is empty.
fn chunked(body: &[u8], sizes: &[u8]) -> VecDeque<Bytes> {
    let mut out = VecDeque::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = match sizes.get(i % sizes.len().max(1)) {
            None => rest.len(),
            Some(&c) if c < 128 => usize::from(c) + 1,
            Some(&c) => usize::from(c - 127) * 512,
        };
        let (a, b) = rest.split_at(n.min(rest.len()));
        out.push_back(Bytes::copy_from_slice(a));
        rest = b;
        i += 1;
    }
    out
}

fn stream(body: &[u8], bnd: &str, sizes: &[u8], skip: &[bool]) -> Vec<Ev> {
    let mut r = FormReader::new(Fixed(chunked(body, sizes)), bnd);
    block_on(async {
        let mut evs = Vec::new();
        for idx in 0.. {
            match r.next_part().await {
                Ok(Some(h)) => {
                    evs.push(Ev::Head(h));
                    if !skip.get(idx).copied().unwrap_or(false) {
                        match r.read_value(usize::MAX).await {
                            Ok(v) => evs.push(Ev::Value(v)),
                            Err(e) => {
                                evs.push(Ev::Err(e.code));
                                return evs;
                            }
                        }
                    }
                }
                Ok(None) => {
                    evs.push(Ev::End);
                    // The end stays the end.
                    assert!(matches!(r.next_part().await, Ok(None)));
                    return evs;
                }
                Err(e) => {
                    evs.push(Ev::Err(e.code));
                    return evs;
                }
            }
        }
        unreachable!("the loop over part numbers ends by returning")
    })
}

// ---- the reference ----------------------------------------------------------------------------

enum Delim {
    /// A real delimiter at this position.
    At(usize),
    /// None before the end of the data (or one whose end is cut off).
    Missing,
}

/// The next real delimiter at or after `from`: `delim`, then `--`, or at most [`MAX_PADDING`]
/// spaces/tabs and CRLF.
fn next_delim(data: &[u8], delim: &[u8], from: usize) -> Delim {
    let mut i = from;
    while i + delim.len() <= data.len() {
        if &data[i..i + delim.len()] == delim {
            let after = &data[i + delim.len()..];
            if after.starts_with(b"--") || after.starts_with(b"\r\n") {
                return Delim::At(i);
            }
            let ws = after.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
            let undecided = if ws == 0 { after.len() < 2 } else { after.len() < ws + 2 };
            if undecided && ws <= MAX_PADDING {
                return Delim::Missing;
            }
            if ws > 0 && ws <= MAX_PADDING && &after[ws..ws + 2] == b"\r\n" {
                return Delim::At(i);
            }
        }
        i += 1;
    }
    Delim::Missing
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The head of a part from its header block, as the reader reads it.
fn reference_head(block: &[u8]) -> Option<PartHead> {
    let text = std::str::from_utf8(block).ok()?;
    let (mut name, mut filename, mut content_type) = (None, None, None);
    for line in text.split("\r\n") {
        let Some((k, v)) = line.trim().split_once(':') else { continue };
        match k.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for attr in v.split(';').skip(1) {
                    let Some((ak, av)) = attr.split_once('=') else { continue };
                    let av = av.trim().trim_matches('"').to_owned();
                    match ak.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(av),
                        "filename" => filename = Some(av),
                        _ => {}
                    }
                }
            }
            "content-type" => content_type = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    Some(PartHead { name: name?, filename, content_type })
}

fn reference(body: &[u8], bnd: &str, skip: &[bool]) -> Vec<Ev> {
    let data = [b"\r\n".as_slice(), body].concat();
    let delim = format!("\r\n--{bnd}").into_bytes();
    let malformed = Ev::Err(ErrorCode::MalformedPOSTRequest);
    let mut evs = Vec::new();
    let Delim::At(first) = next_delim(&data, &delim, 0) else { return vec![malformed] };
    let mut pos = first + delim.len();
    for idx in 0.. {
        if data[pos..].starts_with(b"--") {
            evs.push(Ev::End);
            return evs;
        }
        pos += data[pos..].iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        let rest = &data[pos..];
        let block_len = match find(rest, b"\r\n\r\n") {
            Some(i) if i + 4 <= MAX_PART_HEADERS => i,
            None if rest.len() < MAX_PART_HEADERS => {
                evs.push(malformed);
                return evs;
            }
            _ => {
                evs.push(Ev::Err(ErrorCode::FieldItemTooLong));
                return evs;
            }
        };
        let Some(head) = reference_head(&rest[..block_len]) else {
            evs.push(malformed);
            return evs;
        };
        evs.push(Ev::Head(head));
        pos += block_len + 4;
        let Delim::At(end) = next_delim(&data, &delim, pos) else {
            evs.push(malformed);
            return evs;
        };
        if !skip.get(idx).copied().unwrap_or(false) {
            evs.push(Ev::Value(data[pos..end].to_vec()));
        }
        pos = end + delim.len();
    }
    unreachable!("the loop over part numbers ends by returning")
}

// ---- building the form ------------------------------------------------------------------------

/// Characters RFC 2046 allows in a boundary, without the space.
fn bchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c)
}

fn boundary_of(choice: &BoundaryChoice) -> String {
    match choice {
        BoundaryChoice::Simple(n) => format!("----ossdFormBoundary{n}"),
        BoundaryChoice::Chars(s) => {
            let b: String = s.chars().filter(|c| bchar(*c)).take(70).collect();
            if b.is_empty() { "x".to_owned() } else { b }
        }
    }
}

/// A header parameter value the reader gives back unchanged: no quotes, `;`, CR/LF, and no
/// surrounding whitespace.
fn clean(s: &str) -> bool {
    !s.contains(['"', ';', '\r', '\n']) && s.trim() == s
}

/// Parts as built: each head and value.
type Parts = Vec<(PartHead, Vec<u8>)>;

/// The form's bytes, and the parts it was built from when it is well-formed.
fn build(input: &Input, bnd: &str) -> (Vec<u8>, Option<Parts>) {
    let delim = format!("\r\n--{bnd}").into_bytes();
    let contains_delim = |b: &[u8]| find(b, &delim).is_some() || find(b, &delim[2..]).is_some();
    let mut well_formed = !contains_delim(&input.preamble);
    let mut body = input.preamble.clone();
    if !body.is_empty() {
        body.extend_from_slice(b"\r\n");
    }
    let mut parts = Vec::new();
    for p in input.parts.iter().take(16) {
        body.extend_from_slice(b"--");
        body.extend_from_slice(bnd.as_bytes());
        let pad = usize::from(p.padding % 8);
        body.extend(b" \t".iter().cycle().take(pad));
        let block_start = body.len();
        body.extend_from_slice(b"\r\n");
        let cd = if p.upper { "CONTENT-DISPOSITION" } else { "Content-Disposition" };
        body.extend_from_slice(format!("{cd}: form-data; name=\"{}\"", p.name).as_bytes());
        if let Some(f) = &p.filename {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        if let Some(ct) = &p.content_type {
            body.extend_from_slice(format!("Content-Type: {ct}\r\n").as_bytes());
        }
        if let Some(n) = p.long_header {
            let line = format!("X-Pad: {}\r\n", "p".repeat(usize::from(n) % 20_000));
            body.extend_from_slice(line.as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        let block_len = body.len() - block_start;
        let mut value = p.value.clone();
        if let Some((miss, at)) = &p.near_miss {
            let at = usize::from(*at) % (value.len() + 1);
            let mut m = delim.clone();
            match miss {
                NearMiss::Suffix(c) => m.push(if b"- \t\r".contains(c) { b'x' } else { *c }),
                NearMiss::Prefix(n) => m.truncate(usize::from(*n) % delim.len()),
                NearMiss::Padded(c) => {
                    m.extend_from_slice(&[b' ', if *c == b'\r' { b'x' } else { *c }])
                }
            }
            value.splice(at..at, m);
        }
        let names_clean = clean(&p.name)
            && p.filename.as_deref().is_none_or(clean)
            && p.content_type.as_deref().is_none_or(|c| !c.contains(['\r', '\n']));
        // No real delimiter may start inside the value, nor straddle its end.
        let tail = [&value[..], &delim, b"--"].concat();
        let value_clean = matches!(next_delim(&tail, &delim, 0), Delim::At(i) if i == value.len());
        well_formed &= names_clean && value_clean && block_len <= MAX_PART_HEADERS;
        let head = PartHead {
            name: p.name.clone(),
            filename: p.filename.clone(),
            content_type: p.content_type.as_ref().map(|c| c.trim().to_owned()),
        };
        body.extend_from_slice(&value);
        body.extend_from_slice(b"\r\n");
        parts.push((head, value));
    }
    if input.close {
        body.extend_from_slice(b"--");
        body.extend_from_slice(bnd.as_bytes());
        body.extend_from_slice(b"--");
        body.extend_from_slice(&input.epilogue);
    }
    well_formed &= input.close && input.flips.is_empty() && input.cut.is_none();
    for (at, x) in &input.flips {
        if !body.is_empty() {
            let i = *at as usize % body.len();
            body[i] ^= x | 1;
        }
    }
    if let Some(cut) = input.cut {
        body.truncate(cut as usize % (body.len() + 1));
    }
    (body, well_formed.then_some(parts))
}

/// An event for a failure message: values cut to 100 bytes.
fn short(e: &Ev) -> String {
    match e {
        Ev::Value(v) if v.len() > 100 => {
            format!("Value({} bytes: {:?}…)", v.len(), String::from_utf8_lossy(&v[..100]))
        }
        Ev::Value(v) => format!("Value({:?})", String::from_utf8_lossy(v)),
        e => format!("{e:?}"),
    }
}

fn check(input: &Input) {
    let _ = boundary(&input.content_type);
    let bnd = boundary_of(&input.boundary);
    assert_eq!(
        boundary(&format!("multipart/form-data; boundary={bnd}")).ok().as_deref(),
        Some(bnd.as_str())
    );
    let (body, intended) = build(input, &bnd);
    let skip: Vec<bool> = input.parts.iter().map(|p| p.skip).collect();
    let want = reference(&body, &bnd, &skip);
    for sizes in [&input.chunks[..], &[]] {
        let got = stream(&body, &bnd, sizes, &skip);
        if got != want {
            let i = got.iter().zip(&want).take_while(|(g, w)| g == w).count();
            panic!(
                "reader and reference differ at event {i}: {:?} against {:?}; boundary {bnd:?}, \
                 chunks {sizes:?}, {} bytes: {:?}",
                got.get(i).map(short),
                want.get(i).map(short),
                body.len(),
                String::from_utf8_lossy(&body[..body.len().min(2000)])
            );
        }
    }
    if let Some(parts) = intended {
        let all = reference(&body, &bnd, &[]);
        let mut expect: Vec<Ev> =
            parts.into_iter().flat_map(|(h, v)| [Ev::Head(h), Ev::Value(v)]).collect();
        expect.push(Ev::End);
        assert_eq!(all, expect, "a well-formed form, boundary {bnd:?}");
    }
}
