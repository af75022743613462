//! Where an entry's metadata comes from ([`Origin`]): the FIDO MDS BLOB, a further BLOB the
//! operator configured with its own pinned roots, or a metadata statement file the operator
//! supplied. Every answer that names an entry carries its origin, so that an operator-provided
//! statement is never mistaken for FIDO-certified metadata.

use std::fmt;
use std::sync::Arc;

/// The source of one [`Entry`](super::Entry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Origin {
    /// The FIDO Alliance Metadata Service BLOB (the primary source, verified against the
    /// pinned MDS roots). The default: every entry a BLOB loader makes starts here.
    #[default]
    Mds,
    /// A further BLOB source the operator configured (e.g. a FIDO conformance endpoint),
    /// verified on its own against that source's pinned roots. `source` is its configured name.
    Blob { source: Arc<str> },
    /// A metadata statement file the operator supplied: not signed by anyone, never
    /// FIDO-certified, trusted only as far as the operator's policy says. `file` names it.
    Operator { file: Arc<str> },
}

impl Origin {
    /// `"mds"`, `"blob"` or `"operator"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Origin::Mds => "mds",
            Origin::Blob { .. } => "blob",
            Origin::Operator { .. } => "operator",
        }
    }
    /// The source name (`Blob`) or file (`Operator`); `None` for the MDS.
    pub fn source(&self) -> Option<&str> {
        match self {
            Origin::Mds => None,
            Origin::Blob { source } => Some(source),
            Origin::Operator { file } => Some(file),
        }
    }
    /// True for metadata a signed BLOB carried (the MDS or a configured BLOB source).
    pub fn is_signed_blob(&self) -> bool {
        matches!(self, Origin::Mds | Origin::Blob { .. })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source() {
            None => f.write_str(self.kind()),
            Some(source) => write!(f, "{}:{source}", self.kind()),
        }
    }
}
