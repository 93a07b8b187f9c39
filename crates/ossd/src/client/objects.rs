//! `rm`, `stat`, `cat`, `sign`.

use super::error::{CliError, Result};
use super::http::Req;
use super::profile::SignVersion;
use super::url::OssUrl;
use super::{Ctx, RmArgs, UrlArgs, output};
use clap::Args;
use std::io::Write;

/// Deletes every object under `prefix` with DeleteMultipleObjects (1000 a request); returns how many.
pub async fn delete_prefix(ctx: &Ctx, bucket: &str, prefix: &str) -> Result<usize> {
    let mut n = 0;
    loop {
        let (entries, _) = super::buckets::list(ctx, bucket, prefix, false, Some(1000)).await?;
        if entries.is_empty() {
            return Ok(n);
        }
        let mut body =
            String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>");
        for e in &entries {
            body.push_str("<Object><Key>");
            ossd_proto::xml::escape_into(&mut body, &e.key);
            body.push_str("</Key></Object>");
        }
        body.push_str("</Delete>");
        let md5 = ossd_sig::content_md5(body.as_bytes());
        let req = Req::new("POST", Some(bucket), None)
            .q("delete", None)
            .h("content-md5", &md5)
            .h("content-type", "application/xml")
            .body(body);
        ctx.client.call(req).await?;
        n += entries.len();
    }
}

/// `rm`.
pub async fn rm(ctx: &Ctx, a: &RmArgs) -> Result<()> {
    let u = OssUrl::parse(&a.url)?;
    let n = if a.recursive {
        delete_prefix(ctx, &u.bucket, &u.key).await?
    } else {
        if u.key.is_empty() {
            return Err(CliError::Usage(format!(
                "{}: give a key, or -r to delete everything under a prefix (rb deletes buckets)",
                a.url
            )));
        }
        ctx.client.call(Req::new("DELETE", Some(&u.bucket), Some(&u.key))).await?;
        1
    };
    if ctx.json {
        output::json(&serde_json::json!({"deleted": n}));
    } else {
        println!("deleted {n} object(s)");
    }
    Ok(())
}

/// `stat`.
pub async fn stat(ctx: &Ctx, a: &UrlArgs) -> Result<()> {
    let u = OssUrl::parse(&a.url)?;
    let mut fields: Vec<(String, String)> = Vec::new();
    if u.key.is_empty() {
        let r =
            ctx.client.call(Req::new("GET", Some(&u.bucket), None).q("bucketInfo", None)).await?;
        let root = ossd_proto::xml::parse(&r.body)
            .map_err(|e| CliError::Integrity(format!("bucket info does not parse: {e}")))?;
        if let Some(b) = root.child("Bucket") {
            for c in &b.children {
                if c.children.is_empty() {
                    fields.push((c.name.clone(), c.text.trim().to_owned()));
                } else {
                    for g in &c.children {
                        fields.push((format!("{}.{}", c.name, g.name), g.text.trim().to_owned()));
                    }
                }
            }
        }
    } else {
        let r = ctx.client.call(Req::new("HEAD", Some(&u.bucket), Some(&u.key))).await?;
        const SKIP: [&str; 5] =
            ["date", "x-oss-request-id", "server", "connection", "x-oss-server-time"];
        for (k, v) in &r.headers {
            if !SKIP.contains(&k.as_str()) {
                fields.push((
                    super::cors::canonical(k),
                    if k == "etag" { v.trim_matches('"').to_owned() } else { v.clone() },
                ));
            }
        }
        fields.sort();
    }
    if ctx.json {
        let map: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k, serde_json::Value::String(v))).collect();
        output::json(&serde_json::Value::Object(map));
    } else {
        let w = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 2;
        for (k, v) in &fields {
            println!("{k:<w$}: {v}");
        }
    }
    Ok(())
}

/// `cat`: the object's bytes on stdout; with `--output json` one JSON object describing the
/// object, its content as UTF-8 text when it is valid UTF-8, else base64 (`encoding` says which).
pub async fn cat(ctx: &Ctx, a: &UrlArgs) -> Result<()> {
    let u = OssUrl::object(&a.url)?;
    let r = ctx.client.call(Req::new("GET", Some(&u.bucket), Some(&u.key))).await?;
    super::cp::verify_crc(&r, &r.body, &a.url)?;
    if ctx.json {
        output::json(&cat_json(&u, &r));
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&r.body).and_then(|()| out.flush()).map_err(CliError::io("writing stdout"))
}

/// The JSON document of `cat --output json`.
pub fn cat_json(u: &OssUrl, r: &super::http::Resp) -> serde_json::Value {
    let (encoding, content) = match std::str::from_utf8(&r.body) {
        Ok(text) => ("utf-8", text.to_owned()),
        Err(_) => {
            use base64::Engine;
            ("base64", base64::engine::general_purpose::STANDARD.encode(&r.body))
        }
    };
    let h = |name: &str| r.header(name).map(str::to_owned);
    serde_json::json!({
        "bucket": u.bucket,
        "key": u.key,
        "size": r.body.len(),
        "etag": h("etag").map(|e| e.trim_matches('"').to_owned()),
        "content_type": h("content-type"),
        "last_modified": h("last-modified"),
        "crc64": h("x-oss-hash-crc64ecma"),
        "encoding": encoding,
        "content": content,
    })
}

/// `sign`.
#[derive(Args, Debug)]
pub struct SignArgs {
    /// oss://bucket/key
    pub url: String,
    /// The method the URL is for: GET or PUT (also HEAD, DELETE, POST)
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// Validity in seconds (V4: at most 604800)
    #[arg(long, default_value_t = 900)]
    pub expires: i64,
    #[command(flatten)]
    pub g: super::GlobalArgs,
}

/// `sign`: computed locally, nothing is sent.
pub fn sign(ctx: &Ctx, a: &SignArgs) -> Result<()> {
    let u = OssUrl::object(&a.url)?;
    let method: &'static str = match a.method.to_ascii_uppercase().as_str() {
        "GET" => "GET",
        "PUT" => "PUT",
        "HEAD" => "HEAD",
        "DELETE" => "DELETE",
        "POST" => "POST",
        other => {
            return Err(CliError::Usage(format!(
                "--method {other}: use GET, PUT, HEAD, DELETE or POST"
            )));
        }
    };
    if a.expires <= 0 {
        return Err(CliError::Usage("--expires must be positive".into()));
    }
    let p = &ctx.client.profile;
    let Some((ak, sk)) = &p.credentials else {
        return Err(CliError::Usage(
            "signing needs credentials (-i/-k, OSS_ACCESS_KEY_ID/SECRET or the config file)".into(),
        ));
    };
    let req = Req::new(method, Some(&u.bucket), Some(&u.key));
    let signed = ossd_sig::SignedRequest {
        method,
        bucket: Some(&u.bucket),
        key: Some(&u.key),
        query: &[],
        headers: &[],
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let extra = match p.sign_version {
        SignVersion::V1 => ossd_sig::v1::presign_query(ak, sk, &signed, now + a.expires),
        SignVersion::V4 => {
            if a.expires > ossd_sig::MAX_V4_PRESIGN_EXPIRES_SECS {
                return Err(CliError::Usage(
                    "--expires: V4 URLs last at most 604800 s (7 days)".into(),
                ));
            }
            let date = ossd_sig::timefmt::format_iso8601_basic(now).unwrap_or_default();
            ossd_sig::v4::presign_query(ak, sk, &p.region, &signed, &date, a.expires, &[])
        }
    };
    let (host, target) = ctx.client.target(&req, &extra);
    let url = format!("http://{host}{target}");
    if ctx.json {
        output::json(&serde_json::json!({"url": url, "method": method, "expires": a.expires}));
    } else {
        println!("{url}");
    }
    Ok(())
}
