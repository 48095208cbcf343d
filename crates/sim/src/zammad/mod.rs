//! The Zammad simulator: the REST API the approval workflow uses (docs/zammad.md), with Zammad
//! 5.x/6.x's JSON shapes, status codes and error bodies, a trigger's webhook, and the `/_sim`
//! control API.
//!
//! INTERFACE (stable): `start(ZammadSimConfig, CancellationToken) -> Result<RunningZammadSim,
//! ZammadSimError>`; `RunningZammadSim { base_url }` with `api_url()`, `state()`, `reset()`,
//! `create_ticket(json)` (`POST /_sim/tickets`), `edit(ticket_id, fields, user)` (`POST
//! /_sim/edit`), `ticket(id)` (expanded), `articles(id)`, `add_token(token, user, agent)`,
//! `set_webhook(Option<WebhookTarget>)`, `deliveries()`, `requests()`, `stopped()`.
//!
//! Seed (`seed.rs`): users 1 `-` (system), 2 `patchpanel` (the bot, Agent; the default token's
//! user), 3 `engineer` `engineer@example.com` (Admin, Agent), 4 `approver` (Agent), 5
//! `network-team@local.lab` (Customer, organization 2 `CLUS`); groups 1 `Users`, 2 `NetDevOps`;
//! priorities 1–3 (`2 normal` the default); states with Zammad's default ids and types (new 1/1,
//! open 2/2, pending reminder 3/3, closed 4/5, merged 5/6, removed 6/7 inactive, pending close 7/4)
//! and the workflow's 8 `pending approval` (open), 9 `attention required` (open), 10 `denied`
//! (closed); the custom attributes `network_*` (text; `network_interface_enabled` boolean,
//! `network_interface_mtu` integer) and `ticket_type` (select, `network_change`). No tickets:
//! ids count from 1, numbers from `15001`.
//!
//! What it models, as Zammad's source has it:
//! * authentication: no credential or a blank token 403 `Authentication required`; an unknown
//!   `Token` 401 `Can't find User for Token`, an unknown `Bearer` 401 `The provided token is
//!   invalid.` (tried as OAuth2 after the access token), Basic 401; a token without
//!   `ticket.agent` 403 `Not authorized` on ticket endpoints (after a 404 for an unknown id);
//! * `humanize_error`: validation and lookup errors (`No lookup value found for 'state': "x"`)
//!   are 422 with `error` = `error_human`; database errors (422) and internal ones (500) show
//!   their words to admins only, others get `Error ID xxxxxxxx: Please contact your administrator.`;
//! * a write that changes nothing neither touches `updated_at` nor fires the trigger; every other
//!   write gets an `updated_at` later than every earlier one (1 ms added when the clock did not
//!   move); `state_id` given beside `state` wins; last write wins;
//! * the condition search's SQL (`Ticket::Selector::Sql`): `ticket.<column>`, `ticket_state.<column>`,
//!   `customer.`/`owner.` columns; values cast as PostgreSQL casts them (a non-number for an id
//!   column is a 422); `''` in a value list matches NULL; `after|before (absolute)` inclusive; an
//!   empty value list makes the whole condition invalid, and Zammad then searches without one;
//!   a name without a table (`state_id`) is ignored; `ticket.state.name` is the missing column
//!   `tickets.state` (422); `tickets_count` counts the page; without Elasticsearch a `query` is a
//!   substring of title, number and article text, so `field:value` finds nothing;
//! * the webhook: the default payload, headers, HMAC-SHA1 signature, 5 attempts waiting
//!   `retry_wait` × attempt (10 s as Zammad), the same delivery id on every attempt.
//!
//! Where it differs from Zammad:
//! * one trigger, firing on every ticket create and change (the seed's fires for `open` network
//!   changes only); the payload is taken when the change happens, not rebuilt per attempt;
//! * no Elasticsearch, no Core Workflows, no escalation or SLA times (always null), no tags,
//!   mentions, links, attachments or time accounting; no `POST /api/v1/tickets` (people create
//!   tickets through `/_sim/tickets`); `organization.` and `article.` selector tables, relative
//!   and `has changed` operators answer 500 naming what the simulator does not model;
//! * a token without `ticket.agent` gets 403 on the ticket list and search too, where Zammad
//!   answers what a customer may read; article visibility (internal notes) is not filtered;
//! * unknown request fields are Zammad's 500 (`unknown attribute`), shown to admins only;
//!   attribute limits are checked here (text length, integer range) where Zammad's database would;
//! * webhooks go to `http://` URLs only, without basic auth or SSL options.
//!
//! Layout: `time`, `seed`, `model` (the state), `write` (ticket writes) and `search` are pure;
//! `render` is the JSON shapes; `http` (auth, failures, errors), `api` and `control` are the axum
//! edges; `webhook` posts.
//! State lives behind one mutex that is never held across an await.

mod api;
mod control;
mod http;
mod model;
mod render;
mod search;
mod seed;
mod time;
mod webhook;
mod write;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use seed::{BOT_USER, FIRST_NUMBER, NETWORK_CHANGE};
pub use webhook::{WebhookTarget, ATTEMPTS, DEFAULT_TRIGGER, RETRY_WAIT};

use control::TicketRef;
use http::{ExtraToken, Failure};
use model::{NewTicket, Refused, Written, Zammad};
use webhook::{Delivery, Outcome};

#[derive(Debug, Clone)]
pub struct ZammadSimConfig {
    pub listen: SocketAddr,
    /// When set, only this token (and those added with `/_sim/token`) is accepted; when unset,
    /// any non-empty token acts as the bot's user.
    pub token: Option<String>,
    /// The trigger's webhook, from the start (also `POST /_sim/webhook`).
    pub webhook: Option<WebhookTarget>,
    /// The wait before retry n is `retry_wait × n` (Zammad: 10 s).
    pub retry_wait: Duration,
    /// Attempts per delivery (Zammad: 5).
    pub attempts: u32,
}

impl Default for ZammadSimConfig {
    /// An ephemeral port on 127.0.0.1, no token, no webhook, Zammad's retry schedule.
    fn default() -> Self {
        ZammadSimConfig {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            token: None,
            webhook: None,
            retry_wait: RETRY_WAIT,
            attempts: ATTEMPTS,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ZammadSimError {
    #[error("zammad simulator: cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// No such ticket or user.
    #[error("zammad simulator: not found: {0}")]
    NotFound(String),
    /// The request was refused, in Zammad's words.
    #[error("zammad simulator refused: {0}")]
    Rejected(String),
}

impl From<Refused> for ZammadSimError {
    fn from(e: Refused) -> Self {
        match e {
            Refused::NotFound(id) => ZammadSimError::NotFound(format!("ticket {id}")),
            Refused::Unprocessable(m) | Refused::Statement(m) | Refused::Internal(m) => {
                ZammadSimError::Rejected(m)
            }
        }
    }
}

pub(crate) struct Inner {
    pub z: Zammad,
    pub tokens: Vec<ExtraToken>,
    pub failures: Vec<Failure>,
    pub webhook: Option<WebhookTarget>,
    pub deliveries: Vec<Delivery>,
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub token: Option<String>,
    /// `/api` requests received, whatever the answer.
    pub requests: AtomicU64,
    pub retry_wait: Duration,
    pub attempts: u32,
    pub shutdown: CancellationToken,
    /// Woken after every webhook attempt.
    pub delivery_done: Notify,
    inner: Mutex<Inner>,
    tracker: TaskTracker,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One write to the state, then the trigger for what it changed.
    pub fn write(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Zammad, i64) -> Result<Written, Refused>,
    ) -> Result<Written, Refused> {
        let (written, job) = {
            let mut inner = self.lock();
            let written = f(&mut inner.z, time::now_ms())?;
            let job = if written.changed {
                enqueue(&mut inner, written)
            } else {
                None
            };
            (written, job)
        };
        if let Some(delivery) = job {
            self.tracker.spawn(webhook::deliver(self.clone(), delivery));
        }
        Ok(written)
    }

    /// The next injected failure for `path`, used up.
    pub fn take_failure(&self, path: &str) -> Option<u16> {
        let mut inner = self.lock();
        let f = inner
            .failures
            .iter_mut()
            .find(|f| f.times > 0 && path.starts_with(&f.path))?;
        f.times -= 1;
        let status = f.status;
        inner.failures.retain(|f| f.times > 0);
        Some(status)
    }

    pub fn create(self: &Arc<Self>, new: NewTicket) -> Result<(u64, String), Refused> {
        let w = self.write(|z, now| z.create(new, now))?;
        let number = self
            .lock()
            .z
            .tickets
            .get(&w.ticket_id)
            .map(|t| t.number.clone())
            .unwrap_or_default();
        Ok((w.ticket_id, number))
    }

    /// A person's edit in the UI; the ticket as `?expand=true` shows it.
    pub fn edit(
        self: &Arc<Self>,
        ticket: TicketRef,
        fields: &Map<String, Value>,
        user: &str,
    ) -> Result<Value, Refused> {
        let (id, actor) = {
            let inner = self.lock();
            let id = match ticket {
                TicketRef::Id(id) => id,
                TicketRef::Number(n) => inner
                    .z
                    .ticket_by_number(&n)
                    .map(|t| t.id)
                    .ok_or(Refused::NotFound(n))?,
            };
            let actor = inner.z.user_by_name(user).map(|u| u.id).ok_or_else(|| {
                Refused::Unprocessable(format!("No lookup value found for 'user': {user:?}"))
            })?;
            (id, actor)
        };
        self.write(|z, now| z.update(id, fields, actor, now))?;
        let inner = self.lock();
        inner
            .z
            .tickets
            .get(&id)
            .map(|t| render::ticket_expanded(&inner.z, t))
            .ok_or_else(|| Refused::NotFound(id.to_string()))
    }

    pub fn reset(&self) {
        let mut inner = self.lock();
        inner.z = seed::zammad(time::now_ms());
        inner.failures.clear();
        inner.deliveries.clear();
    }

    pub fn webhook_json(&self) -> Value {
        self.lock().webhook.as_ref().map_or(
            Value::Null,
            |w| json!({ "url": w.url, "trigger": w.trigger, "signed": w.secret.is_some() }),
        )
    }

    pub fn state(&self) -> Value {
        let webhook = self.webhook_json();
        let inner = self.lock();
        let z = &inner.z;
        json!({
            "tickets": z.tickets.values().map(|t| render::ticket_expanded(z, t)).collect::<Vec<_>>(),
            "articles": z.articles.values().map(|a| render::article(z, a)).collect::<Vec<_>>(),
            "deliveries": inner.deliveries.iter().map(Delivery::to_json).collect::<Vec<_>>(),
            "webhook": webhook,
            "failures": inner.failures.iter().map(|f| json!({"path": f.path, "status": f.status, "times": f.times})).collect::<Vec<_>>(),
            "requests": self.requests.load(Ordering::Relaxed),
        })
    }
}

/// Records a delivery of the trigger for this write, if a webhook is set; what to post.
fn enqueue(inner: &mut Inner, w: Written) -> Option<Delivery> {
    let target = inner.webhook.clone()?;
    let z = &inner.z;
    let ticket = z.tickets.get(&w.ticket_id)?;
    let article = w
        .article_id
        .and_then(|a| z.articles.get(&a))
        .map_or_else(|| json!({}), |a| render::article_payload(z, a));
    let body = serde_json::to_vec(&json!({
        "ticket": render::ticket_payload(z, ticket),
        "article": article,
    }))
    .ok()?;
    let signature = target
        .secret
        .as_deref()
        .and_then(|s| webhook::signature(s, &body));
    let delivery = Delivery {
        id: uuid::Uuid::new_v4().to_string(),
        trigger: target.trigger,
        url: target.url,
        ticket_id: w.ticket_id,
        article_id: w.article_id,
        signature,
        body,
        attempts: Vec::new(),
        outcome: Outcome::Pending,
    };
    inner.deliveries.push(delivery.clone());
    Some(delivery)
}

/// A running simulator. Cloning shares it.
#[derive(Clone)]
pub struct RunningZammadSim {
    pub base_url: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for RunningZammadSim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningZammadSim")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl RunningZammadSim {
    /// `{base_url}/api/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v1", self.base_url)
    }
    /// What `GET /_sim/state` answers.
    pub fn state(&self) -> Value {
        self.shared.state()
    }
    /// Back to the seed (tokens and the webhook stay; failures and deliveries go).
    pub fn reset(&self) {
        self.shared.reset();
    }
    /// `POST /_sim/tickets`: `{title, customer, …}` → `(id, number)`.
    pub fn create_ticket(&self, body: Value) -> Result<(u64, String), ZammadSimError> {
        let Value::Object(m) = body else {
            return Err(ZammadSimError::Rejected("expected a JSON object".into()));
        };
        let new = control::new_ticket(m).map_err(|r| ZammadSimError::Rejected(r.0))?;
        Ok(self.shared.create(new)?)
    }
    /// `POST /_sim/edit`: `user` (login or email) changes the ticket; the expanded ticket.
    pub fn edit(&self, ticket_id: u64, fields: Value, user: &str) -> Result<Value, ZammadSimError> {
        let Value::Object(m) = fields else {
            return Err(ZammadSimError::Rejected("fields must be an object".into()));
        };
        Ok(self.shared.edit(TicketRef::Id(ticket_id), &m, user)?)
    }
    /// One ticket as `?expand=true` shows it.
    pub fn ticket(&self, id: u64) -> Option<Value> {
        let inner = self.shared.lock();
        inner
            .z
            .tickets
            .get(&id)
            .map(|t| render::ticket_expanded(&inner.z, t))
    }
    /// A ticket's articles as `by_ticket` shows them.
    pub fn articles(&self, id: u64) -> Vec<Value> {
        let inner = self.shared.lock();
        let z = &inner.z;
        z.tickets
            .get(&id)
            .map(|t| {
                t.article_ids
                    .iter()
                    .filter_map(|a| z.articles.get(a))
                    .map(|a| render::article(z, a))
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Accepts one more token acting as `user` (login or email); `agent = false` leaves out
    /// `ticket.agent`.
    pub fn add_token(&self, token: &str, user: &str, agent: bool) -> Result<(), ZammadSimError> {
        let mut inner = self.shared.lock();
        let id = inner
            .z
            .user_by_name(user)
            .map(|u| u.id)
            .ok_or_else(|| ZammadSimError::NotFound(format!("user {user}")))?;
        inner.tokens.push(ExtraToken {
            token: token.to_owned(),
            user: id,
            agent,
        });
        Ok(())
    }
    /// Where the trigger posts (`None`: no webhook).
    pub fn set_webhook(&self, target: Option<WebhookTarget>) {
        self.shared.lock().webhook = target;
    }
    /// Every delivery so far with its attempts, as in `GET /_sim/state`.
    pub fn deliveries(&self) -> Vec<Value> {
        self.shared
            .lock()
            .deliveries
            .iter()
            .map(Delivery::to_json)
            .collect()
    }
    /// Waits until `pred` holds for the deliveries (checked after every attempt).
    pub async fn wait_deliveries(&self, pred: impl Fn(&[Value]) -> bool) {
        loop {
            let woken = self.shared.delivery_done.notified();
            if pred(&self.deliveries()) {
                return;
            }
            woken.await;
        }
    }
    /// `/api` requests received so far, whatever the answer.
    pub fn requests(&self) -> u64 {
        self.shared.requests.load(Ordering::Relaxed)
    }
    /// Resolves once the server and its deliveries have stopped (after the shutdown token fires).
    pub async fn stopped(&self) {
        self.shared.tracker.close();
        self.shared.tracker.wait().await;
    }
}

fn reachable(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Binds, starts serving, and returns once the listener accepts connections.
pub async fn start(
    cfg: ZammadSimConfig,
    shutdown: CancellationToken,
) -> Result<RunningZammadSim, ZammadSimError> {
    let bind_err = |source| ZammadSimError::Bind {
        addr: cfg.listen,
        source,
    };
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(bind_err)?;
    let local = listener.local_addr().map_err(bind_err)?;
    let base_url = format!("http://{}", reachable(local));
    let shared = Arc::new(Shared {
        token: cfg.token.clone(),
        requests: AtomicU64::new(0),
        retry_wait: cfg.retry_wait,
        attempts: cfg.attempts.max(1),
        shutdown: shutdown.clone(),
        delivery_done: Notify::new(),
        inner: Mutex::new(Inner {
            z: seed::zammad(time::now_ms()),
            tokens: Vec::new(),
            failures: Vec::new(),
            webhook: cfg.webhook.clone(),
            deliveries: Vec::new(),
        }),
        tracker: TaskTracker::new(),
    });
    let app = api::routes(shared.clone())
        .merge(control::routes())
        .fallback(http::fallback)
        .with_state(shared.clone());
    let stop = shutdown.clone();
    shared.tracker.spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(e) = served {
            tracing::warn!(error = %e, "zammad simulator stopped with an error");
        }
    });
    tracing::info!(base_url = %base_url, "zammad simulator listening");
    Ok(RunningZammadSim { base_url, shared })
}
