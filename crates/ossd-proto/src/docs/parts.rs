//! Pieces several documents share: the `<Owner>` of listings and ACLs, `<CommonPrefixes>`, and
//! booleans as OSS writes them.

use super::encoding::url_encode;
use crate::xml::XmlWriter;

/// `true` / `false`, as OSS writes a boolean element.
pub(crate) fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

/// `<Owner><ID>id</ID><DisplayName>id</DisplayName></Owner>`: ossd's display name is the id.
pub(crate) fn owner(w: &mut XmlWriter, id: &str) {
    w.open("Owner");
    w.elem("ID", id);
    w.elem("DisplayName", id);
    w.close("Owner");
}

/// One `<CommonPrefixes><Prefix>p</Prefix></CommonPrefixes>` per rolled-up prefix, encoded when
/// the listing is.
pub(crate) fn common_prefixes<S: AsRef<str>>(w: &mut XmlWriter, prefixes: &[S], url: bool) {
    for p in prefixes {
        w.open("CommonPrefixes");
        w.elem("Prefix", &url_encode(p.as_ref(), url));
        w.close("CommonPrefixes");
    }
}
