//! `ZammadClient`: the thin reqwest client over the Zammad endpoints the workflow uses
//! (docs/zammad.md §1–§4). Every URL is built with `Url` (segments encoded), every body with
//! serde_json, every answer is bounded in size, every call has a timeout, redirects are refused
//! (they would carry the token elsewhere), and every text the bot writes passes `limits` first.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::auth::{authorization, token_part};
use super::error::{map_status, ZammadError};
use super::limits::{note_body, one_line, NOTE_BODY_MAX, NOTE_SUBJECT_MAX};
use super::search::{CandidateQuery, PER_PAGE};
use super::wire::{Article, Ticket, TicketState, User};
use super::ZammadConfig;
use crate::secret::Secret;
use crate::text_safety::excerpt;

/// The subject of every note the bot writes.
pub const NOTE_SUBJECT: &str = "patchpanel";
/// Most search pages read in one `candidates` call (at 100 a page: 5,000 tickets).
pub const MAX_PAGES: u32 = 50;

/// What to change on a ticket in one `PUT`: the state by name, and an internal note.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketUpdate {
    /// A state name (`pending approval`, …); Zammad resolves it, an unknown one is a 422.
    pub state: Option<String>,
    /// Plain text; bounded and cleaned on the way out (`limits::note_body`).
    pub note: Option<String>,
}

/// The tickets a search found, oldest update first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidates {
    pub tickets: Vec<Ticket>,
    /// More pages were left unread ([`MAX_PAGES`]); ask again after the last ticket's `updated_at`.
    pub truncated: bool,
}

struct Raw {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// A cheap-to-clone handle on Zammad's REST API.
#[derive(Clone)]
pub struct ZammadClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    /// The token without its scheme, to redact from every error.
    token: Secret,
    max_body: usize,
}

impl std::fmt::Debug for ZammadClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZammadClient")
            .field("base", &self.inner.base.as_str())
            .field("token", &"***")
            .finish()
    }
}

impl ZammadClient {
    pub fn new(cfg: &ZammadConfig) -> Result<Self, ZammadError> {
        let auth = authorization(&cfg.token)?;
        let base = base_url(&cfg.url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("patchpanel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ZammadError::Config(format!("HTTP client: {e}")))?;
        Ok(ZammadClient {
            inner: Arc::new(Inner {
                http,
                base,
                auth,
                token: token_part(&cfg.token),
                max_body: cfg.max_body,
            }),
        })
    }

    /// `<base>/api/v1/<segments…>?<query>`, every segment and value encoded.
    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").push("v1").extend(segments);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Raw, ZammadError> {
        let mut req = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.inner.auth.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body)
                .map_err(|e| ZammadError::Config(format!("request body: {e}")))?;
            req = req.header(CONTENT_TYPE, "application/json").body(bytes);
        }
        tracing::debug!(method = %method, path = url.path(), "zammad request");
        let mut resp = req.send().await.map_err(|e| unavailable(what, &e))?;
        let status = resp.status().as_u16();
        let retry_after = retry_after(resp.headers());
        let limit = self.inner.max_body;
        if resp.content_length().is_some_and(|l| l > limit as u64) {
            return Err(too_big(what, limit));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| unavailable(what, &e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_big(what, limit));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(status, bytes = body.len(), "zammad reply");
        Ok(Raw {
            status,
            retry_after,
            body,
        })
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        what: &str,
    ) -> Result<T, ZammadError> {
        let token = self.inner.token.expose();
        let raw = self
            .send(method, url, body, what)
            .await
            .map_err(|e| e.redacted(token))?;
        decode(&raw, what).map_err(|e| e.redacted(token))
    }

    /// The token's own user (`GET /api/v1/users/me`): its id tells the bot's updates from people's.
    pub async fn me(&self) -> Result<User, ZammadError> {
        let what = "the bot's own user (users/me)";
        let me: User = self
            .call(Method::GET, self.url(&["users", "me"], &[]), None, what)
            .await?;
        if me.id.is_none() {
            return Err(ZammadError::InvalidResponse {
                what: what.into(),
                detail: "the user has no id".into(),
            });
        }
        Ok(me)
    }

    /// Every ticket state (`GET /api/v1/ticket_states`); resolve names with `StateIds::resolve`.
    pub async fn states(&self) -> Result<Vec<TicketState>, ZammadError> {
        self.call(
            Method::GET,
            self.url(&["ticket_states"], &[("per_page", "500")]),
            None,
            "the ticket states",
        )
        .await
    }

    /// Tickets whose change field holds the value, in the given states (and updated after a time),
    /// oldest update first, expanded: the SQL condition search, page by page until a short page.
    pub async fn candidates(&self, query: &CandidateQuery<'_>) -> Result<Candidates, ZammadError> {
        query.check()?;
        let what = "the search for network-change tickets";
        let url = self.url(&["tickets", "search"], &[]);
        let mut out = Candidates::default();
        let mut seen = HashSet::new();
        for page in 1..=MAX_PAGES {
            let body = query.body(page);
            let tickets: Vec<Ticket> = self
                .call(Method::POST, url.clone(), Some(&body), what)
                .await?;
            let short = tickets.len() < PER_PAGE as usize;
            for t in tickets {
                // A ticket updated between two pages can show up on both.
                if t.id.is_some_and(|id| seen.insert(id)) {
                    out.tickets.push(t);
                }
            }
            if short {
                return Ok(out);
            }
        }
        out.truncated = true;
        Ok(out)
    }

    /// One ticket, expanded (`GET /api/v1/tickets/{id}?expand=true`).
    pub async fn ticket(&self, id: u64) -> Result<Ticket, ZammadError> {
        let id_s = id.to_string();
        let what = format!("ticket id {id}");
        let url = self.url(&["tickets", &id_s], &[("expand", "true")]);
        let ticket: Ticket = self.call(Method::GET, url, None, &what).await?;
        same_ticket(ticket, id, &what)
    }

    /// Sets the state (by name) and appends an internal note in one `PUT`; answers the updated
    /// ticket, expanded (docs/zammad.md §4).
    pub async fn update(&self, id: u64, update: &TicketUpdate) -> Result<Ticket, ZammadError> {
        let body = update_body(update)?;
        let id_s = id.to_string();
        let what = format!("the update of ticket id {id}");
        let url = self.url(&["tickets", &id_s], &[("expand", "true")]);
        let ticket: Ticket = self.call(Method::PUT, url, Some(&body), &what).await?;
        same_ticket(ticket, id, &what)
    }

    /// The ticket's articles, oldest first (`GET /api/v1/ticket_articles/by_ticket/{id}`).
    pub async fn articles(&self, id: u64) -> Result<Vec<Article>, ZammadError> {
        let id_s = id.to_string();
        let url = self.url(
            &["ticket_articles", "by_ticket", &id_s],
            &[("expand", "true")],
        );
        self.call(
            Method::GET,
            url,
            None,
            &format!("the articles of ticket id {id}"),
        )
        .await
    }
}

/// The JSON body of a ticket update: `state` by name, the note as an internal plain-text `note`
/// article. Every text is bounded here, on the write path.
pub(crate) fn update_body(update: &TicketUpdate) -> Result<Value, ZammadError> {
    let mut body = serde_json::Map::new();
    if let Some(state) = &update.state {
        let state = one_line(state, 100);
        if state.is_empty() {
            return Err(ZammadError::Config(
                "a ticket update names an empty state".into(),
            ));
        }
        body.insert("state".into(), Value::String(state));
    }
    if let Some(note) = &update.note {
        let text = note_body(note, NOTE_BODY_MAX);
        if !text.is_empty() {
            body.insert(
                "article".into(),
                json!({
                    "subject": one_line(NOTE_SUBJECT, NOTE_SUBJECT_MAX),
                    "body": text,
                    "type": "note",
                    "internal": true,
                    "content_type": "text/plain",
                }),
            );
        }
    }
    if body.is_empty() {
        return Err(ZammadError::Config(
            "a ticket update must set a state or add a note".into(),
        ));
    }
    Ok(Value::Object(body))
}

fn same_ticket(ticket: Ticket, id: u64, what: &str) -> Result<Ticket, ZammadError> {
    match ticket.id {
        Some(got) if got == id => Ok(ticket),
        got => Err(ZammadError::InvalidResponse {
            what: what.to_owned(),
            detail: format!(
                "the answer is ticket id {}",
                got.map_or_else(|| "(none)".to_owned(), |g| g.to_string())
            ),
        }),
    }
}

/// ZAMMAD_URL → the URL under which `/api/v1` lives (a trailing `/api/v1` or `/api` is tolerated).
pub(crate) fn base_url(raw: &str) -> Result<Url, ZammadError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/api/v1").unwrap_or(trimmed);
    let trimmed = trimmed.strip_suffix("/api").unwrap_or(trimmed);
    let url = Url::parse(trimmed)
        .map_err(|e| ZammadError::Config(format!("ZAMMAD_URL {:?}: {e}", excerpt(raw, 100))))?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err(ZammadError::Config(format!(
            "ZAMMAD_URL {:?} is not an http(s) base URL",
            excerpt(raw, 100)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(ZammadError::Config(
            "ZAMMAD_URL must not carry credentials or a query; put the token in ZAMMAD_TOKEN"
                .into(),
        ));
    }
    Ok(url)
}

fn decode<T: DeserializeOwned>(raw: &Raw, what: &str) -> Result<T, ZammadError> {
    if !(200..300).contains(&raw.status) {
        return Err(map_status(raw.status, raw.retry_after, &raw.body, what));
    }
    serde_json::from_slice(&raw.body).map_err(|e| ZammadError::InvalidResponse {
        what: what.to_owned(),
        detail: format!(
            "not the JSON expected ({e}): {}",
            excerpt(
                &String::from_utf8_lossy(&raw.body[..raw.body.len().min(200)]),
                120
            )
        ),
    })
}

/// `Retry-After` in seconds (capped at an hour); an HTTP date is ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(|s| Duration::from_secs(s.min(3600)))
}

fn unavailable(what: &str, e: &reqwest::Error) -> ZammadError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    };
    ZammadError::Unavailable {
        retry_after: None,
        status: None,
        detail: format!(
            "{kind} while reading {what}: {}",
            std::error::Error::source(e)
                .map(ToString::to_string)
                .unwrap_or_else(|| e.to_string())
        ),
    }
}

fn too_big(what: &str, limit: usize) -> ZammadError {
    ZammadError::InvalidResponse {
        what: what.to_owned(),
        detail: format!("the answer is larger than {limit} bytes"),
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
