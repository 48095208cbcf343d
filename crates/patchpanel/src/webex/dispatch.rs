//! From a `conversation.activity` to an [`Inbound`]: filtering (self, bots, duplicates), the REST
//! fetch of the plaintext, and building the neutral event (docs/webex.md §3.3–§4).
//!
//! The filters and builders are pure; [`Dispatcher`] runs the fetches as owned, bounded tasks so the
//! socket reader never waits for REST.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument as _;

use super::dedupe::Dedupe;
use super::device::ServiceCatalog;
use super::ids::{self, HydraKind};
use super::mention::{strip_leading_name, strip_mention_html};
use super::resolve::{self, Object, Step};
use super::rest::WebexRest;
use super::wire::{Activity, AttachmentAction, Message};
use super::{BotIdentity, WebexError};
use crate::inbound::{CardSubmit, ChatMessage, Inbound, RoomKind, Sender};

/// REST fetches running at once.
const FETCH_CONCURRENCY: usize = 8;
/// Events accepted but not yet delivered; beyond this new events are dropped with an error log.
const MAX_PENDING: usize = 256;

/// What an activity is, decided before any REST call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Message,
    CardAction,
    Ignore(&'static str),
}

/// Verb and sender filter on the socket event alone.
pub fn prefilter(a: &Activity, bot_uuid: &str) -> Verdict {
    if a.id.as_deref().map_or(true, str::is_empty) {
        return Verdict::Ignore("no activity id");
    }
    let verdict = match a.verb.as_deref() {
        Some("post") | Some("share") => Verdict::Message,
        Some("cardAction") => Verdict::CardAction,
        _ => return Verdict::Ignore("verb"),
    };
    if let Some(actor) = &a.actor {
        let own = [&actor.entry_uuid, &actor.id]
            .into_iter()
            .flatten()
            .any(|id| ids::to_uuid(id) == bot_uuid);
        if own {
            return Verdict::Ignore("own activity");
        }
        // A missing type is let through (the REST check below still catches ourselves).
        if actor
            .kind
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("PERSON"))
        {
            return Verdict::Ignore("actor is not a person");
        }
    }
    verdict
}

/// Why a fetched event produced nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The REST object says the bot sent it.
    Own,
    /// The REST object lacks a field we need.
    Missing(&'static str),
}

fn is_bot(identity: &BotIdentity, person_id: &str, email: Option<&str>) -> bool {
    ids::to_uuid(person_id) == identity.person_uuid
        || email.is_some_and(|e| e.eq_ignore_ascii_case(&identity.email))
}

fn need(v: Option<String>, field: &'static str) -> Result<String, Skip> {
    v.filter(|s| !s.is_empty()).ok_or(Skip::Missing(field))
}

/// Builds the chat message from the REST message and its activity.
pub fn chat_message(
    event_id: &str,
    m: Message,
    a: &Activity,
    identity: &BotIdentity,
) -> Result<ChatMessage, Skip> {
    let message_id = need(m.id, "id")?;
    let person_id = need(m.person_id, "personId")?;
    let email = need(m.person_email, "personEmail")?;
    if is_bot(identity, &person_id, Some(&email)) {
        return Err(Skip::Own);
    }
    let room_id = need(m.room_id, "roomId")?;
    let room_kind = match m.room_type.as_deref() {
        Some("direct") => RoomKind::Direct,
        Some("group") => RoomKind::Group,
        _ if a
            .target
            .as_ref()
            .is_some_and(|t| t.tags.iter().any(|t| t == "ONE_ON_ONE")) =>
        {
            RoomKind::Direct
        }
        _ => RoomKind::Group,
    };
    let text = match (room_kind, m.html, m.text) {
        (RoomKind::Direct, _, Some(text)) => text.trim().to_owned(),
        (RoomKind::Group, Some(html), _) if !html.is_empty() => {
            strip_mention_html(&html, &identity.person_id, &identity.person_uuid)
        }
        (RoomKind::Group, _, Some(text)) => strip_leading_name(&text, &identity.display_name),
        _ => return Err(Skip::Missing("text")),
    };
    Ok(ChatMessage {
        event_id: event_id.to_owned(),
        reply_parent_id: m
            .parent_id
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| message_id.clone()),
        message_id,
        room_id,
        room_kind,
        sender: Sender { person_id, email },
        text,
    })
}

/// Builds the card submit. `card_message_fallback` is the hydra id of `activity.parent.id`.
pub fn card_submit(
    event_id: &str,
    act: AttachmentAction,
    card_message_fallback: Option<String>,
    email: String,
    identity: &BotIdentity,
) -> Result<CardSubmit, Skip> {
    let action_id = need(act.id, "id")?;
    let person_id = need(act.person_id, "personId")?;
    if is_bot(identity, &person_id, Some(&email)) {
        return Err(Skip::Own);
    }
    let room_id = need(act.room_id, "roomId")?;
    let card_message_id = need(act.message_id.or(card_message_fallback), "messageId")?;
    let inputs = act
        .inputs
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s,
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (k, s)
        })
        .collect::<BTreeMap<_, _>>();
    Ok(CardSubmit {
        event_id: event_id.to_owned(),
        action_id,
        card_message_id,
        room_id,
        sender: Sender { person_id, email },
        inputs,
    })
}

/// Turns activities into delivered [`Inbound`]s; owned by the socket loop.
pub struct Dispatcher {
    rest: WebexRest,
    identity: Arc<BotIdentity>,
    dedupe: Dedupe,
    tx: mpsc::Sender<Inbound>,
    fetches: Arc<Semaphore>,
    pending: Arc<Semaphore>,
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Dispatcher {
    pub fn new(
        rest: WebexRest,
        identity: BotIdentity,
        tx: mpsc::Sender<Inbound>,
        cancel: CancellationToken,
    ) -> Self {
        Dispatcher {
            rest,
            identity: Arc::new(identity),
            dedupe: Dedupe::default(),
            tx,
            fetches: Arc::new(Semaphore::new(FETCH_CONCURRENCY)),
            pending: Arc::new(Semaphore::new(MAX_PENDING)),
            tracker: TaskTracker::new(),
            cancel,
        }
    }

    /// Filters `a` and, when it is for us, starts its fetch in the background. Never blocks.
    pub fn handle(&mut self, a: Activity, catalog: &ServiceCatalog) {
        let activity_id = a.id.clone().unwrap_or_default();
        let verb = a.verb.clone().unwrap_or_default();
        let span = tracing::info_span!("webex_event", activity_id = %activity_id, verb = %verb);
        let _enter = span.enter();
        let verdict = prefilter(&a, &self.identity.person_uuid);
        let (Verdict::Message | Verdict::CardAction) = verdict else {
            tracing::debug!(?verdict, "activity ignored");
            return;
        };
        if !self.dedupe.first_time(&activity_id, Instant::now()) {
            tracing::info!("duplicate activity ignored");
            return;
        }
        let Ok(slot) = self.pending.clone().try_acquire_owned() else {
            tracing::error!(
                limit = MAX_PENDING,
                "too many events in flight; event dropped"
            );
            return;
        };
        let object = match verdict {
            Verdict::CardAction => Object::AttachmentAction,
            _ => Object::Message,
        };
        let steps = resolve::plan(object, &activity_id, a.target.as_ref(), catalog);
        let job = Job {
            rest: self.rest.clone(),
            identity: self.identity.clone(),
            tx: self.tx.clone(),
            activity: a,
            activity_id,
            steps,
        };
        let fetches = self.fetches.clone();
        let cancel = self.cancel.clone();
        drop(_enter);
        self.tracker.spawn(
            async move {
                let _slot = slot;
                tokio::select! {
                    _ = cancel.cancelled() => {}
                    _ = async {
                        let Ok(_permit) = fetches.acquire_owned().await else { return };
                        job.run(verdict).await;
                    } => {}
                }
            }
            .instrument(span),
        );
    }

    /// Stops the background fetches and waits for them.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

struct Job {
    rest: WebexRest,
    identity: Arc<BotIdentity>,
    tx: mpsc::Sender<Inbound>,
    activity: Activity,
    activity_id: String,
    /// How to find the REST object (see `resolve`).
    steps: Vec<Step>,
}

impl Job {
    async fn run(self, verdict: Verdict) {
        let result = match verdict {
            Verdict::Message => self.message().await,
            Verdict::CardAction => self.card_action().await,
            Verdict::Ignore(_) => return,
        };
        match result {
            Ok(inbound) => {
                if self.tx.send(inbound).await.is_err() {
                    tracing::warn!("inbound channel closed; event dropped");
                } else {
                    tracing::debug!("event delivered");
                }
            }
            Err(Failure::Skip(Skip::Own)) => tracing::debug!("own event ignored"),
            Err(Failure::Skip(Skip::Missing(field))) => tracing::warn!(
                activity_id = %self.activity_id,
                field,
                "webex REST answer lacks a field; event skipped"
            ),
            Err(Failure::Rest(e)) => tracing::warn!(
                activity_id = %self.activity_id,
                error = %e,
                "webex REST fetch failed; event skipped"
            ),
        }
    }

    async fn message(&self) -> Result<Inbound, Failure> {
        let rest = &self.rest;
        let found = resolve::fetch(
            rest,
            &self.steps,
            Object::Message,
            &self.activity_id,
            |id| async move { rest.get_message(&id).await },
        )
        .await?;
        let m = found.value;
        Ok(Inbound::Message(chat_message(
            &self.activity_id,
            m,
            &self.activity,
            &self.identity,
        )?))
    }

    async fn card_action(&self) -> Result<Inbound, Failure> {
        let rest = &self.rest;
        let found = resolve::fetch(
            rest,
            &self.steps,
            Object::AttachmentAction,
            &self.activity_id,
            |id| async move { rest.get_attachment_action(&id).await },
        )
        .await?;
        let act = found.value;
        // The card message is in the same space, so its id has the action's cluster.
        let fallback = self
            .activity
            .parent
            .as_ref()
            .and_then(|p| p.id.as_deref())
            .map(|p| ids::encode(&found.cluster, HydraKind::Message, p));
        let from_actor = self
            .activity
            .actor
            .as_ref()
            .and_then(|a| a.email_address.clone().or_else(|| a.entry_email.clone()))
            .filter(|e| !e.is_empty());
        let email = match from_actor {
            Some(e) => e,
            None => {
                let pid = act
                    .person_id
                    .clone()
                    .ok_or(Failure::Skip(Skip::Missing("personId")))?;
                let p = self.rest.get_person(&pid).await?;
                p.emails
                    .into_iter()
                    .next()
                    .ok_or(Failure::Skip(Skip::Missing("emails[0]")))?
            }
        };
        Ok(Inbound::CardSubmit(card_submit(
            &self.activity_id,
            act,
            fallback,
            email,
            &self.identity,
        )?))
    }
}

enum Failure {
    Skip(Skip),
    Rest(WebexError),
}

impl From<Skip> for Failure {
    fn from(s: Skip) -> Self {
        Failure::Skip(s)
    }
}

impl From<WebexError> for Failure {
    fn from(e: WebexError) -> Self {
        Failure::Rest(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webex::wire::{Actor, Target};

    const BOT_UUID: &str = "b0b0b0b0-0000-0000-0000-000000000001";

    fn bot() -> BotIdentity {
        BotIdentity {
            person_id: ids::encode("us", HydraKind::People, BOT_UUID),
            person_uuid: BOT_UUID.to_owned(),
            display_name: "Patch Panel".to_owned(),
            email: "patch@webex.bot".to_owned(),
        }
    }

    fn activity(verb: &str, actor_uuid: &str, kind: Option<&str>) -> Activity {
        Activity {
            id: Some("act-1".into()),
            verb: Some(verb.into()),
            actor: Some(Actor {
                id: Some(actor_uuid.into()),
                entry_uuid: Some(actor_uuid.into()),
                kind: kind.map(str::to_owned),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn prefilter_table() {
        let hydra_bot = ids::encode("us", HydraKind::People, BOT_UUID);
        let cases = [
            (activity("post", "alice", Some("PERSON")), Verdict::Message),
            (activity("share", "alice", Some("PERSON")), Verdict::Message),
            (
                activity("cardAction", "alice", Some("PERSON")),
                Verdict::CardAction,
            ),
            (
                activity("acknowledge", "alice", Some("PERSON")),
                Verdict::Ignore("verb"),
            ),
            (
                activity("update", "alice", Some("PERSON")),
                Verdict::Ignore("verb"),
            ),
            (
                activity("post", BOT_UUID, Some("PERSON")),
                Verdict::Ignore("own activity"),
            ),
            (
                activity("post", &hydra_bot, Some("PERSON")),
                Verdict::Ignore("own activity"),
            ),
            (
                activity("post", "other-bot", Some("BOT")),
                Verdict::Ignore("actor is not a person"),
            ),
            (activity("post", "alice", None), Verdict::Message),
        ];
        for (a, want) in cases {
            assert_eq!(prefilter(&a, BOT_UUID), want, "{a:?}");
        }
        let mut no_id = activity("post", "alice", Some("PERSON"));
        no_id.id = None;
        assert_eq!(
            prefilter(&no_id, BOT_UUID),
            Verdict::Ignore("no activity id")
        );
    }

    fn rest_message(room_type: &str) -> Message {
        Message {
            id: Some("MSG".into()),
            parent_id: None,
            room_id: Some("ROOM".into()),
            room_type: Some(room_type.into()),
            text: Some("Patch Panel vrf c9300".into()),
            html: Some(format!(
                "<p><spark-mention data-object-type=\"person\" data-object-id=\"{BOT_UUID}\">Patch</spark-mention> vrf c9300</p>"
            )),
            person_id: Some("ALICE".into()),
            person_email: Some("alice@example.com".into()),
        }
    }

    #[test]
    fn builds_group_and_direct_messages() {
        let a = activity("post", "alice", Some("PERSON"));
        let m = chat_message("act-1", rest_message("group"), &a, &bot()).unwrap();
        assert_eq!(m.text, "vrf c9300");
        assert_eq!(m.room_kind, RoomKind::Group);
        assert_eq!(m.reply_parent_id, "MSG");
        assert_eq!(m.sender.email, "alice@example.com");

        let mut direct = rest_message("direct");
        direct.text = Some(" show iface c9300 Gi1/0/1 ".into());
        direct.parent_id = Some("ROOT".into());
        let m = chat_message("act-1", direct, &a, &bot()).unwrap();
        assert_eq!(m.text, "show iface c9300 Gi1/0/1");
        assert_eq!(m.room_kind, RoomKind::Direct);
        assert_eq!(m.reply_parent_id, "ROOT");

        let mut no_html = rest_message("group");
        no_html.html = None;
        assert_eq!(
            chat_message("a", no_html, &a, &bot()).unwrap().text,
            "vrf c9300"
        );
    }

    #[test]
    fn room_kind_falls_back_to_target_tags() {
        let mut a = activity("post", "alice", Some("PERSON"));
        a.target = Some(Target {
            tags: vec!["ONE_ON_ONE".into()],
            ..Default::default()
        });
        let mut m = rest_message("");
        m.room_type = None;
        m.text = Some("help".into());
        assert_eq!(
            chat_message("a", m, &a, &bot()).unwrap().room_kind,
            RoomKind::Direct
        );
    }

    #[test]
    fn rest_side_self_check_and_missing_fields() {
        let a = activity("post", "alice", Some("PERSON"));
        let mut own = rest_message("group");
        own.person_id = Some(bot().person_id);
        assert_eq!(chat_message("a", own, &a, &bot()), Err(Skip::Own));
        let mut own_mail = rest_message("group");
        own_mail.person_email = Some("PATCH@webex.bot".into());
        assert_eq!(chat_message("a", own_mail, &a, &bot()), Err(Skip::Own));
        let mut no_room = rest_message("group");
        no_room.room_id = None;
        assert_eq!(
            chat_message("a", no_room, &a, &bot()),
            Err(Skip::Missing("roomId"))
        );
        assert_eq!(
            chat_message("a", Message::default(), &a, &bot()),
            Err(Skip::Missing("id"))
        );
    }

    #[test]
    fn builds_card_submits() {
        let act: AttachmentAction = serde_json::from_str(
            r#"{"id":"ACT","type":"submit","inputs":{"choice":"approve","n":2,"z":null},
                "personId":"ALICE","roomId":"ROOM"}"#,
        )
        .unwrap();
        let c = card_submit(
            "e",
            act,
            Some("CARD".into()),
            "alice@example.com".into(),
            &bot(),
        )
        .unwrap();
        assert_eq!(c.card_message_id, "CARD");
        assert_eq!(c.inputs["choice"], "approve");
        assert_eq!(c.inputs["n"], "2");
        assert_eq!(c.inputs["z"], "");
        let none = AttachmentAction::default();
        assert_eq!(
            card_submit("e", none, None, "x".into(), &bot()),
            Err(Skip::Missing("id"))
        );
    }
}
