//! Unit tests of the client's pure parts: configuration, addressing, URLs, sizes. No traffic.

use super::http::{Client, Req};
use super::profile::{GlobalArgs, Profile, SignVersion, parse_ini};
use super::url::OssUrl;

fn args() -> GlobalArgs {
    GlobalArgs {
        endpoint: None,
        access_key_id: None,
        access_key_secret: None,
        region: None,
        sign_version: None,
        config_file: Some("/nonexistent/ossutilconfig".into()),
        profile: "default".into(),
        addressing_style: "auto".into(),
        output: "human".into(),
    }
}

#[test]
fn real_oss_endpoints_are_virtual_hosted_and_ip_endpoints_path_style() {
    let dir = tempfile::tempdir().expect("tmp");
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").expect("write");
    let mut a = args();
    a.config_file = Some(empty);
    a.region = Some("cn-hangzhou".into());
    a.access_key_id = Some("ak".into());
    a.access_key_secret = Some("sk".into());
    let p = Profile::resolve(&a).expect("resolves");
    assert_eq!(p.host, "oss-cn-hangzhou.aliyuncs.com");
    assert_eq!(p.sign_version, SignVersion::V4);
    let c = Client { profile: p };
    let (host, target) =
        c.target(&Req::new("GET", Some("bkt"), Some("a b/c")).q("uploadId", Some("x/y")), &[]);
    assert_eq!(host, "bkt.oss-cn-hangzhou.aliyuncs.com");
    assert_eq!(target, "/a%20b/c?uploadId=x%2Fy");

    a.endpoint = Some("http://127.0.0.1:9000/".into());
    a.region = None;
    let p = Profile::resolve(&a).expect("resolves");
    assert!(p.path_style);
    assert_eq!(p.sign_version, SignVersion::V1);
    let (host, target) =
        Client { profile: p }.target(&Req::new("GET", Some("bkt"), Some("k")), &[]);
    assert_eq!((host.as_str(), target.as_str()), ("127.0.0.1:9000", "/bkt/k"));

    a.endpoint = Some("https://oss-cn-beijing.aliyuncs.com".into());
    assert!(Profile::resolve(&a).is_err(), "no TLS: https is refused with a clear message");
    a.endpoint = None;
    a.sign_version = Some("v4".into());
    assert!(Profile::resolve(&a).is_err(), "V4 needs a region");
}

#[test]
fn ossutil_config_files_v2_and_v1() {
    let dir = tempfile::tempdir().expect("tmp");
    let f = dir.path().join("c");
    std::fs::write(
        &f,
        "# comment\n[default]\naccessKeyID = A1\naccess-key-secret = S1\nregion = cn-shanghai\n\n[profile dev]\naccess_key_id = A2\nAccessKeySecret = S2\nendpoint = 10.0.0.1:80\nsign-version = v1\n",
    )
    .expect("write");
    let mut a = args();
    a.config_file = Some(f.clone());
    let p = Profile::resolve(&a).expect("default profile");
    assert_eq!(p.credentials, Some(("A1".into(), "S1".into())));
    assert_eq!(
        (p.host.as_str(), p.region.as_str()),
        ("oss-cn-shanghai.aliyuncs.com", "cn-shanghai")
    );
    a.profile = "dev".into();
    let p = Profile::resolve(&a).expect("dev profile");
    assert_eq!(p.credentials, Some(("A2".into(), "S2".into())));
    assert_eq!((p.host.as_str(), p.sign_version), ("10.0.0.1:80", SignVersion::V1));
    // Flags win over the file.
    a.access_key_id = Some("F".into());
    assert_eq!(Profile::resolve(&a).expect("ok").credentials, Some(("F".into(), "S2".into())));

    let ini =
        parse_ini("[Credentials]\nendpoint = oss-cn-hangzhou.aliyuncs.com\naccessKeyID = X\n");
    assert_eq!(ini["Credentials"]["accesskeyid"], "X");
}

#[test]
fn urls_and_sizes() {
    assert_eq!(
        OssUrl::parse("oss://b/k/x").expect("ok"),
        OssUrl { bucket: "b".into(), key: "k/x".into() }
    );
    assert_eq!(OssUrl::parse("oss://b").expect("ok").key, "");
    assert!(OssUrl::parse("s3://b").is_err());
    assert!(OssUrl::parse("oss:///k").is_err());
    assert!(OssUrl::object("oss://b/").is_err());
    assert!(OssUrl::bucket("oss://b/k").is_err());
    use super::cp::parse_size;
    assert_eq!(parse_size("100M"), Ok(100 << 20));
    assert_eq!(parse_size("8Mi"), Ok(8 << 20));
    assert_eq!(parse_size("100KiB"), Ok(100 << 10));
    assert_eq!(parse_size("123"), Ok(123));
    assert!(parse_size("lots").is_err());
}
