//! Settings documents: small node-wide configuration kept in the metadata, so that every node
//! sharing it (PostgreSQL) sees the same documents (the server keeps its access keys there).
//! A document is opaque bytes under a name; changes are announced by [`crate::MetaChange`].

use crate::{Store, StoreError};

/// A change of a settings document: the document as stored (`None`: absent) to the one to store
/// (`None`: leave it).
pub type SettingChange<'f> = &'f mut dyn FnMut(Option<&[u8]>) -> Option<Vec<u8>>;

impl Store {
    /// The settings document `name`, if stored.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.view()?.setting(name)
    }

    /// Reads the document `name`, hands it to `f` and stores what `f` returns, in one
    /// transaction (`f` returning `None` stores nothing). `f` may run more than once when the
    /// transaction loses a race with another node. Returns the document as it is afterwards.
    /// Unlike the bucket changes it does not wait for the other nodes to apply the change: call
    /// [`Store::settle_config`] after it, outside any lock the node's feed handling takes.
    pub fn modify_setting(
        &self,
        name: &str,
        f: SettingChange<'_>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        self.write(|w| {
            let old = w.t.setting(name)?;
            match f(old.as_deref()) {
                Some(doc) => {
                    w.t.put_setting(name, &doc)?;
                    w.dirty = true;
                    Ok(Some(doc))
                }
                None => Ok(old),
            }
        })
    }
}
