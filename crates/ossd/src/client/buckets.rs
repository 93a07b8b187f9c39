//! `mb`, `rb`, `ls` and the object listing the other commands share.

use super::error::{CliError, Result};
use super::http::Req;
use super::url::OssUrl;
use super::{Ctx, LsArgs, MbArgs, RbArgs, output};
use ossd_proto::xml::{Element, parse};

/// One listed object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// `LastModified` as the server sent it.
    pub last_modified: String,
    /// `ETag` without quotes.
    pub etag: String,
    /// Storage class.
    pub storage_class: String,
}

fn xml(body: &[u8]) -> Result<Element> {
    parse(body).map_err(|e| CliError::Integrity(format!("the server's XML does not parse: {e}")))
}

/// Lists objects under `prefix` (with `delimiter` `/` when `dirs`), up to `limit`; returns the
/// objects and the common prefixes.
pub async fn list(
    ctx: &Ctx,
    bucket: &str,
    prefix: &str,
    dirs: bool,
    limit: Option<usize>,
) -> Result<(Vec<Entry>, Vec<String>)> {
    let mut entries = Vec::new();
    let mut prefixes = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = Req::new("GET", Some(bucket), None)
            .q("list-type", Some("2"))
            .q("max-keys", Some("1000"))
            .q("prefix", Some(prefix));
        if dirs {
            req = req.q("delimiter", Some("/"));
        }
        if let Some(t) = &token {
            req = req.q("continuation-token", Some(t));
        }
        let r = ctx.client.call(req).await?;
        let root = xml(&r.body)?;
        for c in root.children_named("Contents") {
            entries.push(Entry {
                key: c.child_text("Key").unwrap_or("").to_owned(),
                size: c.child_text("Size").and_then(|s| s.parse().ok()).unwrap_or(0),
                last_modified: c.child_text("LastModified").unwrap_or("").to_owned(),
                etag: c.child_text("ETag").unwrap_or("").trim_matches('"').to_owned(),
                storage_class: c.child_text("StorageClass").unwrap_or("").to_owned(),
            });
        }
        for p in root.children_named("CommonPrefixes") {
            prefixes.push(p.child_text("Prefix").unwrap_or("").to_owned());
        }
        if limit.is_some_and(|l| entries.len() + prefixes.len() >= l) {
            let l = limit.unwrap_or(usize::MAX);
            entries.truncate(l);
            prefixes.truncate(l.saturating_sub(entries.len()));
            break;
        }
        token = root.child_text("NextContinuationToken").map(str::to_owned);
        if root.child_text("IsTruncated") != Some("true") || token.is_none() {
            break;
        }
    }
    Ok((entries, prefixes))
}

/// `mb`.
pub async fn mb(ctx: &Ctx, a: &MbArgs) -> Result<()> {
    let bucket = OssUrl::bucket(&a.url)?;
    let mut req = Req::new("PUT", Some(&bucket), None);
    if let Some(acl) = &a.acl {
        req = req.h("x-oss-acl", acl);
    }
    if let Some(class) = &a.storage_class {
        let mut body = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateBucketConfiguration><StorageClass>",
        );
        ossd_proto::xml::escape_into(&mut body, class);
        body.push_str("</StorageClass></CreateBucketConfiguration>");
        req = req.body(body);
    }
    let r = ctx.client.call(req).await?;
    if ctx.json {
        output::json(&serde_json::json!({"bucket": bucket, "created": true,
            "request_id": r.header("x-oss-request-id")}));
    } else {
        println!("created oss://{bucket}");
    }
    Ok(())
}

/// Aborts every unfinished multipart upload of `bucket`.
async fn abort_uploads(ctx: &Ctx, bucket: &str) -> Result<usize> {
    let mut n = 0;
    loop {
        let r = ctx.client.call(Req::new("GET", Some(bucket), None).q("uploads", None)).await?;
        let root = xml(&r.body)?;
        let uploads: Vec<(String, String)> = root
            .children_named("Upload")
            .map(|u| {
                (
                    u.child_text("Key").unwrap_or("").to_owned(),
                    u.child_text("UploadId").unwrap_or("").to_owned(),
                )
            })
            .collect();
        if uploads.is_empty() {
            return Ok(n);
        }
        for (key, id) in uploads {
            ctx.client
                .call(Req::new("DELETE", Some(bucket), Some(&key)).q("uploadId", Some(&id)))
                .await?;
            n += 1;
        }
    }
}

/// `rb`.
pub async fn rb(ctx: &Ctx, a: &RbArgs) -> Result<()> {
    let bucket = OssUrl::bucket(&a.url)?;
    let (mut objects, mut uploads) = (0, 0);
    if a.force {
        objects = super::objects::delete_prefix(ctx, &bucket, "").await?;
        uploads = abort_uploads(ctx, &bucket).await?;
    }
    ctx.client.call(Req::new("DELETE", Some(&bucket), None)).await?;
    if ctx.json {
        output::json(&serde_json::json!({"bucket": bucket, "deleted": true,
            "objects_deleted": objects, "uploads_aborted": uploads}));
    } else {
        if a.force {
            println!("deleted {objects} object(s), aborted {uploads} upload(s)");
        }
        println!("deleted oss://{bucket}");
    }
    Ok(())
}

/// `ls`.
pub async fn ls(ctx: &Ctx, a: &LsArgs) -> Result<()> {
    let url = a.url.as_deref().filter(|u| *u != "oss://" && !u.is_empty());
    let Some(url) = url else {
        let r = ctx.client.call(Req::new("GET", None, None)).await?;
        let root = xml(&r.body)?;
        let buckets: Vec<serde_json::Value> = root
            .child("Buckets")
            .map(|b| {
                b.children_named("Bucket")
                    .map(|b| {
                        serde_json::json!({
                            "name": b.child_text("Name").unwrap_or(""),
                            "creation_date": b.child_text("CreationDate").unwrap_or(""),
                            "location": b.child_text("Location").unwrap_or(""),
                            "storage_class": b.child_text("StorageClass").unwrap_or(""),
                        })
                    })
                    .take(a.limit.unwrap_or(usize::MAX))
                    .collect()
            })
            .unwrap_or_default();
        if ctx.json {
            output::json(&serde_json::json!({"buckets": buckets}));
        } else {
            println!(
                "{:<26} {:>20}    {:>12}    BucketName",
                "CreationTime", "Region", "StorageClass"
            );
            for b in &buckets {
                let s = |k: &str| b[k].as_str().unwrap_or("").to_owned();
                println!(
                    "{:<26} {:>20}    {:>12}    oss://{}",
                    s("creation_date"),
                    s("location"),
                    s("storage_class"),
                    s("name")
                );
            }
            println!("\nBucket Number is: {}", buckets.len());
        }
        return Ok(());
    };
    let u = OssUrl::parse(url)?;
    let (entries, prefixes) = list(ctx, &u.bucket, &u.key, a.dirs, a.limit).await?;
    if ctx.json {
        output::json(
            &serde_json::json!({"bucket": u.bucket, "objects": entries, "prefixes": prefixes}),
        );
    } else {
        println!(
            "{:<26}{:>12}  {:>12}   {:<36}  ObjectName",
            "LastModifiedTime", "Size(B)", "StorageClass", "ETAG"
        );
        for e in &entries {
            println!(
                "{:<26}{:>12}  {:>12}   {:<36}  oss://{}/{}",
                e.last_modified, e.size, e.storage_class, e.etag, u.bucket, e.key
            );
        }
        for p in &prefixes {
            println!("oss://{}/{}", u.bucket, p);
        }
        if a.dirs {
            println!("Object and Directory Number is: {}", entries.len() + prefixes.len());
        } else {
            println!("Object Number is: {}", entries.len());
        }
    }
    Ok(())
}
