//! The behaviour every metadata backend must show, as one suite over [`Metadata`]: run it with a
//! factory of fresh, empty instances (as Garage runs one `test_suite` per database backend).
//! Each case drives the backend only through [`Metadata::apply`] (group commit of op lists),
//! [`super::transact`] (a metadata update, which is no op of a group) and [`Metadata::view`];
//! blob files live in a [`MemBlobs`].

#![allow(clippy::unwrap_used, reason = "tests may unwrap (HELPER-RULES)")]

use std::io::Write;
use std::sync::Arc;

use super::Metadata;
use crate::blob::{BlobBackend, MemBlobs};
use crate::group::BatchResult;
use crate::record::{InlineBytes, ListQuery, ListUploadsQuery};
use crate::writer::{Op, OpOutput};
use crate::*;

/// A fresh, empty backend.
pub(crate) type Factory<'a> = &'a dyn Fn() -> Arc<dyn Metadata>;

/// Runs every case, each on a fresh instance from `make`.
pub(crate) fn suite(make: Factory<'_>) {
    buckets(&Env::new(make));
    objects_and_overwrite(&Env::new(make));
    metadata_updates(&Env::new(make));
    appends(&Env::new(make));
    uploads_and_parts(&Env::new(make));
    listing(&Env::new(make));
    stats(&Env::new(make));
    reference_counts(&Env::new(make));
    a_failing_op_leaves_its_neighbours_applied(&Env::new(make));
    views_are_snapshots(&Env::new(make));
    versioning(&Env::new(make));
    suspended_versioning(&Env::new(make));
    settings_documents(&Env::new(make));
}

struct Env {
    meta: Arc<dyn Metadata>,
    blobs: MemBlobs,
}

impl Env {
    fn new(make: Factory<'_>) -> Env {
        Env { meta: make(), blobs: MemBlobs::default() }
    }

    /// Applies several requests in one transaction: their results and the blob files left
    /// unreferenced.
    fn apply_group(&self, requests: &[Vec<Op>]) -> (Vec<BatchResult>, Vec<BlobId>) {
        let requests: Vec<&[Op]> = requests.iter().map(Vec::as_slice).collect();
        self.meta.apply(&self.blobs, &requests).unwrap()
    }

    /// Applies one request; its per-op results and the unreferenced blob files.
    fn apply(&self, ops: Vec<Op>) -> (Vec<Result<OpOutput, StoreError>>, Vec<BlobId>) {
        let (mut results, doomed) = self.apply_group(&[ops]);
        (results.pop().unwrap().unwrap(), doomed)
    }

    /// Applies one op that must succeed; its output.
    fn ok(&self, op: Op) -> OpOutput {
        self.apply(vec![op]).0.pop().unwrap().unwrap()
    }

    /// Applies one op that must fail; its error.
    fn err(&self, op: Op) -> StoreError {
        match self.apply(vec![op]).0.pop().unwrap() {
            Ok(_) => panic!("the op succeeded"),
            Err(e) => e,
        }
    }

    /// A committed blob file holding `data`.
    fn blob(&self, data: &[u8]) -> Blob {
        let id = BlobId::generate(1);
        let mut sink = self.blobs.create(&id).unwrap();
        sink.write_all(data).unwrap();
        sink.commit().unwrap();
        Blob {
            id,
            size: data.len() as u64,
            md5: [0; 16],
            crc64: crc64::checksum(data),
            inline: InlineBytes::default(),
        }
    }

    fn view_object(&self, bucket: &str, key: &str) -> Option<ObjectRecord> {
        self.meta.view().unwrap().object(bucket, key).unwrap()
    }

    fn refs(&self, blob: &Blob) -> u64 {
        self.meta.view().unwrap().ref_count(&blob.id).unwrap()
    }
}

fn bucket(name: &str) -> BucketRecord {
    BucketRecord { name: name.to_owned(), owner: "o".to_owned(), ..BucketRecord::default() }
}

fn create_bucket(name: &str) -> Op {
    Op::CreateBucket { rec: bucket(name) }
}

fn object(key: &str, blobs: &[&Blob]) -> ObjectRecord {
    ObjectRecord {
        key: key.to_owned(),
        size: blobs.iter().map(|b| b.size).sum(),
        etag: format!("\"{key}\""),
        segments: blobs.iter().map(|b| Segment { blob: b.id.clone(), len: b.size }).collect(),
        ..ObjectRecord::default()
    }
}

fn put(bucket: &str, rec: ObjectRecord, overwrite: Overwrite) -> Op {
    Op::PutObject { bucket: bucket.to_owned(), rec, new: Vec::new(), overwrite }
}

fn delete(bucket: &str, key: &str) -> Op {
    Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned(), version: None }
}

fn replaced(out: OpOutput) -> Option<ObjectRecord> {
    match out {
        OpOutput::Written(w) => w.replaced,
        _ => panic!("not a Replaced output"),
    }
}

fn upload(key: &str, id: &str) -> UploadRecord {
    UploadRecord {
        upload_id: id.to_owned(),
        key: key.to_owned(),
        initiated_ms: 1,
        template: ObjectRecord { key: key.to_owned(), ..ObjectRecord::default() },
    }
}

fn part(number: u32, blob: &Blob) -> PartRecord {
    PartRecord { number, blob: blob.clone(), etag: format!("\"p{number}\""), last_modified_ms: 2 }
}

fn buckets(env: &Env) {
    env.ok(create_bucket("b2"));
    env.ok(create_bucket("b1"));
    assert!(matches!(env.err(create_bucket("b1")), StoreError::BucketExists));
    let names: Vec<String> =
        env.meta.view().unwrap().buckets().unwrap().into_iter().map(|b| b.name).collect();
    assert_eq!(names, ["b1", "b2"]);

    // Update: the ACL and the configuration documents are part of the record.
    let mut rec = bucket("b1");
    rec.acl = BucketAcl::PublicRead;
    rec.configs.insert("cors".to_owned(), "<CORSConfiguration/>".to_owned());
    env.ok(Op::UpdateBucket { rec: rec.clone() });
    assert_eq!(env.meta.view().unwrap().bucket("b1").unwrap(), Some(rec));
    assert!(matches!(env.err(Op::UpdateBucket { rec: bucket("nope") }), StoreError::NoSuchBucket));

    // A bucket with an object, or with an unfinished upload, is not deleted.
    let blob = env.blob(b"x");
    env.ok(put("b1", object("k", &[&blob]), Overwrite::Allow));
    assert!(matches!(env.err(Op::DeleteBucket { name: "b1".into() }), StoreError::BucketNotEmpty));
    env.ok(delete("b1", "k"));
    let up = upload("u", "id1");
    env.ok(Op::CreateUpload { bucket: "b1".into(), rec: up, overwrite: Overwrite::Allow });
    assert!(matches!(env.err(Op::DeleteBucket { name: "b1".into() }), StoreError::BucketNotEmpty));
    env.ok(Op::AbortUpload { bucket: "b1".into(), upload_id: "id1".into() });
    env.ok(Op::DeleteBucket { name: "b1".into() });
    let view = env.meta.view().unwrap();
    assert_eq!(view.bucket("b1").unwrap(), None);
    assert!(!view.bucket_exists("b1").unwrap() && view.bucket_exists("b2").unwrap());
    assert_eq!(view.stats("b1").unwrap(), None);
    assert!(matches!(env.err(Op::DeleteBucket { name: "b1".into() }), StoreError::NoSuchBucket));
}

fn objects_and_overwrite(env: &Env) {
    env.ok(create_bucket("b"));
    let (v1, v2, v3) = (env.blob(b"one"), env.blob(b"two"), env.blob(b"three"));
    assert_eq!(replaced(env.ok(put("b", object("k", &[&v1]), Overwrite::Allow))), None);
    assert_eq!(env.view_object("b", "k"), Some(object("k", &[&v1])));

    // An overwrite returns the old record, and the old blob is left unreferenced.
    let (mut out, doomed) = env.apply(vec![put("b", object("k", &[&v2]), Overwrite::Allow)]);
    assert_eq!(replaced(out.pop().unwrap().unwrap()), Some(object("k", &[&v1])));
    assert_eq!(doomed, std::slice::from_ref(&v1.id));
    assert_eq!(env.refs(&v1), 0);

    // Forbid: refused on a taken key (nothing changes), accepted on a free one.
    assert!(matches!(
        env.err(put("b", object("k", &[&v3]), Overwrite::Forbid)),
        StoreError::ObjectExists
    ));
    assert_eq!(env.view_object("b", "k"), Some(object("k", &[&v2])));
    env.ok(put("b", object("k2", &[&v3]), Overwrite::Forbid));

    assert!(matches!(
        env.err(put("nope", object("k", &[&v3]), Overwrite::Allow)),
        StoreError::NoSuchBucket
    ));

    // Delete returns the record and leaves its blob unreferenced; a missing key is not an error.
    let (mut out, doomed) = env.apply(vec![delete("b", "k")]);
    assert_eq!(replaced(out.pop().unwrap().unwrap()), Some(object("k", &[&v2])));
    assert_eq!(doomed, std::slice::from_ref(&v2.id));
    assert_eq!(env.view_object("b", "k"), None);
    assert_eq!(replaced(env.ok(delete("b", "k"))), None);
    assert!(matches!(env.err(delete("nope", "k")), StoreError::NoSuchBucket));

    // A record naming a blob that exists nowhere fails the whole transaction.
    let ghost = Blob { id: BlobId::generate(1), ..v3.clone() };
    let requests = [vec![put("b", object("g", &[&ghost]), Overwrite::Allow)]];
    let refs: Vec<&[Op]> = requests.iter().map(Vec::as_slice).collect();
    assert!(env.meta.apply(&env.blobs, &refs).is_err());
    assert_eq!(env.view_object("b", "g"), None);
}

/// `update_object` is not an op of a group: it runs the writer in a transaction of its own.
fn metadata_updates(env: &Env) {
    env.ok(create_bucket("b"));
    let blob = env.blob(b"body");
    env.ok(put("b", object("k", &[&blob]), Overwrite::Allow));
    let update = |key: &str| {
        let key = key.to_owned();
        super::transact(&*env.meta, &env.blobs, &mut |w| {
            w.update_object("b", &key, None, &mut |r| {
                r.acl = ObjectAcl::PublicRead;
                r.storage_class = StorageClass::Archive;
                // What the bytes decide is kept whatever the update says.
                r.size = 99;
                r.object_type = ObjectType::Appendable;
            })
        })
    };
    let (rec, doomed) = update("k");
    let rec = rec.unwrap();
    assert!(doomed.is_empty());
    assert_eq!((rec.acl, rec.storage_class), (ObjectAcl::PublicRead, StorageClass::Archive));
    assert_eq!((rec.size, rec.object_type), (4, ObjectType::Normal));
    assert_eq!(env.view_object("b", "k"), Some(rec));
    let stats = env.meta.view().unwrap().stats("b").unwrap().unwrap();
    assert_eq!(stats.by_storage_class.keys().copied().collect::<Vec<_>>(), [StorageClass::Archive]);
    assert!(matches!(update("missing").0, Err(StoreError::NoSuchKey)));
}

fn appends(env: &Env) {
    env.ok(create_bucket("b"));
    let append = |key: &str, position: u64, blob: &Blob| Op::AppendObject {
        bucket: "b".into(),
        key: key.into(),
        position,
        blob: blob.clone(),
        template: ObjectRecord { etag: "\"t\"".into(), ..ObjectRecord::default() },
    };
    let appended = |out: OpOutput| match out {
        OpOutput::Appended(r) => r,
        _ => panic!("not an Appended output"),
    };
    let (a, b, c) = (env.blob(b"abc"), env.blob(b"de"), env.blob(b"zz"));
    assert!(matches!(
        env.err(append("log", 1, &a)),
        StoreError::PositionNotEqualToLength { current: 0 }
    ));
    let rec = appended(env.ok(append("log", 0, &a)));
    assert_eq!((rec.size, rec.object_type), (3, ObjectType::Appendable));
    assert!(matches!(
        env.err(append("log", 2, &b)),
        StoreError::PositionNotEqualToLength { current: 3 }
    ));
    let rec = appended(env.ok(append("log", 3, &b)));
    assert_eq!(rec.size, 5);
    assert_eq!(rec.crc64, crc64::checksum(b"abcde"));
    assert_eq!(rec.segments.len(), 2);
    assert_eq!(env.view_object("b", "log"), Some(rec));

    env.ok(put("b", object("plain", &[&c]), Overwrite::Allow));
    assert!(matches!(env.err(append("plain", 2, &b)), StoreError::ObjectNotAppendable));
}

fn uploads_and_parts(env: &Env) {
    env.ok(create_bucket("b"));
    let create = |key: &str, id: &str, overwrite| Op::CreateUpload {
        bucket: "b".into(),
        rec: upload(key, id),
        overwrite,
    };
    let put_part =
        |id: &str, part: PartRecord| Op::PutPart { bucket: "b".into(), upload_id: id.into(), part };
    env.ok(create("obj", "u1", Overwrite::Allow));
    env.ok(create("other", "u2", Overwrite::Allow));
    let (p1, p1b, p2, p3) = (env.blob(b"11"), env.blob(b"1b"), env.blob(b"22"), env.blob(b"33"));
    env.ok(put_part("u1", part(1, &p1)));
    // Replacing a part leaves the old part's blob unreferenced.
    let (out, doomed) = env.apply(vec![put_part("u1", part(1, &p1b))]);
    assert!(out[0].is_ok());
    assert_eq!(doomed, std::slice::from_ref(&p1.id));
    env.ok(put_part("u1", part(2, &p2)));
    env.ok(put_part("u1", part(3, &p3)));
    assert!(matches!(env.err(put_part("nope", part(1, &p3))), StoreError::NoSuchUpload));

    let view = env.meta.view().unwrap();
    assert_eq!(view.upload("b", "u1").unwrap(), Some(upload("obj", "u1")));
    assert_eq!(view.upload("b", "zz").unwrap(), None);
    let numbers = |after, limit| -> Vec<u32> {
        view.parts("b", "u1", after, limit).unwrap().iter().map(|p| p.number).collect()
    };
    assert_eq!(numbers(0, 10), [1, 2, 3]);
    assert_eq!(numbers(1, 1), [2]);
    assert_eq!(numbers(3, 10), Vec::<u32>::new());
    assert_eq!(view.parts("b", "u1", 0, 10).unwrap()[0].blob.id, p1b.id);
    let q = ListUploadsQuery { max_uploads: 10, ..ListUploadsQuery::default() };
    let page = view.list_uploads("b", &q).unwrap();
    let listed: Vec<(&str, &str)> =
        page.uploads.iter().map(|u| (u.key.as_str(), u.upload_id.as_str())).collect();
    assert_eq!(listed, [("obj", "u1"), ("other", "u2")]);
    drop(view);

    // Complete with parts 1 and 2: the object appears, the upload and its parts go, and the
    // unused part's blob is left unreferenced.
    let rec = object("ignored: the upload's key wins", &[&p1b, &p2]);
    let complete = Op::CompleteUpload {
        bucket: "b".into(),
        upload_id: "u1".into(),
        rec,
        overwrite: Overwrite::Allow,
    };
    let (out, doomed) = env.apply(vec![complete]);
    assert!(out[0].is_ok());
    assert_eq!(doomed, std::slice::from_ref(&p3.id));
    let done = env.view_object("b", "obj").unwrap();
    assert_eq!((done.key.as_str(), done.size), ("obj", 4));
    let view = env.meta.view().unwrap();
    assert_eq!(view.upload("b", "u1").unwrap(), None);
    assert_eq!(view.parts("b", "u1", 0, 10).unwrap(), []);
    assert_eq!((view.ref_count(&p1b.id).unwrap(), view.ref_count(&p2.id).unwrap()), (1, 1));
    drop(view);

    let abort = |id: &str| Op::AbortUpload { bucket: "b".into(), upload_id: id.into() };
    let p4 = env.blob(b"44");
    env.ok(put_part("u2", part(7, &p4)));
    let (out, doomed) = env.apply(vec![abort("u2")]);
    assert!(out[0].is_ok());
    assert_eq!(doomed, std::slice::from_ref(&p4.id));
    assert!(matches!(env.err(abort("u2")), StoreError::NoSuchUpload));
    let complete_gone = Op::CompleteUpload {
        bucket: "b".into(),
        upload_id: "u2".into(),
        rec: object("other", &[]),
        overwrite: Overwrite::Allow,
    };
    assert!(matches!(env.err(complete_gone), StoreError::NoSuchUpload));
    // Forbid: no upload is created for a taken key.
    assert!(matches!(env.err(create("obj", "u3", Overwrite::Forbid)), StoreError::ObjectExists));
}

fn listing(env: &Env) {
    env.ok(create_bucket("b"));
    env.ok(create_bucket("c"));
    let blob = env.blob(b"x");
    for key in ["a/1", "a/2", "b", "c/x/y", "d"] {
        env.ok(put("b", object(key, &[&blob]), Overwrite::Allow));
    }
    env.ok(put("c", object("other bucket", &[&blob]), Overwrite::Allow));
    let view = env.meta.view().unwrap();
    let list = |prefix: &str, delimiter: &str, marker: &str, max_keys| {
        let q = ListQuery {
            prefix: prefix.into(),
            delimiter: delimiter.into(),
            marker: marker.into(),
            max_keys,
            include_markers: false,
        };
        let (page, _) = view.list_objects("b", &q).unwrap();
        let keys: Vec<String> = page.objects.iter().map(|o| o.key.clone()).collect();
        (keys, page.common_prefixes, page.is_truncated, page.next_marker)
    };
    assert_eq!(
        list("", "/", "", 2),
        (vec!["b".to_owned()], vec!["a/".to_owned()], true, Some("b".to_owned()))
    );
    assert_eq!(list("", "/", "b", 2), (vec!["d".to_owned()], vec!["c/".to_owned()], false, None));
    // A marker inside a rolled-up prefix skips the rest of it.
    assert_eq!(list("", "/", "a/1", 1), (vec!["b".to_owned()], vec![], true, Some("b".into())));
    assert_eq!(list("a/", "", "a/1", 10).0, ["a/2"]);
    assert_eq!(list("", "", "", 100).0, ["a/1", "a/2", "b", "c/x/y", "d"]);
    assert_eq!(list("c/", "/", "", 10).1, ["c/x/"]);
    assert_eq!(list("", "", "", 0), (vec![], vec![], false, None));
    drop(view);

    for (key, id) in [("m/1", "u1"), ("m/2", "u2"), ("n", "u3"), ("n", "u4")] {
        let rec = upload(key, id);
        env.ok(Op::CreateUpload { bucket: "b".into(), rec, overwrite: Overwrite::Allow });
    }
    let view = env.meta.view().unwrap();
    let q =
        ListUploadsQuery { delimiter: "/".into(), max_uploads: 2, ..ListUploadsQuery::default() };
    let page = view.list_uploads("b", &q).unwrap();
    assert_eq!(page.common_prefixes, ["m/"]);
    assert_eq!(page.uploads.iter().map(|u| u.upload_id.as_str()).collect::<Vec<_>>(), ["u3"]);
    assert!(page.is_truncated);
    assert_eq!(
        (page.next_key_marker.as_deref(), page.next_upload_id_marker.as_deref()),
        (Some("n"), Some("u3"))
    );
    let q = ListUploadsQuery {
        key_marker: "n".into(),
        upload_id_marker: "u3".into(),
        max_uploads: 10,
        ..ListUploadsQuery::default()
    };
    let page = view.list_uploads("b", &q).unwrap();
    assert_eq!(page.uploads.iter().map(|u| u.upload_id.as_str()).collect::<Vec<_>>(), ["u4"]);
}

fn stats(env: &Env) {
    env.ok(create_bucket("b"));
    let counts = |env: &Env| {
        let s = env.meta.view().unwrap().stats("b").unwrap().unwrap();
        let classes: Vec<(StorageClass, u64, u64)> =
            s.by_storage_class.iter().map(|(c, v)| (*c, v.object_count, v.storage_bytes)).collect();
        (
            s.object_count,
            s.storage_bytes,
            s.multipart_upload_count,
            s.part_count,
            s.part_bytes,
            classes,
        )
    };
    assert_eq!(counts(env), (0, 0, 0, 0, 0, vec![]));
    let (a, b) = (env.blob(b"12345"), env.blob(b"123"));
    env.ok(put("b", object("a", &[&a]), Overwrite::Allow));
    let mut ia = object("b", &[&b]);
    ia.storage_class = StorageClass::IA;
    env.ok(put("b", ia, Overwrite::Allow));
    assert_eq!(
        counts(env),
        (2, 8, 0, 0, 0, vec![(StorageClass::IA, 1, 3), (StorageClass::Standard, 1, 5)])
    );
    // (Counters by class are ordered by spelling.) Overwrite "a" with the IA blob: Standard empties and leaves the map.
    let mut again = object("a", &[&b]);
    again.storage_class = StorageClass::IA;
    env.ok(put("b", again, Overwrite::Allow));
    assert_eq!(counts(env), (2, 6, 0, 0, 0, vec![(StorageClass::IA, 2, 6)]));
    env.ok(delete("b", "a"));
    assert_eq!(counts(env), (1, 3, 0, 0, 0, vec![(StorageClass::IA, 1, 3)]));

    let rec = upload("m", "u");
    env.ok(Op::CreateUpload { bucket: "b".into(), rec, overwrite: Overwrite::Allow });
    let p = env.blob(b"pp");
    env.ok(Op::PutPart { bucket: "b".into(), upload_id: "u".into(), part: part(1, &p) });
    let c = counts(env);
    assert_eq!((c.2, c.3, c.4), (1, 1, 2));
    env.ok(Op::AbortUpload { bucket: "b".into(), upload_id: "u".into() });
    assert_eq!(counts(env), (1, 3, 0, 0, 0, vec![(StorageClass::IA, 1, 3)]));
}

fn reference_counts(env: &Env) {
    env.ok(create_bucket("b"));
    let shared = env.blob(b"shared");
    env.ok(put("b", object("one", &[&shared]), Overwrite::Allow));
    env.ok(put("b", object("two", &[&shared, &shared]), Overwrite::Allow));
    assert_eq!(env.refs(&shared), 3);
    let (_, doomed) = env.apply(vec![delete("b", "two")]);
    assert!(doomed.is_empty());
    assert_eq!(env.refs(&shared), 1);
    let (_, doomed) = env.apply(vec![delete("b", "one")]);
    assert_eq!(doomed, std::slice::from_ref(&shared.id));
    assert_eq!(env.refs(&shared), 0);

    // An inline blob's bytes are stored with its first reference and leave with its last.
    let bytes: Arc<[u8]> = Arc::from(&b"inline"[..]);
    let inline = Blob {
        id: BlobId::generate_inline(1),
        size: 6,
        md5: [0; 16],
        crc64: crc64::checksum(b"inline"),
        inline: InlineBytes(Some(Arc::clone(&bytes))),
    };
    let rec = object("i", &[&inline]);
    let op = Op::PutObject {
        bucket: "b".into(),
        rec,
        new: vec![inline.clone()],
        overwrite: Overwrite::Allow,
    };
    env.ok(op);
    let mut seen = Vec::new();
    assert!(env.meta.view().unwrap().inline(&inline.id, &mut |b| seen = b.to_vec()).unwrap());
    assert_eq!(seen, b"inline");
    let (_, doomed) = env.apply(vec![delete("b", "i")]);
    assert!(doomed.is_empty(), "inline bytes go with the transaction, not as a file");
    assert!(!env.meta.view().unwrap().inline(&inline.id, &mut |_| {}).unwrap());
}

fn a_failing_op_leaves_its_neighbours_applied(env: &Env) {
    env.ok(create_bucket("b"));
    let (x, y) = (env.blob(b"x"), env.blob(b"y"));
    let (mut results, doomed) = env.apply_group(&[
        vec![
            put("b", object("k1", &[&x]), Overwrite::Allow),
            put("nope", object("k", &[&y]), Overwrite::Allow),
            put("b", object("k2", &[&x]), Overwrite::Allow),
        ],
        vec![put("b", object("k1", &[&y]), Overwrite::Forbid)],
    ]);
    let second = results.pop().unwrap().unwrap();
    let first = results.pop().unwrap().unwrap();
    assert!(first[0].is_ok() && first[2].is_ok());
    assert!(matches!(first[1], Err(StoreError::NoSuchBucket)));
    assert!(matches!(second[0], Err(StoreError::ObjectExists)));
    // The blob handed to the failed ops and referenced by none is left unreferenced.
    assert_eq!(doomed, std::slice::from_ref(&y.id));
    assert_eq!(env.view_object("b", "k1"), Some(object("k1", &[&x])));
    assert_eq!(env.view_object("b", "k2"), Some(object("k2", &[&x])));
    assert_eq!(env.refs(&x), 2);
}

fn views_are_snapshots(env: &Env) {
    env.ok(create_bucket("b"));
    let before = env.meta.view().unwrap();
    let blob = env.blob(b"v");
    env.ok(put("b", object("k", &[&blob]), Overwrite::Allow));
    env.ok(create_bucket("c"));
    // The view taken before the commits sees none of them, in any table.
    assert_eq!(before.object("b", "k").unwrap(), None);
    assert!(!before.bucket_exists("c").unwrap());
    assert_eq!(before.ref_count(&blob.id).unwrap(), 0);
    assert_eq!(before.stats("b").unwrap().unwrap().object_count, 0);
    let q = ListQuery { max_keys: 10, ..ListQuery::default() };
    assert!(before.list_objects("b", &q).unwrap().0.objects.is_empty());
    // A view taken after sees all of them.
    let after = env.meta.view().unwrap();
    assert_eq!(after.object("b", "k").unwrap(), Some(object("k", &[&blob])));
    assert!(after.bucket_exists("c").unwrap());
    assert_eq!(after.stats("b").unwrap().unwrap().object_count, 1);
}

fn versioned_bucket(name: &str, status: &str) -> Op {
    let mut rec = bucket(name);
    rec.configs.insert(version::VERSIONING_CONFIG.to_owned(), status.to_owned());
    Op::UpdateBucket { rec }
}

fn written(out: OpOutput) -> Written {
    match out {
        OpOutput::Written(w) => w,
        _ => panic!("not a Written output"),
    }
}

fn delete_version(bucket: &str, key: &str, id: &str) -> Op {
    let version = Some(VersionSel::parse(id).unwrap());
    Op::DeleteObject { bucket: bucket.to_owned(), key: key.to_owned(), version }
}

impl Env {
    /// Version ids of the noncurrent versions of `key`, newest first.
    fn noncurrent(&self, bucket: &str, key: &str) -> Vec<String> {
        let view = self.meta.view().unwrap();
        let versions = view.versions(bucket, key, None, 100).unwrap();
        versions.iter().map(|v| v.version_label().to_owned()).collect()
    }

    fn stats_of(&self, bucket: &str) -> BucketStats {
        self.meta.view().unwrap().stats(bucket).unwrap().unwrap()
    }
}

/// Enabled: every write is a new version, the old current one stays as noncurrent (with its
/// blobs referenced); a delete without version adds a marker; removing the current version
/// promotes the newest noncurrent one; blobs go when no version names them.
fn versioning(env: &Env) {
    env.ok(create_bucket("v"));
    let (a, b) = (env.blob(b"first"), env.blob(b"second!"));
    // An object written before versioning becomes the null version.
    env.ok(put("v", object("k", &[&a]), Overwrite::Allow));
    env.ok(versioned_bucket("v", "Enabled"));
    let w1 = written(env.ok(put("v", object("k", &[&b]), Overwrite::Allow)));
    let v1 = w1.version_id.clone().unwrap();
    assert_eq!(v1.len(), 64);
    assert!(v1.bytes().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(w1.replaced.unwrap().version_label(), "null");
    // forbid-overwrite has no effect in a versioned bucket.
    let w2 = written(env.ok(put("v", object("k", &[&a]), Overwrite::Forbid)));
    let v2 = w2.version_id.unwrap();
    assert_ne!(v1, v2);
    assert_eq!(env.view_object("v", "k").unwrap().version_label(), v2);
    assert_eq!(env.noncurrent("v", "k"), vec![v1.clone(), "null".to_owned()]);
    assert_eq!((env.refs(&a), env.refs(&b)), (2, 1));
    // Paging through the noncurrent versions by order.
    let view = env.meta.view().unwrap();
    let first = view.versions("v", "k", None, 1).unwrap();
    let rest = view.versions("v", "k", Some(version::order_of(first[0].seq)), 10).unwrap();
    assert_eq!(rest.len(), 1);
    assert!(rest[0].is_null_version());
    drop(view);
    // A delete without version adds a marker; ListObjects no longer shows the key.
    let m = written(env.ok(delete("v", "k")));
    assert!(m.delete_marker);
    let marker_id = m.version_id.unwrap();
    let current = env.view_object("v", "k").unwrap();
    assert!(current.delete_marker);
    assert_eq!(current.version_label(), marker_id);
    let view = env.meta.view().unwrap();
    let mut q = ListQuery { max_keys: 10, ..ListQuery::default() };
    assert!(view.list_objects("v", &q).unwrap().0.objects.is_empty());
    q.include_markers = true;
    assert_eq!(view.list_objects("v", &q).unwrap().0.objects.len(), 1);
    drop(view);
    let stats = env.stats_of("v");
    assert_eq!((stats.object_count, stats.delete_marker_count), (3, 1));
    assert_eq!(stats.storage_bytes, 5 + 7 + 5);
    // A bucket holding versions is not empty.
    assert!(matches!(env.err(Op::DeleteBucket { name: "v".into() }), StoreError::BucketNotEmpty));
    // Removing the current marker makes the newest version current again.
    let r = written(env.ok(delete_version("v", "k", &marker_id)));
    assert!(r.delete_marker);
    assert_eq!(env.view_object("v", "k").unwrap().version_label(), v2);
    assert_eq!(env.noncurrent("v", "k"), vec![v1.clone(), "null".to_owned()]);
    // Removing a noncurrent version releases its blob; the one still named stays.
    let (_, doomed) = env.apply(vec![delete_version("v", "k", &v1)]);
    assert_eq!(doomed, vec![b.id.clone()]);
    assert_eq!(env.refs(&b), 0);
    let (_, doomed) = env.apply(vec![delete_version("v", "k", "null")]);
    assert!(doomed.is_empty());
    assert_eq!(env.refs(&a), 1);
    // A version that does not exist: nothing happens.
    let none = written(env.ok(delete_version("v", "k", &v1)));
    assert!(none.replaced.is_none());
    // Metadata updates reach a noncurrent version by id.
    let w3 = written(env.ok(put("v", object("k", &[&b]), Overwrite::Allow)));
    let sel = VersionSel::parse(&v2).unwrap();
    let (r, _) = super::transact(&*env.meta, &env.blobs, &mut |w| {
        w.update_object("v", "k", Some(&sel), &mut |r| r.acl = ObjectAcl::PublicRead)
    });
    assert_eq!(r.unwrap().version_label(), v2);
    let view = env.meta.view().unwrap();
    let old = view.versions("v", "k", None, 1).unwrap();
    assert_eq!((old[0].version_label(), old[0].acl), (v2.as_str(), ObjectAcl::PublicRead));
    assert_eq!(view.object("v", "k").unwrap().unwrap().version_id, w3.version_id);
    drop(view);
    // A delete marker under a prefix hides the prefix from ListObjects.
    env.ok(put("v", object("d/x", &[&a]), Overwrite::Allow));
    env.ok(delete("v", "d/x"));
    let view = env.meta.view().unwrap();
    let q = ListQuery { delimiter: "/".into(), max_keys: 10, ..ListQuery::default() };
    let (page, _) = view.list_objects("v", &q).unwrap();
    assert!(page.common_prefixes.is_empty());
    assert_eq!(page.objects.len(), 1);
}

/// Suspended: writes and deletes replace the null version wherever it is; other versions stay.
fn suspended_versioning(env: &Env) {
    env.ok(create_bucket("s"));
    env.ok(versioned_bucket("s", "Enabled"));
    let (a, b, c) = (env.blob(b"a"), env.blob(b"bb"), env.blob(b"ccc"));
    let v1 = written(env.ok(put("s", object("k", &[&a]), Overwrite::Allow))).version_id.unwrap();
    env.ok(versioned_bucket("s", "Suspended"));
    let n = written(env.ok(put("s", object("k", &[&b]), Overwrite::Allow)));
    assert_eq!(n.version_id.as_deref(), Some("null"));
    assert_eq!(env.noncurrent("s", "k"), vec![v1.clone()]);
    // The null version is replaced, its blob released.
    let (_, doomed) = env.apply(vec![put("s", object("k", &[&c]), Overwrite::Allow)]);
    assert_eq!(doomed, vec![b.id.clone()]);
    assert_eq!(env.noncurrent("s", "k"), vec![v1.clone()]);
    // A delete replaces the null version with a null marker.
    let m = written(env.ok(delete("s", "k")));
    assert_eq!((m.version_id.as_deref(), m.delete_marker), (Some("null"), true));
    assert_eq!(env.refs(&c), 0);
    assert_eq!(env.noncurrent("s", "k"), vec![v1.clone()]);
    // Enabled again: the null marker becomes noncurrent; a Suspended write later replaces it.
    env.ok(versioned_bucket("s", "Enabled"));
    let v3 = written(env.ok(put("s", object("k", &[&b]), Overwrite::Allow))).version_id.unwrap();
    assert_eq!(env.noncurrent("s", "k"), vec!["null".to_owned(), v1.clone()]);
    env.ok(versioned_bucket("s", "Suspended"));
    env.ok(put("s", object("k", &[&c]), Overwrite::Allow));
    assert_eq!(env.noncurrent("s", "k"), vec![v3, v1]);
    let stats = env.stats_of("s");
    assert_eq!((stats.object_count, stats.delete_marker_count), (3, 0));
}

#[test]
fn redb_passes_the_metadata_suite() {
    suite(&|| {
        let store = Store::open_in_memory().unwrap();
        Arc::clone(&store.inner.meta)
    });
}

#[test]
fn redb_on_a_file_passes_the_metadata_suite() {
    let dirs = std::sync::Mutex::new(Vec::new());
    suite(&|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        dirs.lock().unwrap().push(dir);
        Arc::clone(&store.inner.meta)
    });
}

/// Settings documents: absent until put, replaced by a put, independent by name, readable in the
/// transaction that wrote them, and untouched by a transaction that rolls back.
fn settings_documents(env: &Env) {
    assert_eq!(env.meta.view().unwrap().setting("access_keys").unwrap(), None);
    let put = |name: &'static str, doc: &'static [u8], commit: bool| {
        super::transact(&*env.meta, &env.blobs, &mut |w| {
            w.t.put_setting(name, doc)?;
            assert_eq!(w.t.setting(name)?.as_deref(), Some(doc));
            w.dirty = true;
            if commit { Ok(()) } else { Err(StoreError::NoSuchBucket) }
        })
        .0
    };
    put("access_keys", b"{\"version\":1}", true).unwrap();
    put("other", b"x", true).unwrap();
    let view = env.meta.view().unwrap();
    assert_eq!(view.setting("access_keys").unwrap().as_deref(), Some(&b"{\"version\":1}"[..]));
    drop(view);
    put("access_keys", b"second", true).unwrap();
    assert!(put("access_keys", b"rolled back", false).is_err());
    let view = env.meta.view().unwrap();
    assert_eq!(view.setting("access_keys").unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(view.setting("other").unwrap().as_deref(), Some(&b"x"[..]));
    assert_eq!(view.setting("missing").unwrap(), None);
}
