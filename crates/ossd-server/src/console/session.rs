//! Console sessions: kept in memory only (a restart signs everyone out), each an opaque random id
//! in an `HttpOnly`, `SameSite=Strict` cookie scoped to `/-/console/`, with an idle and an absolute
//! expiry and a per-session CSRF token that state-changing calls send in a header. Failed sign-ins
//! are counted per client IP and refused for a while beyond a limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cookie that carries the session id.
pub const COOKIE: &str = "ossd_console";
/// The request header that carries the CSRF token.
pub const CSRF_HEADER: &str = "x-ossd-csrf";
/// The cookie's path: the console only (no cookie is ever sent to, or set on, OSS API paths).
pub const COOKIE_PATH: &str = "/-/console/";

/// The console's limits (README settings table: `console_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleConfig {
    /// A session unused for this long is over.
    pub session_idle: Duration,
    /// A session is over this long after sign-in, used or not.
    pub session_max: Duration,
    /// Failed sign-ins one IP address may make within `sign_in_window`; more are refused.
    pub sign_in_failures: u32,
    /// The window failed sign-ins are counted in (and how long a refused address waits at most).
    pub sign_in_window: Duration,
}

impl Default for ConsoleConfig {
    fn default() -> ConsoleConfig {
        ConsoleConfig {
            session_idle: Duration::from_secs(30 * 60),
            session_max: Duration::from_secs(12 * 3600),
            sign_in_failures: 10,
            sign_in_window: Duration::from_secs(15 * 60),
        }
    }
}

/// One signed-in session.
#[derive(Clone, Debug)]
pub struct Session {
    /// The access key the session acts as (its principal is looked up on every request, so a
    /// disabled or deleted key, or a changed grant, takes effect at once).
    pub access_key_id: String,
    /// The CSRF token of this session.
    pub csrf: String,
    created: Instant,
    last_seen: Instant,
}

impl Session {
    /// Seconds until the absolute expiry.
    pub fn remaining(&self, cfg: &ConsoleConfig) -> u64 {
        cfg.session_max.saturating_sub(self.created.elapsed()).as_secs()
    }
}

/// Failed sign-ins of one address within the current window.
struct Failures {
    since: Instant,
    count: u32,
}

/// Every live session and the failed sign-in counts.
pub struct Sessions {
    cfg: ConsoleConfig,
    live: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

/// 32 random bytes as 64 hex digits.
fn token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Sessions {
    /// No sessions yet.
    pub fn new(cfg: ConsoleConfig) -> Sessions {
        Sessions { cfg, live: Mutex::new(HashMap::new()), failures: Mutex::new(HashMap::new()) }
    }

    /// The limits.
    pub fn config(&self) -> &ConsoleConfig {
        &self.cfg
    }

    /// Starts a session for `access_key_id`; returns its id and state.
    pub fn create(&self, access_key_id: &str) -> (String, Session) {
        let now = Instant::now();
        let s = Session {
            access_key_id: access_key_id.to_owned(),
            csrf: token(),
            created: now,
            last_seen: now,
        };
        let id = token();
        if let Ok(mut m) = self.live.lock() {
            // Expired sessions are dropped here, so the map does not grow with abandoned ones.
            let cfg = self.cfg;
            m.retain(|_, s| !expired(&cfg, s, now));
            m.insert(id.clone(), s.clone());
        }
        (id, s)
    }

    /// The live session `id`, touched (its idle clock restarts); `None` when unknown or expired
    /// (an expired one is removed).
    pub fn touch(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let mut m = self.live.lock().ok()?;
        let s = m.get_mut(id)?;
        if expired(&self.cfg, s, now) {
            m.remove(id);
            return None;
        }
        s.last_seen = now;
        Some(s.clone())
    }

    /// Ends session `id`.
    pub fn remove(&self, id: &str) {
        if let Ok(mut m) = self.live.lock() {
            m.remove(id);
        }
    }

    /// Ends every session of `access_key_id` (the key was deleted).
    pub fn remove_key(&self, access_key_id: &str) {
        if let Ok(mut m) = self.live.lock() {
            m.retain(|_, s| s.access_key_id != access_key_id);
        }
    }

    /// `Some(seconds to wait)` when `ip` has used up its failed sign-ins for the window.
    pub fn refused_for(&self, ip: IpAddr) -> Option<u64> {
        let m = self.failures.lock().ok()?;
        let f = m.get(&ip)?;
        let elapsed = f.since.elapsed();
        (elapsed < self.cfg.sign_in_window && f.count >= self.cfg.sign_in_failures)
            .then(|| self.cfg.sign_in_window.saturating_sub(elapsed).as_secs().max(1))
    }

    /// Counts a failed sign-in of `ip`.
    pub fn failed(&self, ip: IpAddr) {
        let now = Instant::now();
        if let Ok(mut m) = self.failures.lock() {
            let window = self.cfg.sign_in_window;
            m.retain(|_, f| now.duration_since(f.since) < window);
            let f = m.entry(ip).or_insert(Failures { since: now, count: 0 });
            f.count = f.count.saturating_add(1);
        }
    }
}

fn expired(cfg: &ConsoleConfig, s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_seen) >= cfg.session_idle
        || now.duration_since(s.created) >= cfg.session_max
}

/// The session id in the request's `Cookie` headers, if any.
pub fn cookie_id(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The `Set-Cookie` value that sets session `id` (`secure` under HTTPS).
pub fn set_cookie(id: &str, max_age: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE}={id}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    set_cookie("", 0, secure)
}

/// True when the request's CSRF header equals the session's token (compared in constant time).
pub fn csrf_ok(headers: &http::HeaderMap, session: &Session) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| ossd_sig::ct_eq(v, &session.csrf))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]
mod tests {
    use super::*;

    fn cfg(idle_ms: u64, max_ms: u64) -> ConsoleConfig {
        ConsoleConfig {
            session_idle: Duration::from_millis(idle_ms),
            session_max: Duration::from_millis(max_ms),
            sign_in_failures: 2,
            sign_in_window: Duration::from_millis(200),
        }
    }

    #[test]
    fn sessions_expire_when_idle_and_absolutely() {
        let s = Sessions::new(cfg(60, 10_000));
        let (id, sess) = s.create("ak");
        assert_eq!(id.len(), 64);
        assert_ne!(id, sess.csrf);
        assert!(s.touch(&id).is_some());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.touch(&id).is_none(), "idle expiry");
        let s = Sessions::new(cfg(10_000, 100));
        let (id, _) = s.create("ak");
        for _ in 0..3 {
            std::thread::sleep(Duration::from_millis(30));
            assert!(s.touch(&id).is_some());
        }
        std::thread::sleep(Duration::from_millis(40));
        assert!(s.touch(&id).is_none(), "absolute expiry despite use");
        let (a, _) = s.create("k1");
        let (b, _) = s.create("k2");
        s.remove_key("k1");
        assert!(s.touch(&a).is_none() && s.touch(&b).is_some());
        s.remove(&b);
        assert!(s.touch(&b).is_none());
    }

    #[test]
    fn failed_sign_ins_are_limited_per_address_for_the_window() {
        let s = Sessions::new(cfg(1000, 1000));
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        s.failed(a);
        assert_eq!(s.refused_for(a), None);
        s.failed(a);
        assert!(s.refused_for(a).is_some());
        assert_eq!(s.refused_for(b), None);
        std::thread::sleep(Duration::from_millis(220));
        assert_eq!(s.refused_for(a), None, "the window passed");
    }

    #[test]
    fn cookies_and_csrf() {
        let mut h = http::HeaderMap::new();
        h.append(http::header::COOKIE, "a=b; ossd_console=abc; c=d".parse().unwrap());
        assert_eq!(cookie_id(&h), Some("abc"));
        assert_eq!(
            set_cookie("abc", 60, true),
            "ossd_console=abc; Path=/-/console/; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(
            clear_cookie(false).contains("Max-Age=0") && !clear_cookie(false).contains("Secure")
        );
        let s = Sessions::new(ConsoleConfig::default());
        let (_, sess) = s.create("ak");
        assert!(!csrf_ok(&h, &sess));
        h.insert(CSRF_HEADER, sess.csrf.parse().unwrap());
        assert!(csrf_ok(&h, &sess));
        h.insert(CSRF_HEADER, "x".repeat(64).parse().unwrap());
        assert!(!csrf_ok(&h, &sess));
    }
}
