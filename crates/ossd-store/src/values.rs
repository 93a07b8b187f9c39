//! The typed values of the records: object type, object and bucket ACL, storage class, each
//! spelled as OSS spells it on the wire (`x-oss-object-type`, `x-oss-object-acl`, `x-oss-acl`,
//! `x-oss-storage-class`, `<StorageClass>`). A record stores the spelling itself, so the encoding
//! on disk is the one the earlier `String` fields had, byte for byte.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// A text that is not one of the spellings of a value type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {kind}")]
pub struct InvalidValue {
    /// What was being parsed, e.g. "storage class".
    pub kind: &'static str,
    /// The text given.
    pub value: String,
}

/// Defines an enum whose variants are spelled as given: `as_str`, `ALL`, `FromStr`, `Display`,
/// ordering by spelling, and serde as the spelling.
macro_rules! spelled_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal,
        { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The OSS spelling.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl FromStr for $name {
            type Err = InvalidValue;

            /// The value spelled exactly `s`.
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(InvalidValue { kind: $kind, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// Ordered by spelling, as the `String` it replaces was (a map keyed by it encodes alike).
        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.as_str().cmp(other.as_str())
            }
        }

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(SpellingVisitor::<$name>(std::marker::PhantomData))
            }
        }

        impl Spelled for $name {
            const KIND: &'static str = $kind;
        }
    };
}

/// A value type parsed from its spelling.
trait Spelled: FromStr<Err = InvalidValue> {
    const KIND: &'static str;
}

/// Deserializes a value type from its spelling without copying the text.
struct SpellingVisitor<T>(std::marker::PhantomData<T>);

impl<T: Spelled> Visitor<'_> for SpellingVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {}", T::KIND)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

spelled_enum! {
    /// How an object was made (`x-oss-object-type`); only appendable objects take appends.
    ObjectType, "object type", {
        /// Written by PutObject, PostObject or CopyObject.
        #[default]
        Normal => "Normal",
        /// Created by AppendObject.
        Appendable => "Appendable",
        /// Assembled by CompleteMultipartUpload.
        Multipart => "Multipart",
        /// A symbolic link (PutSymlink).
        Symlink => "Symlink",
    }
}

spelled_enum! {
    /// An object's canned ACL (`x-oss-object-acl`); `default` defers to the bucket's.
    ObjectAcl, "object ACL", {
        /// The bucket's ACL applies.
        #[default]
        Default => "default",
        /// Only the owner and those granted may read or write.
        Private => "private",
        /// Anyone may read.
        PublicRead => "public-read",
        /// Anyone may read and write.
        PublicReadWrite => "public-read-write",
    }
}

spelled_enum! {
    /// A bucket's canned ACL (`x-oss-acl`).
    BucketAcl, "bucket ACL", {
        /// Only the owner and those granted may read or write.
        #[default]
        Private => "private",
        /// Anyone may read.
        PublicRead => "public-read",
        /// Anyone may read and write.
        PublicReadWrite => "public-read-write",
    }
}

spelled_enum! {
    /// A storage class (`x-oss-storage-class`, `<StorageClass>`).
    StorageClass, "storage class", {
        /// Standard.
        #[default]
        Standard => "Standard",
        /// Infrequent access.
        IA => "IA",
        /// Archive.
        Archive => "Archive",
        /// Cold archive.
        ColdArchive => "ColdArchive",
        /// Deep cold archive.
        DeepColdArchive => "DeepColdArchive",
    }
}

impl StorageClass {
    /// The class whose spelling equals `s` ignoring ASCII case (OSS accepts `standard`).
    pub fn parse_ignore_case(s: &str) -> Result<StorageClass, InvalidValue> {
        StorageClass::ALL.iter().copied().find(|c| c.as_str().eq_ignore_ascii_case(s)).ok_or_else(
            || InvalidValue { kind: <StorageClass as Spelled>::KIND, value: s.to_owned() },
        )
    }
}
