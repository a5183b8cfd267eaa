//! The prefixes a deployment accepts, and which kind of code each one introduces.

use crate::code::{PaymentCode, Prefix};
use crate::key::CodeKey;
use crate::offline::OfflineCodec;
use crate::Error;

/// Every possible prefix, `00` to `99`.
const PREFIX_COUNT: usize = 100;

/// What a prefix says about the code that follows.
#[derive(Debug, Clone, Copy)]
pub enum CodeKind<'a> {
    /// An online code, to be looked up among the codes the server handed out.
    Online,
    /// An offline code, to be decoded with this codec.
    Offline(&'a OfflineCodec),
    /// A prefix this deployment does not use.
    UnknownPrefix,
}

/// Where a prefix points, indexed by the prefix value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Unknown,
    Online,
    /// An index into `PrefixTable::offline`.
    Offline(usize),
}

/// The online and offline prefixes of a deployment, with a prepared [`OfflineCodec`] for each
/// offline prefix (SPEC section 2.1).
///
/// Looking a code up is one array access. The table guarantees that no prefix is listed twice
/// and that online and offline prefixes never overlap.
#[derive(Debug)]
pub struct PrefixTable {
    entries: [Entry; PREFIX_COUNT],
    online: Vec<Prefix>,
    offline: Vec<OfflineCodec>,
}

impl PrefixTable {
    /// Builds the table from the online prefixes and the offline prefixes with their code keys.
    ///
    /// Refuses a prefix that appears twice in either list, or in both.
    pub fn new(online: Vec<Prefix>, offline: Vec<(Prefix, CodeKey)>) -> Result<Self, Error> {
        let mut entries = [Entry::Unknown; PREFIX_COUNT];
        for &prefix in &online {
            let entry = &mut entries[usize::from(prefix.get())];
            if *entry != Entry::Unknown {
                return Err(Error::DuplicatePrefix { prefix });
            }
            *entry = Entry::Online;
        }
        let mut codecs = Vec::with_capacity(offline.len());
        for (prefix, key) in &offline {
            let entry = &mut entries[usize::from(prefix.get())];
            match *entry {
                Entry::Unknown => *entry = Entry::Offline(codecs.len()),
                Entry::Online => {
                    return Err(Error::PrefixOnlineAndOffline { prefix: *prefix });
                }
                Entry::Offline(_) => return Err(Error::DuplicatePrefix { prefix: *prefix }),
            }
            codecs.push(OfflineCodec::new(*prefix, key));
        }
        Ok(PrefixTable {
            entries,
            online,
            offline: codecs,
        })
    }

    /// Says what kind of code `code` is, by its prefix.
    pub fn classify(&self, code: &PaymentCode) -> CodeKind<'_> {
        match self.entries[usize::from(code.prefix().get())] {
            Entry::Unknown => CodeKind::UnknownPrefix,
            Entry::Online => CodeKind::Online,
            Entry::Offline(index) => CodeKind::Offline(&self.offline[index]),
        }
    }

    /// The online prefixes, in the order they were configured.
    pub fn online_prefixes(&self) -> &[Prefix] {
        &self.online
    }

    /// The codecs of the offline prefixes, in the order they were configured.
    pub fn offline_codecs(&self) -> &[OfflineCodec] {
        &self.offline
    }

    /// The codec of an offline prefix, if `prefix` is one.
    pub fn offline_codec(&self, prefix: Prefix) -> Option<&OfflineCodec> {
        match self.entries[usize::from(prefix.get())] {
            Entry::Offline(index) => Some(&self.offline[index]),
            Entry::Unknown | Entry::Online => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DEFAULT_OFFLINE_PREFIX, DEFAULT_ONLINE_PREFIX};

    fn prefix(value: u8) -> Prefix {
        Prefix::new(value).unwrap()
    }

    fn code(text: &str) -> PaymentCode {
        PaymentCode::parse(text).unwrap()
    }

    fn default_table() -> PrefixTable {
        PrefixTable::new(
            vec![DEFAULT_ONLINE_PREFIX],
            vec![(DEFAULT_OFFLINE_PREFIX, CodeKey::generate())],
        )
        .unwrap()
    }

    #[test]
    fn codes_are_classified_by_their_prefix() {
        let table = default_table();
        assert!(matches!(
            table.classify(&code("801234567890123456")),
            CodeKind::Online
        ));
        match table.classify(&code("811234567890123456")) {
            CodeKind::Offline(codec) => assert_eq!(codec.prefix(), prefix(81)),
            other => panic!("expected an offline code, got {other:?}"),
        }
        assert!(matches!(
            table.classify(&code("821234567890123456")),
            CodeKind::UnknownPrefix
        ));
        assert!(matches!(
            table.classify(&code("001234567890123456")),
            CodeKind::UnknownPrefix
        ));
    }

    #[test]
    fn several_offline_prefixes_each_get_their_own_codec() {
        let table = PrefixTable::new(
            vec![prefix(80)],
            vec![
                (prefix(81), CodeKey::generate()),
                (prefix(82), CodeKey::generate()),
            ],
        )
        .unwrap();
        assert_eq!(table.online_prefixes(), &[prefix(80)]);
        assert_eq!(table.offline_codecs().len(), 2);
        assert_eq!(
            table.offline_codec(prefix(82)).unwrap().prefix(),
            prefix(82)
        );
        assert!(table.offline_codec(prefix(80)).is_none());
        assert!(table.offline_codec(prefix(99)).is_none());
    }

    #[test]
    fn a_prefix_both_online_and_offline_is_refused() {
        let error = PrefixTable::new(vec![prefix(81)], vec![(prefix(81), CodeKey::generate())])
            .unwrap_err();
        assert_eq!(error, Error::PrefixOnlineAndOffline { prefix: prefix(81) });
        assert!(error.to_string().contains("81"));
    }

    #[test]
    fn a_prefix_listed_twice_is_refused() {
        assert_eq!(
            PrefixTable::new(vec![prefix(80), prefix(80)], vec![]).unwrap_err(),
            Error::DuplicatePrefix { prefix: prefix(80) }
        );
        assert_eq!(
            PrefixTable::new(
                vec![],
                vec![
                    (prefix(5), CodeKey::generate()),
                    (prefix(5), CodeKey::generate())
                ]
            )
            .unwrap_err(),
            Error::DuplicatePrefix { prefix: prefix(5) }
        );
    }

    #[test]
    fn an_empty_table_knows_no_prefix() {
        let table = PrefixTable::new(vec![], vec![]).unwrap();
        assert!(matches!(
            table.classify(&code("801234567890123456")),
            CodeKind::UnknownPrefix
        ));
    }
}
