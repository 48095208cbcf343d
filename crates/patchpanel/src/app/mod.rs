//! Wiring: the Webex listener feeds [`Inbound`] events to the handler, which authorizes, parses and
//! answers. The decision ([`decide`]) is pure; device reads and replies are the effects around it.
//! Events already answered before a restart are recognised in the store; answers Webex will not
//! take end as a note in the thread (`notes.rs`); strangers are refused once per window
//! (`refusals.rs`). Workflow W2 (NetBox edits → switch) runs beside it when NetBox is configured
//! (`netbox.rs`).

mod changes;
mod decide;
mod netbox;
mod notes;
mod refusals;
mod watch;
mod zammad;

pub use decide::{decide, reply_target, Action, CardKeys};
pub use notes::{clock_utc, note_text, NoteSettings};
pub use refusals::{Refusal, RefusalLimiter, REFUSAL_WINDOW};

use crate::config::Settings;
use crate::device::apply::Applier;
use crate::device::{DeviceError, DeviceReader, Inventory};
use crate::directory::DeviceDirectory;
use crate::iface::InterfaceName;
use crate::inbound::{Inbound, Reply};
use crate::netbox::{NetboxClient, NetboxError};
use crate::policy::AllowList;
use crate::render;
use crate::store::{Store, StoreError};
use crate::webex::{self, BotIdentity, RetryPolicy, WebexError, WebexRest};
use notes::{Note, Notes};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, error, info, info_span, warn, Instrument};

/// How many events are handled at once; more wait in the channel (bounded, so the socket reader
/// slows down instead of the bot growing without limit).
const MAX_CONCURRENT_EVENTS: usize = 32;
const INBOUND_QUEUE: usize = 256;
/// Answers being posted or waiting to retry (a rate limit can hold one for minutes). An event's
/// slot is freed once its answer is ready, so waiting answers do not hold up other events.
const MAX_PENDING_REPLIES: usize = 256;
/// How long an event's id is remembered in the store: a replay (Webex re-delivers unacknowledged
/// events after a reconnect; a restart loses the in-memory set) is not answered twice.
pub const SEEN_WINDOW: Duration = Duration::from_secs(24 * 3600);
/// The store's source name for chat events.
pub const SEEN_SOURCE: &str = "webex";

/// How hard the bot tries to deliver its answers. `Default` is what `patchpanel run` uses (every
/// Webex call retried up to 10 minutes, Retry-After honoured up to 60 s; a note when that fails);
/// tests shorten it.
#[derive(Debug, Clone, Default)]
pub struct Delivery {
    pub retry: RetryPolicy,
    pub notes: NoteSettings,
}

pub const REFUSAL: &str = "Sorry, you are not allowed to use this bot. Ask its operators to add you to `PATCHPANEL_ALLOWED`.";

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Webex(#[from] WebexError),
    #[error("cannot load the device inventory: {0}")]
    Inventory(DeviceError),
    #[error("cannot use NetBox: {0}")]
    Netbox(#[from] NetboxError),
    #[error("the Webex listener stopped unexpectedly: {0}")]
    ListenerFailed(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot start the NetBox webhook receiver: {0}")]
    Webhook(#[from] crate::netbox::webhook::WebhookError),
    #[error("cannot use Zammad: {0}")]
    Zammad(#[from] crate::zammad::ZammadError),
    #[error("cannot start the Zammad webhook receiver: {0}")]
    ZammadWebhook(#[from] crate::zammad::webhook::ZammadWebhookError),
    /// PATCHPANEL_SYSLOG_LISTEN could not be bound.
    #[error(transparent)]
    Syslog(#[from] crate::watch::syslog_receiver::SyslogError),
}

/// Everything the handler needs, shared by the event tasks.
pub struct Bot {
    pub rest: WebexRest,
    /// Where device names resolve: NetBox and/or the devices file.
    pub directory: DeviceDirectory,
    /// Reads resolved devices; `None` when neither NetBox nor a devices file is configured.
    pub devices: Option<DeviceReader>,
    pub allowed: AllowList,
    /// Who was refused lately (one refusal per person per window).
    pub refusals: Mutex<RefusalLimiter>,
    /// Workflow W3 (Zammad tickets and their approvals), set once it started; unset without
    /// Zammad.
    pub tickets: std::sync::OnceLock<Tickets>,
    /// The store: the configuration-change record `changes` reads.
    pub store: Store,
}

/// W3's handler and the tracker its background effects run on.
#[derive(Debug, Clone)]
pub struct Tickets {
    pub changes: crate::workflow::ticket_change::TicketChanges,
    pub tasks: TaskTracker,
}

fn no_approvals() -> String {
    "Approvals are not configured here: the bot needs `ZAMMAD_URL` and `ZAMMAD_TOKEN` (see \
     `.env.example`)."
        .to_owned()
}

impl Bot {
    /// Decides and runs the device read if any: the reply to post, or `None` when the sender is a
    /// stranger already refused within the window.
    pub async fn answer(&self, event: &Inbound) -> Option<Reply> {
        let action = decide(event, &self.allowed);
        let markdown = match action {
            Action::Refuse => {
                let sender = event.sender();
                // A poisoned lock still holds a consistent table (each update is one call).
                let verdict = self
                    .refusals
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .check(&sender.person_id, Instant::now());
                match verdict {
                    Refusal::Answer { suppressed } => {
                        warn!(sender = %sender.email, suppressed, "refused: sender not in PATCHPANEL_ALLOWED (suppressed: unanswered messages since the previous refusal)");
                        REFUSAL.to_owned()
                    }
                    Refusal::Suppress => {
                        debug!(sender = %sender.email, "refused again within the window: not answered");
                        return None;
                    }
                }
            }
            Action::Answer(text) => text,
            Action::ReadVrfs { device } => match &self.devices {
                None => no_inventory(),
                Some(reader) => self.vrfs(reader, &device).await,
            },
            Action::ReadInterface { device, interface } => match &self.devices {
                None => no_inventory(),
                Some(reader) => self.interface(reader, &device, &interface).await,
            },
            Action::Decide {
                change,
                decision,
                card,
            } => match self.tickets.get() {
                None => no_approvals(),
                Some(t) => {
                    let press = card
                        .as_ref()
                        .map(|c| crate::workflow::ticket_change::CardPress {
                            room_id: &c.room_id,
                            plan_hash: &c.plan_hash,
                            nonce: &c.nonce,
                        });
                    t.changes
                        .decide(&change, &event.sender().email, decision, press, &t.tasks)
                        .await
                }
            },
            Action::Status { change } => match self.tickets.get() {
                None => no_approvals(),
                Some(t) => t.changes.status(&change).await,
            },
            Action::Changes { device, number } => {
                changes::answer(&self.store, device.as_deref(), number).await
            }
        };
        let (room_id, parent_id) = reply_target(event);
        Some(Reply {
            room_id,
            parent_id,
            markdown,
        })
    }

    /// Posts `reply` (the client retries within its deadline); when Webex still will not take it,
    /// queues a note for the thread. `stopping`: the bot is shutting down, so nothing is queued.
    async fn deliver(
        &self,
        reply: Reply,
        received: SystemTime,
        notes: &Notes,
        stopping: &CancellationToken,
    ) -> String {
        let e = match self.rest.send_reply(&reply).await {
            Ok(ids) => {
                info!(parts = ids.len(), "replied");
                return match ids.len() {
                    1 => "answered in 1 part".to_owned(),
                    n => format!("answered in {n} parts"),
                };
            }
            Err(e) => e,
        };
        if stopping.is_cancelled() {
            error!(error = %e, room = %reply.room_id, "shutting down: the answer was not posted");
            return "not answered: shutting down".to_owned();
        }
        match notes::why(&e) {
            Some(why) => {
                warn!(error = %e, "the answer could not be posted; a note follows when Webex accepts posts again");
                notes.queue(Note::new(reply.room_id, reply.parent_id, received, why));
                "not answered: a note is queued".to_owned()
            }
            None => {
                error!(error = %e, room = %reply.room_id, "the answer could not be posted");
                "not answered: Webex refused the answer".to_owned()
            }
        }
    }

    async fn vrfs(&self, reader: &DeviceReader, device: &str) -> String {
        let found = match self.directory.lookup(device).await {
            Ok(found) => found,
            Err(e) => return format!("⚠️ {e}"),
        };
        let mut out = match reader.vrfs_on(&found.resolved.device).await {
            Ok(answer) => render::vrfs(&answer),
            Err(e) => device_failure(e),
        };
        if let Some(e) = &found.netbox_error {
            out.push_str(&netbox_unreadable(e));
        }
        out
    }

    /// The device's view of the interface and, when NetBox knows it, NetBox's intent beside it
    /// (both read at once).
    async fn interface(
        &self,
        reader: &DeviceReader,
        device: &str,
        interface: &InterfaceName,
    ) -> String {
        let found = match self.directory.lookup(device).await {
            Ok(found) => found,
            Err(e) => return format!("⚠️ {e}"),
        };
        let netbox_intent = async {
            match &found.netbox_error {
                Some(_) => Ok(None),
                None => {
                    self.directory
                        .intent(&found.resolved, interface.as_str())
                        .await
                }
            }
        };
        let (read, wanted) = tokio::join!(
            reader.interface_on(&found.resolved.device, interface),
            netbox_intent
        );
        let answer = match read {
            Ok(answer) => answer,
            Err(e) => return device_failure(e),
        };
        let mut out = render::interface(&answer);
        match wanted {
            Ok(Some(want)) => {
                out.push_str("\n\n");
                out.push_str(&render::intent(&want, &answer.data.config));
            }
            Ok(None) => {}
            Err(e) => out.push_str(&netbox_unreadable(&e)),
        }
        if let Some(e) = &found.netbox_error {
            out.push_str(&netbox_unreadable(e));
        }
        out
    }
}

/// The one line added to a device answer when NetBox could not be read.
fn netbox_unreadable(e: &NetboxError) -> String {
    format!("\n\n⚠️ NetBox could not be read, so its intent is not shown: {e}")
}

/// Records the event in the store; false when it was handled before (within [`SEEN_WINDOW`]). A
/// store that fails is logged and the event handled: answering twice beats never answering.
/// Records how the bot finished with `event` (read by operators and by the tests that prove an
/// event was answered exactly once); a store failure is logged, never fatal.
async fn finished(store: &Store, event: &Inbound, outcome: &str) {
    if let Err(e) = store
        .finish_event(SEEN_SOURCE, event.event_id(), outcome)
        .await
    {
        warn!(error = %e, outcome, "how the event ended could not be recorded");
    }
}

async fn first_seen(store: &Store, event: &Inbound, received: SystemTime) -> bool {
    match store
        .first_seen(SEEN_SOURCE, event.event_id(), received, SEEN_WINDOW)
        .await
    {
        Ok(first) => first,
        Err(e) => {
            warn!(error = %e, "cannot check the store for a repeated event; handling it");
            true
        }
    }
}

fn device_failure(e: DeviceError) -> String {
    format!("⚠️ {e}")
}

fn no_inventory() -> String {
    "⚠️ No devices are configured: set `NETBOX_URL` or `PATCHPANEL_INVENTORY` to a devices file (see `.env.example`).".to_owned()
}

/// Runs the bot until `shutdown` fires or the Webex connection stops for good.
pub async fn run(settings: Settings, shutdown: CancellationToken) -> Result<(), AppError> {
    run_with(settings, Delivery::default(), shutdown).await
}

/// [`run`] with explicit delivery settings (tests shorten the waits).
pub async fn run_with(
    settings: Settings,
    delivery: Delivery,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    if settings.devices.accept_new_host_keys {
        warn!("DEVICE_ACCEPT_NEW_HOST_KEYS is on: unknown SSH host keys are learned on first use (changed keys are still refused)");
    }
    let file = match &settings.inventory {
        None => None,
        Some(path) => Some(Inventory::load(path).map_err(AppError::Inventory)?),
    };
    let netbox = match &settings.netbox {
        None => None,
        Some(cfg) => Some(NetboxClient::new(cfg)?),
    };
    let directory = DeviceDirectory::new(file, netbox);
    // The reader reads whatever the directory resolves; its own inventory is not consulted.
    let devices = if directory.is_empty() {
        None
    } else {
        Some(
            DeviceReader::new(Inventory::default(), settings.devices.clone())
                .map_err(AppError::Inventory)?,
        )
    };
    let db_path = settings.db_path.clone();
    // Opening SQLite touches the disk: not on an async worker.
    let store = tokio::task::spawn_blocking(move || Store::open(&db_path))
        .await
        .map_err(|e| AppError::Store(StoreError::WorkerStopped(e)))??;
    // Fired when the bot stops (shutdown, or the listener gave up): waits between retries end.
    let stopping = shutdown.child_token();
    let rest = WebexRest::with_retry_policy(&settings.webex, delivery.retry.clone())?
        .stop_retrying_on(stopping.clone());
    let identity = rest.me().await?;
    info!(bot = %identity.email, name = %identity.display_name, "webex identity");
    let bot = Arc::new(Bot {
        rest: rest.clone(),
        directory,
        devices,
        allowed: settings.allowed.clone(),
        refusals: Mutex::new(RefusalLimiter::default()),
        tickets: std::sync::OnceLock::new(),
        store: store.clone(),
    });
    let devices = bot.devices.clone();
    let result = serve(bot, settings, identity, store, delivery, stopping).await;
    // Pooled NETCONF sessions end with a <close-session/>, not a dropped TCP connection.
    if let Some(devices) = devices {
        devices.pool().close_all().await;
    }
    result
}

/// `stopping` fires on shutdown; `serve` fires it itself when the listener stops for good, which
/// also stops W2 and ends the waits of answers and notes still retrying.
async fn serve(
    bot: Arc<Bot>,
    settings: Settings,
    identity: BotIdentity,
    store: Store,
    delivery: Delivery,
    stopping: CancellationToken,
) -> Result<(), AppError> {
    let (tx, mut rx) = mpsc::channel::<Inbound>(INBOUND_QUEUE);
    let tracker = TaskTracker::new();
    // One applier for every workflow: its per-device locks keep one change in flight per device,
    // whether it came from NetBox (W2) or a ticket (W3).
    let applier = match &bot.devices {
        None => None,
        Some(_) => Some(
            Applier::new(
                bot.directory.file().cloned().unwrap_or_default(),
                settings.devices.clone(),
            )
            .map_err(AppError::Inventory)?,
        ),
    };
    if let Some(applier) = &applier {
        netbox::start(
            &settings,
            &bot.directory,
            applier.clone(),
            bot.rest.clone(),
            store.clone(),
            &tracker,
            stopping.child_token(),
        )
        .await?;
    }
    if let (Some(applier), Some(reader)) = (&applier, &bot.devices) {
        if let Some(changes) = zammad::start(
            &settings,
            &bot.directory,
            reader.clone(),
            applier.clone(),
            bot.rest.clone(),
            store.clone(),
            &tracker,
            stopping.child_token(),
        )
        .await?
        {
            let _ = bot.tickets.set(Tickets {
                changes,
                tasks: tracker.clone(),
            });
        }
    } else if settings.zammad.is_some() {
        warn!("ZAMMAD_URL is set but no devices are configured (NETBOX_URL or PATCHPANEL_INVENTORY): the ticket workflow does not start");
    }
    if let (Some(applier), Some(reader)) = (&applier, &bot.devices) {
        watch::start(
            &settings,
            &bot.directory,
            reader.clone(),
            applier,
            bot.rest.clone(),
            store.clone(),
            &tracker,
            stopping.child_token(),
        )
        .await?;
    }
    let notes = Notes::start(bot.rest.clone(), delivery.notes, &tracker, stopping.clone());
    let listener = tracker.spawn(webex::listen(
        settings.webex.clone(),
        bot.rest.clone(),
        identity,
        tx,
        stopping.child_token(),
    ));

    let permits = Arc::new(Semaphore::new(MAX_CONCURRENT_EVENTS));
    let replies = Arc::new(Semaphore::new(MAX_PENDING_REPLIES));
    // The loop ends when the listener drops its sender: on shutdown or on a fatal Webex error.
    while let Some(event) = rx.recv().await {
        let received = SystemTime::now();
        let Ok(permit) = permits.clone().acquire_owned().await else {
            break;
        };
        let (bot, store, notes, replies, stopping) = (
            bot.clone(),
            store.clone(),
            notes.clone(),
            replies.clone(),
            stopping.clone(),
        );
        let span = info_span!("event", id = %event.event_id(), sender = %event.sender().email);
        tracker.spawn(
            async move {
                if !first_seen(&store, &event, received).await {
                    info!("event already handled (before a restart); ignored");
                    return;
                }
                let Some(reply) = bot.answer(&event).await else {
                    finished(&store, &event, "no answer").await;
                    return;
                };
                // Waiting here (while still holding the event's slot) slows the intake down
                // when too many answers are stuck, instead of growing without bound.
                let Ok(slot) = replies.acquire_owned().await else {
                    return;
                };
                drop(permit);
                let outcome = bot.deliver(reply, received, &notes, &stopping).await;
                drop(slot);
                finished(&store, &event, &outcome).await;
            }
            .instrument(span),
        );
    }
    // The listener is gone: W2 stops, answers waiting to retry give up now (and are logged).
    stopping.cancel();
    tracker.close();
    // Lets the replies in flight (and the NetBox change being handled) finish; the listener has
    // already stopped.
    tracker.wait().await;
    match listener.await {
        Ok(result) => result.map_err(AppError::from),
        Err(join) => Err(AppError::ListenerFailed(join.to_string())),
    }
}

#[cfg(test)]
mod tests;
