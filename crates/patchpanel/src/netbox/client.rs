//! `NetboxClient`: the thin reqwest client over the ~10 NetBox endpoints the bot uses
//! (docs/netbox.md). Every URL is built with `Url` (segments and query pairs encoded),
//! every body is bounded, every call has a timeout, and nothing acts on `results[0]` unless
//! `count == 1`.

use std::sync::atomic::AtomicU8;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_MATCH, RETRY_AFTER,
};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::auth::{authorization, TokenKind};
use super::error::{map_status, NetboxError};
use super::paging::{next_page_url, MAX_PAGES};
use super::version::ChangeLogApi;
use crate::text_safety::excerpt;

use super::wire::{Device, Interface, Page, StatusBody, Vlan};
use super::NetboxConfig;

/// What `patchpanel check` reports about NetBox.
#[derive(Debug, Clone)]
pub struct NetboxStatus {
    /// `netbox-version` of `/api/status/` (e.g. `4.7.3`).
    pub version: Option<String>,
    /// The `API-Version` response header (e.g. `4.7`).
    pub api_version: Option<String>,
    pub change_log: ChangeLogApi,
    /// Webhooks need a worker; `0` means none will be delivered.
    pub rq_workers_running: Option<u64>,
    pub token_kind: TokenKind,
}

/// A detail read with the `ETag` the server gave (4.6+; `None` before).
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub value: T,
    pub etag: Option<String>,
}

/// What `clear_ticket_number` did. Only `Cleared` wrote anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClearOutcome {
    Cleared,
    /// The interface no longer carries the ticket we handled (someone changed it): nothing written.
    TicketChanged {
        current: Option<String>,
    },
    /// The interface was edited after the version we handled (its `last_updated` moved, or NetBox
    /// refused the `If-Match`): the ticket is left for that edit.
    EditedSince,
    /// The interface no longer exists.
    Deleted,
}

pub(super) struct Raw {
    status: u16,
    pub(super) etag: Option<String>,
    api_version: Option<String>,
    retry_after: Option<Duration>,
    body: Vec<u8>,
}

/// A cheap-to-clone handle on NetBox's REST API.
#[derive(Clone)]
pub struct NetboxClient {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    http: reqwest::Client,
    base: Url,
    auth: HeaderValue,
    token_kind: TokenKind,
    max_body: usize,
    pub(super) change_log: AtomicU8,
}

impl std::fmt::Debug for NetboxClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetboxClient")
            .field("base", &self.inner.base.as_str())
            .field("token", &"***")
            .finish()
    }
}

impl NetboxClient {
    pub fn new(cfg: &NetboxConfig) -> Result<Self, NetboxError> {
        let (auth, token_kind) = authorization(&cfg.token)?;
        let base = base_url(&cfg.url)?;
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // A redirect would carry the token elsewhere and turns PATCH into GET: refuse it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("patchpanel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| NetboxError::Config(format!("HTTP client: {e}")))?;
        Ok(NetboxClient {
            inner: Arc::new(Inner {
                http,
                base,
                auth,
                token_kind,
                max_body: cfg.max_body,
                change_log: AtomicU8::new(super::version::CL_UNKNOWN),
            }),
        })
    }

    pub fn token_kind(&self) -> TokenKind {
        self.inner.token_kind
    }

    /// `<base>/api/<segments…>/?<query>`, every segment and value encoded.
    pub(super) fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().push("api").extend(segments).push("");
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    pub(super) async fn send(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        if_match: Option<&str>,
        what: &str,
    ) -> Result<Raw, NetboxError> {
        let mut req = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .header(AUTHORIZATION, self.inner.auth.clone())
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            req = req.header(CONTENT_TYPE, "application/json").body(body);
        }
        if let Some(tag) = if_match {
            let v = HeaderValue::from_str(tag).map_err(|_| NetboxError::InvalidResponse {
                what: what.to_owned(),
                detail: "the ETag NetBox gave cannot be sent back".into(),
            })?;
            req = req.header(IF_MATCH, v);
        }
        tracing::debug!(method = %method, path = url.path(), "netbox request");
        let mut resp = req.send().await.map_err(|e| unavailable(what, &e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
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
        tracing::debug!(status, bytes = body.len(), "netbox reply");
        Ok(Raw {
            status,
            etag: header_str(&headers, ETAG.as_str()),
            api_version: header_str(&headers, "api-version"),
            retry_after: header_str(&headers, RETRY_AFTER.as_str())
                .and_then(|s| s.parse::<u64>().ok())
                .map(|s| Duration::from_secs(s.min(3600))),
            body,
        })
    }

    /// GET a JSON document; non-2xx answers become errors naming `what`.
    pub(super) async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
        what: &str,
    ) -> Result<(Fetched<T>, Raw), NetboxError> {
        let raw = self.send(Method::GET, url, None, None, what).await?;
        let value = decode(&raw, what)?;
        Ok((
            Fetched {
                value,
                etag: raw.etag.clone(),
            },
            raw,
        ))
    }

    /// Every result of a listing, following `next` (bounded by `MAX_PAGES` and `max_items`).
    pub(super) async fn list_all<T: DeserializeOwned>(
        &self,
        mut url: Url,
        what: &str,
        max_items: usize,
    ) -> Result<Vec<T>, NetboxError> {
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let (page, _) = self.get_json::<Page<T>>(url.clone(), what).await?;
            out.extend(page.value.results);
            if out.len() > max_items {
                return Err(NetboxError::InvalidResponse {
                    what: what.to_owned(),
                    detail: format!("more than {max_items} results"),
                });
            }
            match next_page_url(&url, page.value.next.as_deref()) {
                Some(next) => url = next,
                None => return Ok(out),
            }
        }
        Err(NetboxError::InvalidResponse {
            what: what.to_owned(),
            detail: format!("more than {MAX_PAGES} pages"),
        })
    }

    /// `/api/status/` plus the change-log endpoint to use from now on.
    pub async fn status(&self) -> Result<NetboxStatus, NetboxError> {
        let (s, raw) = self
            .get_json::<StatusBody>(self.url(&["status"], &[]), "the status page")
            .await?;
        let version = s.value.netbox_version;
        let change_log = version
            .as_deref()
            .or(raw.api_version.as_deref())
            .and_then(ChangeLogApi::for_version)
            .unwrap_or(ChangeLogApi::Core);
        self.remember_change_log(change_log);
        tracing::info!(
            netbox_version = version.as_deref().unwrap_or("?"),
            api_version = raw.api_version.as_deref().unwrap_or("?"),
            change_log = change_log.app(),
            "netbox status"
        );
        Ok(NetboxStatus {
            version,
            api_version: raw.api_version,
            change_log,
            rq_workers_running: s.value.rq_workers_running,
            token_kind: self.inner.token_kind,
        })
    }

    /// The one device with this name (and site slug, since names are unique only per site).
    pub async fn device_by_name(
        &self,
        name: &str,
        site: Option<&str>,
    ) -> Result<Device, NetboxError> {
        let mut q = vec![("name", name), ("limit", "20")];
        if let Some(site) = site {
            q.push(("site", site));
        }
        let what = match site {
            Some(s) => format!("device {name:?} at site {s:?}"),
            None => format!("device {name:?}"),
        };
        let (page, _) = self
            .get_json::<Page<Device>>(self.url(&["dcim", "devices"], &q), &what)
            .await?;
        exactly_one(page.value, &what, |d| {
            format!(
                "{} (id {}, site {})",
                d.name.as_deref().unwrap_or("?"),
                d.id,
                d.site
                    .as_ref()
                    .and_then(|s| s.slug.as_deref())
                    .unwrap_or("none")
            )
        })
    }

    /// The devices the bot can reach: active, with a primary IPv4 address (at most 10,000).
    pub async fn devices_with_primary_ip(&self) -> Result<Vec<Device>, NetboxError> {
        let url = self.url(
            &["dcim", "devices"],
            &[
                ("status", "active"),
                ("has_primary_ip", "true"),
                ("limit", "500"),
            ],
        );
        self.list_all(url, "active devices with a primary IP", 10_000)
            .await
    }

    pub async fn device(&self, id: u64) -> Result<Device, NetboxError> {
        let id_s = id.to_string();
        let what = format!("device id {id}");
        Ok(self
            .get_json::<Device>(self.url(&["dcim", "devices", &id_s], &[]), &what)
            .await?
            .0
            .value)
    }

    /// The one interface of a device with this exact name.
    pub async fn interface_by_name(
        &self,
        device_id: u64,
        name: &str,
    ) -> Result<Interface, NetboxError> {
        let dev = device_id.to_string();
        let what = format!("interface {name:?} on device id {device_id}");
        let url = self.url(
            &["dcim", "interfaces"],
            &[("device_id", &dev), ("name", name), ("limit", "20")],
        );
        let (page, _) = self.get_json::<Page<Interface>>(url, &what).await?;
        exactly_one(page.value, &what, |i| format!("{} (id {})", i.name, i.id))
    }

    /// All interfaces of a device (at most 10,000).
    pub async fn interfaces(&self, device_id: u64) -> Result<Vec<Interface>, NetboxError> {
        let dev = device_id.to_string();
        let url = self.url(
            &["dcim", "interfaces"],
            &[("device_id", &dev), ("limit", "500")],
        );
        self.list_all(url, &format!("interfaces of device id {device_id}"), 10_000)
            .await
    }

    /// One interface with its ETag (for `If-Match` on the next write).
    pub async fn interface(&self, id: u64) -> Result<Fetched<Interface>, NetboxError> {
        let id_s = id.to_string();
        let what = format!("interface id {id}");
        Ok(self
            .get_json::<Interface>(self.url(&["dcim", "interfaces", &id_s], &[]), &what)
            .await?
            .0)
    }

    /// The one VLAN with this VID that interfaces of the device may use (its site, its groups,
    /// global). Zero → `NotFound`, several → `Ambiguous` naming their ids.
    pub async fn vlan_for_device(&self, device_id: u64, vid: u16) -> Result<Vlan, NetboxError> {
        let (dev, vid_s) = (device_id.to_string(), vid.to_string());
        let what = format!("VLAN {vid} for device id {device_id}");
        let url = self.url(
            &["ipam", "vlans"],
            &[
                ("vid", &vid_s),
                ("available_on_device", &dev),
                ("limit", "20"),
            ],
        );
        let (page, _) = self.get_json::<Page<Vlan>>(url, &what).await?;
        let vlan = exactly_one(page.value, &what, |v| {
            format!(
                "id {} ({}, site {})",
                v.id,
                v.name.as_deref().unwrap_or("?"),
                v.site
                    .as_ref()
                    .and_then(|s| s.slug.as_deref())
                    .unwrap_or("global")
            )
        })?;
        // An ignored filter would return any VLAN: check the answer is what we asked for.
        if vlan.vid != vid {
            return Err(NetboxError::InvalidResponse {
                what,
                detail: format!("NetBox answered VLAN {} for VID {vid}", vlan.vid),
            });
        }
        Ok(vlan)
    }

    /// One VLAN by its NetBox id (not its VID), with its site (`None`: a global VLAN).
    pub async fn vlan(&self, id: u64) -> Result<Vlan, NetboxError> {
        let id_s = id.to_string();
        let what = format!("VLAN id {id}");
        let vlan = self
            .get_json::<Vlan>(self.url(&["ipam", "vlans", &id_s], &[]), &what)
            .await?
            .0
            .value;
        if vlan.id != id {
            return Err(NetboxError::InvalidResponse {
                what,
                detail: format!("NetBox answered VLAN id {}", vlan.id),
            });
        }
        Ok(vlan)
    }
}

/// NETBOX_URL → the URL under which `/api/` lives (a trailing `/api` is tolerated).
fn base_url(raw: &str) -> Result<Url, NetboxError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/api").unwrap_or(trimmed);
    let url = Url::parse(trimmed)
        .map_err(|e| NetboxError::Config(format!("NETBOX_URL {:?}: {e}", excerpt(raw, 100))))?;
    if url.cannot_be_a_base() || !matches!(url.scheme(), "http" | "https") {
        return Err(NetboxError::Config(format!(
            "NETBOX_URL {:?} is not an http(s) base URL",
            excerpt(raw, 100)
        )));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(NetboxError::Config(
            "NETBOX_URL must not carry credentials or a query; put the token in NETBOX_TOKEN"
                .into(),
        ));
    }
    Ok(url)
}

/// Zero → `NotFound`, several → `Ambiguous` listing them, one → it.
fn exactly_one<T>(
    page: Page<T>,
    what: &str,
    describe: impl Fn(&T) -> String,
) -> Result<T, NetboxError> {
    let count = page.count.max(page.results.len() as u64);
    let mut results = page.results;
    if count == 1 && results.len() == 1 {
        if let Some(one) = results.pop() {
            return Ok(one);
        }
    }
    if count == 0 {
        return Err(NetboxError::NotFound {
            what: what.to_owned(),
        });
    }
    if count == 1 {
        return Err(NetboxError::InvalidResponse {
            what: what.to_owned(),
            detail: "count is 1 but the results do not hold exactly one object".into(),
        });
    }
    let mut candidates: Vec<String> = results.iter().take(10).map(describe).collect();
    if count > results.len().min(10) as u64 {
        candidates.push(format!("… {} in all", count));
    }
    Err(NetboxError::Ambiguous {
        what: what.to_owned(),
        candidates,
    })
}

pub(super) fn decode<T: DeserializeOwned>(raw: &Raw, what: &str) -> Result<T, NetboxError> {
    if !(200..300).contains(&raw.status) {
        return Err(map_status(raw.status, raw.retry_after, &raw.body, what));
    }
    serde_json::from_slice(&raw.body).map_err(|e| NetboxError::InvalidResponse {
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

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| excerpt(s.trim(), 200))
        .filter(|s| !s.is_empty())
}

pub(super) fn to_json<T: Serialize>(body: &T) -> Result<Vec<u8>, NetboxError> {
    serde_json::to_vec(body).map_err(|e| NetboxError::Config(format!("request body: {e}")))
}

fn unavailable(what: &str, e: &reqwest::Error) -> NetboxError {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "transport error"
    };
    NetboxError::Unavailable {
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

fn too_big(what: &str, limit: usize) -> NetboxError {
    NetboxError::InvalidResponse {
        what: what.to_owned(),
        detail: format!("the answer is larger than {limit} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_tolerates_api_suffix_and_refuses_credentials() {
        assert_eq!(
            base_url("https://nb.example/netbox/api/").unwrap().as_str(),
            "https://nb.example/netbox"
        );
        assert!(base_url("https://user:pw@nb.example").is_err());
        assert!(base_url("ftp://nb.example").is_err());
        assert!(base_url("not a url").is_err());
    }

    #[test]
    fn urls_encode_segments_and_query_values() {
        let c = NetboxClient::new(&NetboxConfig::new(
            "http://127.0.0.1:9/nb",
            crate::secret::Secret::new("0123456789abcdef0123456789abcdef01234567"),
        ))
        .unwrap();
        let u = c.url(
            &["dcim", "interfaces"],
            &[("device_id", "1"), ("name", "GigabitEthernet1/0/3&x=1 ü")],
        );
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:9/nb/api/dcim/interfaces/?device_id=1&name=GigabitEthernet1%2F0%2F3%26x%3D1+%C3%BC"
        );
        let u = c.url(&["dcim", "devices", "../x"], &[]);
        assert_eq!(u.as_str(), "http://127.0.0.1:9/nb/api/dcim/devices/..%2Fx/");
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }

    fn page<T>(count: u64, results: Vec<T>) -> Page<T> {
        Page {
            count,
            next: None,
            results,
        }
    }

    #[test]
    fn exactly_one_requires_count_one() {
        assert_eq!(
            exactly_one(page(1, vec![7]), "x", |n| n.to_string()).unwrap(),
            7
        );
        assert!(matches!(
            exactly_one(page(0, Vec::<u8>::new()), "x", |n| n.to_string()),
            Err(NetboxError::NotFound { .. })
        ));
        match exactly_one(page(3, vec![1, 2]), "x", |n| n.to_string()) {
            Err(NetboxError::Ambiguous { candidates, .. }) => {
                assert_eq!(candidates, vec!["1", "2", "… 3 in all"])
            }
            other => panic!("{other:?}"),
        }
        // count says 5 but one result came back (a page of 1): still ambiguous.
        assert!(matches!(
            exactly_one(page(5, vec![1]), "x", |n| n.to_string()),
            Err(NetboxError::Ambiguous { .. })
        ));
    }
}
