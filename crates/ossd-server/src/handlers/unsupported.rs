//! Request headers (and PostObject form fields) that ask for OSS features ossd does not implement:
//! refused with OSS's error instead of being accepted and ignored.

use crate::headers::{
    X_OSS_CALLBACK, X_OSS_CALLBACK_VAR, X_OSS_SERVER_SIDE_DATA_ENCRYPTION,
    X_OSS_SERVER_SIDE_ENCRYPTION, X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID,
};
use http::HeaderName;
use ossd_proto::{ApiError, ErrorCode};

/// Headers (and form fields of the same name) that ask for a feature ossd does not implement,
/// whatever their value, with the feature's name.
static UNIMPLEMENTED: [(HeaderName, &str); 4] = [
    (X_OSS_CALLBACK, CALLBACKS),
    (X_OSS_CALLBACK_VAR, CALLBACKS),
    (X_OSS_SERVER_SIDE_ENCRYPTION_KEY_ID, ENCRYPTION),
    (X_OSS_SERVER_SIDE_DATA_ENCRYPTION, ENCRYPTION),
];

/// PostObject form fields (not headers) that ask for upload callbacks.
const CALLBACK_FIELDS: [&str; 2] = ["callback", "callback-var"];

const CALLBACKS: &str = "Upload callbacks";
const ENCRYPTION: &str = "Server-side encryption";

/// Refuses a write that asks for a feature ossd does not implement: server-side encryption
/// other than `AES256` (`KMS` is 403 `KmsServiceNotEnabled`, anything else 400
/// `InvalidEncryptionAlgorithmError`, see `docs::encryption`), a KMS key id or data cipher,
/// and upload callbacks (`501`).
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
            if let Some(e) = ossd_proto::docs::encryption::refuse_algorithm(v.trim(), sse) {
                return Err(e);
            }
            continue;
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
    fn encryption_and_callbacks_are_refused_never_ignored() {
        assert_eq!(code("x-oss-server-side-encryption", "AES256"), None);
        assert_eq!(
            code("x-oss-server-side-encryption", "KMS"),
            Some(ErrorCode::KmsServiceNotEnabled)
        );
        for v in ["bogus", "", "aes256x", "SM4"] {
            assert_eq!(
                code("X-OSS-Server-Side-Encryption", v),
                Some(ErrorCode::InvalidEncryptionAlgorithmError)
            );
        }
        for h in ["x-oss-callback", "Callback", "x-oss-server-side-data-encryption"] {
            assert_eq!(code(h, "x"), Some(ErrorCode::NotImplemented), "{h}");
        }
        // Tagging is implemented: the writers read the header.
        assert_eq!(code("x-oss-tagging", "a=1"), None);
        assert_eq!(code("x-oss-meta-a", "AES256"), None);
        assert_eq!(code("content-type", "text/plain"), None);
    }
}
