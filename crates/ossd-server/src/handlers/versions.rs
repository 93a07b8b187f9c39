//! Versioning of a bucket: Put/GetBucketVersioning (the state lives in the bucket record's
//! configurations, read by every write inside its commit) and ListObjectVersions (the store's
//! listing of current versions, noncurrent versions and delete markers, in one key order).

use super::bucket::url_encoding;
use super::version_arg;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render::{self, iso8601};
use crate::request_body::RequestBody;
use crate::state::{AppState, store_error};
use http::{Response, StatusCode};
use ossd_proto::ApiError;
use ossd_proto::docs::list_objects::ObjectEntry;
use ossd_proto::docs::list_versions::{ListVersionsResult, VersionEntry};
use ossd_proto::docs::versioning::VersioningConfiguration;
use ossd_store::version::VERSIONING_CONFIG;
use ossd_store::{Versioning, VersionsEntry, VersionsQuery};

/// Largest PutBucketVersioning body accepted.
const MAX_VERSIONING_BODY: usize = 4 * 1024;

pub fn get_bucket_versioning(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let doc = VersioningConfiguration { status: Versioning::of(&b.record).as_str() };
    Ok(render::ok_xml(doc.to_xml()))
}

pub async fn put_bucket_versioning(
    state: &AppState,
    ctx: &Ctx,
    body: RequestBody,
) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let raw = super::read_small_body(
        body,
        MAX_VERSIONING_BODY,
        ApiError::new(ossd_proto::ErrorCode::MalformedXML),
    )
    .await?;
    let doc = VersioningConfiguration::parse(&raw)?;
    let status = doc.status.unwrap_or("Suspended").to_owned();
    state.update_bucket(&b.record.name, |rec| {
        rec.configs.insert(VERSIONING_CONFIG.to_owned(), status.clone());
    })?;
    Ok(render::empty(StatusCode::OK))
}

/// A listing parameter of ListObjectVersions, empty meaning absent, shorter than 1024 bytes.
fn param<'a>(ctx: &'a Ctx, name: &str, ec: Option<&'static str>) -> Result<&'a str, ApiError> {
    let v = ctx.query.get(name).unwrap_or("");
    if v.len() >= 1024 {
        return Err(ApiError::invalid_argument(
            format!("{name} must be shorter than 1024 bytes."),
            name,
            "",
        )
        .with_ec(ec));
    }
    Ok(v)
}

pub fn list_object_versions(state: &AppState, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let b = ctx.bucket()?;
    let url = url_encoding(ctx)?;
    let prefix = param(ctx, "prefix", Some("0012-00000103"))?;
    let delimiter = param(ctx, "delimiter", None)?;
    let key_marker = param(ctx, "key-marker", None)?;
    let version_marker = param(ctx, "version-id-marker", Some("0012-00000105"))?;
    let mut version_id_marker = None;
    if !version_marker.is_empty() {
        if key_marker.is_empty() {
            return Err(ApiError::invalid_argument(
                "version-id-marker needs key-marker.",
                "version-id-marker",
                version_marker,
            )
            .with_ec(Some("0012-00000106")));
        }
        let bad = || {
            ApiError::invalid_argument(
                "The version-id-marker is not a version of this bucket.",
                "version-id-marker",
                version_marker,
            )
            .with_ec(Some("0012-00000105"))
        };
        let sel = version_arg::parse(version_marker, "version-id-marker").map_err(|_| bad())?;
        version_arg::check_bucket(b, &sel, version_marker).map_err(|_| bad())?;
        version_id_marker = Some(sel);
    }
    let max_keys = match ctx.query.get("max-keys").filter(|v| !v.is_empty()) {
        None => 100,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid_argument(
                    "max-keys must be an integer from 1 to 1000.",
                    "max-keys",
                    v,
                )
                .with_ec(Some("0012-00000102")));
            }
        },
    };
    let q = VersionsQuery {
        prefix: prefix.to_owned(),
        delimiter: delimiter.to_owned(),
        key_marker: key_marker.to_owned(),
        version_id_marker,
        max_keys,
    };
    let page = state.store.list_versions(&b.record.name, &q).map_err(store_error)?;
    let owner = Some(b.record.owner.as_str());
    let mut versions = Vec::new();
    let mut common_prefixes = Vec::new();
    for e in &page.entries {
        match e {
            VersionsEntry::Version(rec, latest) => versions.push(VersionEntry {
                object: if rec.delete_marker {
                    ObjectEntry {
                        key: &rec.key,
                        last_modified: iso8601(rec.last_modified_ms),
                        etag: "",
                        object_type: "",
                        size: 0,
                        storage_class: "",
                        owner,
                    }
                } else {
                    super::bucket::object_entry(rec, owner)
                },
                version_id: rec.version_label(),
                is_latest: *latest,
                delete_marker: rec.delete_marker,
            }),
            VersionsEntry::Prefix(p) => common_prefixes.push(p.clone()),
        }
    }
    let doc = ListVersionsResult {
        name: &b.record.name,
        prefix,
        key_marker,
        version_id_marker: version_marker,
        max_keys,
        delimiter,
        url,
        is_truncated: page.is_truncated,
        next_key_marker: page.next_key_marker.as_deref().unwrap_or(""),
        next_version_id_marker: page.next_version_id_marker.as_deref().unwrap_or(""),
        versions,
        common_prefixes: &common_prefixes,
    };
    Ok(render::ok_xml(doc.to_xml()))
}
