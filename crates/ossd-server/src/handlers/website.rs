//! Static website hosting: Put/Get/DeleteBucketWebsite (stored with the bucket as
//! `configs["website"]`), and objects served as OSS serves a website
//! (<https://www.alibabacloud.com/help/en/oss/developer-reference/putbucketwebsite>):
//!
//! - an existing object is served as usual;
//! - `GET /` of an anonymous request without query serves the root index document;
//! - a key ending in `/` serves `key<Suffix>` with `SupportSubDir`, else the root index;
//! - a missing `key` without `/` and with `SupportSubDir`: `Type` 0 redirects (302) to `key/`
//!   when `key/<Suffix>` exists, 2 serves that index directly, 1 goes on to the error document;
//! - otherwise the error document with its `HttpStatus` (404 by default), or `NoSuchKey` when
//!   there is none or it is missing itself.
//!
//! Every object served is authorized as a GET of that object would be (an anonymous visitor needs
//! a public-read bucket or object), and the answer is decorated with CORS like any other.

use super::bucket_config;
use super::object::serve_object;
use crate::auth::{self, Authz};
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::request_body::RequestBody;
use crate::state::{AppState, BucketState, WEBSITE_CONFIG, blocking, store_error};
use http::{Response, StatusCode};
use ossd_proto::docs::website::{self, MAX_WEBSITE_BODY, SubDirType, WebsiteConfiguration};
use ossd_proto::{Access, ApiError, ErrorCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// PutBucketWebsite: replaces the configuration.
pub async fn put(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let raw = bucket_config::read(ctx, body, MAX_WEBSITE_BODY, "website configuration").await?;
    let cfg = website::parse(&raw)?;
    bucket_config::store(state, ctx, WEBSITE_CONFIG, Some(website::render(&cfg)))
}

/// GetBucketWebsite: 404 `NoSuchWebsiteConfiguration` when none is set.
pub fn get(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    match &b.website {
        Some(cfg) => Ok(render::ok_xml(website::render(cfg))),
        None => Err(ApiError::new(ErrorCode::NoSuchWebsiteConfiguration)
            .field("BucketName", b.record.name.clone())),
    }
}

/// DeleteBucketWebsite: idempotent, 204.
pub fn delete(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    bucket_config::delete(state, ctx, WEBSITE_CONFIG)
}

/// The root index for an anonymous `GET /` without query on a website bucket; `None` when the
/// request stays ListObjects (signed, with a query, or no index document configured).
pub fn root(state: &AppState, ctx: &Ctx) -> Option<Result<Response<Body>, ApiError>> {
    let b = ctx.bucket().ok()?;
    let site = b.website.as_ref()?;
    if ctx.principal != crate::auth::Principal::Anonymous || !ctx.query.pairs.is_empty() {
        return None;
    }
    site.index.as_ref()?;
    // The listing's authorization said nothing about the index object: decide as for its GET.
    let authz = match auth::authorize(&ctx.principal, Some(b), Access::Read, true, false) {
        Ok(a) => a,
        Err(e) => return Some(Err(e)),
    };
    Some(get_object(state, ctx, authz, (b, site), "", false))
}

/// GetObject / HeadObject of `key` on a bucket with a website configuration; every object
/// served is read as `authz` allows.
pub fn get_object(
    state: &AppState,
    ctx: &Ctx,
    authz: Authz,
    (b, site): (&BucketState, &WebsiteConfiguration),
    key: &str,
    head: bool,
) -> Result<Response<Body>, ApiError> {
    let serve = |name: &str, as_error| serve_object(state, ctx, authz, b, name, head, as_error);
    if !key.is_empty()
        && let Some(r) = serve(key, None)?
    {
        return Ok(r);
    }
    if let Some(index) = &site.index {
        if key.is_empty() || key.ends_with('/') {
            let name = if index.sub_dir && !key.is_empty() {
                format!("{key}{}", index.suffix)
            } else {
                index.suffix.clone()
            };
            if let Some(r) = serve(&name, None)? {
                return Ok(r);
            }
        } else if index.sub_dir {
            let name = format!("{key}/{}", index.suffix);
            match index.sub_dir_type {
                SubDirType::Redirect => {
                    let bucket = b.record.name.clone();
                    let exists = blocking(|| state.store.get_object(&bucket, &name))
                        .map_err(store_error)?
                        .is_some();
                    if exists {
                        return Ok(redirect_to_dir(ctx, key));
                    }
                }
                SubDirType::Serve => {
                    if let Some(r) = serve(&name, None)? {
                        return Ok(r);
                    }
                }
                SubDirType::NotFound => {}
            }
        }
    }
    if let Some(error) = &site.error {
        let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::NOT_FOUND);
        if let Some(r) = serve(&error.key, Some(status))? {
            return Ok(r);
        }
    }
    Err(ApiError::no_such_key(key))
}

/// Characters kept as they are in the redirect's path: unreserved ones and `/`.
const PATH: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');

/// 302 to the directory `key/`, URL-encoded, in the request's addressing style.
fn redirect_to_dir(ctx: &Ctx, key: &str) -> Response<Body> {
    let mut path = String::new();
    if !ctx.target.virtual_hosted {
        path.push('/');
        path.push_str(ctx.bucket_name());
    }
    path.push('/');
    path.extend(utf8_percent_encode(key, PATH));
    path.push('/');
    let mut r = render::empty(StatusCode::FOUND);
    render::set(&mut r, http::header::LOCATION, &path);
    r
}
