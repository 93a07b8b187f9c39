//! The fast path of CORS: a bucket's compiled configuration and, built with it in the same value,
//! each rule's header values and a matched preflight's whole answer prepared once, so that a
//! preflight clones a header block and fills its slots by position instead of inserting (hashing)
//! each header. `reference` is the plain header-by-header path beside it; the tests hold the two
//! to the same lines in the same order.

use super::{CommonHeaders, preflight_vary};
use crate::body::Body;
use crate::headers::X_OSS_REQUEST_ID;
use http::{HeaderMap, HeaderValue, Response, header};
use ossd_cors::{AllowOrigin, CorsConfig};

/// A bucket's CORS configuration as the request path uses it: the compiled rules and, for each of
/// them, its prepared headers. Built only by [`BucketCors::new`], which prepares one
/// [`RuleHeaders`] per rule of the configuration, so every rule index the engine hands out has
/// its prepared headers.
#[derive(Debug)]
pub struct BucketCors {
    config: CorsConfig,
    /// `rules[i]` belongs to `config.rules()[i]`.
    rules: Box<[RuleHeaders]>,
}

/// A rule that matched: how it fills `Access-Control-Allow-Origin`, and its prepared headers.
pub(super) struct Matched<'c> {
    /// True when the request's own origin is sent back (else `*`).
    pub echo: bool,
    /// The rule's prepared headers.
    pub rule: &'c RuleHeaders,
}

impl BucketCors {
    /// Compiles `config`'s header values and preflight answers.
    pub fn new(config: CorsConfig) -> BucketCors {
        let response_vary = config.response_vary();
        let rules = config.rules().iter().map(|r| RuleHeaders::new(r, response_vary)).collect();
        BucketCors { config, rules }
    }

    /// The compiled configuration (for GetBucketCors).
    pub fn config(&self) -> &CorsConfig {
        &self.config
    }

    /// The bucket's `ResponseVary` flag.
    pub fn response_vary(&self) -> bool {
        self.config.response_vary()
    }

    /// The rule a preflight matches, if any (see [`CorsConfig::preflight`]).
    pub(super) fn preflight(
        &self,
        origin: &str,
        method: &str,
        headers: Option<&str>,
    ) -> Option<Matched<'_>> {
        let allowed = *self.config.preflight(origin, method, headers).allowed()?;
        Some(self.matched(allowed.rule, allowed.allow_origin))
    }

    /// The rule an actual request matches, if any (see [`CorsConfig::actual`]).
    pub(super) fn actual(&self, origin: &str, method: &str) -> Option<Matched<'_>> {
        let allowed = *self.config.actual(origin, method).allowed()?;
        Some(self.matched(allowed.rule, allowed.allow_origin))
    }

    fn matched(&self, rule: usize, allow_origin: AllowOrigin) -> Matched<'_> {
        // In range: `new` prepared one entry per rule of the configuration the index comes from.
        Matched { echo: allow_origin == AllowOrigin::Echo, rule: &self.rules[rule] }
    }
}

/// The header values a matching rule always sends (Allow-Methods, Expose-Headers, Max-Age), and a
/// matched preflight's whole answer in each of its variants.
#[derive(Debug)]
pub(super) struct RuleHeaders {
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: Option<HeaderValue>,
    /// `Access-Control-Expose-Headers`.
    pub expose_headers: Option<HeaderValue>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<HeaderValue>,
    /// The preflight answer for an echoed or `*` origin, with or without an Allow-Headers slot
    /// ([`RuleHeaders::head`]).
    preflight: [PreflightHead; 4],
}

/// A matched preflight's header block in wire order, with slots for the values that depend on the
/// request: `Access-Control-Allow-Origin` (`*`, replaced when the origin is echoed), the rule's
/// Allow-Methods, Expose-Headers and Max-Age, `Access-Control-Allow-Headers` (a slot, if the
/// variant has one), `Vary` (fixed for the variant), then the slots for `x-oss-request-id`, `Date`
/// and `Server`, which every answer carries last.
///
/// It has no `Content-Length: 0`: hyper's HTTP/1 encoder skips that header for an empty body and
/// writes `content-length: 0` itself after all the others, so the bytes on the wire are the same
/// as with the header set; and nine entries (about 940 bytes) stay under mimalloc's 1 KiB
/// small-block size, above which its aligned allocation takes a slower path (measured: about 450
/// instructions per preflight).
#[derive(Debug)]
struct PreflightHead {
    /// The headers; slot values are empty placeholders.
    headers: HeaderMap,
    /// Position of `Access-Control-Allow-Origin` (its value is `*`).
    origin_at: usize,
    /// Position of the `Access-Control-Allow-Headers` slot, if this variant has one.
    allow_headers_at: Option<usize>,
    /// Position of the `x-oss-request-id` slot (`Date` and `Server` follow).
    common_at: usize,
}

/// Room in [`PreflightHead::headers`] (and so in every clone of it) for all headers of a preflight
/// answer, the ones added after it (e.g. `Connection`) included, without growing its index.
const PREFLIGHT_HEADERS: usize = 12;

/// An empty header value, the placeholder of a slot.
const SLOT: HeaderValue = HeaderValue::from_static("");

/// `Access-Control-Allow-Origin: *`.
pub(super) const ANY_ORIGIN: HeaderValue = HeaderValue::from_static("*");

impl RuleHeaders {
    /// Prepares a rule's constant header values once, in the engine's format (lists joined by
    /// ", "), and its preflight answers.
    fn new(rule: &ossd_cors::CorsRule, response_vary: bool) -> RuleHeaders {
        let value = |s: String| HeaderValue::from_str(&s).ok();
        let allow_methods = value(rule.allowed_methods.join(", "));
        let expose_headers = if rule.expose_headers.is_empty() {
            None
        } else {
            value(rule.expose_headers.join(", "))
        };
        let max_age =
            rule.max_age_seconds.and_then(|m| u64::try_from(m).ok()).map(HeaderValue::from);
        let fixed = [&allow_methods, &expose_headers, &max_age];
        let preflight = std::array::from_fn(|i| {
            PreflightHead::new(fixed, i & 2 != 0, i & 1 != 0, response_vary)
        });
        RuleHeaders { allow_methods, expose_headers, max_age, preflight }
    }

    /// The prepared answer for an echoed (`echo`) or `*` origin, with or without an
    /// Allow-Headers slot.
    fn head(&self, echo: bool, allow_headers: bool) -> &PreflightHead {
        &self.preflight[usize::from(echo) << 1 | usize::from(allow_headers)]
    }

    /// The answer to a preflight this rule matched: a clone of the prepared block with its slots
    /// filled by position in one pass (no hashing), every placeholder replaced. `origin` is the
    /// request's `Origin` value (sent back when `echo`).
    pub(super) fn preflight_answer(
        &self,
        echo: bool,
        origin: &HeaderValue,
        allow_headers: Option<HeaderValue>,
        common: CommonHeaders,
    ) -> Response<Body> {
        let head = self.head(echo, allow_headers.is_some());
        let mut r = Response::new(Body::Empty);
        *r.headers_mut() = head.headers.clone();
        let mut allow_headers = allow_headers;
        let mut common = [common.request_id, common.date, common.server].into_iter();
        for (i, slot) in r.headers_mut().values_mut().enumerate() {
            if i == head.origin_at {
                if echo {
                    *slot = origin.clone();
                }
            } else if Some(i) == head.allow_headers_at {
                if let Some(v) = allow_headers.take() {
                    *slot = v;
                }
            } else if i >= head.common_at
                && let Some(v) = common.next()
            {
                *slot = v;
            }
        }
        r
    }
}

impl PreflightHead {
    /// One variant: the same headers, in the same order, as inserting them one by one after a
    /// match (`reference::preflight_answer`).
    fn new(
        [allow_methods, expose_headers, max_age]: [&Option<HeaderValue>; 3],
        echo: bool,
        allow_headers: bool,
        response_vary: bool,
    ) -> PreflightHead {
        let mut h = HeaderMap::with_capacity(PREFLIGHT_HEADERS);
        let origin_at = h.len();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY_ORIGIN);
        for (name, v) in [
            (header::ACCESS_CONTROL_ALLOW_METHODS, allow_methods),
            (header::ACCESS_CONTROL_EXPOSE_HEADERS, expose_headers),
            (header::ACCESS_CONTROL_MAX_AGE, max_age),
        ] {
            if let Some(v) = v {
                h.insert(name, v.clone());
            }
        }
        let allow_headers_at = allow_headers.then(|| {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, SLOT);
            h.len() - 1
        });
        if let Some(vary) = preflight_vary(echo, response_vary) {
            h.insert(header::VARY, vary);
        }
        let common_at = h.len();
        h.insert(X_OSS_REQUEST_ID, SLOT);
        h.insert(header::DATE, SLOT);
        h.insert(header::SERVER, SLOT);
        PreflightHead { headers: h, origin_at, allow_headers_at, common_at }
    }
}
