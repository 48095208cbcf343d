//! RESTCONF reads (RFC 8040) over reqwest + rustls: certificates verified (plus an optional extra CA),
//! HTTP basic auth, `application/yang-data+json`, percent-encoded list keys, bounded bodies, a timeout.
//! IOS-XE native paths first; ietf-interfaces when the device has no native model.

use super::error::{DeviceError, RpcErrorInfo};
use super::extract;
use super::inventory::{Device, Profile};
use super::model::{InterfaceName, InterfaceView, Protocol, Vrf};
use super::tree::{from_json, Node};
use super::DeviceSettings;
use crate::secret::Secret;
use std::time::Duration;

/// Largest RESTCONF body read from a device.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
const MEDIA: &str = "application/yang-data+json";

/// One step of a RESTCONF data path: a node (`Cisco-IOS-XE-native:native`, `vrf`) or a list entry
/// with its key (`GigabitEthernet` + `1/0/2` → `GigabitEthernet=1%2F0%2F2`). The one path type of
/// the RESTCONF client and the apply flow; text is encoded only when a URL is made ([`data_url`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Node(String),
    Entry(String, String),
}

impl PathSeg {
    pub fn node(name: &str) -> Self {
        PathSeg::Node(name.to_owned())
    }

    pub fn entry(name: &str, key: &str) -> Self {
        PathSeg::Entry(name.to_owned(), key.to_owned())
    }
}

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is percent-encoded, so
/// `/ , = ? # %` and spaces in a key can never change the path (RFC 8040 §3.5.3).
const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One key or name part, percent-encoded.
pub fn encode_segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, KEY).to_string()
}

/// `{base}/data/{seg}/{seg}…`; node names keep their `module:` colon, everything else is encoded.
pub fn data_url(base: &str, path: &[PathSeg]) -> String {
    let mut url = format!("{}/data", base.trim_end_matches('/'));
    for seg in path {
        url.push('/');
        match seg {
            PathSeg::Node(n) => url.push_str(&encode_segment_name(n)),
            PathSeg::Entry(n, key) => {
                url.push_str(&encode_segment_name(n));
                url.push('=');
                url.push_str(&encode_segment(key));
            }
        }
    }
    url
}

fn encode_segment_name(n: &str) -> String {
    n.split(':')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join(":")
}

/// Readable text of an `ietf-restconf:errors` body, if it is one.
pub fn errors_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let errors = v.get("ietf-restconf:errors").or_else(|| v.get("errors"))?;
    let list = errors.get("error")?;
    let items: Vec<&serde_json::Value> = match list {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let s = |e: &serde_json::Value, k: &str| {
        e.get(k)
            .and_then(|x| x.as_str())
            .map(|x| x.chars().take(300).collect::<String>())
    };
    let texts: Vec<String> = items
        .iter()
        .map(|e| {
            RpcErrorInfo {
                error_type: s(e, "error-type"),
                tag: s(e, "error-tag"),
                app_tag: s(e, "error-app-tag"),
                path: s(e, "error-path"),
                message: s(e, "error-message"),
                ..RpcErrorInfo::default()
            }
            .to_string()
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// Outcome of one GET.
#[derive(Debug)]
pub enum Fetched {
    Data(Node),
    /// 204, or 200 with an empty body.
    Empty,
    /// 404 with the device's explanation.
    NotFound(String),
}

/// The HTTPS client every RESTCONF call uses (reads and writes): certificates verified against the
/// system roots plus `DEVICE_CA_FILE`, no redirects, bounded by `timeout`.
pub fn https_client(
    settings: &DeviceSettings,
    timeout: Duration,
) -> Result<reqwest::Client, DeviceError> {
    let mut b = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("patchpanel/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &settings.ca_file {
        let pem = std::fs::read(ca).map_err(|e| {
            DeviceError::Config(format!("cannot read CA file {}: {e}", ca.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                DeviceError::Config(format!("CA file {} holds no PEM certificate", ca.display()))
            })?;
        for cert in certs {
            b = b.add_root_certificate(cert);
        }
    }
    b.build()
        .map_err(|e| DeviceError::Config(format!("cannot build the HTTPS client: {e}")))
}

#[derive(Debug, Clone)]
pub struct Restconf {
    http: reqwest::Client,
    username: Option<String>,
    password: Option<Secret>,
    timeout: Duration,
}

impl Restconf {
    pub fn new(settings: &DeviceSettings, timeout: Duration) -> Result<Self, DeviceError> {
        let http = https_client(settings, timeout)?;
        Ok(Restconf {
            http,
            username: settings.username.clone(),
            password: settings.password.clone(),
            timeout,
        })
    }

    pub async fn get(&self, device: &Device, url: &str) -> Result<Fetched, DeviceError> {
        let dev = device.name.as_str();
        let mut req = self.http.get(url).header(reqwest::header::ACCEPT, MEDIA);
        if let Some(user) = &self.username {
            req = req.basic_auth(user, self.password.as_ref().map(Secret::expose));
        }
        tracing::debug!(device = dev, url, "restconf get");
        let mut resp = req
            .send()
            .await
            .map_err(|e| self.request_error(device, e))?;
        let status = resp.status();
        if resp.content_length().is_some_and(|l| l > MAX_BODY as u64) {
            return Err(too_big(dev));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.request_error(device, e))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(too_big(dev));
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(
            device = dev,
            status = status.as_u16(),
            bytes = body.len(),
            "restconf reply"
        );
        match status.as_u16() {
            200 if body.iter().all(u8::is_ascii_whitespace) => Ok(Fetched::Empty),
            200 => {
                let v: serde_json::Value =
                    serde_json::from_slice(&body).map_err(|e| DeviceError::Protocol {
                        device: dev.to_string(),
                        protocol: Protocol::Restconf,
                        reason: format!("reply is not valid JSON ({e})"),
                    })?;
                Ok(Fetched::Data(from_json(&v)))
            }
            204 => Ok(Fetched::Empty),
            404 => Ok(Fetched::NotFound(
                errors_message(&body).unwrap_or_else(|| "not found".into()),
            )),
            401 => Err(DeviceError::AuthFailed {
                device: dev.to_string(),
                protocol: Protocol::Restconf,
                reason: if self.username.is_none() {
                    "no username configured".into()
                } else {
                    "the device rejected the credentials (HTTP 401)".into()
                },
            }),
            403 => Err(DeviceError::AuthFailed {
                device: dev.to_string(),
                protocol: Protocol::Restconf,
                reason: format!(
                    "access denied (HTTP 403{})",
                    errors_message(&body)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            }),
            code => Err(DeviceError::Restconf {
                device: dev.to_string(),
                status: code,
                message: errors_message(&body).unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("unexpected status")
                        .to_string()
                }),
            }),
        }
    }

    fn request_error(&self, device: &Device, e: reqwest::Error) -> DeviceError {
        let dev = device.name.clone();
        if e.is_timeout() {
            return DeviceError::Timeout {
                device: dev,
                protocol: Protocol::Restconf,
                seconds: self.timeout.as_secs().max(1),
            };
        }
        let mut chain = Vec::new();
        let mut src: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = src {
            let t = s.to_string();
            if !chain.contains(&t) {
                chain.push(t);
            }
            src = s.source();
        }
        // The URL holds no credentials (inventory refuses them), but keep messages short anyway.
        let reason = chain.join(": ").replace(
            &format!(" for url ({})", e.url().map(|u| u.as_str()).unwrap_or("")),
            "",
        );
        let lower = reason.to_lowercase();
        if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
            return DeviceError::Tls {
                device: dev,
                reason,
            };
        }
        if e.is_connect() {
            return DeviceError::Unreachable {
                device: dev,
                address: device.restconf_url.clone().unwrap_or_default(),
                reason,
            };
        }
        DeviceError::Protocol {
            device: dev,
            protocol: Protocol::Restconf,
            reason,
        }
    }

    /// Whether the device serves the native model at all (`native?depth=1` answers).
    async fn has_native(&self, device: &Device, base: &str) -> Result<bool, DeviceError> {
        let url = format!(
            "{}?depth=1",
            data_url(base, &[PathSeg::node("Cisco-IOS-XE-native:native")])
        );
        Ok(!matches!(
            self.get(device, &url).await?,
            Fetched::NotFound(_)
        ))
    }

    /// The configuration model the bot snapshots (`native`, or `interfaces` for the ietf profile):
    /// a root node holding it, as a NETCONF `<data>` reply would; empty when the device has none.
    pub async fn running_config(&self, device: &Device, base: &str) -> Result<Node, DeviceError> {
        let top = match device.profile {
            Some(Profile::Ietf) => "ietf-interfaces:interfaces",
            _ => "Cisco-IOS-XE-native:native",
        };
        match self
            .get(device, &data_url(base, &[PathSeg::node(top)]))
            .await?
        {
            Fetched::Data(root) => Ok(root),
            Fetched::Empty | Fetched::NotFound(_) => Ok(Node::new("")),
        }
    }

    pub async fn vrfs(&self, device: &Device, base: &str) -> Result<Vec<Vrf>, DeviceError> {
        if device.profile == Some(Profile::Ietf) {
            return Err(no_vrf_model(device));
        }
        let url = data_url(
            base,
            &[
                PathSeg::node("Cisco-IOS-XE-native:native"),
                PathSeg::node("vrf"),
                PathSeg::node("definition"),
            ],
        );
        match self.get(device, &url).await? {
            Fetched::Data(root) => Ok(extract::native_vrfs(root.children_named("definition"))),
            Fetched::Empty => Ok(Vec::new()),
            Fetched::NotFound(_) => {
                if device.profile == Some(Profile::Iosxe) || self.has_native(device, base).await? {
                    Ok(Vec::new())
                } else {
                    Err(no_vrf_model(device))
                }
            }
        }
    }

    pub async fn interface(
        &self,
        device: &Device,
        base: &str,
        name: &InterfaceName,
    ) -> Result<InterfaceView, DeviceError> {
        let missing = || DeviceError::NoSuchInterface {
            device: device.name.clone(),
            interface: name.to_string(),
        };
        if device.profile == Some(Profile::Ietf) {
            return self.ietf_interface(device, base, name).await;
        }
        let Some((kind, number)) = name.native() else {
            if device.profile == Some(Profile::Iosxe) {
                return Err(not_native_name(name));
            }
            return self.ietf_interface(device, base, name).await;
        };
        let url = data_url(
            base,
            &[
                PathSeg::node("Cisco-IOS-XE-native:native"),
                PathSeg::node("interface"),
                PathSeg::entry(kind, number),
            ],
        );
        match self.get(device, &url).await? {
            Fetched::Data(root) => {
                let entry = extract::find_entry(root.children_named(kind), number)
                    .or_else(|| root.child(kind))
                    .ok_or_else(missing)?;
                let config = extract::native_interface(entry, name.as_str());
                let state = self.ietf_state(device, base, name.as_str()).await;
                Ok(InterfaceView { config, state })
            }
            Fetched::Empty => Err(missing()),
            Fetched::NotFound(_) => {
                if device.profile == Some(Profile::Iosxe) || self.has_native(device, base).await? {
                    Err(missing())
                } else {
                    self.ietf_interface(device, base, name).await
                }
            }
        }
    }

    async fn ietf_interface(
        &self,
        device: &Device,
        base: &str,
        name: &InterfaceName,
    ) -> Result<InterfaceView, DeviceError> {
        let url = data_url(
            base,
            &[
                PathSeg::node("ietf-interfaces:interfaces"),
                PathSeg::entry("interface", name.as_str()),
            ],
        );
        let missing = || DeviceError::NoSuchInterface {
            device: device.name.clone(),
            interface: name.to_string(),
        };
        match self.get(device, &url).await? {
            Fetched::Data(root) => {
                let entry = extract::find_entry(root.children_named("interface"), name.as_str())
                    .or_else(|| root.child("interface"))
                    .ok_or_else(missing)?;
                let config = extract::ietf_interface(entry, name.as_str());
                let state = match extract::ietf_state(entry) {
                    Some(s) => Some(s),
                    None => self.ietf_state(device, base, name.as_str()).await,
                };
                Ok(InterfaceView { config, state })
            }
            Fetched::Empty | Fetched::NotFound(_) => Err(missing()),
        }
    }

    /// Best effort: oper state from `ietf-interfaces:interfaces-state`; any failure means "unknown".
    async fn ietf_state(
        &self,
        device: &Device,
        base: &str,
        full: &str,
    ) -> Option<super::model::InterfaceState> {
        let url = data_url(
            base,
            &[
                PathSeg::node("ietf-interfaces:interfaces-state"),
                PathSeg::entry("interface", full),
            ],
        );
        match self.get(device, &url).await {
            Ok(Fetched::Data(root)) => extract::find_entry(root.children_named("interface"), full)
                .or_else(|| root.child("interface"))
                .and_then(extract::ietf_state),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!(device = %device.name, error = %e, "no interface state");
                None
            }
        }
    }
}

fn too_big(dev: &str) -> DeviceError {
    DeviceError::Protocol {
        device: dev.to_string(),
        protocol: Protocol::Restconf,
        reason: format!("reply larger than {} MiB", MAX_BODY / (1024 * 1024)),
    }
}

pub(crate) fn no_vrf_model(device: &Device) -> DeviceError {
    DeviceError::Unsupported {
        device: device.name.clone(),
        what: "the device has no Cisco-IOS-XE-native model, so its VRFs cannot be listed".into(),
    }
}

pub(crate) fn not_native_name(name: &InterfaceName) -> DeviceError {
    DeviceError::NotIosxeInterface {
        input: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_encoded_and_cannot_escape_the_segment() {
        assert_eq!(
            data_url(
                "https://h/restconf/",
                &[
                    PathSeg::node("Cisco-IOS-XE-native:native"),
                    PathSeg::node("interface"),
                    PathSeg::entry("GigabitEthernet", "1/0/2")
                ]
            ),
            "https://h/restconf/data/Cisco-IOS-XE-native:native/interface/GigabitEthernet=1%2F0%2F2"
        );
        // A key that tries to leave its segment: every character that could is encoded.
        assert_eq!(
            data_url(
                "https://h/restconf",
                &[
                    PathSeg::node("ietf-interfaces:interfaces"),
                    PathSeg::entry("interface", "Gi1/0/2 ../x:y%2F,z")
                ]
            ),
            "https://h/restconf/data/ietf-interfaces:interfaces/interface=Gi1%2F0%2F2%20..%2Fx%3Ay%252F%2Cz"
        );
        assert_eq!(
            encode_segment("a b,c=d?e#f%g/../é"),
            "a%20b%2Cc%3Dd%3Fe%23f%25g%2F..%2F%C3%A9"
        );
    }

    #[test]
    fn restconf_errors_become_readable() {
        let body = br#"{"ietf-restconf:errors":{"error":[{"error-type":"application","error-tag":"invalid-value","error-path":"/x","error-message":"bad"}]}}"#;
        assert_eq!(
            errors_message(body).as_deref(),
            Some("application/invalid-value: bad (at /x)")
        );
        let single =
            br#"{"errors":{"error":{"error-type":"protocol","error-tag":"access-denied"}}}"#;
        assert_eq!(
            errors_message(single).as_deref(),
            Some("protocol/access-denied")
        );
        assert_eq!(errors_message(b"<html>"), None);
        assert_eq!(errors_message(b"{}"), None);
    }
}
