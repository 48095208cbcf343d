//! Card messages over REST: posting one Adaptive Card with its markdown fallback, and deleting a
//! message (the approval flow deletes a decided card and posts the outcome in its place). Both go
//! through `WebexRest::call`, so they share `send_reply`'s retry policy (429/423 `Retry-After`,
//! 5xx backoff, the deadline, shutdown cutting waits short).

use reqwest::Method;
use serde_json::Value;

use super::error::WebexError;
use super::rest::WebexRest;
use super::split::MAX_MESSAGE_BYTES;
use super::wire::{self, CardAttachment, NewCardMessage};

/// The `contentType` of an Adaptive Card attachment.
pub const CARD_CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";

/// The most bytes a card message's JSON body may have before the bot refuses to send it: the
/// 28 KB figure for a whole card message (docs/webex.md §10; `cards::MAX_CARD_BYTES` and
/// `cards::MAX_FALLBACK_BYTES` keep every card the bot renders well below it).
pub const MAX_CARD_MESSAGE_BYTES: usize = 28_000;

/// A card as Webex stored it: its message id (what [`WebexRest::delete_message`] takes) and the
/// room it landed in (a 1:1 post names the person; the room is only known from the answer, and a
/// press of the card arrives from that room).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostedCard {
    pub id: String,
    pub room_id: String,
}

impl WebexRest {
    /// Posts `card` (an Adaptive Card's `content`) with `fallback_markdown` beside it, to a person
    /// when `target` contains `@` (`toPersonEmail`, the 1:1 space) or else to the room `target`.
    /// Returns where it was posted ([`PostedCard`]).
    pub async fn send_card(
        &self,
        target: &str,
        fallback_markdown: &str,
        card: &Value,
    ) -> Result<PostedCard, WebexError> {
        let target = target.trim();
        if target.is_empty() {
            return Err(WebexError::Config(
                "the card's target is empty: a room id or an email is needed".to_owned(),
            ));
        }
        // The same last pass as every other post: no character that can disguise text.
        let markdown = crate::text_safety::neutralize_markdown(fallback_markdown);
        if markdown.trim().is_empty() {
            // Webex requires text beside an attachment for clients that cannot show cards.
            return Err(WebexError::Config(
                "a card needs a fallback text beside it".to_owned(),
            ));
        }
        if markdown.len() > MAX_MESSAGE_BYTES {
            return Err(WebexError::TooLarge {
                bytes: markdown.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let email = target.contains('@');
        let body = NewCardMessage {
            room_id: (!email).then_some(target),
            to_person_email: email.then_some(target),
            markdown: &markdown,
            attachments: [CardAttachment {
                content_type: CARD_CONTENT_TYPE,
                content: card,
            }],
        };
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| WebexError::Config(format!("card body: {e}")))?
            .len();
        if bytes > MAX_CARD_MESSAGE_BYTES {
            return Err(WebexError::TooLarge {
                bytes,
                limit: MAX_CARD_MESSAGE_BYTES,
            });
        }
        let url = self.api_url(&["messages"])?;
        let sent: wire::Message = self.send_json(Method::POST, url, Some(&body)).await?;
        let missing = |field: &str| WebexError::InvalidResponse {
            what: "POST messages".to_owned(),
            detail: format!("missing field {field}"),
        };
        Ok(PostedCard {
            id: sent
                .id
                .filter(|id| !id.is_empty())
                .ok_or_else(|| missing("id"))?,
            room_id: sent
                .room_id
                .filter(|r| !r.is_empty())
                .ok_or_else(|| missing("roomId"))?,
        })
    }

    /// `DELETE /messages/{id}`. A message that is already gone (404) counts as deleted: a retry
    /// after a lost answer, or a person who removed it, leaves the state the caller wanted.
    pub async fn delete_message(&self, message_id: &str) -> Result<(), WebexError> {
        let url = self.api_url(&["messages", message_id])?;
        match self.call::<()>(Method::DELETE, url, None).await {
            Ok(_) | Err(WebexError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
