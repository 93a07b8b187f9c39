//! Versioning as seen from a bucket that has never been versioned: GetBucketVersioning (the empty
//! document) and ListObjectVersions (the current objects, each version `null` and the latest).
//! Full versioning is not implemented: PutBucketVersioning and every `versionId` use are 501.

use super::bucket::url_encoding;
use crate::body::Body;
use crate::pipeline::Ctx;
use crate::render;
use crate::state::{AppState, store_error};
use http::Response;
use ossd_proto::ApiError;
use ossd_proto::docs::list_versions::{ListVersionsResult, VersionEntry};
use ossd_proto::docs::versioning::VersioningConfiguration;
use ossd_store::ListQuery;

/// The id OSS gives a version written while versioning was never enabled.
const NULL_VERSION: &str = "null";

pub fn get_bucket_versioning(ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    ctx.bucket()?;
    Ok(render::ok_xml(VersioningConfiguration.to_xml()))
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
    if !version_marker.is_empty() {
        if key_marker.is_empty() {
            return Err(ApiError::invalid_argument(
                "version-id-marker needs key-marker.",
                "version-id-marker",
                version_marker,
            )
            .with_ec(Some("0012-00000106")));
        }
        if version_marker != NULL_VERSION {
            return Err(ApiError::invalid_argument(
                "The version-id-marker is not a version of this bucket.",
                "version-id-marker",
                version_marker,
            )
            .with_ec(Some("0012-00000105")));
        }
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
    // Each key has one version, so "after version null of key-marker" is "after key-marker".
    let q = ListQuery {
        prefix: prefix.to_owned(),
        delimiter: delimiter.to_owned(),
        marker: key_marker.to_owned(),
        max_keys,
    };
    let page = state.store.list_objects(&b.record.name, &q).map_err(store_error)?;
    let doc = ListVersionsResult {
        name: &b.record.name,
        prefix,
        key_marker,
        version_id_marker: version_marker,
        max_keys,
        delimiter,
        url,
        is_truncated: page.is_truncated,
        next_key_marker: page.next_marker.as_deref().unwrap_or(""),
        next_version_id_marker: NULL_VERSION,
        versions: page
            .objects
            .iter()
            .map(|o| VersionEntry {
                object: super::bucket::object_entry(o, Some(&b.record.owner)),
                version_id: NULL_VERSION,
                is_latest: true,
            })
            .collect(),
        common_prefixes: &page.common_prefixes,
    };
    Ok(render::ok_xml(doc.to_xml()))
}
