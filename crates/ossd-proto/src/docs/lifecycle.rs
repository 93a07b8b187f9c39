//! The `<LifecycleConfiguration>` document of Put/GetBucketLifecycle, as the OSS API reference
//! defines it, with OSS's validation errors (ECs 0014-…; the code string is `InvalidArgument`
//! for values and `MalformedXML` for shape, except where the SDK tests pin another):
//! <https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketlifecycle>.
//!
//! Children of a `Rule` are accepted in any order (the SDKs disagree on it) and rendered in one
//! fixed order. `NoncurrentVersion*` elements are accepted and stored; they act on noncurrent
//! versions, which exist only once versioning does.

use super::malformed;
use crate::error::{ApiError, ErrorCode};
use crate::tags::Tag;
use crate::xml::{self, Element, XmlWriter};

/// The largest PutBucketLifecycle body accepted (1000 rules of a few hundred bytes fit).
pub const MAX_LIFECYCLE_BODY: usize = 2 * 1024 * 1024;
/// The most rules a configuration may hold.
pub const MAX_RULES: usize = 1000;

/// When an action applies: a number of days after Last-Modified, or to objects last modified
/// before a UTC midnight (`CreatedBeforeDate`, days since 1970-01-01).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// `Days`: more than this many days after the object's Last-Modified.
    Days(u32),
    /// `CreatedBeforeDate`: last modified before this day (days since the Unix epoch).
    CreatedBefore(i64),
}

/// `Expiration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiration {
    /// By `Days` or `CreatedBeforeDate`.
    At(When),
    /// The legacy `Date`: from that day on, every matching object expires.
    Date(i64),
    /// `ExpiredObjectDeleteMarker` true: removes delete markers left alone (versioning only).
    ExpiredObjectDeleteMarker,
}

/// A `Transition` (or `NoncurrentVersionTransition`, whose `when` is always `Days`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    /// When the object changes class.
    pub when: When,
    /// The class it changes to, as OSS spells it.
    pub storage_class: String,
    /// `ReturnToStdWhenVisit` / `AllowSmallFile` as sent (stored and echoed).
    pub return_to_std_when_visit: Option<bool>,
    /// See `return_to_std_when_visit`.
    pub allow_small_file: Option<bool>,
}

/// `Filter/Not`: objects under `prefix` (with `tag`, when given) are excluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Not {
    /// Required, non-empty, starting with the rule's prefix.
    pub prefix: String,
    /// Optional tag the excluded objects must also carry.
    pub tag: Option<Tag>,
}

/// One `Rule`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// `ID`; generated when absent or empty.
    pub id: String,
    /// `Prefix`; empty for the whole bucket.
    pub prefix: String,
    /// `Status` `Enabled` (true) or `Disabled`.
    pub enabled: bool,
    /// `Tag`s every matching object must carry.
    pub tags: Vec<Tag>,
    /// `Filter/ObjectSizeGreaterThan`.
    pub size_greater_than: Option<u64>,
    /// `Filter/ObjectSizeLessThan`.
    pub size_less_than: Option<u64>,
    /// `Filter/Not`.
    pub not: Option<Not>,
    /// `Expiration`.
    pub expiration: Option<Expiration>,
    /// `Transition`s, in the order given.
    pub transitions: Vec<Transition>,
    /// `AbortMultipartUpload`.
    pub abort_multipart_upload: Option<When>,
    /// `NoncurrentVersionExpiration/NoncurrentDays`.
    pub noncurrent_expiration_days: Option<u32>,
    /// `NoncurrentVersionTransition`s.
    pub noncurrent_transitions: Vec<Transition>,
}

impl Rule {
    /// Whether `key` (an object with `tags` and `size`) is one this rule is about.
    pub fn matches_object(&self, key: &str, tags: &[Tag], size: u64) -> bool {
        key.starts_with(&self.prefix)
            && self.tags.iter().all(|t| tags.contains(t))
            && self.size_greater_than.is_none_or(|n| size > n)
            && self.size_less_than.is_none_or(|n| size < n)
            && !self.not.as_ref().is_some_and(|n| {
                key.starts_with(&n.prefix) && n.tag.as_ref().is_none_or(|t| tags.contains(t))
            })
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LifecycleConfiguration {
    /// The rules, in the order given.
    pub rules: Vec<Rule>,
}

fn bad(message: impl Into<String>, ec: &'static str) -> ApiError {
    ApiError::msg(ErrorCode::InvalidArgument, message).with_ec(Some(ec))
}

fn shape(message: impl Into<String>, ec: &'static str) -> ApiError {
    ApiError::msg(ErrorCode::MalformedXML, message).with_ec(Some(ec))
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

/// Parses `yyyy-MM-ddT00:00:00.000Z` (or without the milliseconds, as v2-py writes it): a UTC
/// midnight, as days since the epoch; anything else is EC 0014-00000087.
fn parse_date(s: &str) -> Result<i64, ApiError> {
    let err = || {
        bad(
            format!("The date '{s}' must be a UTC midnight such as 2024-01-31T00:00:00.000Z."),
            "0014-00000087",
        )
    };
    let (day, time) = s.split_once('T').ok_or_else(err)?;
    if time != "00:00:00.000Z" && time != "00:00:00Z" {
        return Err(err());
    }
    let mut parts = day.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(err());
    }
    let (y, m, d): (i64, u32, u32) = (
        y.parse().map_err(|_| err())?,
        m.parse().map_err(|_| err())?,
        d.parse().map_err(|_| err())?,
    );
    let days = days_from_civil(y, m, d);
    if !(1..=12).contains(&m) || civil_from_days(days) != (y, m, d) {
        return Err(err());
    }
    Ok(days)
}

/// The form GetBucketLifecycle echoes a date in.
fn render_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T00:00:00.000Z")
}

fn parse_days(s: &str) -> Result<u32, ApiError> {
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(bad(format!("Days must be a positive integer, not '{s}'."), "0014-00000086")),
    }
}

fn parse_bool(el: &Element, name: &str) -> Result<Option<bool>, ApiError> {
    match el.child_text(name) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => {
            Err(ApiError::invalid_argument(format!("{name} must be true or false."), name, v))
        }
    }
}

/// `Days` or `CreatedBeforeDate` of an element: exactly one (EC 0014-00000050 for both).
fn parse_when(el: &Element) -> Result<Option<When>, ApiError> {
    match (el.child_text("Days"), el.child_text("CreatedBeforeDate")) {
        (Some(_), Some(_)) => Err(bad(
            format!("{} takes Days or CreatedBeforeDate, not both.", el.name),
            "0014-00000050",
        )),
        (Some(d), None) => Ok(Some(When::Days(parse_days(d)?))),
        (None, Some(d)) => Ok(Some(When::CreatedBefore(parse_date(d)?))),
        (None, None) => Ok(None),
    }
}

fn parse_tag(el: &Element) -> Result<Tag, ApiError> {
    let (Some(k), Some(v)) = (el.child("Key"), el.child("Value")) else {
        return Err(bad("A lifecycle Tag needs a Key and a Value.", "0014-00000028"));
    };
    if k.text.is_empty() {
        return Err(bad("A lifecycle Tag key must not be empty.", "0014-00000030"));
    }
    for s in [&k.text, &v.text] {
        if s.contains(['%', '&']) {
            return Err(bad(
                format!("The lifecycle tag '{s}' holds a character tags cannot hold."),
                "0014-00000031",
            ));
        }
    }
    Ok((k.text.clone(), v.text.clone()))
}

const TRANSITION_CLASSES: &[&str] = &["IA", "Archive", "ColdArchive", "DeepColdArchive"];
const NONCURRENT_TRANSITION_CLASSES: &[&str] = &["IA", "Archive", "ColdArchive"];

fn parse_transition(el: &Element, noncurrent: bool) -> Result<Transition, ApiError> {
    if parse_bool(el, "IsAccessTime")? == Some(true) {
        // Access-time rules need access tracking (PutBucketAccessMonitor), which ossd does not
        // have; OSS answers MalformedXML while tracking is off.
        return Err(ApiError::msg(
            ErrorCode::MalformedXML,
            "IsAccessTime needs access tracking, which this server does not have.",
        ));
    }
    let (classes, ec) = if noncurrent {
        (NONCURRENT_TRANSITION_CLASSES, "0014-00000062")
    } else {
        (TRANSITION_CLASSES, "0014-00000044")
    };
    let class = el.child_text("StorageClass").unwrap_or("");
    let Some(class) = classes.iter().find(|c| c.eq_ignore_ascii_case(class)) else {
        return Err(bad(format!("'{class}' is not a storage class a transition can go to."), ec));
    };
    let when = if noncurrent {
        let d = el.child_text("NoncurrentDays").ok_or_else(|| {
            shape("NoncurrentVersionTransition needs NoncurrentDays.", "0014-00000086")
        })?;
        When::Days(parse_days(d)?)
    } else {
        parse_when(el)?
            .ok_or_else(|| bad("A Transition needs Days or CreatedBeforeDate.", "0014-00000050"))?
    };
    Ok(Transition {
        when,
        storage_class: (*class).to_owned(),
        return_to_std_when_visit: parse_bool(el, "ReturnToStdWhenVisit")?,
        allow_small_file: parse_bool(el, "AllowSmallFile")?,
    })
}

fn parse_expiration(el: &Element) -> Result<Expiration, ApiError> {
    let eodm = parse_bool(el, "ExpiredObjectDeleteMarker")?;
    let when = parse_when(el)?;
    let date = el.child_text("Date").map(parse_date).transpose()?;
    match (eodm, when, date) {
        (Some(true), None, None) => Ok(Expiration::ExpiredObjectDeleteMarker),
        (Some(true), _, _) => Err(bad(
            "ExpiredObjectDeleteMarker cannot be combined with Days or CreatedBeforeDate.",
            "0014-00000059",
        )),
        (_, Some(w), None) => Ok(Expiration::At(w)),
        (_, None, Some(d)) => Ok(Expiration::Date(d)),
        (_, Some(_), Some(_)) => {
            Err(bad("Expiration takes one of Days, CreatedBeforeDate and Date.", "0014-00000061"))
        }
        (_, None, None) => Err(bad(
            "Expiration needs Days, CreatedBeforeDate or ExpiredObjectDeleteMarker.",
            "0014-00000060",
        )),
    }
}

fn parse_rule(el: &Element) -> Result<Rule, ApiError> {
    let id = el.child_text("ID").unwrap_or("").to_owned();
    if id.chars().count() > 255 {
        return Err(bad("A rule ID must be at most 255 characters long.", "0014-00000019"));
    }
    // An absent Prefix is the whole bucket (v2-py omits it); not trimmed: a prefix may end in a space.
    let prefix = el.child("Prefix").map(|p| p.text.clone()).unwrap_or_default();
    if prefix.chars().count() > 1023 {
        return Err(bad("A rule Prefix must be at most 1023 characters long.", "0014-00000022"));
    }
    let enabled = match el.child_text("Status") {
        Some("Enabled") => true,
        Some("Disabled") => false,
        Some(s) => {
            return Err(bad(
                format!("Status must be Enabled or Disabled, not '{s}'."),
                "0014-00000024",
            ));
        }
        None => return Err(shape("A rule needs a Status.", "0014-00000025")),
    };
    let tags = el.children_named("Tag").map(parse_tag).collect::<Result<Vec<_>, _>>()?;
    for (i, (k, _)) in tags.iter().enumerate() {
        if tags[..i].iter().any(|(p, _)| p == k) {
            return Err(bad(
                format!("The lifecycle tag key '{k}' is given twice."),
                "0014-00000029",
            ));
        }
    }
    let mut rule = Rule { id, prefix, enabled, tags, ..Rule::default() };
    if let Some(f) = el.child("Filter") {
        rule.size_greater_than = size(f, "ObjectSizeGreaterThan")?;
        rule.size_less_than = size(f, "ObjectSizeLessThan")?;
        if let (Some(g), Some(l)) = (rule.size_greater_than, rule.size_less_than)
            && g >= l
        {
            return Err(bad(
                "ObjectSizeGreaterThan must be less than ObjectSizeLessThan.",
                "0014-00000041",
            ));
        }
        let mut nots = f.children_named("Not");
        if let Some(n) = nots.next() {
            if nots.next().is_some() {
                return Err(ApiError::msg(ErrorCode::MalformedXML, "A Filter takes one Not."));
            }
            let prefix = n.child("Prefix").map(|p| p.text.clone()).unwrap_or_default();
            if prefix.is_empty() || !prefix.starts_with(&rule.prefix) {
                return Err(bad(
                    "Not/Prefix must be non-empty and start with the rule's Prefix.",
                    "0014-00000035",
                ));
            }
            let tag = n.child("Tag").map(parse_tag).transpose()?;
            if tag.as_ref().is_some_and(|t| rule.tags.contains(t)) {
                return Err(bad("Not/Tag must not be one of the rule's Tags.", "0014-00000036"));
            }
            rule.not = Some(Not { prefix, tag });
        }
    }
    rule.expiration = el.child("Expiration").map(parse_expiration).transpose()?;
    rule.transitions = el
        .children_named("Transition")
        .map(|t| parse_transition(t, false))
        .collect::<Result<_, _>>()?;
    if let Some(a) = el.child("AbortMultipartUpload") {
        rule.abort_multipart_upload = Some(parse_when(a)?.ok_or_else(|| {
            bad("AbortMultipartUpload needs Days or CreatedBeforeDate.", "0014-00000086")
        })?);
    }
    if let Some(n) = el.child("NoncurrentVersionExpiration") {
        let d = n.child_text("NoncurrentDays").ok_or_else(|| {
            shape("NoncurrentVersionExpiration needs NoncurrentDays.", "0014-00000086")
        })?;
        rule.noncurrent_expiration_days = Some(parse_days(d)?);
    }
    rule.noncurrent_transitions = el
        .children_named("NoncurrentVersionTransition")
        .map(|t| parse_transition(t, true))
        .collect::<Result<_, _>>()?;
    check_rule(&rule)?;
    Ok(rule)
}

fn size(f: &Element, name: &str) -> Result<Option<u64>, ApiError> {
    f.child_text(name)
        .map(|v| {
            v.parse::<u64>()
                .ok()
                .filter(|n| *n > 0 || name == "ObjectSizeGreaterThan")
                .ok_or_else(|| bad(format!("{name} must be a positive integer."), "0014-00000039"))
        })
        .transpose()
}

/// The order transitions must follow: a colder class later.
fn class_rank(class: &str) -> usize {
    TRANSITION_CLASSES.iter().position(|c| *c == class).unwrap_or(0)
}

/// The checks across one rule's actions.
fn check_rule(r: &Rule) -> Result<(), ApiError> {
    let has_action = r.expiration.is_some()
        || !r.transitions.is_empty()
        || r.abort_multipart_upload.is_some()
        || r.noncurrent_expiration_days.is_some()
        || !r.noncurrent_transitions.is_empty();
    if !has_action {
        return Err(bad("A rule needs at least one action.", "0014-00000026"));
    }
    if !r.tags.is_empty()
        && (r.abort_multipart_upload.is_some()
            || r.expiration == Some(Expiration::ExpiredObjectDeleteMarker))
    {
        return Err(bad(
            "AbortMultipartUpload and ExpiredObjectDeleteMarker cannot be used with Tag.",
            "0014-00000027",
        ));
    }
    let expiration_days = match r.expiration {
        Some(Expiration::At(When::Days(d))) => Some(d),
        _ => None,
    };
    if matches!(r.expiration, Some(Expiration::At(When::CreatedBefore(_))))
        && r.transitions.iter().any(|t| matches!(t.when, When::Days(_)))
    {
        return Err(ApiError::msg(
            ErrorCode::InvalidRequest,
            "A rule cannot expire objects by date and transition them by days.",
        ));
    }
    check_order(&r.transitions, expiration_days, "Transition", "Expiration")?;
    check_order(
        &r.noncurrent_transitions,
        r.noncurrent_expiration_days,
        "NoncurrentVersionTransition",
        "NoncurrentVersionExpiration",
    )
}

/// Day-based transitions: a colder class strictly later than a warmer one, expiration strictly
/// after every transition (`InvalidArgument`, as the SDK tests pin).
fn check_order(
    ts: &[Transition],
    expire: Option<u32>,
    what: &str,
    expiration: &str,
) -> Result<(), ApiError> {
    let days: Vec<(usize, u32)> = ts
        .iter()
        .filter_map(|t| match t.when {
            When::Days(d) => Some((class_rank(&t.storage_class), d)),
            When::CreatedBefore(_) => None,
        })
        .collect();
    for (rank, d) in &days {
        if expire.is_some_and(|e| e <= *d) {
            return Err(ApiError::msg(
                ErrorCode::InvalidArgument,
                format!("{expiration} days must be greater than every {what}'s days."),
            ));
        }
        if days.iter().any(|(r2, d2)| r2 > rank && d2 <= d) {
            return Err(ApiError::msg(
                ErrorCode::InvalidArgument,
                format!(
                    "A {what} to a colder storage class must come after one to a warmer class."
                ),
            ));
        }
    }
    Ok(())
}

/// The action types two overlapping rules may not share without
/// `x-oss-allow-same-action-overlap: true`.
fn actions(r: &Rule) -> [(bool, &'static str); 3] {
    [
        (r.expiration.is_some(), "Expiration"),
        (r.abort_multipart_upload.is_some(), "AbortMultipartUpload"),
        (r.noncurrent_expiration_days.is_some(), "NoncurrentVersionExpiration"),
    ]
}

/// Parses and validates a PutBucketLifecycle body; `allow_overlap` is
/// `x-oss-allow-same-action-overlap: true`. Rules without an ID get `rule-<n>` (their position,
/// counting from 1; bumped past any ID already taken).
pub fn parse(raw: &[u8], allow_overlap: bool) -> Result<LifecycleConfiguration, ApiError> {
    let doc = xml::parse(raw).map_err(|_| malformed())?;
    if doc.name != "LifecycleConfiguration" {
        return Err(malformed());
    }
    let mut rules = doc.children_named("Rule").map(parse_rule).collect::<Result<Vec<_>, _>>()?;
    if rules.is_empty() {
        return Err(ApiError::msg(
            ErrorCode::MalformedXML,
            "A lifecycle configuration needs at least one Rule.",
        ));
    }
    if rules.len() > MAX_RULES {
        return Err(bad(
            format!("A lifecycle configuration holds at most {MAX_RULES} rules."),
            "0014-00000014",
        ));
    }
    for i in 0..rules.len() {
        let id = &rules[i].id;
        if !id.is_empty() && rules[..i].iter().any(|r| &r.id == id) {
            return Err(bad(format!("The rule ID '{id}' is given twice."), "0014-00000020"));
        }
    }
    let mut n = 0;
    for i in 0..rules.len() {
        if rules[i].id.is_empty() {
            loop {
                n += 1;
                let candidate = format!("rule-{n}");
                if !rules.iter().any(|r| r.id == candidate) {
                    rules[i].id = candidate;
                    break;
                }
            }
        }
    }
    check_overlaps(&rules, allow_overlap)?;
    Ok(LifecycleConfiguration { rules })
}

fn check_overlaps(rules: &[Rule], allow_overlap: bool) -> Result<(), ApiError> {
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[..i] {
            if a.prefix == b.prefix && a.tags == b.tags && a.not == b.not {
                return Err(bad(
                    format!("Rules '{}' and '{}' have the same Prefix.", b.id, a.id),
                    "0014-00000085",
                ));
            }
            let overlap = a.prefix.starts_with(&b.prefix) || b.prefix.starts_with(&a.prefix);
            if !overlap || allow_overlap {
                continue;
            }
            for ((x, name), (y, _)) in actions(a).into_iter().zip(actions(b)) {
                if x && y {
                    return Err(bad(
                        format!("Overlap for same action type {name}"),
                        "0014-00000084",
                    ));
                }
            }
        }
    }
    Ok(())
}

fn write_when(w: &mut XmlWriter, when: When) {
    match when {
        When::Days(d) => w.elem("Days", &d.to_string()),
        When::CreatedBefore(d) => w.elem("CreatedBeforeDate", &render_date(d)),
    }
}

fn write_transition(w: &mut XmlWriter, name: &str, t: &Transition, noncurrent: bool) {
    w.open(name);
    match (noncurrent, t.when) {
        (true, When::Days(d)) => w.elem("NoncurrentDays", &d.to_string()),
        (_, when) => write_when(w, when),
    }
    w.elem("StorageClass", &t.storage_class);
    let b = |v: bool| if v { "true" } else { "false" };
    w.opt("ReturnToStdWhenVisit", t.return_to_std_when_visit.map(b));
    w.opt("AllowSmallFile", t.allow_small_file.map(b));
    w.close(name);
}

fn write_tag(w: &mut XmlWriter, (k, v): &Tag) {
    w.open("Tag");
    w.elem("Key", k);
    w.elem("Value", v);
    w.close("Tag");
}

/// The GetBucketLifecycle document (also how the configuration is stored).
pub fn render(cfg: &LifecycleConfiguration) -> String {
    let mut w = XmlWriter::new();
    w.open("LifecycleConfiguration");
    for r in &cfg.rules {
        w.open("Rule");
        w.elem("ID", &r.id);
        w.elem("Prefix", &r.prefix);
        w.elem("Status", if r.enabled { "Enabled" } else { "Disabled" });
        for t in &r.tags {
            write_tag(&mut w, t);
        }
        if r.size_greater_than.is_some() || r.size_less_than.is_some() || r.not.is_some() {
            w.open("Filter");
            w.opt("ObjectSizeGreaterThan", r.size_greater_than.map(|n| n.to_string()).as_deref());
            w.opt("ObjectSizeLessThan", r.size_less_than.map(|n| n.to_string()).as_deref());
            if let Some(n) = &r.not {
                w.open("Not");
                w.elem("Prefix", &n.prefix);
                if let Some(t) = &n.tag {
                    write_tag(&mut w, t);
                }
                w.close("Not");
            }
            w.close("Filter");
        }
        if let Some(e) = r.expiration {
            w.open("Expiration");
            match e {
                Expiration::At(when) => write_when(&mut w, when),
                Expiration::Date(d) => w.elem("Date", &render_date(d)),
                Expiration::ExpiredObjectDeleteMarker => {
                    w.elem("ExpiredObjectDeleteMarker", "true")
                }
            }
            w.close("Expiration");
        }
        for t in &r.transitions {
            write_transition(&mut w, "Transition", t, false);
        }
        if let Some(a) = r.abort_multipart_upload {
            w.open("AbortMultipartUpload");
            write_when(&mut w, a);
            w.close("AbortMultipartUpload");
        }
        if let Some(d) = r.noncurrent_expiration_days {
            w.open("NoncurrentVersionExpiration");
            w.elem("NoncurrentDays", &d.to_string());
            w.close("NoncurrentVersionExpiration");
        }
        for t in &r.noncurrent_transitions {
            write_transition(&mut w, "NoncurrentVersionTransition", t, true);
        }
        w.close("Rule");
    }
    w.close("LifecycleConfiguration");
    w.finish()
}

/// The stored configuration (written by [`render`] after [`parse`] accepted it), read back.
pub fn parse_stored(raw: &[u8]) -> Result<LifecycleConfiguration, ApiError> {
    parse(raw, true)
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
