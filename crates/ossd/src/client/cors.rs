//! `cors put|get|delete|options|explain|lint`.

use super::cors_json;
use super::error::{CliError, Result};
use super::explain;
use super::http::Req;
use super::url::OssUrl;
use super::{Ctx, GlobalArgs, output};
use clap::{Args, Subcommand};
use ossd_cors::CorsConfig;
use std::path::PathBuf;

/// `cors`.
#[derive(Args, Debug)]
pub struct CorsArgs {
    #[command(subcommand)]
    pub cmd: CorsCmd,
    #[command(flatten)]
    pub g: GlobalArgs,
}

/// The request an explanation is about.
#[derive(Args, Debug, Clone)]
pub struct Asked {
    /// The page's origin, e.g. https://app.example.com
    #[arg(long)]
    pub origin: String,
    /// The method the page wants to use (Access-Control-Request-Method)
    #[arg(long)]
    pub method: String,
    /// Headers the page wants to send (Access-Control-Request-Headers), comma-separated
    #[arg(long)]
    pub headers: Option<String>,
}

/// The CORS subcommands.
#[derive(Subcommand, Debug)]
pub enum CorsCmd {
    /// Set the bucket's rules from FILE (OSS XML, or ossutil's JSON form)
    Put {
        /// oss://bucket
        url: String,
        /// The configuration file
        file: PathBuf,
    },
    /// Print the bucket's rules (XML; --output json for ossutil's JSON form)
    Get {
        /// oss://bucket
        url: String,
    },
    /// Delete the bucket's rules
    Delete {
        /// oss://bucket
        url: String,
    },
    /// Send a real preflight (OPTIONS) and print the status and every CORS header of the answer
    Options {
        /// oss://bucket[/key]
        url: String,
        #[command(flatten)]
        asked: Asked,
    },
    /// Explain, rule by rule, why a request is allowed or refused and what the server answers
    /// (exit 0 allowed, 1 refused, 2 error)
    Explain {
        /// oss://bucket[/key] (not needed with --rules)
        url: Option<String>,
        #[command(flatten)]
        asked: Asked,
        /// Explain against this local file (XML or JSON) instead of the bucket's rules (offline)
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Warn about rules that are valid but probably wrong (exit 1 when there are warnings)
    Lint {
        /// oss://bucket (not needed with --rules)
        url: Option<String>,
        /// Lint this local file (XML or JSON) instead of the bucket's rules (offline)
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

fn load_file(path: &std::path::Path) -> Result<CorsConfig> {
    cors_json::parse(&cors_json::file_to_xml(path)?)
}

/// The offline forms (`--rules FILE`): `Some(exit code)` when handled here.
pub fn run_offline(a: &CorsArgs) -> Result<Option<u8>> {
    let json = super::output::is_json(&a.g.output)?;
    match &a.cmd {
        CorsCmd::Explain { rules: Some(f), asked, .. } => {
            let cfg = load_file(f)?;
            Ok(Some(explain::explain(Some(&cfg), asked, json)))
        }
        CorsCmd::Lint { rules: Some(f), .. } => {
            let cfg = load_file(f)?;
            Ok(Some(explain::lint(&cfg, json)))
        }
        _ => Ok(None),
    }
}

/// The bucket's rules; `None` when it has none.
async fn fetch(ctx: &Ctx, bucket: &str) -> Result<Option<CorsConfig>> {
    match ctx.client.call(Req::new("GET", Some(bucket), None).q("cors", None)).await {
        Ok(r) => cors_json::parse(&r.text()).map(Some),
        Err(CliError::Oss(e)) if e.code == "NoSuchCORSConfiguration" => Ok(None),
        Err(e) => Err(e),
    }
}

fn need_url(url: &Option<String>) -> Result<OssUrl> {
    match url {
        Some(u) => OssUrl::parse(u),
        None => Err(CliError::Usage("give oss://bucket or --rules FILE".into())),
    }
}

/// Canonical case of a header name (`access-control-allow-origin` -> `Access-Control-Allow-Origin`).
pub fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Runs the online forms.
pub async fn run(ctx: &Ctx, a: &CorsArgs) -> Result<u8> {
    match &a.cmd {
        CorsCmd::Put { url, file } => {
            let bucket = OssUrl::bucket(url)?;
            let xml = cors_json::file_to_xml(file)?;
            let r = ctx
                .client
                .call(
                    Req::new("PUT", Some(&bucket), None)
                        .q("cors", None)
                        .h("content-type", "application/xml")
                        .body(xml),
                )
                .await?;
            if ctx.json {
                output::json(&serde_json::json!({"bucket": bucket, "cors": "put",
                    "request_id": r.header("x-oss-request-id")}));
            } else {
                println!("CORS rules set on oss://{bucket}");
            }
            Ok(0)
        }
        CorsCmd::Get { url } => {
            let bucket = OssUrl::bucket(url)?;
            let r = ctx.client.call(Req::new("GET", Some(&bucket), None).q("cors", None)).await?;
            if ctx.json {
                output::json(&cors_json::to_json(&cors_json::parse(&r.text())?));
            } else {
                println!("{}", r.text().trim_end());
            }
            Ok(0)
        }
        CorsCmd::Delete { url } => {
            let bucket = OssUrl::bucket(url)?;
            ctx.client.call(Req::new("DELETE", Some(&bucket), None).q("cors", None)).await?;
            if ctx.json {
                output::json(&serde_json::json!({"bucket": bucket, "cors": "deleted"}));
            } else {
                println!("CORS rules deleted from oss://{bucket}");
            }
            Ok(0)
        }
        CorsCmd::Options { url, asked } => {
            let u = OssUrl::parse(url)?;
            let mut req = Req::new("OPTIONS", Some(&u.bucket), Some(&u.key))
                .h("origin", &asked.origin)
                .h("access-control-request-method", &asked.method);
            if let Some(h) = &asked.headers {
                req = req.h("access-control-request-headers", h);
            }
            let r = ctx.client.send(req).await?;
            let mut headers: Vec<(String, String)> = r
                .headers
                .iter()
                .filter(|(k, _)| k.starts_with("access-control-") || k == "vary")
                .map(|(k, v)| (canonical(k), v.clone()))
                .collect();
            headers.sort();
            let ok = (200..300).contains(&r.status);
            let err = (!ok).then(|| r.oss_error());
            if ctx.json {
                let h: serde_json::Map<String, serde_json::Value> =
                    headers.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
                output::json(&serde_json::json!({"status": r.status, "allowed": ok, "headers": h,
                    "error": err}));
            } else {
                println!("HTTP {}", r.status);
                for (k, v) in &headers {
                    println!("{k}: {v}");
                }
                if let Some(e) = err {
                    println!(
                        "{}: {} [RequestId: {}, EC: {}]",
                        e.code, e.message, e.request_id, e.ec
                    );
                }
            }
            Ok(if ok { 0 } else { 1 })
        }
        CorsCmd::Explain { url, asked, .. } => {
            let u = need_url(url)?;
            let cfg = fetch(ctx, &u.bucket).await?;
            Ok(explain::explain(cfg.as_ref(), asked, ctx.json))
        }
        CorsCmd::Lint { url, .. } => {
            let u = need_url(url)?;
            match fetch(ctx, &u.bucket).await? {
                Some(cfg) => Ok(explain::lint(&cfg, ctx.json)),
                None => {
                    Err(CliError::Usage(format!("oss://{} has no CORS configuration", u.bucket)))
                }
            }
        }
    }
}
