//! Authentication (who is asking: a signature check, or anonymous) and authorization (may they do it).

use crate::clock::now_secs;
use crate::headers::{SECURITY_TOKEN, X_OSS_SECURITY_TOKEN};
use crate::keys::{KeyRecord, Permission};
use crate::state::{AppState, BucketState};
use ossd_proto::{Access, ApiError, ErrorCode, Operation, Query, Target};
use ossd_sig::{SigError, SignedRequest};
use ossd_store::{BucketAcl, ObjectAcl};

/// Who a request acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The root key: owner of everything.
    Root,
    /// An operator-created key: what it owns, what it was granted, and what ACLs grant to everyone.
    Key(KeyRecord),
    /// No credentials: only what ACLs grant to everyone.
    Anonymous,
}

impl Principal {
    /// The id that owns what this principal creates.
    pub fn owner_id<'a>(&'a self, state: &'a AppState) -> Option<&'a str> {
        match self {
            Principal::Root => Some(&state.config.root.id),
            Principal::Key(k) => Some(&k.access_key_id),
            Principal::Anonymous => None,
        }
    }

    /// The permission this principal holds on the bucket through ownership or a grant.
    fn permission(&self, bucket: &BucketState) -> Option<Permission> {
        match self {
            Principal::Root => Some(Permission::Owner),
            Principal::Key(k) if bucket.record.owner == k.access_key_id => Some(Permission::Owner),
            Principal::Key(k) => k.grants.get(&bucket.record.name).copied(),
            Principal::Anonymous => None,
        }
    }

    /// May this principal see the bucket in ListBuckets?
    pub fn sees_bucket(&self, owner: &str, name: &str) -> bool {
        match self {
            Principal::Root => true,
            Principal::Key(k) => owner == k.access_key_id || k.grants.contains_key(name),
            Principal::Anonymous => false,
        }
    }
}

/// The request's headers as (lower-case name, value) pairs, as the signature code wants them.
/// Values are signed as sent: UTF-8 beyond ASCII (`x-oss-meta-unicode: 测试`, as oss2,
/// alibabacloud-oss-v2 and ali-oss send it) is kept, not dropped; a value that is not UTF-8 at
/// all is read as Latin-1, byte for byte.
pub fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            let v = match std::str::from_utf8(v.as_bytes()) {
                Ok(s) => s.to_owned(),
                Err(_) => v.as_bytes().iter().map(|&b| char::from(b)).collect(),
            };
            (k.as_str().to_owned(), v)
        })
        .collect()
}

/// Checks the request's signature (header or query) and returns the principal.
pub fn authenticate(
    state: &AppState,
    parts: &http::request::Parts,
    target: &Target,
    query: &Query,
) -> Result<Principal, ApiError> {
    // One pass over the request's header names instead of three hashed lookups: whether it
    // carries a security token, and whether it has an Authorization header `header_pairs` would keep.
    let mut token = false;
    let mut header_claim = false;
    for (name, _) in &parts.headers {
        if *name == http::header::AUTHORIZATION {
            header_claim = true;
        } else if *name == X_OSS_SECURITY_TOKEN || *name == SECURITY_TOKEN {
            token = true;
        }
    }
    if token || query.has(SECURITY_TOKEN.as_str()) || query.has(X_OSS_SECURITY_TOKEN.as_str()) {
        return Err(ApiError::msg(
            ErrorCode::InvalidArgument,
            "Security tokens (STS) are not supported by this server; use an access key, a presigned URL or a PostObject policy.",
        ));
    }
    // Without an Authorization header only the query can
    // claim a signature, so an anonymous request is recognised without copying its headers.
    if !header_claim {
        let req = SignedRequest {
            method: parts.method.as_str(),
            bucket: target.bucket.as_deref(),
            key: target.key.as_deref(),
            query: &query.pairs,
            headers: &[],
        };
        if ossd_sig::parse_claim(&req).map_err(|e| sig_error(e, None, None))?.is_none() {
            return Ok(Principal::Anonymous);
        }
    }
    let headers = header_pairs(&parts.headers);
    let req = SignedRequest {
        method: parts.method.as_str(),
        bucket: target.bucket.as_deref(),
        key: target.key.as_deref(),
        query: &query.pairs,
        headers: &headers,
    };
    let claim = ossd_sig::parse_claim(&req).map_err(|e| sig_error(e, None, None))?;
    let Some(claim) = claim else { return Ok(Principal::Anonymous) };
    let (ak, provided) = (claim.access_key_id(), claim.signature());
    let (principal, secret) = secret_for(state, ak)?;
    ossd_sig::verify(&req, &claim, &secret, now_secs(), &state.config.region)
        .map_err(|e| sig_error(e, Some(ak), Some(provided)))?;
    enabled(principal)
}

/// The principal and secret for an access key id, or `InvalidAccessKeyId`. A disabled key is
/// returned too: whether it is disabled is told only after its signature checked out
/// ([`enabled`]), so that an unsigned probe cannot learn which key ids exist.
pub fn secret_for(state: &AppState, ak: &str) -> Result<(Principal, String), ApiError> {
    let root = &state.config.root;
    if ak == root.id {
        return Ok((Principal::Root, root.secret.clone()));
    }
    // Reads the metadata only while the change feed of shared metadata is lost.
    match state.keys.get(ak) {
        Ok(Some(k)) => {
            let secret = k.access_key_secret.clone();
            Ok((Principal::Key(k), secret))
        }
        Ok(None) => Err(ApiError::new(ErrorCode::InvalidAccessKeyId).field("OSSAccessKeyId", ak)),
        Err(e) => {
            tracing::error!(error = %e, "reading the access keys");
            Err(ApiError::internal())
        }
    }
}

/// `principal`, once its signature was verified, unless it is a disabled key.
pub fn enabled(principal: Principal) -> Result<Principal, ApiError> {
    match &principal {
        Principal::Key(k) if !k.enabled => Err(ApiError::msg(
            ErrorCode::InvalidAccessKeyId,
            "The OSS Access Key Id you provided is disabled.",
        )
        .field("OSSAccessKeyId", k.access_key_id.clone())),
        _ => Ok(principal),
    }
}

/// Maps a signature error to the OSS error, with the debugging fields OSS adds for a mismatch.
pub fn sig_error(e: SigError, ak: Option<&str>, provided: Option<&str>) -> ApiError {
    let code = match e.oss_code() {
        "SignatureDoesNotMatch" => ErrorCode::SignatureDoesNotMatch,
        "RequestTimeTooSkewed" => ErrorCode::RequestTimeTooSkewed,
        "InvalidAccessKeyId" => ErrorCode::InvalidAccessKeyId,
        "InvalidArgument" => ErrorCode::InvalidArgument,
        "InvalidRequest" => ErrorCode::InvalidRequest,
        "MissingArgument" => ErrorCode::MissingArgument,
        _ => ErrorCode::AccessDenied,
    };
    let ec = e.ec();
    if let SigError::Mismatch { string_to_sign, canonical_request } = &e {
        let mut err = ApiError::new(code).with_ec(ec);
        if let Some(cr) = canonical_request {
            err = err.field("CanonicalRequest", cr.clone());
        }
        err = err
            .field("StringToSign", string_to_sign.clone())
            .field("StringToSignBytes", ossd_sig::string_to_sign_bytes(string_to_sign));
        if let Some(p) = provided {
            err = err.field("SignatureProvided", p);
        }
        if let Some(ak) = ak {
            err = err.field("OSSAccessKeyId", ak);
        }
        return err;
    }
    ApiError::msg(code, e.to_string()).with_ec(ec)
}

/// The ACL that applies to an object: its own unless `default`, then the bucket's.
fn effective_acl(bucket: &BucketState, object_acl: Option<ObjectAcl>) -> BucketAcl {
    match object_acl {
        Some(ObjectAcl::Private) => BucketAcl::Private,
        Some(ObjectAcl::PublicRead) => BucketAcl::PublicRead,
        Some(ObjectAcl::PublicReadWrite) => BucketAcl::PublicReadWrite,
        Some(ObjectAcl::Default) | None => bucket.record.acl,
    }
}

/// What authorization decided for a request, from its operation's access class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authz {
    /// Allowed, whatever the object's own ACL says.
    Granted,
    /// The principal has no grant for this: the object's own ACL (unless `default`), else the
    /// bucket's, decides reading (`write == false`) or writing once the object is known.
    ByAcl {
        /// A write (replace or remove) rather than a read.
        write: bool,
    },
    /// Not decided yet: a PostObject form names its principal in its fields; the handler
    /// decides with [`authorize`] once it has read them. Refuses everything until then.
    Deferred,
}

impl Authz {
    /// Whether [`Authz::object`] needs the object's ACL (so the handler must load the object).
    pub fn needs_object(self) -> bool {
        !matches!(self, Authz::Granted)
    }

    /// The decision for one object of `bucket`, with `object_acl` its ACL if it exists.
    pub fn object(
        self,
        bucket: &BucketState,
        object_acl: Option<ObjectAcl>,
    ) -> Result<(), ApiError> {
        match self {
            Authz::Granted => Ok(()),
            Authz::ByAcl { write } => {
                // Block Public Access: public ACLs stay stored but grant nothing.
                let ok = !bucket.block_public_access
                    && match effective_acl(bucket, object_acl) {
                        BucketAcl::PublicReadWrite => true,
                        BucketAcl::PublicRead => !write,
                        BucketAcl::Private => false,
                    };
                if ok { Ok(()) } else { Err(ApiError::new(ErrorCode::AccessDenied)) }
            }
            Authz::Deferred => Err(ApiError::new(ErrorCode::AccessDenied)),
        }
    }
}

/// The ACL a request asks to set, if any: `x-oss-acl` on PutBucketAcl and PutBucket,
/// `x-oss-object-acl` on PutObjectAcl and every write that can set one with the object
/// (PostObject's comes in its form and is checked by its handler).
pub fn requested_acl<'a>(op: &Operation, headers: &'a http::HeaderMap) -> Option<&'a str> {
    let name = match op {
        Operation::PutBucketAcl | Operation::PutBucket => crate::headers::X_OSS_ACL,
        Operation::PutObjectAcl { .. } => crate::headers::X_OSS_OBJECT_ACL,
        op if op.info().sets_acl => crate::headers::X_OSS_OBJECT_ACL,
        _ => return None,
    };
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Block Public Access refuses new public grants: setting `public-read` or `public-read-write`
/// on the bucket or one of its objects while it is on (OSS: "you cannot configure public access
/// permissions"; the error is not documented: 403 `AccessDenied`).
pub fn refuse_public_acl(bucket: &BucketState, acl: Option<&str>) -> Result<(), ApiError> {
    match acl {
        Some("public-read" | "public-read-write") if bucket.block_public_access => {
            Err(ApiError::msg(
                ErrorCode::AccessDenied,
                "Block Public Access is enabled for this bucket: public ACLs cannot be set.",
            )
            .field("BucketName", bucket.record.name.clone()))
        }
        _ => Ok(()),
    }
}

/// The one authorization decision: may `principal` perform an operation of class `access` on
/// `bucket`? `object_acl` says whether the object's own ACL may decide (reads of object bytes and
/// writes that replace or remove an object), `sets_acl` whether the request sets an object ACL
/// (`x-oss-object-acl`), which needs the same right as PutObjectAcl: the bucket's owner.
///
/// Root may do everything; a key owns the buckets it creates and holds `read`, `write` or `owner`
/// grants on others; beyond that, everyone (keys and anonymous requests alike) gets what the
/// object ACL (unless `default`) or else the bucket ACL grants: `public-read` reads,
/// `public-read-write` reads and writes. An object ACL can open an object to others, never close
/// it to a principal that holds a grant.
pub fn authorize(
    principal: &Principal,
    bucket: Option<&BucketState>,
    access: Access,
    object_acl: bool,
    sets_acl: bool,
) -> Result<Authz, ApiError> {
    let needed = match access {
        Access::Anyone => return Ok(Authz::Granted),
        Access::Signed if *principal == Principal::Anonymous => {
            return Err(ApiError::msg(
                ErrorCode::AccessDenied,
                "Anonymous access is forbidden for this operation.",
            ));
        }
        Access::Signed => return Ok(Authz::Granted),
        Access::Form => return Ok(Authz::Deferred),
        Access::Read => Permission::Read,
        Access::Write => Permission::Write,
        Access::Owner => Permission::Owner,
    };
    // Every other class is about a bucket; the handler names a missing one (NoSuchBucket).
    let Some(bucket) = bucket else { return Ok(Authz::Deferred) };
    let held = principal.permission(bucket);
    if needed == Permission::Owner || sets_acl {
        if held == Some(Permission::Owner) {
            return Ok(Authz::Granted);
        }
        let message = if needed == Permission::Owner {
            "You have no right to access this bucket: only its owner may perform this operation."
        } else {
            "Setting an object ACL (x-oss-object-acl) needs the same right as PutObjectAcl: only the bucket's owner may set it."
        };
        return Err(ApiError::msg(ErrorCode::AccessDenied, message));
    }
    if held.is_some_and(|p| p >= needed) {
        return Ok(Authz::Granted);
    }
    let by_acl = Authz::ByAcl { write: needed == Permission::Write };
    if object_acl {
        return Ok(by_acl);
    }
    // No object is involved: the bucket's ACL decides now.
    by_acl.object(bucket, None).map(|()| Authz::Granted)
}
