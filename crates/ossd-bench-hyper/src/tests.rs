//! Tests of the command line of the bench-only hyper server.
#![allow(clippy::unwrap_used, reason = "tests unwrap on values they construct")]

use super::*;

fn args(list: &[&str]) -> impl Iterator<Item = String> {
    std::iter::once("ossd-bench-hyper".to_owned()).chain(list.iter().map(|s| (*s).to_owned()))
}

#[test]
fn listen_takes_a_separate_or_joined_value() {
    let want: SocketAddr = "127.0.0.1:18080".parse().unwrap();
    assert_eq!(listen_addr(args(&["--listen", "127.0.0.1:18080"])).unwrap(), want);
    assert_eq!(listen_addr(args(&["--listen=127.0.0.1:18080"])).unwrap(), want);
}

#[test]
fn bad_command_lines_are_refused() {
    assert!(matches!(listen_addr(args(&[])), Err(StartError::Usage(_))));
    assert!(matches!(listen_addr(args(&["--listen"])), Err(StartError::Usage(_))));
    assert!(matches!(listen_addr(args(&["--listen", "nowhere"])), Err(StartError::Usage(_))));
    assert!(matches!(listen_addr(args(&["--port", "1"])), Err(StartError::Usage(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn answers_200_to_anything() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"OPTIONS /any/thing?x=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(out.to_ascii_lowercase().contains("content-length: 0"), "{out}");
}
