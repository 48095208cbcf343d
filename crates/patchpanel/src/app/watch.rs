//! Wiring of the configuration-change notifier: the watcher (safety-net poll, checks, report
//! delivery) on the caller's task tracker, fed by the bot's own changes (the Applier's hook), the
//! optional syslog receiver (`PATCHPANEL_SYSLOG_LISTEN`) and a NETCONF subscription per device that
//! offers notifications. Runs whenever devices are configured.

use super::AppError;
use crate::config::Settings;
use crate::device::apply::{uses_netconf, Applier};
use crate::device::Device;
use crate::device::DeviceReader;
use crate::directory::DeviceDirectory;
use crate::store::Store;
use crate::watch::signal::{now_ms, Signal, Via};
use crate::watch::subscription::{SubscriptionConfig, Subscriptions};
use crate::watch::syslog_receiver::SyslogReceiver;
use crate::watch::watcher::{Watcher, WatcherParts};
use crate::webex::WebexRest;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

/// Starts the notifier; answers the watcher (tests and the demo read its stats).
#[allow(clippy::too_many_arguments)]
pub async fn start(
    settings: &Settings,
    directory: &DeviceDirectory,
    reader: DeviceReader,
    applier: &Applier,
    rest: WebexRest,
    store: Store,
    tracker: &TaskTracker,
    shutdown: CancellationToken,
) -> Result<Watcher, AppError> {
    let watcher = Watcher::new(WatcherParts {
        store,
        directory: directory.clone(),
        reader,
        locks: applier.locks().clone(),
        own: applier.own_changes().clone(),
        rest: Some(rest),
        room: settings.watch.room.clone(),
        poll_interval: settings.watch.poll_interval,
    });
    // The bot's own change is checked as soon as it is over, and reported as planned.
    let w = watcher.clone();
    applier
        .own_changes()
        .set_on_finish(move |device| w.signal(Signal::new(device, Via::OwnChange, now_ms())));
    if let Some(listen) = settings.watch.syslog_listen {
        let bound = SyslogReceiver::bind(listen).await?;
        let addr = bound.local_addr();
        info!(%addr, "syslog receiver listening (UDP and TCP)");
        if let Err(e) = watcher
            .store()
            .set_cursor(crate::watch::SYSLOG_PORT, u64::from(addr.port()))
            .await
        {
            warn!(error = %e, "the syslog receiver's port could not be recorded");
        }
        tracker.spawn(bound.run(watcher.queue(), watcher.address_book(), shutdown.clone()));
    }
    // One NETCONF subscription per device reached over NETCONF, following the device set.
    let subscriptions = Arc::new(Mutex::new(Some(Subscriptions::new(
        settings.devices.clone(),
        SubscriptionConfig::default(),
        watcher.queue(),
    ))));
    let subs = subscriptions.clone();
    watcher.start(tracker, shutdown.clone(), move |devices| {
        let netconf: Vec<(String, Device)> = devices
            .iter()
            .filter(|d| uses_netconf(d))
            .map(|d| (d.name.clone(), d.clone()))
            .collect();
        let mut guard = subs.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = guard.as_mut() {
            if let Err(e) = s.set_devices(netconf) {
                warn!(error = %e, "NETCONF subscriptions could not follow the device list");
            }
        }
    });
    // The subscription threads are blocking; they are stopped and joined when the bot stops.
    tracker.spawn(async move {
        shutdown.cancelled().await;
        let subs = subscriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(s) = subs {
            s.stop().await;
        }
    });
    Ok(watcher)
}
