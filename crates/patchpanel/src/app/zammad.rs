//! Wiring of workflow W3: Zammad's ticket states resolved and the bot's own user read at start (a
//! missing state stops the bot with the exact problem), the poller (the condition search every
//! `ZAMMAD_POLL_SECONDS`, woken early by the optional webhook receiver), and the tick that expires
//! old changes and retries open effects. Everything is owned by the caller's task tracker.

use std::time::Duration;

use super::AppError;
use crate::backoff::Backoff;
use crate::config::Settings;
use crate::device::apply::Applier;
use crate::device::DeviceReader;
use crate::directory::DeviceDirectory;
use crate::netbox::Wakeup;
use crate::store::Store;
use crate::webex::WebexRest;
use crate::workflow::ticket_change::{TicketChanges, TicketSettings};
use crate::workflow::Notifier;
use crate::zammad::{webhook, CandidateQuery, StateIds, ZammadClient, REQUIRED_STATES};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, Instrument};

/// How often pending changes are checked for expiry and open effects retried.
const TICK: Duration = Duration::from_secs(5);

/// Starts W3 when Zammad is configured; `Ok(None)` otherwise.
#[allow(clippy::too_many_arguments)]
pub async fn start(
    settings: &Settings,
    devices: &DeviceDirectory,
    reader: DeviceReader,
    applier: Applier,
    rest: WebexRest,
    store: Store,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<Option<TicketChanges>, AppError> {
    let Some(z) = &settings.zammad else {
        return Ok(None);
    };
    let client = ZammadClient::new(&z.client)?;
    let states = StateIds::resolve(&client.states().await?, &REQUIRED_STATES)?;
    let me = client.me().await?;
    info!(user = %me.display(), "Zammad identity");
    let candidate_states: Vec<u64> = ["new", "open"]
        .iter()
        .filter_map(|s| states.get(s))
        .collect();
    let changes = TicketChanges::new(
        client.clone(),
        devices.netbox().cloned(),
        devices.clone(),
        reader,
        applier,
        store.clone(),
        rest.clone(),
        Notifier::new(Some(rest), settings.notify.clone()),
        TicketSettings {
            change_field: z.change_field.clone(),
            change_value: z.change_value.clone(),
            approvals: settings.approvals.clone(),
            protected: settings.netbox_sync.protected.clone(),
            protected_tag: settings.netbox_sync.protected_tag.clone(),
        },
        me.id,
    );
    let wake = Wakeup::new();
    if let (Some(listen), Some(secret)) = (z.webhook_listen, z.webhook_secret.clone()) {
        let hook = webhook::start(listen, secret, wake.clone(), shutdown.child_token())
            .await
            .map_err(AppError::ZammadWebhook)?;
        info!(addr = %hook.addr, "Zammad webhook receiver listening (it only wakes the poller)");
        if let Err(e) = store
            .set_cursor(webhook::LISTEN_PORT, u64::from(hook.addr.port()))
            .await
        {
            tracing::warn!(error = %e, "the webhook receiver's port could not be recorded");
        }
        tracker.spawn(async move { hook.stopped().await });
    }
    let poll = z.poll_interval;
    let field = z.change_field.clone();
    let value = z.change_value.clone();
    let worker = changes.clone();
    info!(
        poll_seconds = poll.as_secs_f64(),
        "Zammad workflow (W3) started"
    );
    tracker.spawn(
        async move {
            let mut backoff = Backoff::new(poll, Duration::from_secs(300));
            let mut next_poll = tokio::time::Instant::now();
            let mut next_tick = tokio::time::Instant::now();
            loop {
                if tokio::time::Instant::now() >= next_poll {
                    let query = CandidateQuery {
                        field: &field,
                        value: &value,
                        state_ids: &candidate_states,
                        updated_after: None,
                    };
                    let wait = match client.candidates(&query).await {
                        Ok(found) => {
                            backoff.reset();
                            for ticket in &found.tickets {
                                if let Err(e) = worker.handle_ticket(ticket).await {
                                    tracing::warn!(error = %e, ticket = ?ticket.number, "ticket not handled now; retried at the next poll");
                                }
                            }
                            poll
                        }
                        Err(e) => {
                            let wait = backoff.next_delay(fastrand::f64());
                            tracing::warn!(error = %e, retry_in = ?wait, "Zammad search failed");
                            wait
                        }
                    };
                    next_poll = tokio::time::Instant::now() + wait;
                }
                if tokio::time::Instant::now() >= next_tick {
                    if let Err(e) = worker.tick().await {
                        tracing::warn!(error = %e, "W3 tick failed");
                    }
                    next_tick = tokio::time::Instant::now() + TICK;
                }
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = wake.woken() => next_poll = tokio::time::Instant::now(),
                    () = tokio::time::sleep_until(next_poll.min(next_tick)) => {}
                }
            }
        }
        .instrument(tracing::info_span!("zammad_poller")),
    );
    Ok(Some(changes))
}
