//! Criterion benchmarks of CORS evaluation: 1, 3 and 10 rules; match on first, match on last, no
//! match; exact and wildcard origins; preflight (with three requested headers) and actual requests.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented function")]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ossd_cors::{CorsConfig, CorsRule};

/// The kind of origin patterns the rules use.
#[derive(Clone, Copy)]
enum Kind {
    Exact,
    Wildcard,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Exact => "exact",
            Kind::Wildcard => "wildcard",
        }
    }

    /// Rule `i`'s origin pattern.
    fn pattern(self, i: usize) -> String {
        match self {
            Kind::Exact => format!("https://app{i}.example.com"),
            Kind::Wildcard => format!("https://*.site{i}.example.com"),
        }
    }

    /// A request origin that matches rule `i`.
    fn origin(self, i: usize) -> String {
        match self {
            Kind::Exact => format!("https://app{i}.example.com"),
            Kind::Wildcard => format!("https://www.site{i}.example.com"),
        }
    }
}

/// A realistic browser-upload rule: three methods, signed-upload headers, ETag exposed.
fn config(kind: Kind, n: usize) -> CorsConfig {
    let rules = (0..n)
        .map(|i| CorsRule {
            allowed_origins: vec![kind.pattern(i)],
            allowed_methods: vec!["GET".into(), "PUT".into(), "POST".into()],
            allowed_headers: vec!["authorization".into(), "x-oss-*".into(), "content-type".into()],
            expose_headers: vec!["ETag".into(), "x-oss-request-id".into()],
            max_age_seconds: Some(600),
        })
        .collect();
    CorsConfig::new(rules, false).expect("valid bench config")
}

fn bench(c: &mut Criterion) {
    const HEADERS: &str = "authorization, x-oss-date, content-type";
    for kind in [Kind::Exact, Kind::Wildcard] {
        for n in [1usize, 3, 10] {
            let cfg = config(kind, n);
            let cases = [
                ("first", kind.origin(0), true),
                ("last", kind.origin(n - 1), true),
                ("none", "https://evil.example.org".to_string(), false),
            ];
            for (position, origin, matches) in cases {
                assert_eq!(cfg.preflight(&origin, "PUT", Some(HEADERS)).is_allowed(), matches);
                assert_eq!(cfg.actual(&origin, "GET").is_allowed(), matches);
                let id = format!("{}/{n}rules/{position}", kind.name());
                c.bench_with_input(BenchmarkId::new("preflight", &id), &origin, |b, o| {
                    b.iter(|| {
                        black_box(&cfg)
                            .preflight(black_box(o), black_box("PUT"), black_box(Some(HEADERS)))
                            .is_allowed()
                    })
                });
                c.bench_with_input(BenchmarkId::new("actual", &id), &origin, |b, o| {
                    b.iter(|| black_box(&cfg).actual(black_box(o), black_box("GET")).is_allowed())
                });
            }
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
