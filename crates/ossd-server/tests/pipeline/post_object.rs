//! PostObject builds its object with the same template as every other writer: an object without
//! a storage class of its own takes its bucket's, and the form's fields carry the same settings
//! as PutObject's headers.

use crate::{Auth, Harness, code, header, text};
use http::StatusCode;

/// A `multipart/form-data` body of `fields` then the file part.
fn form(fields: &[(&str, &str)], file: &str) -> (String, String) {
    let boundary = "9431149156168";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An IA bucket anyone may write to (a form without a policy is anonymous).
async fn ia_bucket(h: &Harness) {
    let config =
        "<CreateBucketConfiguration><StorageClass>IA</StorageClass></CreateBucketConfiguration>";
    let r = h
        .call(Auth::V4, "PUT", Some("forms"), None)
        .header("x-oss-acl", "public-read-write")
        .body(config)
        .send()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", text(&r));
}

async fn post(h: &Harness, fields: &[(&str, &str)]) -> http::Response<bytes::Bytes> {
    let (content_type, body) = form(fields, "form data");
    h.call(Auth::Anonymous, "POST", Some("forms"), None)
        .header("content-type", &content_type)
        .body(body)
        .send()
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_upload_takes_the_bucket_class_and_the_fields_settings() {
    let h = Harness::new();
    ia_bucket(&h).await;
    let r = post(&h, &[("key", "plain.txt"), ("x-oss-meta-from", "form")]).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let head = h.call(Auth::V1, "HEAD", Some("forms"), Some("plain.txt")).send().await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        header(&head, "x-oss-storage-class"),
        Some("IA"),
        "the bucket's class, as PutObject"
    );
    assert_eq!(header(&head, "x-oss-meta-from"), Some("form"));
    assert_eq!(header(&head, "content-type"), Some("text/plain"), "the file part's type");
    let put = h.call(Auth::V1, "PUT", Some("forms"), Some("put.txt")).body(&b"x"[..]).send().await;
    assert_eq!(put.status(), StatusCode::OK);
    let head = h.call(Auth::V1, "HEAD", Some("forms"), Some("put.txt")).send().await;
    assert_eq!(header(&head, "x-oss-storage-class"), Some("IA"));
    // The same names as PutObject's headers: a class and a type of its own.
    let r = post(
        &h,
        &[
            ("key", "archived.bin"),
            ("x-oss-storage-class", "Archive"),
            ("x-oss-content-type", "application/x-demo"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT, "{}", text(&r));
    let head = h.call(Auth::V4, "HEAD", Some("forms"), Some("archived.bin")).send().await;
    assert_eq!(header(&head, "x-oss-storage-class"), Some("Archive"));
    assert_eq!(header(&head, "content-type"), Some("application/x-demo"));
    // And the same refusals.
    let r = post(&h, &[("key", "bad.bin"), ("x-oss-storage-class", "Warm")]).await;
    assert_eq!((r.status(), code(&r)), (StatusCode::BAD_REQUEST, "InvalidArgument".into()));
    let r = post(&h, &[("key", "plain.txt"), ("x-oss-forbid-overwrite", "true")]).await;
    assert_eq!((r.status(), code(&r)), (StatusCode::CONFLICT, "FileAlreadyExists".into()));
}
