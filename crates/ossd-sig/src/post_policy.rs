//! PostObject policies: decoding the base64 JSON policy, checking its expiration and conditions
//! against the form fields, and the V1/V4 form signatures.
//!
//! Conditions supported (OSS PostObject "Appendix: Policy" and error pages 0006-00000219…224):
//! `{"field": "value"}`, `["eq", "$field", "value"]`, `["starts-with", "$field", "prefix"]`,
//! `["in", "$field", [..]]`, `["not-in", "$field", [..]]`, `["content-length-range", min, max]`.
//! Field names are compared case-insensitively; `bucket` is matched against the request's bucket.
//! Values are compared before `${filename}` substitution, as OSS does.

use std::fmt;

use base64::Engine as _;
use serde_json::Value;

use crate::{MAX_SKEW_SECS, MAX_V4_PRESIGN_EXPIRES_SECS, SigError, ct_eq, timefmt, v4};

/// A decoded policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    expiration: i64,
    conditions: Vec<Condition>,
}

/// One policy condition. Field names are stored lower-cased, without the leading `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The field must equal `value`.
    Eq {
        /// Lower-cased field name.
        field: String,
        /// Required value.
        value: String,
    },
    /// The field must start with `prefix` (an empty prefix allows anything).
    StartsWith {
        /// Lower-cased field name.
        field: String,
        /// Required prefix.
        prefix: String,
    },
    /// The field must be one of `values`.
    In {
        /// Lower-cased field name.
        field: String,
        /// Allowed values.
        values: Vec<String>,
    },
    /// The field must be none of `values`.
    NotIn {
        /// Lower-cased field name.
        field: String,
        /// Forbidden values.
        values: Vec<String>,
    },
    /// The uploaded file's size must be within `min..=max` bytes.
    ContentLengthRange {
        /// Minimum size in bytes.
        min: u64,
        /// Maximum size in bytes.
        max: u64,
    },
}

impl fmt::Display for Condition {
    /// The condition in policy JSON syntax, as quoted in "Policy Condition failed: …".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |values: &[String]| {
            let quoted: Vec<String> = values.iter().map(|v| json_str(v)).collect();
            format!("[{}]", quoted.join(", "))
        };
        match self {
            Condition::Eq { field, value } => {
                write!(f, "[\"eq\", {}, {}]", json_str(&format!("${field}")), json_str(value))
            }
            Condition::StartsWith { field, prefix } => {
                write!(
                    f,
                    "[\"starts-with\", {}, {}]",
                    json_str(&format!("${field}")),
                    json_str(prefix)
                )
            }
            Condition::In { field, values } => {
                write!(f, "[\"in\", {}, {}]", json_str(&format!("${field}")), list(values))
            }
            Condition::NotIn { field, values } => {
                write!(f, "[\"not-in\", {}, {}]", json_str(&format!("${field}")), list(values))
            }
            Condition::ContentLengthRange { min, max } => {
                write!(f, "[\"content-length-range\", {min}, {max}]")
            }
        }
    }
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    Value::String(s.to_owned()).to_string()
}

/// Why a policy was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Bad base64, bad JSON, or a policy of the wrong shape. 400 `InvalidPolicyDocument`.
    #[error("Invalid Policy: {0}")]
    InvalidPolicyDocument(String),
    /// `expiration` is in the past. 403 `AccessDenied`.
    #[error("Invalid according to Policy: Policy expired.")]
    Expired,
    /// A condition is not met; carries the condition in JSON syntax. 403 `AccessDenied`.
    #[error("Invalid according to Policy: Policy Condition failed: {0}")]
    ConditionFailed(String),
    /// The file is larger than `content-length-range` allows. 400 `EntityTooLarge`
    /// (EC 0006-00000003).
    #[error("Your proposed upload exceeds the maximum allowed size.")]
    EntityTooLarge,
    /// The file is smaller than `content-length-range` allows. 400 `EntityTooSmall`
    /// (EC 0006-00000004).
    #[error("Your proposed upload is smaller than the minimum allowed size.")]
    EntityTooSmall,
}

impl PolicyError {
    /// The OSS `<Code>` for this error.
    pub fn oss_code(&self) -> &'static str {
        match self {
            PolicyError::InvalidPolicyDocument(_) => "InvalidPolicyDocument",
            PolicyError::Expired | PolicyError::ConditionFailed(_) => "AccessDenied",
            PolicyError::EntityTooLarge => "EntityTooLarge",
            PolicyError::EntityTooSmall => "EntityTooSmall",
        }
    }

    /// The HTTP status OSS answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            PolicyError::Expired | PolicyError::ConditionFailed(_) => 403,
            _ => 400,
        }
    }
}

/// Decodes a base64 policy (the `policy` form field) and validates its shape.
pub fn decode(policy_b64: &str) -> Result<Policy, PolicyError> {
    let invalid = |m: &str| PolicyError::InvalidPolicyDocument(m.to_owned());
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(policy_b64.trim())
        .map_err(|_| invalid("Invalid base64 encoding."))?;
    let json: Value = serde_json::from_slice(&bytes).map_err(|_| invalid("Invalid JSON."))?;
    let obj = json.as_object().ok_or_else(|| invalid("Policy must be a JSON object."))?;
    let expiration = obj
        .get("expiration")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Policy missing expiration."))?;
    let expiration = timefmt::parse_rfc3339(expiration).ok_or_else(|| {
        PolicyError::InvalidPolicyDocument(format!("Invalid 'expiration' value: '{expiration}'."))
    })?;
    let raw_conditions = obj
        .get("conditions")
        .and_then(Value::as_array)
        .ok_or_else(|| invalid("Policy missing conditions."))?;
    let mut conditions = Vec::new();
    for raw in raw_conditions {
        parse_condition(raw, &mut conditions)?;
    }
    Ok(Policy { expiration, conditions })
}

/// Parses one entry of `conditions` into `out` (an object may hold several exact matches).
fn parse_condition(raw: &Value, out: &mut Vec<Condition>) -> Result<(), PolicyError> {
    let invalid = || PolicyError::InvalidPolicyDocument(format!("Invalid condition: {raw}"));
    match raw {
        Value::Object(map) => {
            for (name, value) in map {
                out.push(Condition::Eq {
                    field: name.to_ascii_lowercase(),
                    value: scalar(value).ok_or_else(invalid)?,
                });
            }
            Ok(())
        }
        Value::Array(items) => {
            let [op, a, b] = items.as_slice() else { return Err(invalid()) };
            let op = op.as_str().ok_or_else(invalid)?.to_ascii_lowercase();
            if op == "content-length-range" {
                let (Some(min), Some(max)) = (a.as_u64(), b.as_u64()) else {
                    return Err(invalid());
                };
                if max < min {
                    return Err(invalid());
                }
                out.push(Condition::ContentLengthRange { min, max });
                return Ok(());
            }
            let field = a.as_str().ok_or_else(invalid)?;
            let field = field.strip_prefix('$').unwrap_or(field).to_ascii_lowercase();
            let list =
                |v: &Value| -> Option<Vec<String>> { v.as_array()?.iter().map(scalar).collect() };
            out.push(match op.as_str() {
                "eq" => Condition::Eq { field, value: scalar(b).ok_or_else(invalid)? },
                "starts-with" => {
                    Condition::StartsWith { field, prefix: scalar(b).ok_or_else(invalid)? }
                }
                "in" => Condition::In { field, values: list(b).ok_or_else(invalid)? },
                "not-in" => Condition::NotIn { field, values: list(b).ok_or_else(invalid)? },
                _ => return Err(invalid()),
            });
            Ok(())
        }
        _ => Err(invalid()),
    }
}

/// A JSON string, or a number taken as its text; anything else is not a condition value.
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Policy {
    /// `expiration` as Unix seconds.
    pub fn expiration(&self) -> i64 {
        self.expiration
    }

    /// The parsed conditions, in policy order.
    pub fn conditions(&self) -> &[Condition] {
        &self.conditions
    }

    /// The allowed file size range: the intersection of every `content-length-range`, if any.
    /// Exposed separately because the size is known only after the file has been streamed.
    pub fn content_length_range(&self) -> Option<(u64, u64)> {
        self.conditions.iter().fold(None, |acc, c| match (acc, c) {
            (None, Condition::ContentLengthRange { min, max }) => Some((*min, *max)),
            (Some((lo, hi)), Condition::ContentLengthRange { min, max }) => {
                Some((lo.max(*min), hi.min(*max)))
            }
            (acc, _) => acc,
        })
    }

    /// Checks a file size against [`Policy::content_length_range`].
    pub fn check_content_length(&self, content_length: u64) -> Result<(), PolicyError> {
        match self.content_length_range() {
            Some((min, _)) if content_length < min => Err(PolicyError::EntityTooSmall),
            Some((_, max)) if content_length > max => Err(PolicyError::EntityTooLarge),
            _ => Ok(()),
        }
    }

    /// Checks expiration against `now` (Unix seconds) and every field condition against the
    /// form `fields` (names case-insensitive, first occurrence wins; a missing field counts as
    /// the empty string) and `bucket`. `content-length-range` is left to
    /// [`Policy::check_content_length`].
    pub fn check_fields(
        &self,
        bucket: &str,
        fields: &[(String, String)],
        now: i64,
    ) -> Result<(), PolicyError> {
        if now >= self.expiration {
            return Err(PolicyError::Expired);
        }
        let lookup = |field: &str| -> &str {
            if field == "bucket" {
                return bucket;
            }
            fields
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(field))
                .map_or("", |(_, v)| v.as_str())
        };
        for cond in &self.conditions {
            let ok = match cond {
                Condition::Eq { field, value } => lookup(field) == value,
                Condition::StartsWith { field, prefix } => {
                    lookup(field).starts_with(prefix.as_str())
                }
                Condition::In { field, values } => values.iter().any(|v| v == lookup(field)),
                Condition::NotIn { field, values } => !values.iter().any(|v| v == lookup(field)),
                Condition::ContentLengthRange { .. } => true,
            };
            if !ok {
                return Err(PolicyError::ConditionFailed(cond.to_string()));
            }
        }
        Ok(())
    }
}

/// V1 form signature: `base64(hmac-sha1(secret, policy_b64))`.
pub fn sign_v1(policy_b64: &str, secret: &str) -> String {
    crate::v1::sign(secret, policy_b64)
}

/// Whether `signature` (the `Signature` form field) is the V1 signature of `policy_b64`.
pub fn verify_v1(policy_b64: &str, secret: &str, signature: &str) -> bool {
    ct_eq(&sign_v1(policy_b64, secret), signature.trim())
}

/// V4 form signature: `hex(hmac-sha256(signing_key(secret, date, region), policy_b64))`, with
/// `date` and `region` from the `x-oss-credential` form field.
pub fn sign_v4(policy_b64: &str, secret: &str, date: &str, region: &str) -> String {
    v4::sign(secret, date, region, policy_b64)
}

/// Whether `signature` (the `x-oss-signature` form field) is the V4 signature of `policy_b64`.
pub fn verify_v4(
    policy_b64: &str,
    secret: &str,
    date: &str,
    region: &str,
    signature: &str,
) -> bool {
    ct_eq(&sign_v4(policy_b64, secret, date, region), signature.trim())
}

/// Checks the V4 form fields of a PostObject (`x-oss-signature-version` must already be
/// `OSS4-HMAC-SHA256`): parses `x-oss-credential`, requires its date to be the day of
/// `x-oss-date`, its region to be `server_region`, and `x-oss-date` to be at most 15 minutes
/// ahead of `now` and at most 7 days old (POST V4 docs). Returns the credential, whose date and
/// region feed [`verify_v4`].
pub fn check_v4_form(
    x_oss_credential: &str,
    x_oss_date: &str,
    server_region: &str,
    now: i64,
) -> Result<v4::Credential, SigError> {
    let credential = v4::parse_credential(x_oss_credential)?;
    let x_oss_date = x_oss_date.trim();
    let at = timefmt::parse_iso8601_basic(x_oss_date).ok_or(SigError::InvalidDate)?;
    if x_oss_date.get(..8) != Some(credential.date.as_str()) {
        return Err(SigError::InvalidSigningDate);
    }
    if credential.region != server_region {
        return Err(SigError::InvalidSigningRegion);
    }
    if at - now > MAX_SKEW_SECS {
        return Err(SigError::RequestTimeTooSkewed);
    }
    if now - at > MAX_V4_PRESIGN_EXPIRES_SECS {
        return Err(SigError::Expired);
    }
    Ok(credential)
}
