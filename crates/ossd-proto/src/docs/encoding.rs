//! `encoding-type=url`: which characters a listing's keys and prefixes escape when the request
//! asks for it.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped by `encoding-type=url`: all but unreserved ones (the SDKs decode with plain
/// percent-decoding, so a space must be `%20`, never `+`).
const URL_ENC: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `s` percent-encoded when `url` is set (the request named `encoding-type=url`), else as is.
pub fn url_encode(s: &str, url: bool) -> Cow<'_, str> {
    if url { Cow::from(utf8_percent_encode(s, URL_ENC)) } else { Cow::Borrowed(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_all_but_unreserved() {
        assert_eq!(url_encode("a b/c+d~e-f_g.h&é", true), "a%20b%2Fc%2Bd~e-f_g.h%26%C3%A9");
        assert_eq!(url_encode("a b/c", false), "a b/c");
    }
}
