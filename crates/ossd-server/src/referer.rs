//! Hotlink protection: whether a request's `Referer` passes the bucket's referer configuration.
//!
//! Checked for anonymous requests and presigned URLs only (a request signed in its
//! `Authorization` header is not affected), before the ACLs, as the OSS hotlink-protection guide
//! describes (<https://www.alibabacloud.com/help/en/oss/user-guide/hotlink-protection>):
//! 1. an empty referer (absent or empty header) passes when `AllowEmptyReferer` is true, or when
//!    the whitelist is empty; otherwise 0003-00000501;
//! 2. a referer matching the blacklist is refused (0003-00000502), whatever the whitelist says;
//! 3. with a non-empty whitelist, a referer matching none of it is refused (0003-00000503).
//!
//! An entry is a URL prefix with wildcards: `*` any run of characters, `?` exactly one; it matches
//! a referer that *starts with* what it describes (OSS: `www.aliyun.com` matches
//! `www.aliyun.com.cn`, and `http://help.example.com/index.html` does not admit
//! `http://help.example.com/logo.html`), compared without regard to ASCII case. Before matching,
//! `AllowTruncateQueryString` cuts the referer at its first `?`, and `TruncatePath` (only with it)
//! keeps `scheme://host[:port]`.

use ossd_proto::docs::referer::RefererConfiguration;
use ossd_proto::{ApiError, ErrorCode};

/// Why a referer was refused: the EC OSS answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Empty referer while `AllowEmptyReferer` is false and the whitelist is not empty.
    Empty,
    /// The referer matches the blacklist.
    Blacklisted,
    /// The referer matches no whitelist entry.
    NotListed,
}

impl Refusal {
    /// The EC of OSS's error page for this refusal.
    pub fn ec(self) -> &'static str {
        match self {
            Refusal::Empty => "0003-00000501",
            Refusal::Blacklisted => "0003-00000502",
            Refusal::NotListed => "0003-00000503",
        }
    }

    /// OSS's answer: 403 `AccessDenied`, "You are denied by bucket referer policy.".
    pub fn to_error(self, bucket: &str) -> ApiError {
        ApiError::msg(ErrorCode::AccessDenied, "You are denied by bucket referer policy.")
            .field("BucketName", bucket)
            .with_ec(Some(self.ec()))
    }
}

/// Decides a request whose `Referer` header is `referer` (`None` when absent; the raw bytes,
/// read as UTF-8 with invalid sequences replaced).
pub fn check(cfg: &RefererConfiguration, referer: Option<&[u8]>) -> Result<(), Refusal> {
    let raw = String::from_utf8_lossy(referer.unwrap_or_default());
    let value = raw.trim();
    if value.is_empty() {
        return if cfg.allow_empty || cfg.allow.is_empty() { Ok(()) } else { Err(Refusal::Empty) };
    }
    let subject = truncated(value, cfg.truncate_query, cfg.truncate_path).to_ascii_lowercase();
    let subject: Vec<char> = subject.chars().collect();
    if cfg.deny.iter().any(|p| prefix_match(p, &subject)) {
        return Err(Refusal::Blacklisted);
    }
    if !cfg.allow.is_empty() && !cfg.allow.iter().any(|p| prefix_match(p, &subject)) {
        return Err(Refusal::NotListed);
    }
    Ok(())
}

/// The part of the referer that is matched.
fn truncated(referer: &str, query: bool, path: bool) -> &str {
    if !query {
        return referer;
    }
    let no_query = referer.split('?').next().unwrap_or(referer);
    if !path {
        return no_query;
    }
    let host_from = no_query.find("://").map_or(0, |i| i + 3);
    match no_query[host_from..].find('/') {
        Some(i) => &no_query[..host_from + i],
        None => no_query,
    }
}

/// Does `pattern` (with `*` and `?`) match a prefix of `subject` (already lower-cased)?
///
/// The pattern is split at `*` into segments; the first must match at the start, each next one
/// is taken at its leftmost match after the previous (leftmost is never worse for a prefix
/// match), so the cost is at most `len(subject) × len(pattern)` character comparisons.
fn prefix_match(pattern: &str, subject: &[char]) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let mut segments = pattern.split('*').map(|s| s.chars().collect::<Vec<char>>());
    let Some(first) = segments.next() else { return true };
    if !segment_at(&first, subject, 0) {
        return false;
    }
    let mut pos = first.len();
    for seg in segments {
        if seg.is_empty() {
            continue;
        }
        match (pos..=subject.len().saturating_sub(seg.len()))
            .find(|&at| segment_at(&seg, subject, at))
        {
            Some(at) => pos = at + seg.len(),
            None => return false,
        }
    }
    true
}

/// Does `seg` (literal characters and `?`) match `subject` at `at`?
fn segment_at(seg: &[char], subject: &[char], at: usize) -> bool {
    subject.len() >= at + seg.len()
        && seg.iter().zip(&subject[at..]).all(|(p, s)| *p == '?' || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reference: a backtracking wildcard match of `pattern*` against the subject.
    fn reference(pattern: &[char], subject: &[char]) -> bool {
        match pattern.split_first() {
            None => true, // the implicit trailing `*` of a prefix match
            Some(('*', rest)) => (0..=subject.len()).any(|i| reference(rest, &subject[i..])),
            Some((p, rest)) => subject
                .split_first()
                .is_some_and(|(s, srest)| (*p == '?' || p == s) && reference(rest, srest)),
        }
    }

    fn cfg(allow_empty: bool, allow: &[&str], deny: &[&str]) -> RefererConfiguration {
        RefererConfiguration {
            allow_empty,
            allow: allow.iter().map(|s| s.to_string()).collect(),
            deny: deny.iter().map(|s| s.to_string()).collect(),
            ..RefererConfiguration::default()
        }
    }

    #[test]
    fn documented_examples() {
        // The 0003-00000503 page: whitelist http://*.aliyuncs.com, blacklist
        // http://abc.aliyuncs.com, AllowEmptyReferer false.
        let c = cfg(false, &["http://*.aliyuncs.com"], &["http://abc.aliyuncs.com"]);
        assert_eq!(check(&c, Some(b"http://test.com")), Err(Refusal::NotListed));
        assert_eq!(check(&c, Some(b"http://test.aliyuncs.com")), Ok(()));
        assert_eq!(check(&c, Some(b"http://test.aliyuncs.com/x.html")), Ok(()));
        assert_eq!(check(&c, Some(b"http://abc.aliyuncs.com/a")), Err(Refusal::Blacklisted));
        assert_eq!(check(&c, None), Err(Refusal::Empty));
        assert_eq!(check(&c, Some(b"")), Err(Refusal::Empty));
        // The console guide: an entry is a prefix; a path in it narrows it.
        let c = cfg(true, &["www.aliyun.com"], &[]);
        assert_eq!(check(&c, Some(b"www.aliyun.com.cn")), Ok(()));
        assert_eq!(check(&c, Some(b"http://www.aliyun.com/")), Err(Refusal::NotListed));
        let c = cfg(true, &["http://help.example.com/index.html"], &[]);
        assert_eq!(check(&c, Some(b"http://help.example.com/logo.html")), Err(Refusal::NotListed));
        // A leading `*` absorbs the scheme; `?` is exactly one character.
        let c = cfg(true, &["*www.aliyun.com/", "http://www.?.aliyuncs.com"], &[]);
        assert_eq!(check(&c, Some(b"https://www.aliyun.com/a.png")), Ok(()));
        assert_eq!(check(&c, Some(b"http://www.aliyun.com/")), Ok(()));
        assert_eq!(check(&c, Some(b"http://www.a.aliyuncs.com/")), Ok(()));
        assert_eq!(check(&c, Some(b"http://www.ab.aliyuncs.com/")), Err(Refusal::NotListed));
        // Case does not matter; a port must be spelled.
        let c = cfg(true, &["http://WWW.Example.com/"], &[]);
        assert_eq!(check(&c, Some(b"http://www.example.COM/p")), Ok(()));
        assert_eq!(check(&c, Some(b"http://www.example.com:8080/p")), Err(Refusal::NotListed));
    }

    #[test]
    fn empty_referer_passes_with_an_empty_whitelist() {
        assert_eq!(check(&cfg(false, &[], &["http://x.com"]), None), Ok(()));
        assert_eq!(check(&cfg(true, &["http://a.com"], &[]), None), Ok(()));
        // Anything not blacklisted passes an empty whitelist.
        assert_eq!(check(&cfg(false, &[], &["http://x.com"]), Some(b"http://y.com/")), Ok(()));
    }

    #[test]
    fn truncation_of_query_and_path() {
        let mut c = cfg(false, &["http://a.com/page.html"], &[]);
        // Query cut by default: `?` in the referer is not matched against the entry.
        assert_eq!(check(&c, Some(b"http://a.com/page.html?from=x")), Ok(()));
        let c2 = cfg(false, &["http://a.com/page.html?ok"], &[]);
        assert_eq!(check(&c2, Some(b"http://a.com/page.html?ok=1")), Err(Refusal::NotListed));
        let c3 = RefererConfiguration { truncate_query: false, ..c2.clone() };
        assert_eq!(check(&c3, Some(b"http://a.com/page.html?ok=1")), Ok(()));
        // TruncatePath keeps scheme://host[:port]: an entry with a path no longer matches...
        c.truncate_path = true;
        assert_eq!(check(&c, Some(b"http://a.com/page.html")), Err(Refusal::NotListed));
        // ... and a host entry admits every page of the host.
        let c4 = RefererConfiguration { truncate_path: true, ..cfg(false, &["http://a.com"], &[]) };
        assert_eq!(check(&c4, Some(b"http://a.com:80/x/y?z")), Ok(()));
        assert_eq!(truncated("http://a.com:80/x/y?z", true, true), "http://a.com:80");
        assert_eq!(truncated("a.com/x", true, true), "a.com");
        // TruncatePath alone does nothing (it needs AllowTruncateQueryString).
        assert_eq!(truncated("http://a.com/x?y", false, true), "http://a.com/x?y");
    }

    #[test]
    fn segment_matching_equals_the_backtracking_reference() {
        let alphabet = ['a', 'b', '.', '/'];
        let patterns: Vec<String> = {
            let atoms = ["a", "b", ".", "?", "*", "ab", "a*b", "*a", "?*", "**"];
            let mut v = vec![String::new()];
            for x in atoms {
                for y in atoms {
                    v.push(format!("{x}{y}"));
                    for z in ["", "a", "*", "?b"] {
                        v.push(format!("{x}{y}{z}"));
                    }
                }
            }
            v
        };
        // Every subject of up to 5 characters over the alphabet.
        let mut subjects: Vec<Vec<char>> = vec![Vec::new()];
        for len in 1..=5 {
            let mut n = 1;
            for _ in 0..len {
                n *= alphabet.len();
            }
            for mut i in 0..n {
                let mut s = Vec::new();
                for _ in 0..len {
                    s.push(alphabet[i % alphabet.len()]);
                    i /= alphabet.len();
                }
                subjects.push(s);
            }
        }
        for p in &patterns {
            let pc: Vec<char> = p.chars().collect();
            for s in &subjects {
                assert_eq!(prefix_match(p, s), reference(&pc, s), "{p:?} vs {s:?}");
            }
        }
    }

    #[test]
    fn refusal_is_osss_403() {
        let e = Refusal::NotListed.to_error("b");
        assert_eq!(e.code, ErrorCode::AccessDenied);
        assert_eq!(e.message, "You are denied by bucket referer policy.");
        assert_eq!(e.effective_ec(), Some("0003-00000503"));
        assert_eq!(e.fields, vec![("BucketName", "b".to_owned())]);
    }
}
