//! Validation errors of a CORS configuration, each mapped to the OSS `InvalidArgument` name and value.

use std::fmt;

/// The rule element a value-level validation error is about (also the OSS `ArgumentName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `AllowedOrigin`.
    AllowedOrigin,
    /// `AllowedHeader`.
    AllowedHeader,
    /// `ExposeHeader`.
    ExposeHeader,
}

impl Field {
    /// The XML element name, used as the OSS `ArgumentName`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::AllowedOrigin => "AllowedOrigin",
            Field::AllowedHeader => "AllowedHeader",
            Field::ExposeHeader => "ExposeHeader",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a set of CORS rules was refused by [`crate::CorsConfig::new`].
///
/// `rule` fields are 0-based indexes into the rule list; messages number rules from 1 for humans.
/// Every variant maps to OSS `InvalidArgument` with [`CorsError::argument_name`] and
/// [`CorsError::argument_value`], except the schema violations ([`CorsError::is_schema_violation`]),
/// which the server reports as `MalformedXML`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CorsError {
    /// The configuration has no `CORSRule` (OSS EC 0034-00000002; reported as `MalformedXML`).
    #[error("the CORS configuration must contain at least one CORSRule")]
    NoRules,
    /// More than [`crate::MAX_RULES`] rules.
    #[error("too many CORSRule elements: {count} given, at most {max} allowed", max = crate::MAX_RULES)]
    TooManyRules {
        /// How many rules were given.
        count: usize,
    },
    /// A rule without any `AllowedOrigin` (a schema violation).
    #[error("CORSRule #{} has no AllowedOrigin; at least one is required", rule + 1)]
    MissingAllowedOrigin {
        /// 0-based rule index.
        rule: usize,
    },
    /// A rule without any `AllowedMethod` (a schema violation).
    #[error("CORSRule #{} has no AllowedMethod; at least one is required", rule + 1)]
    MissingAllowedMethod {
        /// 0-based rule index.
        rule: usize,
    },
    /// An `AllowedMethod` that is not exactly one of GET, PUT, DELETE, POST, HEAD (OSS EC 0034-00000011).
    #[error(
        "CORSRule #{}: AllowedMethod {value:?} is not supported; use GET, PUT, DELETE, POST or HEAD (upper-case)",
        rule + 1
    )]
    InvalidMethod {
        /// 0-based rule index.
        rule: usize,
        /// The value as given.
        value: String,
    },
    /// An `AllowedOrigin` or `AllowedHeader` with more than one `*`.
    #[error("CORSRule #{}: {field} {value:?} contains more than one '*'", rule + 1)]
    TooManyWildcards {
        /// 0-based rule index.
        rule: usize,
        /// Which element.
        field: Field,
        /// The value as given.
        value: String,
    },
    /// An `ExposeHeader` containing `*`, which OSS does not allow.
    #[error("CORSRule #{}: ExposeHeader {value:?} must not contain '*'", rule + 1)]
    WildcardInExposeHeader {
        /// 0-based rule index.
        rule: usize,
        /// The value as given.
        value: String,
    },
    /// An origin or header value that is empty or has bytes other than visible ASCII (it would go into
    /// a response header).
    #[error(
        "CORSRule #{}: {field} {value:?} must be non-empty visible ASCII (no spaces or control characters)",
        rule + 1
    )]
    InvalidCharacters {
        /// 0-based rule index.
        rule: usize,
        /// Which element.
        field: Field,
        /// The value as given.
        value: String,
    },
    /// A negative `MaxAgeSeconds`.
    #[error("CORSRule #{}: MaxAgeSeconds must not be negative, got {value}", rule + 1)]
    NegativeMaxAge {
        /// 0-based rule index.
        rule: usize,
        /// The value as given.
        value: i64,
    },
}

impl CorsError {
    /// The OSS `ArgumentName` of the `InvalidArgument` error body.
    pub fn argument_name(&self) -> &'static str {
        match self {
            CorsError::NoRules | CorsError::TooManyRules { .. } => "CORSRule",
            CorsError::MissingAllowedOrigin { .. } => "AllowedOrigin",
            CorsError::MissingAllowedMethod { .. } | CorsError::InvalidMethod { .. } => {
                "AllowedMethod"
            }
            CorsError::TooManyWildcards { field, .. }
            | CorsError::InvalidCharacters { field, .. } => field.as_str(),
            CorsError::WildcardInExposeHeader { .. } => "ExposeHeader",
            CorsError::NegativeMaxAge { .. } => "MaxAgeSeconds",
        }
    }

    /// The OSS `ArgumentValue` of the `InvalidArgument` error body (the offending value or count).
    pub fn argument_value(&self) -> String {
        match self {
            CorsError::NoRules => "0".to_owned(),
            CorsError::TooManyRules { count } => count.to_string(),
            CorsError::MissingAllowedOrigin { .. } | CorsError::MissingAllowedMethod { .. } => {
                String::new()
            }
            CorsError::InvalidMethod { value, .. }
            | CorsError::TooManyWildcards { value, .. }
            | CorsError::WildcardInExposeHeader { value, .. }
            | CorsError::InvalidCharacters { value, .. } => value.clone(),
            CorsError::NegativeMaxAge { value, .. } => value.to_string(),
        }
    }

    /// True for errors that violate the XML schema rather than a value rule (no rules, a rule without
    /// origin or method): the server reports these as `MalformedXML`, all others as `InvalidArgument`.
    pub fn is_schema_violation(&self) -> bool {
        matches!(
            self,
            CorsError::NoRules
                | CorsError::MissingAllowedOrigin { .. }
                | CorsError::MissingAllowedMethod { .. }
        )
    }

    /// The 0-based index of the rule the error is about, if it is about one rule.
    pub fn rule(&self) -> Option<usize> {
        match self {
            CorsError::NoRules | CorsError::TooManyRules { .. } => None,
            CorsError::MissingAllowedOrigin { rule }
            | CorsError::MissingAllowedMethod { rule }
            | CorsError::InvalidMethod { rule, .. }
            | CorsError::TooManyWildcards { rule, .. }
            | CorsError::WildcardInExposeHeader { rule, .. }
            | CorsError::InvalidCharacters { rule, .. }
            | CorsError::NegativeMaxAge { rule, .. } => Some(*rule),
        }
    }
}
