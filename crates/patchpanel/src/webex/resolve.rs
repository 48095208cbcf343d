//! From an activity's raw UUID to the REST object it names. REST wants hydra ids whose cluster part
//! is the cluster the space lives in, and an id built with the wrong cluster is a 404. The U2C catalog
//! usually says which cluster the host of `target.url` is in, so the id is built locally without a
//! request (what the official JS SDK does). When the catalog cannot say, or REST does not know the id
//! built from it, the conversation service at `target.url` is asked for the object by its UUID and the
//! `id` it answers is the correctly clustered one (what the Python `webex_bot` does for every event).
//!
//! `target.url` comes from the socket, so it is only followed to a host the catalog named: the bearer
//! token never goes anywhere else.

use reqwest::Url;

use super::device::ServiceCatalog;
use super::error::WebexError;
use super::ids::{self, HydraKind};
use super::rest::WebexRest;
use super::wire::{ConversationObject, Target};

/// What an activity points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    Message,
    AttachmentAction,
}

impl Object {
    fn kind(self) -> HydraKind {
        match self {
            Object::Message => HydraKind::Message,
            Object::AttachmentAction => HydraKind::AttachmentAction,
        }
    }

    /// The conversation service's path segments for this object, after its base.
    fn segments(self) -> &'static [&'static str] {
        match self {
            Object::Message => &["messages"],
            Object::AttachmentAction => &["attachment", "actions"],
        }
    }
}

/// One way to find the REST id, tried in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// This hydra id, built locally.
    Id(String),
    /// Ask the conversation service at this URL for the object; its `id` is the hydra id.
    Conversation(Url),
}

/// The conversation-service URL for `activity_id`, derived from `target.url`
/// (`…/conversations/{target.id}` → `…/messages/{activity_id}`), when that is safe to call.
fn conversation_url(
    object: Object,
    activity_id: &str,
    target: Option<&Target>,
    catalog: &ServiceCatalog,
) -> Option<Url> {
    // Mercury ids are UUIDs; anything else is not put into a URL.
    let uuid = uuid::Uuid::parse_str(activity_id).ok()?;
    let target = target?;
    let mut url = Url::parse(target.url.as_deref()?).ok()?;
    if !catalog.trusts(&url) {
        return None;
    }
    let space = target.id.as_deref()?;
    let mut segments: Vec<String> = url.path_segments()?.map(str::to_owned).collect();
    let tail = segments.len().checked_sub(2)?;
    if segments.get(tail).map(String::as_str) != Some("conversations")
        || segments.get(tail + 1).map(String::as_str) != Some(space)
    {
        return None;
    }
    segments.truncate(tail);
    url.path_segments_mut()
        .ok()?
        .clear()
        .extend(&segments)
        .extend(object.segments())
        .push(&uuid.to_string());
    url.set_query(None);
    url.set_fragment(None);
    Some(url)
}

/// The ways to find the object an activity names, best first (pure).
pub fn plan(
    object: Object,
    activity_id: &str,
    target: Option<&Target>,
    catalog: &ServiceCatalog,
) -> Vec<Step> {
    let conversation =
        conversation_url(object, activity_id, target, catalog).map(Step::Conversation);
    let url = target.and_then(|t| t.url.as_deref());
    match catalog.cluster_for_url(url) {
        Some(cluster) => {
            std::iter::once(Step::Id(ids::encode(&cluster, object.kind(), activity_id)))
                .chain(conversation)
                .collect()
        }
        // Without a catalog answer `us` is the last guess: the original cluster, where most orgs live.
        None => conversation
            .into_iter()
            .chain(std::iter::once(Step::Id(ids::encode(
                "us",
                object.kind(),
                activity_id,
            ))))
            .collect(),
    }
}

/// The REST object and the cluster its id was found in.
#[derive(Debug, Clone)]
pub struct Found<T> {
    pub value: T,
    pub cluster: String,
}

/// Asks the conversation service for the hydra id of the object with `activity_id`.
async fn lookup(
    rest: &WebexRest,
    url: Url,
    object: Object,
    activity_id: &str,
) -> Result<String, WebexError> {
    let answer: ConversationObject = rest.get_json(url).await?;
    let id = answer.id.unwrap_or_default();
    // Only an id naming this very object is used, whatever else the answer says.
    match ids::decode(&id) {
        Some(h) if h.kind == object.kind() && h.uuid.eq_ignore_ascii_case(activity_id) => Ok(id),
        _ => Err(WebexError::InvalidResponse {
            what: "conversation service".to_owned(),
            detail: format!("answered id {id:?} for {activity_id}"),
        }),
    }
}

/// Follows `steps` until `get` finds the object. A 404 moves on to the next step (the id had the
/// wrong cluster); any other REST error ends the search. A failed conversation lookup moves on too.
pub async fn fetch<T, F, Fut>(
    rest: &WebexRest,
    steps: &[Step],
    object: Object,
    activity_id: &str,
    get: F,
) -> Result<Found<T>, WebexError>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<T, WebexError>>,
{
    let mut tried: Vec<String> = Vec::new();
    let mut last: Option<WebexError> = None;
    for step in steps {
        let id = match step {
            Step::Id(id) => id.clone(),
            Step::Conversation(url) => match lookup(rest, url.clone(), object, activity_id).await {
                Ok(id) => id,
                Err(e) => {
                    tracing::info!(error = %e, "conversation service lookup failed");
                    last = Some(e);
                    continue;
                }
            },
        };
        if tried.contains(&id) {
            continue;
        }
        tried.push(id.clone());
        match get(id.clone()).await {
            Ok(value) => {
                let cluster = ids::decode(&id).map_or_else(|| "us".to_owned(), |h| h.cluster);
                return Ok(Found { value, cluster });
            }
            Err(e @ WebexError::NotFound { .. }) => {
                tracing::debug!(error = %e, "not under this id; trying the next way");
                last = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| WebexError::InvalidResponse {
        what: "activity".to_owned(),
        detail: format!("no way to find the REST object of {activity_id}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webex::wire::Catalog;

    const ACT: &str = "3f977de0-d1d9-11e6-869c-1154edc7a0cf";
    const EU: &str = "urn:TEAM:eu-central-1_k";

    fn catalog(host_catalog: &str) -> ServiceCatalog {
        let c: Catalog = serde_json::from_str(&format!(
            r#"{{"serviceLinks":{{"wdm":"https://wdm-k.wbx2.com/wdm/api/v1",
                 "conversation":"https://conv-k.wbx2.com/conversation/api/v1"}},
                 "hostCatalog":{host_catalog}}}"#
        ))
        .unwrap();
        ServiceCatalog::from_wire(&c).unwrap()
    }

    fn target(url: &str) -> Target {
        Target {
            id: Some("space-1".into()),
            url: Some(url.into()),
            tags: vec![],
        }
    }

    const CONV_K: &str = "https://conv-k.wbx2.com/conversation/api/v1/conversations/space-1";

    #[test]
    fn known_cluster_builds_the_id_locally_first() {
        let cat = catalog(
            r#"{"conv-k.wbx2.com":[{"host":"conv-k.wbx2.com","id":"urn:TEAM:eu-central-1_k:conversation"}]}"#,
        );
        let steps = plan(Object::Message, ACT, Some(&target(CONV_K)), &cat);
        assert_eq!(
            steps,
            vec![
                Step::Id(ids::encode(EU, HydraKind::Message, ACT)),
                Step::Conversation(
                    Url::parse(&format!(
                        "https://conv-k.wbx2.com/conversation/api/v1/messages/{ACT}"
                    ))
                    .unwrap()
                ),
            ]
        );
        let steps = plan(Object::AttachmentAction, ACT, Some(&target(CONV_K)), &cat);
        assert_eq!(
            steps[1],
            Step::Conversation(
                Url::parse(&format!(
                    "https://conv-k.wbx2.com/conversation/api/v1/attachment/actions/{ACT}"
                ))
                .unwrap()
            )
        );
    }

    #[test]
    fn unknown_cluster_asks_the_conversation_service_before_guessing_us() {
        // The host is a service link but its catalog entries are in two clusters.
        let cat = catalog(
            r#"{"conv-k.wbx2.com":[{"host":"conv-k.wbx2.com","id":"urn:TEAM:eu-central-1_k:conversation"},
                                   {"host":"conv-k.wbx2.com","id":"urn:TEAM:us-east-2_a:conversation"}]}"#,
        );
        let steps = plan(Object::Message, ACT, Some(&target(CONV_K)), &cat);
        assert!(matches!(steps[0], Step::Conversation(_)), "{steps:?}");
        assert_eq!(
            steps[1],
            Step::Id(ids::encode("us", HydraKind::Message, ACT))
        );
    }

    #[test]
    fn target_url_is_never_followed_to_a_host_the_catalog_did_not_name() {
        let cat = catalog("{}");
        for url in [
            "https://attacker.example/conversation/api/v1/conversations/space-1",
            "http://conv-k.wbx2.com/conversation/api/v1/conversations/space-1",
            "https://conv-k.wbx2.com:8443/conversation/api/v1/conversations/space-1",
        ] {
            let steps = plan(Object::Message, ACT, Some(&target(url)), &cat);
            assert_eq!(
                steps,
                vec![Step::Id(ids::encode("us", HydraKind::Message, ACT))],
                "{url}"
            );
        }
    }

    #[test]
    fn only_a_conversations_url_of_this_space_and_a_uuid_make_a_lookup() {
        let cat = catalog("{}");
        let other_space = "https://conv-k.wbx2.com/conversation/api/v1/conversations/space-2";
        let not_conversations = "https://conv-k.wbx2.com/conversation/api/v1/activities/space-1";
        for url in [other_space, not_conversations] {
            let steps = plan(Object::Message, ACT, Some(&target(url)), &cat);
            assert_eq!(steps.len(), 1, "{url}");
        }
        let steps = plan(
            Object::Message,
            "../../v1/people/me",
            Some(&target(CONV_K)),
            &cat,
        );
        assert!(steps.iter().all(|s| matches!(s, Step::Id(_))), "{steps:?}");
        assert_eq!(plan(Object::Message, ACT, None, &cat).len(), 1);
        // Queries and fragments of target.url are not carried over.
        let with_query = format!("{CONV_K}?x=1#y");
        let steps = plan(Object::Message, ACT, Some(&target(&with_query)), &cat);
        match &steps[0] {
            Step::Conversation(u) => assert!(u.query().is_none() && u.fragment().is_none()),
            other => panic!("{other:?}"),
        }
    }
}
