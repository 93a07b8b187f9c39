//! A streaming `multipart/form-data` reader for PostObject: small fields are read whole (bounded),
//! the file part is handed over chunk by chunk and never buffered whole.

use bytes::{Buf, BytesMut};
use ossd_proto::{ApiError, ErrorCode};

/// Source of body chunks (the request body, or a fixed buffer in tests).
pub trait Chunks {
    /// The next chunk, `None` at the end.
    fn next_chunk(
        &mut self,
    ) -> impl std::future::Future<Output = Result<Option<bytes::Bytes>, ApiError>> + Send;
}

impl Chunks for crate::request_body::RequestBody {
    async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, ApiError> {
        self.data().await
    }
}

/// The headers of one form part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    /// The field name (`name=`).
    pub name: String,
    /// The file name, for file parts (`filename=`).
    pub filename: Option<String>,
    /// The part's own Content-Type, if given.
    pub content_type: Option<String>,
}

/// Longest part header block accepted, from the CRLF that ends the delimiter line to the blank
/// line, both included.
pub const MAX_PART_HEADERS: usize = 16 * 1024;

/// Longest transport padding (spaces and tabs between a delimiter and its CRLF) accepted. A longer
/// run makes the bytes content, so deciding whether a candidate is a delimiter never needs more
/// than this many bytes after it (RFC 2046 sets no limit; without one a body of spaces after a
/// candidate would be buffered whole).
pub const MAX_PADDING: usize = 256;

fn malformed(msg: &str) -> ApiError {
    ApiError::msg(
        ErrorCode::MalformedPOSTRequest,
        format!("The body of your POST request is not well-formed multipart/form-data: {msg}."),
    )
}

/// Extracts the boundary from a `multipart/form-data; boundary=...` content type.
pub fn boundary(content_type: &str) -> Result<String, ApiError> {
    let mut parts = content_type.split(';');
    let mime = parts.next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("multipart/form-data") {
        return Err(malformed("the Content-Type must be multipart/form-data"));
    }
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("boundary")
        {
            let b = v.trim().trim_matches('"');
            if !b.is_empty() && b.len() <= 200 {
                return Ok(b.to_owned());
            }
        }
    }
    Err(malformed("no boundary"))
}

/// Reads a form part by part.
pub struct FormReader<C> {
    src: C,
    buf: BytesMut,
    delim: Vec<u8>,
    eof: bool,
    in_part: bool,
    finished: bool,
}

/// What follows a candidate delimiter: a real one is followed by `--` or (after at most
/// [`MAX_PADDING`] spaces and tabs) CRLF; anything else means the bytes are content that merely
/// looks like a delimiter.
enum After {
    Real,
    NotDelimiter,
    NeedMore,
}

fn after_delimiter(rest: &[u8]) -> After {
    if rest.len() < 2 {
        return After::NeedMore;
    }
    if &rest[..2] == b"--" || &rest[..2] == b"\r\n" {
        return After::Real;
    }
    let ws = rest.iter().take(MAX_PADDING + 1).take_while(|b| **b == b' ' || **b == b'\t').count();
    if ws == 0 || ws > MAX_PADDING {
        return After::NotDelimiter;
    }
    match rest.get(ws..ws + 2) {
        Some(b"\r\n") => After::Real,
        Some(_) => After::NotDelimiter,
        None => After::NeedMore,
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes searched by [`find`] on this thread: lets the tests bound the reader's work.
    static SEARCHED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    #[cfg(test)]
    SEARCHED.with(|n| n.set(n.get() + hay.len()));
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    (0..=hay.len() - needle.len()).find(|&i| hay[i] == first && &hay[i..i + needle.len()] == needle)
}

impl<C: Chunks> FormReader<C> {
    /// A reader over `src` for the given boundary.
    pub fn new(src: C, boundary: &str) -> FormReader<C> {
        let mut buf = BytesMut::with_capacity(64 * 1024);
        // A virtual CRLF in front makes the first delimiter look like every other one.
        buf.extend_from_slice(b"\r\n");
        FormReader {
            src,
            buf,
            delim: format!("\r\n--{boundary}").into_bytes(),
            eof: false,
            in_part: false,
            finished: false,
        }
    }

    async fn fill(&mut self) -> Result<bool, ApiError> {
        if self.eof {
            return Ok(false);
        }
        match self.src.next_chunk().await? {
            Some(c) => {
                self.buf.extend_from_slice(&c);
                Ok(true)
            }
            None => {
                self.eof = true;
                Ok(false)
            }
        }
    }

    /// Moves to the next part and returns its headers; `None` after the closing delimiter.
    pub async fn next_part(&mut self) -> Result<Option<PartHead>, ApiError> {
        if self.finished {
            return Ok(None);
        }
        if self.in_part {
            self.stream_value(|_| Ok(())).await?;
        }
        // Find the delimiter (skipping any preamble).
        loop {
            if let Some(i) = find(&self.buf, &self.delim) {
                match after_delimiter(&self.buf[i + self.delim.len()..]) {
                    After::Real => {
                        self.buf.advance(i + self.delim.len());
                        break;
                    }
                    After::NotDelimiter => {
                        self.buf.advance(i + 1);
                        continue;
                    }
                    After::NeedMore => {
                        // The preamble before the candidate is not searched again.
                        self.buf.advance(i);
                        if !self.fill().await? {
                            return Err(malformed("truncated"));
                        }
                        continue;
                    }
                }
            }
            // No delimiter starts before the last `delim.len() - 1` bytes: drop the rest of the
            // preamble, so that each chunk is searched once.
            let keep = self.delim.len() - 1;
            if self.buf.len() > keep {
                self.buf.advance(self.buf.len() - keep);
            }
            if !self.fill().await? {
                return Err(malformed("no boundary found"));
            }
        }
        // After the delimiter: "--" ends the form, CRLF starts a part.
        while self.buf.len() < 2 {
            if !self.fill().await? {
                return Err(malformed("truncated"));
            }
        }
        if &self.buf[..2] == b"--" {
            self.finished = true;
            return Ok(None);
        }
        // Transport padding after the delimiter, then the CRLF that ends the delimiter line.
        let pad = self.buf.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        self.buf.advance(pad);
        // The limit holds whatever the chunking: a block found in a large chunk is measured too,
        // and a buffer of MAX_PART_HEADERS bytes without the blank line cannot end within it.
        let mut searched = 0;
        let headers_end = loop {
            if let Some(i) = find(&self.buf[searched..], b"\r\n\r\n").map(|i| i + searched) {
                if i + 4 > MAX_PART_HEADERS {
                    return Err(ApiError::new(ErrorCode::FieldItemTooLong));
                }
                break i;
            }
            if self.buf.len() >= MAX_PART_HEADERS {
                return Err(ApiError::new(ErrorCode::FieldItemTooLong));
            }
            // Each chunk is searched once (the last 3 bytes again, for a blank line across chunks).
            searched = self.buf.len().saturating_sub(3);
            if !self.fill().await? {
                return Err(malformed("truncated part headers"));
            }
        };
        let head = std::str::from_utf8(&self.buf[..headers_end])
            .map_err(|_| malformed("part headers are not UTF-8"))?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n").map(str::trim).filter(|l| !l.is_empty()) {
            let Some((k, v)) = line.split_once(':') else { continue };
            if k.trim().eq_ignore_ascii_case(http::header::CONTENT_DISPOSITION.as_str()) {
                for attr in v.split(';').skip(1) {
                    if let Some((ak, av)) = attr.split_once('=') {
                        let av = av.trim().trim_matches('"').to_owned();
                        match ak.trim().to_ascii_lowercase().as_str() {
                            "name" => name = Some(av),
                            "filename" => filename = Some(av),
                            _ => {}
                        }
                    }
                }
            } else if k.trim().eq_ignore_ascii_case(http::header::CONTENT_TYPE.as_str()) {
                content_type = Some(v.trim().to_owned());
            }
        }
        self.buf.advance(headers_end + 4);
        self.in_part = true;
        let name = name.ok_or_else(|| malformed("a part has no name"))?;
        Ok(Some(PartHead { name, filename, content_type }))
    }

    /// Hands the current part's bytes to `sink` in chunks; returns the number of bytes.
    pub async fn stream_value(
        &mut self,
        mut sink: impl FnMut(&[u8]) -> Result<(), ApiError>,
    ) -> Result<u64, ApiError> {
        let mut total = 0u64;
        let mut from = 0;
        loop {
            if let Some(j) = find(&self.buf[from..], &self.delim) {
                let i = from + j;
                match after_delimiter(&self.buf[i + self.delim.len()..]) {
                    After::Real => {
                        sink(&self.buf[..i])?;
                        total += i as u64;
                        self.buf.advance(i);
                        self.in_part = false;
                        return Ok(total);
                    }
                    After::NotDelimiter => {
                        from = i + 1;
                        continue;
                    }
                    After::NeedMore => {
                        // Search again from the candidate, not from the start of the buffer.
                        from = i;
                        if !self.fill().await? {
                            return Err(malformed("the last part is not terminated"));
                        }
                        continue;
                    }
                }
            }
            let safe = self.buf.len().saturating_sub(self.delim.len() - 1);
            if safe > 0 {
                sink(&self.buf[..safe])?;
                total += safe as u64;
                self.buf.advance(safe);
            }
            from = 0;
            if !self.fill().await? {
                return Err(malformed("the last part is not terminated"));
            }
        }
    }

    /// Reads the current part's value whole, refusing more than `limit` bytes.
    pub async fn read_value(&mut self, limit: usize) -> Result<Vec<u8>, ApiError> {
        let mut out = Vec::new();
        self.stream_value(|c| {
            if out.len() + c.len() > limit {
                return Err(ApiError::new(ErrorCode::FieldItemTooLong));
            }
            out.extend_from_slice(c);
            Ok(())
        })
        .await?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(std::collections::VecDeque<bytes::Bytes>);
    impl Chunks for Fixed {
        async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, ApiError> {
            Ok(self.0.pop_front())
        }
    }

    fn body() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuser/${filename}\r\n",
        );
        b.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"Policy\"\r\n\r\neyJhIjoxfQ==\r\n",
        );
        b.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n");
        b.extend_from_slice(b"line1\r\n--XyZnot-a-delimiter\r\nend");
        b.extend_from_slice(b"\r\n--XyZ--\r\n");
        b
    }

    async fn parse(chunk: usize) -> Vec<(PartHead, Vec<u8>)> {
        let chunks = body().chunks(chunk).map(bytes::Bytes::copy_from_slice).collect();
        let mut r = FormReader::new(Fixed(chunks), "XyZ");
        let mut out = Vec::new();
        while let Some(h) = r.next_part().await.expect("part") {
            let v = r.read_value(1 << 20).await.expect("value");
            out.push((h, v));
        }
        out
    }

    #[tokio::test]
    async fn parses_at_every_chunking() {
        for chunk in [1, 2, 3, 7, 16, 64, 4096] {
            let parts = parse(chunk).await;
            assert_eq!(parts.len(), 3, "chunk {chunk}");
            assert_eq!(parts[0].0.name, "key");
            assert_eq!(parts[0].1, b"user/${filename}");
            assert_eq!(parts[1].0.name, "Policy");
            assert_eq!(parts[2].0.filename.as_deref(), Some("a.txt"));
            assert_eq!(parts[2].0.content_type.as_deref(), Some("text/plain"));
            assert_eq!(parts[2].1, b"line1\r\n--XyZnot-a-delimiter\r\nend", "chunk {chunk}");
        }
    }

    #[tokio::test]
    async fn truncated_and_oversized() {
        let mut b = body();
        b.truncate(b.len() - 12);
        let mut r = FormReader::new(Fixed(vec![bytes::Bytes::from(b)].into()), "XyZ");
        let mut err = None;
        while err.is_none() {
            match r.next_part().await {
                Ok(Some(_)) => {
                    if let Err(e) = r.read_value(1 << 20).await {
                        err = Some(e);
                    }
                }
                Ok(None) => break,
                Err(e) => err = Some(e),
            }
        }
        assert_eq!(err.map(|e| e.code), Some(ErrorCode::MalformedPOSTRequest));
        let mut r = FormReader::new(Fixed(vec![bytes::Bytes::from(body())].into()), "XyZ");
        r.next_part().await.expect("ok").expect("part");
        assert_eq!(r.read_value(3).await.map_err(|e| e.code), Err(ErrorCode::FieldItemTooLong));
        assert_eq!(boundary("multipart/form-data; boundary=\"abc\"").ok().as_deref(), Some("abc"));
        assert!(boundary("application/json").is_err());
    }

    /// The part whose header block is `block_len` bytes long (CRLF of the delimiter line to the
    /// blank line, both included), then a closing delimiter.
    fn form_with_header_block(block_len: usize) -> Vec<u8> {
        let head = "\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: ";
        let pad = block_len - head.len() - 4;
        format!("--XyZ{head}{}\r\n\r\nv\r\n--XyZ--\r\n", "p".repeat(pad)).into_bytes()
    }

    async fn first_head(body: &[u8], chunk: usize) -> Result<PartHead, ErrorCode> {
        let chunks = body.chunks(chunk).map(bytes::Bytes::copy_from_slice).collect();
        let mut r = FormReader::new(Fixed(chunks), "XyZ");
        r.next_part().await.map(|h| h.expect("a part")).map_err(|e| e.code)
    }

    /// Regression (found by the `form` fuzz target): a header block over the limit was accepted
    /// when it arrived in one chunk and refused when it arrived in small ones.
    #[tokio::test]
    async fn header_limit_does_not_depend_on_chunking() {
        let fits = form_with_header_block(MAX_PART_HEADERS);
        let over = form_with_header_block(MAX_PART_HEADERS + 1);
        for chunk in [7, 100, 4096, 1 << 20] {
            assert_eq!(first_head(&fits, chunk).await.map(|h| h.name), Ok("a".to_owned()));
            assert_eq!(
                first_head(&over, chunk).await,
                Err(ErrorCode::FieldItemTooLong),
                "chunk {chunk}"
            );
        }
    }

    /// Regression (found by the `form` fuzz target running at 4 inputs/s): with small chunks the
    /// reader searched the whole preamble and header buffer again after every chunk, so a form
    /// trickled in byte by byte cost time quadratic in its headers. Each byte is now searched a
    /// bounded number of times, whatever the chunking.
    #[tokio::test]
    async fn each_byte_is_searched_a_bounded_number_of_times() {
        let mut body = vec![b'.'; 20_000]; // preamble
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&form_with_header_block(MAX_PART_HEADERS));
        for chunk in [1, 3, 64] {
            SEARCHED.with(|n| n.set(0));
            let chunks = body.chunks(chunk).map(bytes::Bytes::copy_from_slice).collect();
            let mut r = FormReader::new(Fixed(chunks), "XyZ");
            let head = r.next_part().await.expect("ok").expect("a part");
            assert_eq!(head.name, "a");
            assert_eq!(r.read_value(10).await.expect("value"), b"v");
            assert!(r.next_part().await.expect("end").is_none());
            let searched = SEARCHED.with(|n| n.get());
            assert!(searched < 16 * body.len(), "chunk {chunk}: {searched} bytes searched");
        }
    }

    /// Counts the chunks handed out.
    struct Counted(Vec<bytes::Bytes>, std::sync::Arc<std::sync::atomic::AtomicUsize>);
    impl Chunks for Counted {
        async fn next_chunk(&mut self) -> Result<Option<bytes::Bytes>, ApiError> {
            if self.0.is_empty() {
                return Ok(None);
            }
            self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(Some(self.0.remove(0)))
        }
    }

    /// A delimiter-like line followed by a long run of spaces is content: the reader passes it
    /// on as it comes instead of buffering the run to see whether a CRLF ends it.
    #[tokio::test]
    async fn long_padding_is_content_and_not_buffered() {
        let mut chunks = vec![bytes::Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--XyZ",
        )];
        let run = vec![b' '; 4096];
        chunks.extend((0..256).map(|_| bytes::Bytes::from(run.clone())));
        chunks.push(bytes::Bytes::from_static(b"\r\n--XyZ--\r\n"));
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut r = FormReader::new(Counted(chunks, served.clone()), "XyZ");
        r.next_part().await.expect("ok").expect("part");
        let mut first_call_at = None;
        let n = r
            .stream_value(|_| {
                first_call_at.get_or_insert(served.load(std::sync::atomic::Ordering::SeqCst));
                Ok(())
            })
            .await
            .expect("value");
        assert_eq!(n, 1 + 7 + 256 * 4096);
        assert!(
            first_call_at.is_some_and(|c| c <= 3),
            "first bytes after {first_call_at:?} chunks"
        );
        assert!(r.next_part().await.expect("end").is_none());
    }
}
