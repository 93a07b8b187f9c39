//! Request headers (and PostObject form fields) that ask for OSS features ossd does not implement:
//! refused with OSS's error instead of being accepted and ignored.

use crate::headers::{
    X_OSS_CALLBACK, X_OSS_CALLBACK_VAR, X_OSS_SERVER_SIDE_DATA_ENCRYPTION,
    X_OSS_SERVER_SIDE_ENCRYPTION, X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID, X_OSS_TAGGING,
};
use http::HeaderName;
use ossd_proto::{ApiError, ErrorCode};

/// The server-side encryption algorithms OSS knows (`x-oss-server-side-encryption`).
const SSE_ALGORITHMS: &[&str] = &["AES256", "KMS", "SM4"];

/// Headers (and form fields of the same name) that ask for a feature ossd does not implement,
/// whatever their value, with the feature's name.
static UNIMPLEMENTED: [(HeaderName, &str); 5] = [
    (X_OSS_CALLBACK, CALLBACKS),
    (X_OSS_CALLBACK_VAR, CALLBACKS),
    (X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID, ENCRYPTION),
    (X_OSS_SERVER_SIDE_DATA_ENCRYPTION, ENCRYPTION),
    (X_OSS_TAGGING, "Object tagging"),
];

/// PostObject form fields (not headers) that ask for upload callbacks.
const CALLBACK_FIELDS: [&str; 2] = ["callback", "callback-var"];

const CALLBACKS: &str = "Upload callbacks";
const ENCRYPTION: &str = "Server-side encryption";

/// Refuses a write that asks for a feature ossd does not implement: server-side encryption
/// (a known algorithm is `501 NotImplemented`, anything else `400
/// InvalidEncryptionAlgorithmError` as OSS answers), upload callbacks and tagging (`501`).
/// `fields` are the request's header names and values (or a PostObject form's fields); names
/// compare case-insensitively.
pub fn refuse_unimplemented<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), ApiError> {
    for (name, value) in fields {
        let sse = &X_OSS_SERVER_SIDE_ENCRYPTION;
        let sse = sse.as_str();
        if name.eq_ignore_ascii_case(sse) {
            let v = String::from_utf8_lossy(value);
            let v = v.trim();
            if !SSE_ALGORITHMS.contains(&v) {
                return Err(ApiError::msg(
                    ErrorCode::InvalidEncryptionAlgorithmError,
                    "The Encryption request you specified is not valid. Supported value: AES256/KMS/SM4",
                )
                .field("ArgumentName", sse)
                .field("ArgumentValue", v.to_owned()));
            }
            return Err(not_implemented(sse, ENCRYPTION));
        }
        let unimplemented = UNIMPLEMENTED
            .iter()
            .map(|(h, what)| (h.as_str(), *what))
            .chain(CALLBACK_FIELDS.map(|f| (f, CALLBACKS)));
        for (h, what) in unimplemented {
            if h.eq_ignore_ascii_case(name) {
                return Err(not_implemented(h, what));
            }
        }
    }
    Ok(())
}

fn not_implemented(header: &str, what: &str) -> ApiError {
    ApiError::msg(
        ErrorCode::NotImplemented,
        format!(
            "{what} ({header}) is not implemented by this server; the request was not carried out."
        ),
    )
    .field("Header", header)
}

#[cfg(test)]
mod tests {
    use super::refuse_unimplemented;
    use ossd_proto::ErrorCode;

    fn code(name: &str, value: &str) -> Option<ErrorCode> {
        refuse_unimplemented([(name, value.as_bytes())]).err().map(|e| e.code)
    }

    #[test]
    fn encryption_callback_and_tagging_are_refused_never_ignored() {
        for v in ["AES256", "KMS", "SM4"] {
            assert_eq!(code("x-oss-server-side-encryption", v), Some(ErrorCode::NotImplemented));
        }
        for v in ["bogus", "", "aes256x"] {
            assert_eq!(
                code("X-OSS-Server-Side-Encryption", v),
                Some(ErrorCode::InvalidEncryptionAlgorithmError)
            );
        }
        for h in
            ["x-oss-callback", "Callback", "x-oss-tagging", "x-oss-server-side-data-encryption"]
        {
            assert_eq!(code(h, "x"), Some(ErrorCode::NotImplemented), "{h}");
        }
        assert_eq!(code("x-oss-meta-a", "AES256"), None);
        assert_eq!(code("content-type", "text/plain"), None);
    }
}
