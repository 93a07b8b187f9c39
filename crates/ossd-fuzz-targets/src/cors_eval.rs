//! Target `cors_eval`: arbitrary rules and request through `CorsConfig::new`, `preflight`, `actual`
//! and `explain`; nothing may panic, the three must agree, and they must agree with a naive
//! reference.

use arbitrary::Arbitrary;
use ossd_cors::{
    AllowOrigin, CorsConfig, CorsRule, Decision, allow_headers_value, is_safe_header_value,
};

/// A method value: mostly valid ones, sometimes anything.
#[derive(Arbitrary, Debug)]
enum MethodChoice {
    Get,
    Put,
    Delete,
    Post,
    Head,
    Raw(String),
}

impl MethodChoice {
    fn into_string(self) -> String {
        match self {
            MethodChoice::Get => "GET".into(),
            MethodChoice::Put => "PUT".into(),
            MethodChoice::Delete => "DELETE".into(),
            MethodChoice::Post => "POST".into(),
            MethodChoice::Head => "HEAD".into(),
            MethodChoice::Raw(s) => s,
        }
    }
}

/// One rule, as typed values.
#[derive(Arbitrary, Debug)]
struct ArbRule {
    origins: Vec<String>,
    methods: Vec<MethodChoice>,
    headers: Vec<String>,
    expose: Vec<String>,
    max_age: Option<i64>,
}

/// The request origin: either free-form or derived from a rule's origin pattern, so matches are common.
#[derive(Arbitrary, Debug)]
enum OriginChoice {
    Raw(String),
    /// Take origin `o` of rule `r` (modulo) and replace its `*` with `fill`.
    FromRule {
        r: u8,
        o: u8,
        fill: String,
    },
}

/// The target's input: rules, `ResponseVary` and one request.
#[derive(Arbitrary, Debug)]
struct Input {
    rules: Vec<ArbRule>,
    vary: bool,
    origin: OriginChoice,
    method: MethodChoice,
    headers: Option<String>,
}

/// Naive recursive glob; `fold` compares ASCII case-insensitively.
fn glob(p: &[u8], s: &[u8], fold: bool) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => glob(rest, s, fold) || (!s.is_empty() && glob(p, &s[1..], fold)),
        Some((c, rest)) => match s.split_first() {
            Some((d, srest)) => {
                (if fold { c.eq_ignore_ascii_case(d) } else { c == d }) && glob(rest, srest, fold)
            }
            None => false,
        },
    }
}

/// Reference evaluation straight from the spec wording, over the stored rules.
fn reference(
    rules: &[CorsRule],
    origin: &str,
    method: &str,
    headers: Option<&str>,
) -> Option<(usize, AllowOrigin)> {
    let requested: Vec<&str> = headers
        .map(|h| h.split(',').map(str::trim_ascii).filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    rules.iter().enumerate().find_map(|(i, r)| {
        let o = r.allowed_origins.iter().find(|p| glob(p.as_bytes(), origin.as_bytes(), false))?;
        let method_ok = r.allowed_methods.iter().any(|m| m == method);
        let headers_ok = requested
            .iter()
            .all(|h| r.allowed_headers.iter().any(|p| glob(p.as_bytes(), h.as_bytes(), true)));
        (method_ok && headers_ok)
            .then_some((i, if o == "*" { AllowOrigin::Any } else { AllowOrigin::Echo }))
    })
}

fn outcome(d: Decision<'_>) -> Option<(usize, AllowOrigin)> {
    d.allowed().map(|a| (a.rule, a.allow_origin))
}

/// The target: `data` as the rules and request, then the checks.
pub fn run(data: &[u8]) {
    if let Some(input) = crate::input::<Input>(data) {
        check(input);
    }
}

/// Checks the properties for one input; panics when one fails.
fn check(input: Input) {
    let rules: Vec<CorsRule> = input
        .rules
        .into_iter()
        .map(|r| CorsRule {
            allowed_origins: r.origins,
            allowed_methods: r.methods.into_iter().map(MethodChoice::into_string).collect(),
            allowed_headers: r.headers,
            expose_headers: r.expose,
            max_age_seconds: r.max_age,
        })
        .collect();
    let origin = match input.origin {
        OriginChoice::Raw(s) => s,
        OriginChoice::FromRule { r, o, fill } => {
            let rule = rules.get(usize::from(r) % rules.len().max(1));
            let pat = rule.and_then(|rule| {
                rule.allowed_origins.get(usize::from(o) % rule.allowed_origins.len().max(1))
            });
            pat.map(|p| p.replacen('*', &fill, 1)).unwrap_or(fill)
        }
    };
    let method = input.method.into_string();
    let headers = input.headers.as_deref();

    let _ = allow_headers_value(headers);
    let _ = is_safe_header_value(&origin);

    let Ok(cfg) = CorsConfig::new(rules, input.vary) else {
        return;
    };
    assert_eq!(cfg.response_vary(), input.vary);

    let pre = cfg.preflight(&origin, &method, headers);
    let explained = cfg.explain(&origin, &method, headers);
    assert_eq!(explained.rules.len(), cfg.rules().len());
    assert_eq!(pre.allowed().map(|a| a.rule), explained.matched);
    assert_eq!(outcome(pre), reference(cfg.rules(), &origin, &method, headers));

    let act = cfg.actual(&origin, &method);
    assert_eq!(act.allowed().map(|a| a.rule), cfg.explain(&origin, &method, None).matched);
    assert_eq!(outcome(act), reference(cfg.rules(), &origin, &method, None));

    if let Some(a) = pre.allowed() {
        let rule = &cfg.rules()[a.rule];
        assert_eq!(a.allow_methods, rule.allowed_methods.join(", "));
        assert_eq!(a.expose_headers.map(str::to_owned), {
            let joined = rule.expose_headers.join(", ");
            (!joined.is_empty()).then_some(joined)
        });
        assert_eq!(a.max_age, rule.max_age_seconds.map(|m| m as u64));
        assert!(is_safe_header_value(a.allow_methods));
        assert!(a.expose_headers.is_none_or(is_safe_header_value));
    }
}
