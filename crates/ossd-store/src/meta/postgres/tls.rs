//! TLS to PostgreSQL, configured as libpq configures it: `sslmode` and `sslrootcert` in the URL.
//!
//! | `sslmode`          | encrypted                  | certificate checked                      |
//! |--------------------|----------------------------|------------------------------------------|
//! | `disable`          | never                      | –                                        |
//! | `prefer` (default) | if the server offers TLS   | no; the chain if there are roots (below) |
//! | `require`          | always                     | no; the chain if there are roots (below) |
//! | `verify-ca`        | always                     | chain up to a root of `sslrootcert`      |
//! | `verify-full`      | always                     | chain, and the host name of the URL      |
//!
//! `sslrootcert` is a PEM file of root certificates, or `system` for the system's roots (then
//! `verify-full` is the default and anything weaker an error, as in libpq 16: anyone can get a
//! publicly trusted certificate for a name of their own). Without it, `~/.postgresql/root.crt`,
//! libpq's default, is used if it exists (so `prefer` and `require` check the chain then too);
//! `verify-ca` and `verify-full` fail clearly if it is missing. Client certificates (`sslcert`, `sslkey`) are not supported and refused by name.
//!
//! The handshake runs on rustls with the ring provider, like the HTTPS listener. The session
//! offers SCRAM channel binding (`tls-server-end-point`, `channel_binding.rs`), so a password
//! exchange cannot be relayed through a TLS man in the middle even when the certificate is not
//! checked; `channel_binding=require` in the URL insists on it.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, ring};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};

use super::channel_binding::tls_server_end_point;

/// libpq's `sslmode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, unverified.
    Prefer,
    /// TLS always, unverified unless a root file is given.
    Require,
    /// TLS always, the chain verified.
    VerifyCa,
    /// TLS always, the chain and the host name verified.
    VerifyFull,
}

impl SslMode {
    /// Parses libpq's spelling.
    pub fn parse(s: &str) -> Option<SslMode> {
        Some(match s {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return None,
        })
    }

    /// libpq's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// What the PostgreSQL client itself knows: whether TLS is attempted, and required.
    pub(crate) fn client_mode(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }
}

/// Where the trusted roots come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RootCerts {
    /// A PEM file.
    File(PathBuf),
    /// The system's roots.
    System,
}

/// Why the TLS settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PgTlsError {
    /// A setting is not valid (the message says which and why).
    #[error("{0}")]
    Setting(String),
    /// The root certificate file cannot be read or holds no certificate.
    #[error("sslrootcert {path}: {reason}")]
    Roots {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// The TLS settings of the connections, resolved: what the handshake checks.
#[derive(Clone)]
pub(crate) struct PgTls {
    pub(crate) mode: SslMode,
    pub(crate) roots: Option<RootCerts>,
    config: Arc<ClientConfig>,
}

/// libpq's default root file: `~/.postgresql/root.crt`.
fn default_root_file() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| Path::new(&h).join(".postgresql").join("root.crt"))
}

impl PgTls {
    /// Resolves `sslmode` and `sslrootcert` as libpq does (see the module documentation) and
    /// reads the roots.
    pub(crate) fn new(
        mode: Option<SslMode>,
        roots: Option<RootCerts>,
    ) -> Result<PgTls, PgTlsError> {
        let mode = match (mode, &roots) {
            (None, Some(RootCerts::System)) => SslMode::VerifyFull,
            (Some(m), Some(RootCerts::System)) if m != SslMode::VerifyFull => {
                return Err(PgTlsError::Setting(format!(
                    "sslrootcert=system needs sslmode=verify-full, not {}: anyone can get a \
                     publicly trusted certificate for a name of their own",
                    m.as_str()
                )));
            }
            (m, _) => m.unwrap_or(SslMode::Prefer),
        };
        // Without sslrootcert, libpq's default file is used when it exists (then prefer and
        // require check the chain too); verify-ca and verify-full need it.
        let roots = match roots {
            Some(r) => Some(r),
            None if mode == SslMode::Disable => None,
            None => match default_root_file().filter(|p| p.is_file()) {
                Some(p) => Some(RootCerts::File(p)),
                None if matches!(mode, SslMode::Prefer | SslMode::Require) => None,
                None => {
                    return Err(PgTlsError::Setting(format!(
                        "sslmode={} needs the root certificates to check the server's \
                             against: sslrootcert=FILE (PEM) or sslrootcert=system in the URL, \
                             or ~/.postgresql/root.crt",
                        mode.as_str()
                    )));
                }
            },
        };
        let provider = Arc::new(ring::default_provider());
        let chain = match (&roots, mode) {
            (None, _) | (_, SslMode::Disable) => None,
            (Some(r), _) => Some(
                WebPkiServerVerifier::builder_with_provider(
                    Arc::new(root_store(r)?),
                    Arc::clone(&provider),
                )
                .build()
                .map_err(|e| PgTlsError::Setting(format!("sslrootcert: {e}")))?,
            ),
        };
        let verifier = Arc::new(ServerCheck {
            provider: Arc::clone(&provider),
            chain,
            name: mode == SslMode::VerifyFull,
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgTlsError::Setting(format!("TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(PgTls { mode, roots, config: Arc::new(config) })
    }

    /// What tokio-postgres calls to wrap each new connection.
    pub(crate) fn connector(&self) -> MakeRustls {
        MakeRustls(Arc::clone(&self.config))
    }
}

/// The roots of a PEM file, or of the system.
fn root_store(roots: &RootCerts) -> Result<RootCertStore, PgTlsError> {
    let mut store = RootCertStore::empty();
    match roots {
        RootCerts::File(path) => {
            let bad = |reason: String| PgTlsError::Roots { path: path.clone(), reason };
            let bytes = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            for cert in CertificateDer::pem_slice_iter(&bytes) {
                let cert = cert.map_err(|e| bad(format!("not PEM: {e:?}")))?;
                store.add(cert).map_err(|e| bad(format!("not a usable certificate: {e}")))?;
            }
            if store.is_empty() {
                return Err(bad("no certificate in it".to_owned()));
            }
        }
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(PgTlsError::Setting(format!(
                    "sslrootcert=system: no root certificate found on this system ({} errors)",
                    found.errors.len()
                )));
            }
        }
    }
    Ok(store)
}

/// The check of the server's certificate: none (`chain: None`: prefer and require without
/// roots, libpq's behaviour), the chain only (`name: false`: verify-ca, and prefer or require
/// with roots, as in libpq), or the chain and the host name (verify-full). The chain is checked
/// before the name, so a name error means the chain was good. The handshake's own signatures
/// are verified in every case (with the provider's algorithms, as the chain check does), so the
/// session key is bound to whichever certificate was presented.
#[derive(Debug)]
struct ServerCheck {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
    name: bool,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else { return Ok(ServerCertVerified::assertion()) };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// Makes a [`RustlsConnect`] per connection (tokio-postgres's `MakeTlsConnect`).
#[derive(Clone)]
pub(crate) struct MakeRustls(Arc<ClientConfig>);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> MakeTlsConnect<S> for MakeRustls {
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = io::Error;

    fn make_tls_connect(&mut self, host: &str) -> Result<RustlsConnect, io::Error> {
        // An IP address or a DNS name, as written in the URL: what verify-full checks. The
        // client asks for a connector for every connection, also over a Unix socket (no host
        // name) where it never uses it: a name that is no server name fails the handshake only.
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| format!("host {host:?} cannot be checked against a certificate: {e}"));
        Ok(RustlsConnect { config: Arc::clone(&self.0), name })
    }
}

/// One connection's handshake.
pub(crate) struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: Result<ServerName<'static>, String>,
}

type Handshake<S> = Pin<Box<dyn Future<Output = io::Result<RustlsStream<S>>> + Send>>;

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> TlsConnect<S> for RustlsConnect {
    type Stream = RustlsStream<S>;
    type Error = io::Error;
    type Future = Handshake<S>;

    fn connect(self, stream: S) -> Handshake<S> {
        Box::pin(async move {
            let name = self.name.map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
            let connector = tokio_rustls::TlsConnector::from(self.config);
            Ok(RustlsStream(connector.connect(name, stream).await?))
        })
    }
}

/// An encrypted connection.
pub(crate) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> ChannelBinding {
        let (_, session) = self.0.get_ref();
        session
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|cert| tls_server_end_point(cert))
            .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests may unwrap")]
    use super::*;

    #[test]
    fn modes_resolve_as_in_libpq() {
        let t = PgTls::new(None, None).unwrap();
        assert_eq!((t.mode, t.roots), (SslMode::Prefer, None));
        // The system's roots imply verify-full; a system without roots says so instead.
        match PgTls::new(None, Some(RootCerts::System)) {
            Ok(t) => assert_eq!(t.mode, SslMode::VerifyFull),
            Err(e) => assert!(e.to_string().contains("no root certificate found"), "{e}"),
        }
        let e = PgTls::new(Some(SslMode::Require), Some(RootCerts::System)).err().unwrap();
        assert!(e.to_string().contains("needs sslmode=verify-full"), "{e}");
        let e = PgTls::new(Some(SslMode::VerifyCa), Some(RootCerts::File("/nonexistent".into())))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("sslrootcert /nonexistent: "), "{e}");
        for m in ["disable", "prefer", "require", "verify-ca", "verify-full"] {
            assert_eq!(SslMode::parse(m).unwrap().as_str(), m);
        }
        assert_eq!(SslMode::parse("allow"), None);
    }

    #[test]
    fn a_root_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("ossd-pgtls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("empty.pem");
        std::fs::write(&f, b"no pem here\n").unwrap();
        let e = PgTls::new(Some(SslMode::VerifyFull), Some(RootCerts::File(f))).err().unwrap();
        assert!(e.to_string().contains("no certificate in it"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
