//! HTTPS: the certificate and key (PEM files) behind a resolver that can be swapped while the
//! server runs. `reload` reads the files again (on SIGHUP): handshakes that start afterwards get
//! the new certificate, connections already open keep theirs; if the new files do not load, the
//! old certificate stays and the error is reported. ALPN offers `h2` and `http/1.1`.

use rustls::crypto::ring as provider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Where the certificate chain and its private key are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM file with the certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

/// Why the certificate could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or holds no usable PEM section.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key does not fit rustls (unsupported algorithm, or not the certificate's key).
    #[error("the key does not go with the certificate: {0}")]
    Key(rustls::Error),
}

/// The current certificate, read by every handshake.
#[derive(Debug)]
struct Current(RwLock<Arc<CertifiedKey>>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.read().ok().map(|c| Arc::clone(&c))
    }
}

/// The TLS side of the server: the acceptor and the reloadable certificate.
pub(crate) struct Tls {
    files: TlsFiles,
    current: Arc<Current>,
    acceptor: tokio_rustls::TlsAcceptor,
}

/// Reads the chain and the key and checks that they go together.
fn load(files: &TlsFiles) -> Result<CertifiedKey, TlsError> {
    let file_err = |path: &PathBuf, reason: String| TlsError::File { path: path.clone(), reason };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| file_err(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_err(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(file_err(&files.cert, "no CERTIFICATE section".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| file_err(&files.key, format!("no usable private key: {e}")))?;
    let ck =
        CertifiedKey::from_der(certs, key, &provider::default_provider()).map_err(TlsError::Key)?;
    Ok(ck)
}

impl Tls {
    /// Loads the files and builds the acceptor.
    pub(crate) fn new(files: TlsFiles) -> Result<Tls, TlsError> {
        let current = Arc::new(Current(RwLock::new(Arc::new(load(&files)?))));
        let mut config =
            rustls::ServerConfig::builder_with_provider(Arc::new(provider::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(TlsError::Key)?
                .with_no_client_auth()
                .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        Ok(Tls { files, current, acceptor })
    }

    /// Reads the files again; new handshakes use the result. On failure the old one stays.
    pub(crate) fn reload(&self) -> Result<(), TlsError> {
        let ck = Arc::new(load(&self.files)?);
        if let Ok(mut c) = self.current.0.write() {
            *c = ck;
        }
        Ok(())
    }

    /// The acceptor for new connections.
    pub(crate) fn acceptor(&self) -> &tokio_rustls::TlsAcceptor {
        &self.acceptor
    }
}
