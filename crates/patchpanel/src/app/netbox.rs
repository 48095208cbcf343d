//! Wiring of workflow W2: the NetBox change-log poller (woken early by the optional webhook receiver)
//! feeding `workflow::NetboxSync`. Everything here is owned by the caller's task tracker and stops on
//! its shutdown token; the candidate being handled finishes first.

use super::AppError;
use crate::config::Settings;
use crate::device::apply::Applier;
use crate::directory::DeviceDirectory;
use crate::netbox::poller::{Poller, PollerConfig};
use crate::netbox::webhook;
use crate::store::Store;
use crate::webex::WebexRest;
use crate::workflow::{NetboxSync, Notifier};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, Instrument};

/// Starts W2 when NetBox is configured; does nothing otherwise.
/// `devices` is the bot's directory (the same NetBox client and devices file the chat uses);
/// `store` is the bot's store (`PATCHPANEL_DB`); `applier` the process's one applier.
pub async fn start(
    settings: &Settings,
    devices: &DeviceDirectory,
    applier: Applier,
    rest: WebexRest,
    store: Store,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<(), AppError> {
    let Some(client) = devices.netbox().cloned() else {
        return Ok(());
    };
    let devices = devices.clone();
    let notifier = Notifier::new(Some(rest), settings.notify.clone());
    let sync = NetboxSync::new(
        client.clone(),
        devices,
        applier,
        store.clone(),
        notifier,
        settings.netbox_sync.clone(),
    );
    let poller = Poller::new(
        client,
        store.clone(),
        PollerConfig::new(
            settings.netbox_sync.poll_interval,
            settings.netbox_sync.sweep_interval,
        ),
    );
    if let (Some(listen), Some(secret)) = (
        settings.netbox_sync.webhook_listen,
        settings.netbox_sync.webhook_secret.clone(),
    ) {
        let hook = webhook::start(listen, secret, poller.waker(), shutdown.child_token())
            .await
            .map_err(AppError::Webhook)?;
        info!(addr = %hook.addr, "NetBox webhook receiver listening (it only wakes the poller)");
        if let Err(e) = store
            .set_cursor(webhook::LISTEN_PORT, u64::from(hook.addr.port()))
            .await
        {
            tracing::warn!(error = %e, "the webhook receiver's port could not be recorded");
        }
        tracker.spawn(async move { hook.stopped().await });
    }
    info!(
        poll_seconds = settings.netbox_sync.poll_interval.as_secs_f64(),
        sweep_seconds = settings.netbox_sync.sweep_interval.as_secs_f64(),
        "NetBox workflow (W2) started"
    );
    tracker.spawn(
        async move {
            let handle = move |c| {
                let sync = sync.clone();
                async move { sync.handle(c).await }
            };
            if let Err(e) = poller.run(handle, shutdown).await {
                tracing::error!(error = %e, "the NetBox poller stopped");
            }
        }
        .instrument(tracing::info_span!("netbox_poller")),
    );
    Ok(())
}
