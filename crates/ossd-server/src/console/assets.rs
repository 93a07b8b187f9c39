//! The console's files, embedded in the binary at build time (`include_bytes!` of
//! `crates/ossd-server/console/`): no build step besides cargo, nothing fetched at run time. Each is
//! served with its type, an ETag (MD5 of its bytes) and `Cache-Control: no-cache`, so a browser
//! revalidates and gets `304 Not Modified` until the binary changes.

use crate::body::Body;
use crate::render;
use http::{HeaderValue, Method, Response, StatusCode, header};
use md5::{Digest, Md5};
use ossd_proto::{ApiError, ErrorCode};
use std::sync::OnceLock;

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! files {
    ($($name:literal => $ty:expr),* $(,)?) => {
        /// (path under `/-/console/`, content type, bytes).
        const FILES: &[(&str, &str, &[u8])] = &[
            $(($name, $ty, include_bytes!(concat!("../../console/", $name)))),*
        ];
    };
}

files! {
    "index.html" => HTML,
    "assets/console.css" => CSS,
    "assets/favicon.svg" => SVG,
    "assets/app.js" => JS,
    "assets/api.js" => JS,
    "assets/ui.js" => JS,
    "assets/buckets.js" => JS,
    "assets/objects.js" => JS,
    "assets/upload.js" => JS,
    "assets/cors.js" => JS,
    "assets/acl.js" => JS,
    "assets/keys.js" => JS,
}

/// The quoted ETag of each file, in `FILES` order, computed once.
fn etags() -> &'static [String] {
    static TAGS: OnceLock<Vec<String>> = OnceLock::new();
    TAGS.get_or_init(|| {
        FILES.iter().map(|(_, _, b)| format!("\"{}\"", hex::encode(Md5::digest(b)))).collect()
    })
}

/// Serves `rest` (the path after `/-/console/`; empty for the page itself).
pub fn serve(parts: &http::request::Parts, rest: &str) -> Result<Response<Body>, ApiError> {
    let name = if rest.is_empty() { "index.html" } else { rest };
    let Some(i) = FILES.iter().position(|(n, _, _)| *n == name) else {
        return Err(ApiError::msg(ErrorCode::NoSuchKey, "No such console file."));
    };
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        return Err(ApiError::new(ErrorCode::MethodNotAllowed));
    }
    let (_, ty, bytes) = FILES[i];
    let etag = &etags()[i];
    let fresh = parts
        .headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut r = if fresh {
        render::empty(StatusCode::NOT_MODIFIED)
    } else {
        let mut r = Response::new(if parts.method == Method::HEAD {
            Body::Empty
        } else {
            Body::full(bytes)
        });
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
        r
    };
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::FILES;

    #[test]
    fn the_page_has_no_inline_script_or_style_and_loads_only_listed_files() {
        let (_, _, page) = FILES[0];
        let page = std::str::from_utf8(page).unwrap_or("");
        assert!(!page.contains("<style") && !page.contains(" style="), "no inline style");
        for (i, chunk) in page.split("<script").enumerate().skip(1) {
            let tag = chunk.split('>').next().unwrap_or("");
            assert!(tag.contains("src="), "script {i} is not inline");
        }
        for attr in page.split(" on").skip(1) {
            let name: String = attr.chars().take_while(char::is_ascii_lowercase).collect();
            assert!(!attr[name.len()..].starts_with('='), "inline handler on{name}");
        }
        for (name, _, bytes) in FILES {
            let text = std::str::from_utf8(bytes).unwrap_or("");
            for remote in
                ["from 'http", "src=\"http", "href=\"http", "url(http", "fetch('http", "@import"]
            {
                assert!(!text.contains(remote), "{name} loads nothing from elsewhere ({remote})");
            }
            for dep in text.split("from './").skip(1) {
                let file = dep.split('\'').next().unwrap_or("");
                assert!(
                    FILES.iter().any(|(n, _, _)| *n == format!("assets/{file}")),
                    "{name} imports {file}"
                );
            }
        }
    }
}
