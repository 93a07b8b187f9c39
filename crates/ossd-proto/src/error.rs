//! The OSS error table and the error value every handler returns.

use std::fmt;

/// Defines [`ErrorCode`]: one table mapping each OSS error code to its HTTP status, default message and EC.
macro_rules! error_codes {
    ($($name:ident => ($status:expr, $msg:expr, $ec:expr)),* $(,)?) => {
        /// Every OSS error code ossd can return, with its status and default message in one table.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)] // each variant is the OSS code of the same name
        pub enum ErrorCode { $($name),* }

        impl ErrorCode {
            /// The code string sent in `<Code>`.
            pub fn as_str(self) -> &'static str { match self { $(ErrorCode::$name => stringify!($name)),* } }
            /// The HTTP status OSS answers with for this code.
            pub fn status(self) -> u16 { match self { $(ErrorCode::$name => $status),* } }
            /// The default `<Message>` for this code.
            pub fn default_message(self) -> &'static str { match self { $(ErrorCode::$name => $msg),* } }
            /// The fine-grained OSS error code (`EC`), where known from the OSS documentation.
            pub fn ec(self) -> Option<&'static str> { match self { $(ErrorCode::$name => $ec),* } }
        }
    };
}

/// The exact OSS message for a refused preflight, typos included ("evalution", "Requet").
pub const CORS_FORBIDDEN_MESSAGE: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.";

error_codes! {
    AccessDenied => (403, "You have no right to access this object because of bucket acl.", None),
    AccessForbidden => (403, CORS_FORBIDDEN_MESSAGE, None),
    ActiveRequestLimitExceeded => (503, "Max active request limit is exceeded", None),
    BucketAlreadyExists => (409, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.", None),
    BucketNotEmpty => (409, "The bucket has objects. Please delete them first.", None),
    EntityTooLarge => (400, "Your proposed upload exceeds the maximum allowed size.", None),
    EntityTooSmall => (400, "Your proposed upload is smaller than the minimum allowed size.", None),
    FieldItemTooLong => (400, "Your form field item is too long.", None),
    FileAlreadyExists => (409, "The object you specified already exists and can not be overwritten.", None),
    IncorrectNumberOfFilesInPOSTRequest => (400, "POST requires exactly one file upload per request.", None),
    // Not an OSS code (OSS never runs out of disk): ossd's answer when its disk is full, 503
    // so that clients retry later; ARCHITECTURE.md says why.
    InsufficientStorage => (503, "The storage of this server is full. Delete objects or free disk space, then retry.", None),
    InternalError => (500, "We encountered an internal error. Please try again.", None),
    InvalidAccessKeyId => (403, "The OSS Access Key Id you provided does not exist in our records.", None),
    InvalidArgument => (400, "Invalid argument.", None),
    InvalidBucketName => (400, "The specified bucket is not valid.", None),
    InvalidDigest => (400, "The Content-MD5 you specified was invalid.", None),
    InvalidEncryptionAlgorithmError => (400, "The encryption algorithm specified is not valid.", None),
    InvalidTargetType => (400, "The symlink target object type is not supported.", None),
    InvalidObjectName => (400, "The specified object is not valid.", None),
    InvalidPart => (400, "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.", None),
    InvalidPartOrder => (400, "The list of parts was not in ascending order. Parts list must be specified in order by part number.", None),
    InvalidPolicyDocument => (400, "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.", None),
    InvalidRange => (416, "The requested range cannot be satisfied", None),
    InvalidRequest => (400, "The request is not valid.", None),
    InvalidTargetBucketForCopy => (400, "The target bucket for copy is not valid.", None),
    // OSS's answer to KMS encryption for an account without KMS; ossd has none.
    KmsServiceNotEnabled => (403, "The KMS service is not enabled for this account.", None),
    KeyTooLong => (400, "The specified key is too long.", None),
    MalformedXML => (400, "The XML you provided was not well-formed or did not validate against our published schema.", Some("0031-00000001")),
    MalformedPOSTRequest => (400, "The body of your POST request is not well-formed multipart/form-data.", None),
    MaxMessageLengthExceeded => (400, "Your request was too big.", None),
    MethodNotAllowed => (405, "The specified method is not allowed against this resource.", None),
    MissingArgument => (400, "Missing Some Required Arguments.", None),
    MissingContentLength => (411, "You must provide the Content-Length HTTP header.", None),
    NoSuchBucket => (404, "The specified bucket does not exist.", Some("0015-00000101")),
    NoSuchCORSConfiguration => (404, "The CORS Configuration does not exist.", Some("0034-00000001")),
    NoSuchWebsiteConfiguration => (404, "The specified bucket does not have a website configuration.", None),
    NoSuchLifecycle => (404, "No Row found in Lifecycle Table.", None),
    NoSuchKey => (404, "The specified key does not exist.", Some("0026-00000001")),
    NoSuchVersion => (404, "The specified version does not exist.", None),
    NoSuchRegion => (404, "The specified region does not exist.", None),
    NoSuchServerSideEncryptionRule => (404, "The server side encryption configuration was not found.", None),
    NoSuchUpload => (404, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.", None),
    // OSS documents only the EC of GetSymlink on a normal object; the code is ossd's choice.
    NotSymlink => (400, "The specified object is not a symlink.", Some("0043-00000101")),
    NotImplemented => (501, "A header you provided implies functionality that is not implemented.", None),
    ObjectNotAppendable => (409, "The object is not appendable", None),
    PositionNotEqualToLength => (409, "Position is not equal to file length", None),
    PreconditionFailed => (412, "At least one of the pre-conditions you specified did not hold.", None),
    RequestHeaderTooLarge => (400, "Your request header is too large.", None),
    RequestTimeTooSkewed => (403, "The difference between the request time and the current time is too large.", None),
    RequestTimeout => (400, "Your socket connection to the server was not read from or written to within the timeout period.", None),
    SignatureDoesNotMatch => (403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.", None),
    SymlinkTargetNotExist => (404, "The symlink target object does not exist.", Some("0026-00000012")),
    TooManyBuckets => (400, "You have attempted to create more buckets than allowed.", None),
}

/// An OSS error response: code, message and the extra `<Error>` children OSS adds for some codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// The error code (status and code string come from it).
    pub code: ErrorCode,
    /// The `<Message>` text.
    pub message: String,
    /// Extra children of `<Error>` in order, e.g. `BucketName`, `ArgumentName`, `StringToSign`.
    pub fields: Vec<(&'static str, String)>,
    /// Extra response headers (e.g. `x-oss-next-append-position` on PositionNotEqualToLength).
    pub headers: Vec<(String, String)>,
    /// A more specific EC than the code's default, when the cause is known.
    pub ec: Option<&'static str>,
}

impl ApiError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> ApiError {
        ApiError {
            code,
            message: code.default_message().to_owned(),
            fields: Vec::new(),
            headers: Vec::new(),
            ec: None,
        }
    }
    /// An error with a specific message.
    pub fn msg(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            fields: Vec::new(),
            headers: Vec::new(),
            ec: None,
        }
    }
    /// Adds an extra `<Error>` child.
    pub fn field(mut self, name: &'static str, value: impl Into<String>) -> ApiError {
        self.fields.push((name, value.into()));
        self
    }
    /// Adds an extra response header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> ApiError {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
    /// Sets a specific EC.
    pub fn with_ec(mut self, ec: Option<&'static str>) -> ApiError {
        if ec.is_some() {
            self.ec = ec;
        }
        self
    }
    /// The EC sent in the body and the `x-oss-ec` header.
    pub fn effective_ec(&self) -> Option<&'static str> {
        self.ec.or(self.code.ec())
    }
    /// `InvalidArgument` with `ArgumentName` / `ArgumentValue`, as OSS reports bad parameters.
    pub fn invalid_argument(message: impl Into<String>, name: &str, value: &str) -> ApiError {
        ApiError::msg(ErrorCode::InvalidArgument, message)
            .field("ArgumentName", name)
            .field("ArgumentValue", value)
    }
    /// `NoSuchBucket` naming the bucket.
    pub fn no_such_bucket(bucket: &str) -> ApiError {
        ApiError::new(ErrorCode::NoSuchBucket).field("BucketName", bucket)
    }
    /// `NoSuchKey` naming the key.
    pub fn no_such_key(key: &str) -> ApiError {
        ApiError::new(ErrorCode::NoSuchKey).field("Key", key)
    }
    /// `InternalError` (the cause is logged by the caller, never sent).
    pub fn internal() -> ApiError {
        ApiError::new(ErrorCode::InternalError)
    }
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// Renders the OSS `<Error>` document.
    pub fn to_xml(&self, request_id: &str, host_id: &str) -> String {
        let mut w = crate::xml::XmlWriter::new();
        w.open("Error");
        w.elem("Code", self.code.as_str());
        w.elem("Message", &self.message);
        w.elem("RequestId", request_id);
        w.elem("HostId", host_id);
        for (k, v) in &self.fields {
            w.elem(k, v);
        }
        if let Some(ec) = self.effective_ec() {
            w.elem("EC", ec);
            w.elem("RecommendDoc", &format!("https://api.aliyun.com/troubleshoot?q={ec}"));
        }
        w.close("Error");
        w.finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> ApiError {
        ApiError::new(code)
    }
}
