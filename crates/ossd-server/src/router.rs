//! The server's own surfaces under `/-/` (health, readiness, metrics, the admin API; later the
//! console), in front of the OSS pipeline. They are reached only on the server's own host: on a
//! virtual-hosted bucket host (`bucket.localhost`, `bucket.<domain>`) `/-/healthz` is the object
//! `-/healthz` of that bucket and goes to the OSS pipeline like any key. On a path-style host
//! `/-/…` cannot name a bucket (`-` is not a valid bucket name), so nothing is shadowed.

use ossd_proto::request::resolve_ref;

/// The prefix of every surface.
pub const PREFIX: &str = "/-/";

/// One of the server's own surfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// `GET /-/healthz`: liveness.
    Healthz,
    /// `GET /-/readyz`: readiness (the store takes writes).
    Readyz,
    /// `GET /-/metrics`: Prometheus metrics (root-signed on the main listener, `metrics`).
    Metrics,
    /// `/-/admin/…`: the JSON admin API that `ossd key` calls.
    Admin,
    /// `/-/console` and `/-/console/…`: the web console (`console`).
    Console,
    /// Any other `/-/…` path on the server's own host: 404.
    Unknown,
}

impl Surface {
    /// The name logged as the request's operation.
    pub fn name(self) -> &'static str {
        match self {
            Surface::Healthz => "HealthCheck",
            Surface::Readyz => "ReadinessCheck",
            Surface::Metrics => "Metrics",
            Surface::Admin => "Admin",
            Surface::Console => "Console",
            Surface::Unknown => "UnknownSurface",
        }
    }
}

/// The surface `path` names on `host`, or `None` when the request is for the OSS pipeline.
pub fn route(host: &str, path: &str, domains: &[String]) -> Option<Surface> {
    let rest = path.strip_prefix(PREFIX)?;
    // A bucket host never reaches the surfaces (the bucket comes from the Host header).
    if resolve_ref(Some(host), "/", domains).is_ok_and(|t| t.virtual_hosted) {
        return None;
    }
    Some(match rest {
        "healthz" => Surface::Healthz,
        "readyz" => Surface::Readyz,
        "metrics" => Surface::Metrics,
        r if r.starts_with("admin/") => Surface::Admin,
        r if r == "console" || r.starts_with("console/") => Surface::Console,
        _ => Surface::Unknown,
    })
}

#[cfg(test)]
mod tests {
    use super::{Surface, route};

    #[test]
    fn surfaces_only_on_the_servers_own_host() {
        let domains = vec!["oss.example.com".to_owned()];
        for host in ["127.0.0.1:9000", "localhost:9000", "oss.example.com", "[::1]:9000"] {
            assert_eq!(route(host, "/-/healthz", &domains), Some(Surface::Healthz), "{host}");
            assert_eq!(route(host, "/-/readyz", &domains), Some(Surface::Readyz));
            assert_eq!(route(host, "/-/metrics", &domains), Some(Surface::Metrics));
            assert_eq!(route(host, "/-/admin/keys", &domains), Some(Surface::Admin));
            assert_eq!(route(host, "/-/nothing", &domains), Some(Surface::Unknown));
            assert_eq!(route(host, "/-/console/", &domains), Some(Surface::Console));
            assert_eq!(route(host, "/-/console", &domains), Some(Surface::Console));
            assert_eq!(route(host, "/-/consoles", &domains), Some(Surface::Unknown));
            assert_eq!(route(host, "/bucket/-/healthz", &domains), None);
            assert_eq!(route(host, "/", &domains), None);
        }
        for host in ["b.localhost:9000", "b.oss.example.com", "b.oss-cn-hangzhou.aliyuncs.com"] {
            for path in
                ["/-/healthz", "/-/readyz", "/-/metrics", "/-/admin/keys", "/-/x", "/-/console/"]
            {
                assert_eq!(route(host, path, &domains), None, "{host}{path}");
            }
        }
    }
}
