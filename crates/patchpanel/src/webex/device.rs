//! Service discovery (U2C catalog) and the WDM device registration that yields the socket URL
//! (docs/webex.md §1).

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::{Method, Url};
use serde_json::Value;

use super::error::WebexError;
use super::ids;
use super::rest::WebexRest;
use super::wire::{Catalog, Device, DeviceList, DeviceRequest};

/// The WDM base every reference client falls back to when U2C fails. Region-specific orgs get a
/// socket that never receives events with it (docs/webex.md §1.1), hence the loud warning.
pub const FALLBACK_WDM: &str = "https://wdm-a.wbx2.com/wdm/api/v1";

/// What the bot needs from U2C: where WDM lives, which cluster each conversation host is in, and
/// which hosts are Webex's own (the only ones an activity's `target.url` may send our token to).
#[derive(Debug, Clone, Default)]
pub struct ServiceCatalog {
    pub wdm_url: String,
    /// host → hydra cluster (`us` or `urn:TEAM:<region>`), only for hosts in exactly one cluster.
    clusters: HashMap<String, String>,
    /// `(scheme, host, port)` of every service link and catalog host.
    origins: HashSet<Origin>,
}

/// The part of a URL that decides who receives a request.
type Origin = (String, String, u16);

fn origin_of(url: &Url) -> Option<Origin> {
    Some((
        url.scheme().to_owned(),
        url.host_str()?.to_ascii_lowercase(),
        url.port_or_known_default()?,
    ))
}

/// `urn:TEAM:<cluster>:<service>` → (service, hydra cluster).
fn catalog_entry(id: &str) -> Option<(&str, String)> {
    let service = id.rsplit(':').next().filter(|s| !s.is_empty())?;
    Some((service, ids::cluster_from_catalog_id(id)))
}

impl ServiceCatalog {
    pub fn fallback() -> Self {
        ServiceCatalog {
            wdm_url: FALLBACK_WDM.to_owned(),
            ..Default::default()
        }
    }

    /// Reads a U2C hostmap answer; `None` when it has no WDM link.
    pub fn from_wire(c: &Catalog) -> Option<Self> {
        let wdm_url = c.service_links.get("wdm")?.as_str()?.to_owned();
        let mut origins: HashSet<Origin> = c
            .service_links
            .values()
            .filter_map(Value::as_str)
            .filter_map(|u| Url::parse(u).ok())
            .filter_map(|u| origin_of(&u))
            .collect();
        // host → (clusters of its conversation entries, clusters of all its entries).
        let mut seen: HashMap<String, (BTreeSet<String>, BTreeSet<String>)> = HashMap::new();
        for (key, entries) in &c.host_catalog {
            for e in entries {
                let Some((service, cluster)) = e.id.as_deref().and_then(catalog_entry) else {
                    continue;
                };
                for host in std::iter::once(key.as_str()).chain(e.host.as_deref()) {
                    let slot = seen.entry(host.to_ascii_lowercase()).or_default();
                    if service == "conversation" {
                        slot.0.insert(cluster.clone());
                    }
                    slot.1.insert(cluster.clone());
                }
            }
            for host in std::iter::once(key.as_str())
                .chain(entries.iter().filter_map(|e| e.host.as_deref()))
            {
                if let Some(o) = Url::parse(&format!("https://{host}"))
                    .ok()
                    .and_then(|u| origin_of(&u))
                {
                    origins.insert(o);
                }
            }
        }
        // A host that fronts several clusters says nothing about any one space's cluster.
        let clusters = seen
            .into_iter()
            .filter_map(|(host, (conversation, all))| {
                let set = if conversation.is_empty() {
                    all
                } else {
                    conversation
                };
                (set.len() == 1)
                    .then(|| set.into_iter().next())
                    .flatten()
                    .map(|c| (host, c))
            })
            .collect();
        Some(ServiceCatalog {
            wdm_url,
            clusters,
            origins,
        })
    }

    /// The hydra cluster of an activity's `target.url` when the catalog says which it is.
    pub fn cluster_for_url(&self, url: Option<&str>) -> Option<String> {
        let url = Url::parse(url?).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        let with_port = url.port().map(|p| format!("{host}:{p}"));
        with_port
            .and_then(|h| self.clusters.get(&h))
            .or_else(|| self.clusters.get(&host))
            .cloned()
    }

    /// Whether `url` is on a host the catalog named (scheme and port included).
    pub fn trusts(&self, url: &Url) -> bool {
        origin_of(url).is_some_and(|o| self.origins.contains(&o))
    }
}

/// `GET {u2c}/catalog?format=hostmap`. Only a rejected token is an error; any other failure falls
/// back to [`FALLBACK_WDM`].
pub async fn discover(rest: &WebexRest, u2c_url: &str) -> Result<ServiceCatalog, WebexError> {
    let url = Url::parse(&format!("{}/catalog", u2c_url.trim_end_matches('/'))).map(|mut u| {
        u.query_pairs_mut().append_pair("format", "hostmap");
        u
    });
    let result = match url {
        Ok(url) => rest.get_json::<Catalog>(url).await,
        Err(e) => Err(WebexError::Config(format!("u2c_url: {e}"))),
    };
    match result {
        Ok(c) => match ServiceCatalog::from_wire(&c) {
            Some(sc) => {
                tracing::info!(wdm = %sc.wdm_url, hosts = sc.clusters.len(), "webex service catalog");
                Ok(sc)
            }
            None => {
                tracing::warn!(fallback = FALLBACK_WDM, "U2C catalog has no serviceLinks.wdm; using the fallback WDM — the bot may receive no messages if the org is homed elsewhere");
                Ok(ServiceCatalog::fallback())
            }
        },
        Err(WebexError::TokenRejected) => Err(WebexError::TokenRejected),
        Err(e) => {
            tracing::warn!(error = %e, fallback = FALLBACK_WDM, "U2C discovery failed; using the fallback WDM — the bot may receive no messages if the org is homed elsewhere");
            Ok(ServiceCatalog::fallback())
        }
    }
}

/// A usable device registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub url: String,
    pub web_socket_url: String,
}

fn request_body(name: &str) -> DeviceRequest<'_> {
    DeviceRequest {
        device_name: name,
        device_type: "DESKTOP",
        localized_model: "rust",
        model: "patchpanel",
        name,
        system_name: "patchpanel",
        system_version: env!("CARGO_PKG_VERSION"),
    }
}

fn devices_url(wdm_url: &str) -> Result<Url, WebexError> {
    Url::parse(&format!("{}/devices", wdm_url.trim_end_matches('/')))
        .map_err(|e| WebexError::Config(format!("wdm url: {e}")))
}

fn to_registration(d: Device, what: &str) -> Result<Registration, WebexError> {
    match (d.url, d.web_socket_url) {
        (Some(url), Some(ws)) if !url.is_empty() && !ws.is_empty() => Ok(Registration {
            url,
            web_socket_url: ws,
        }),
        _ => Err(WebexError::InvalidResponse {
            what: what.to_owned(),
            detail: "device without url or webSocketUrl".to_owned(),
        }),
    }
}

/// Our devices (by `name`), newest `modificationTime` first.
async fn our_devices(
    rest: &WebexRest,
    wdm_url: &str,
    name: &str,
) -> Result<Vec<Device>, WebexError> {
    let list = match rest.get_json::<DeviceList>(devices_url(wdm_url)?).await {
        Ok(l) => l.devices,
        Err(WebexError::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut ours: Vec<Device> = list
        .into_iter()
        .filter(|d| d.name.as_deref() == Some(name) && d.url.is_some())
        .collect();
    // ISO-8601 timestamps in one format sort chronologically as strings.
    ours.sort_by(|a, b| b.modification_time.cmp(&a.modification_time));
    Ok(ours)
}

/// Reuses our newest device (refreshed with PUT) or registers a new one.
pub async fn register(
    rest: &WebexRest,
    wdm_url: &str,
    name: &str,
) -> Result<Registration, WebexError> {
    let ours = our_devices(rest, wdm_url, name).await?;
    if let Some(dev) = ours.into_iter().next() {
        let url = dev.url.clone().unwrap_or_default();
        match Url::parse(&url) {
            Ok(u) => {
                match rest
                    .send_json::<Device, _>(Method::PUT, u, Some(&request_body(name)))
                    .await
                {
                    Ok(d) => {
                        let reg = to_registration(d, "PUT device")?;
                        tracing::info!(device = %reg.url, "reusing webex device");
                        return Ok(reg);
                    }
                    Err(WebexError::NotFound { .. }) => {
                        tracing::info!(device = %url, "webex device is gone; registering a new one");
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(_) => {
                tracing::warn!("listed webex device has an unparsable url; registering a new one")
            }
        }
    }
    create(rest, wdm_url, name).await
}

/// `POST {wdm}/devices`; on 403 "excessive device registrations" deletes our oldest devices and
/// retries once.
pub async fn create(
    rest: &WebexRest,
    wdm_url: &str,
    name: &str,
) -> Result<Registration, WebexError> {
    let url = devices_url(wdm_url)?;
    match post_device(rest, &url, name).await {
        Err(WebexError::Forbidden {
            message,
            tracking_id,
        }) if message.to_ascii_lowercase().contains("excessive") => {
            tracing::warn!(%message, %tracking_id, "too many webex devices; deleting our oldest");
            delete_oldest(rest, wdm_url, name).await?;
            post_device(rest, &url, name).await
        }
        other => other,
    }
}

async fn post_device(rest: &WebexRest, url: &Url, name: &str) -> Result<Registration, WebexError> {
    let d: Device = rest
        .send_json(Method::POST, url.clone(), Some(&request_body(name)))
        .await?;
    let reg = to_registration(d, "POST device")?;
    tracing::info!(device = %reg.url, "registered webex device");
    Ok(reg)
}

/// Deletes the oldest third (at least one) of our own devices; never anyone else's.
async fn delete_oldest(rest: &WebexRest, wdm_url: &str, name: &str) -> Result<(), WebexError> {
    let mut ours = our_devices(rest, wdm_url, name).await?;
    if ours.is_empty() {
        tracing::warn!("no devices of our own to delete; the limit is used by other devices");
        return Ok(());
    }
    ours.reverse();
    let n = ours.len().div_ceil(3);
    for d in ours.into_iter().take(n) {
        let Some(u) = d.url.as_deref().and_then(|u| Url::parse(u).ok()) else {
            continue;
        };
        match rest.call::<()>(Method::DELETE, u, None).await {
            Ok(_) | Err(WebexError::NotFound { .. }) => {
                tracing::info!(
                    device = d.url.as_deref().unwrap_or(""),
                    "deleted old webex device"
                )
            }
            Err(WebexError::TokenRejected) => return Err(WebexError::TokenRejected),
            Err(e) => tracing::warn!(error = %e, "could not delete old webex device"),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_maps_hosts_to_clusters() {
        let c: Catalog = serde_json::from_str(
            r#"{"serviceLinks":{"wdm":"https://wdm-r.wbx2.com/wdm/api/v1",
                                "conversation":"https://conv-r.wbx2.com/conversation/api/v1"},
                "hostCatalog":{
                  "conv-r.wbx2.com":[{"host":"conv-r-alt.wbx2.com","id":"urn:TEAM:eu-central-1_k:conversation"}],
                  "conv-a.wbx2.com":[{"host":"conv-a.wbx2.com","id":"urn:TEAM:us-east-2_a:conversation"}],
                  "shared.svc.webex.com":[{"host":"shared.svc.webex.com","id":"urn:TEAM:us-east-2_a:conversation"},
                                          {"host":"shared.svc.webex.com","id":"urn:TEAM:me-central-1_d:conversation"}],
                  "mixed.wbx2.com":[{"host":"mixed.wbx2.com","id":"urn:TEAM:us-east-2_a:u2c"},
                                    {"host":"mixed.wbx2.com","id":"urn:TEAM:eu-central-1_k:conversation"}],
                  "empty.wbx2.com":[]
                }}"#,
        )
        .unwrap();
        let sc = ServiceCatalog::from_wire(&c).unwrap();
        assert_eq!(sc.wdm_url, "https://wdm-r.wbx2.com/wdm/api/v1");
        let eu = Some("urn:TEAM:eu-central-1_k".to_owned());
        assert_eq!(
            sc.cluster_for_url(Some(
                "https://conv-r.wbx2.com/conversation/api/v1/conversations/x"
            )),
            eu
        );
        assert_eq!(
            sc.cluster_for_url(Some("https://CONV-R-ALT.wbx2.com/x")),
            eu
        );
        assert_eq!(
            sc.cluster_for_url(Some("https://conv-a.wbx2.com/x")),
            Some("us".to_owned())
        );
        // A host in two clusters is no answer; a host's conversation entry beats its other services.
        assert_eq!(
            sc.cluster_for_url(Some("https://shared.svc.webex.com/x")),
            None
        );
        assert_eq!(sc.cluster_for_url(Some("https://mixed.wbx2.com/x")), eu);
        assert_eq!(sc.cluster_for_url(Some("https://unknown/x")), None);
        assert_eq!(sc.cluster_for_url(Some("::garbage")), None);
        assert_eq!(sc.cluster_for_url(None), None);
    }

    #[test]
    fn catalog_trusts_only_the_hosts_it_names() {
        let c: Catalog = serde_json::from_str(
            r#"{"serviceLinks":{"wdm":"http://127.0.0.1:8686/wdm/api/v1"},
                "hostCatalog":{"conv-k.wbx2.com":[{"host":"conv-k-alt.wbx2.com","id":"urn:TEAM:eu-central-1_k:conversation"}]}}"#,
        )
        .unwrap();
        let sc = ServiceCatalog::from_wire(&c).unwrap();
        let url = |u: &str| Url::parse(u).unwrap();
        assert!(sc.trusts(&url("http://127.0.0.1:8686/conversation/api/v1/x")));
        assert!(sc.trusts(&url("https://conv-k.wbx2.com/x")));
        assert!(sc.trusts(&url("https://conv-k-alt.wbx2.com:443/x")));
        assert!(!sc.trusts(&url("http://127.0.0.1:8687/x")), "another port");
        assert!(
            !sc.trusts(&url("https://127.0.0.1:8686/x")),
            "another scheme"
        );
        assert!(!sc.trusts(&url("http://conv-k.wbx2.com/x")), "plain http");
        assert!(!sc.trusts(&url("https://attacker.example/x")));
        assert!(!ServiceCatalog::fallback().trusts(&url("https://conv-k.wbx2.com/x")));
    }

    #[test]
    fn catalog_without_wdm_is_none() {
        let c: Catalog = serde_json::from_str(r#"{"serviceLinks":{"wdm":5}}"#).unwrap();
        assert!(ServiceCatalog::from_wire(&c).is_none());
        assert!(ServiceCatalog::from_wire(&Catalog::default()).is_none());
    }

    #[test]
    fn device_body_has_the_spec_fields() {
        let v = serde_json::to_value(request_body("pp")).unwrap();
        for k in [
            "deviceName",
            "deviceType",
            "localizedModel",
            "model",
            "name",
            "systemName",
            "systemVersion",
        ] {
            assert!(v.get(k).is_some(), "{k}");
        }
        assert_eq!(v["deviceType"], "DESKTOP");
        assert_eq!(v["name"], "pp");
    }

    #[test]
    fn registration_needs_both_urls() {
        let d = Device {
            url: Some("u".into()),
            ..Default::default()
        };
        assert!(to_registration(d, "x").is_err());
    }
}
