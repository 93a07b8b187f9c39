//! `ossd key ...`: access key management through the running server's admin API, signed with the root key.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

/// Where the server is and how to sign as root.
#[derive(Args, Debug)]
pub struct KeyArgs {
    /// The server's endpoint
    #[arg(long, global = true, env = "OSSD_ENDPOINT", default_value = "http://127.0.0.1:9000")]
    pub endpoint: String,
    /// Data directory holding root-key.json (used when OSSD_ROOT_ACCESS_KEY_ID/SECRET are unset)
    #[arg(long, global = true, env = "OSSD_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: KeyCommand,
}

/// Access key operations.
#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key (prints its id and secret once)
    Create {
        /// A note, e.g. who uses it
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List keys (without secrets)
    List,
    /// Show one key
    Show { id: String },
    /// Disable a key: its requests are refused with InvalidAccessKeyId
    Disable { id: String },
    /// Enable a disabled key
    Enable { id: String },
    /// Delete a key
    Delete { id: String },
    /// Grant a key read, write or owner on a bucket
    Grant { id: String, bucket: String, permission: String },
    /// Remove a key's grant on a bucket
    Revoke { id: String, bucket: String },
}

/// Runs the subcommand and prints the server's answer.
pub fn run(args: KeyArgs) -> anyhow::Result<()> {
    let (ak, sk) = root_credentials(&args)?;
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let (method, path, query) = match &args.command {
        KeyCommand::Create { name } => {
            ("POST", "admin/keys".to_owned(), format!("name={}", enc(name)))
        }
        KeyCommand::List => ("GET", "admin/keys".to_owned(), String::new()),
        KeyCommand::Show { id } => ("GET", format!("admin/keys/{}", enc(id)), String::new()),
        KeyCommand::Disable { id } => {
            ("PUT", format!("admin/keys/{}", enc(id)), "enabled=false".to_owned())
        }
        KeyCommand::Enable { id } => {
            ("PUT", format!("admin/keys/{}", enc(id)), "enabled=true".to_owned())
        }
        KeyCommand::Delete { id } => ("DELETE", format!("admin/keys/{}", enc(id)), String::new()),
        KeyCommand::Grant { id, bucket, permission } => (
            "PUT",
            format!("admin/keys/{}/grants/{}", enc(id), enc(bucket)),
            format!("permission={}", enc(permission)),
        ),
        KeyCommand::Revoke { id, bucket } => {
            ("DELETE", format!("admin/keys/{}/grants/{}", enc(id), enc(bucket)), String::new())
        }
    };
    let (status, body) = call(&args.endpoint, &ak, &sk, method, &path, &query)?;
    if !(200..300).contains(&status) {
        bail!("the server answered {status}: {}", body.trim());
    }
    if !body.is_empty() {
        println!("{}", body.trim());
    }
    Ok(())
}

fn root_credentials(args: &KeyArgs) -> anyhow::Result<(String, String)> {
    if let (Ok(id), Ok(secret)) =
        (std::env::var("OSSD_ROOT_ACCESS_KEY_ID"), std::env::var("OSSD_ROOT_ACCESS_KEY_SECRET"))
        && !id.is_empty()
        && !secret.is_empty()
    {
        return Ok((id, secret));
    }
    match crate::config::stored_root_key(&args.data_dir)? {
        Some(k) => Ok((k.id, k.secret)),
        None => bail!(
            "no OSSD_ROOT_ACCESS_KEY_ID/SECRET and no {}",
            args.data_dir.join(crate::config::ROOT_KEY_FILE).display()
        ),
    }
}

/// One signed HTTP/1.1 request to `/-/<path>?<query>`; returns status and body.
fn call(
    endpoint: &str,
    ak: &str,
    sk: &str,
    method: &str,
    path: &str,
    query: &str,
) -> anyhow::Result<(u16, String)> {
    let hostport = endpoint
        .strip_prefix("http://")
        .context("the endpoint must be http://HOST:PORT (HTTPS is not supported by the CLI yet)")?
        .trim_end_matches('/');
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let decoded_query: Vec<(String, Option<String>)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.to_owned(),
                Some(percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned()),
            ),
            None => (p.to_owned(), None),
        })
        .collect();
    let decoded_path = percent_encoding::percent_decode_str(path).decode_utf8_lossy().into_owned();
    let headers = vec![("date".to_owned(), date.clone())];
    let req = ossd_sig::SignedRequest {
        method,
        bucket: Some("-"),
        key: Some(&decoded_path),
        query: &decoded_query,
        headers: &headers,
    };
    let auth = ossd_sig::v1::authorization(ak, sk, &req);
    let target = if query.is_empty() { format!("/-/{path}") } else { format!("/-/{path}?{query}") };
    let mut s =
        TcpStream::connect(hostport).with_context(|| format!("connecting to {hostport}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        s,
        "{method} {target} HTTP/1.1\r\nHost: {hostport}\r\nDate: {date}\r\nAuthorization: {auth}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").context("malformed response")?;
    let status =
        head.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed status line")?;
    Ok((status, body.to_owned()))
}
