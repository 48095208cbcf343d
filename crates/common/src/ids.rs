//! Hydra ids: the base64 REST ids (`ciscospark://<cluster>/<TYPE>/<uuid>`) and the raw UUIDs Mercury uses.
//!
//! Emitted without padding, accepted with or without (docs/webex.md §3.4). `PEOPLE` and
//! `ORGANIZATION` always use cluster `us`.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// The object kinds a hydra id can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HydraKind {
    Message,
    People,
    Room,
    AttachmentAction,
    Membership,
    Organization,
}

impl HydraKind {
    pub fn as_str(self) -> &'static str {
        match self {
            HydraKind::Message => "MESSAGE",
            HydraKind::People => "PEOPLE",
            HydraKind::Room => "ROOM",
            HydraKind::AttachmentAction => "ATTACHMENT_ACTION",
            HydraKind::Membership => "MEMBERSHIP",
            HydraKind::Organization => "ORGANIZATION",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "MESSAGE" => HydraKind::Message,
            "PEOPLE" => HydraKind::People,
            "ROOM" => HydraKind::Room,
            "ATTACHMENT_ACTION" => HydraKind::AttachmentAction,
            "MEMBERSHIP" => HydraKind::Membership,
            "ORGANIZATION" => HydraKind::Organization,
            _ => return None,
        })
    }
}

/// A decoded hydra id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HydraId {
    pub cluster: String,
    pub kind: HydraKind,
    pub uuid: String,
}

/// Builds the REST id for a Mercury UUID. `cluster` is `us` or e.g. `urn:TEAM:eu-central-1_k`.
pub fn encode(cluster: &str, kind: HydraKind, uuid: &str) -> String {
    let cluster = match kind {
        HydraKind::People | HydraKind::Organization => "us",
        _ => cluster,
    };
    STANDARD_NO_PAD.encode(format!("ciscospark://{cluster}/{}/{uuid}", kind.as_str()))
}

/// Decodes a REST id; `None` when it is not a hydra id.
pub fn decode(id: &str) -> Option<HydraId> {
    let trimmed = id.trim_end_matches('=');
    let bytes = STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("ciscospark://")?;
    // The cluster may itself contain ':' but never '/', so split from the left.
    let mut parts = rest.splitn(3, '/');
    let cluster = parts.next()?.to_owned();
    let kind = HydraKind::parse(parts.next()?)?;
    let uuid = parts.next()?.to_owned();
    if cluster.is_empty() || uuid.is_empty() {
        return None;
    }
    Some(HydraId {
        cluster,
        kind,
        uuid,
    })
}

/// The UUID inside a REST id, or the input itself when it already is a raw UUID. Used to compare
/// people across REST (hydra) and Mercury (UUID) forms.
pub fn to_uuid(id: &str) -> String {
    match decode(id) {
        Some(h) => h.uuid,
        None => id.to_owned(),
    }
}

/// Maps a U2C cluster id (`urn:TEAM:us-east-2_a:conversation`) to the cluster part of a hydra id.
pub fn cluster_from_catalog_id(catalog_id: &str) -> String {
    if catalog_id.starts_with("urn:TEAM:us-east-2_a")
        || catalog_id.starts_with("urn:TEAM:us-east-1_int13")
    {
        return "us".to_owned();
    }
    let parts: Vec<&str> = catalog_id.split(':').take(3).collect();
    if parts.len() == 3 {
        parts.join(":")
    } else {
        "us".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_UUID: &str = "92db3be0-43bd-11e6-8ae9-dd5b3dfc565d";
    const DOC_ID: &str =
        "Y2lzY29zcGFyazovL3VzL01FU1NBR0UvOTJkYjNiZTAtNDNiZC0xMWU2LThhZTktZGQ1YjNkZmM1NjVk";

    #[test]
    fn encodes_the_id_from_the_api_reference() {
        assert_eq!(encode("us", HydraKind::Message, DOC_UUID), DOC_ID);
    }

    #[test]
    fn decodes_with_and_without_padding() {
        let h = decode(DOC_ID).unwrap();
        assert_eq!(h.kind, HydraKind::Message);
        assert_eq!(h.cluster, "us");
        assert_eq!(h.uuid, DOC_UUID);
        let padded = STANDARD_NO_PAD.encode("ciscospark://us/ROOM/abc") + "=";
        assert_eq!(decode(&padded).unwrap().uuid, "abc");
    }

    #[test]
    fn keeps_non_us_clusters_both_ways() {
        let id = encode("urn:TEAM:eu-central-1_k", HydraKind::Room, "r1");
        let h = decode(&id).unwrap();
        assert_eq!(h.cluster, "urn:TEAM:eu-central-1_k");
        assert_eq!(h.uuid, "r1");
        // People are always in `us`.
        assert_eq!(
            decode(&encode("urn:TEAM:eu-central-1_k", HydraKind::People, "p"))
                .unwrap()
                .cluster,
            "us"
        );
    }

    #[test]
    fn cluster_from_catalog() {
        assert_eq!(
            cluster_from_catalog_id("urn:TEAM:us-east-2_a:conversation"),
            "us"
        );
        assert_eq!(
            cluster_from_catalog_id("urn:TEAM:eu-central-1_k:conversation"),
            "urn:TEAM:eu-central-1_k"
        );
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert_eq!(decode("not base64 at all!"), None);
        assert_eq!(decode(""), None);
        assert_eq!(to_uuid(DOC_UUID), DOC_UUID);
        assert_eq!(to_uuid(DOC_ID), DOC_UUID);
    }
}
