//! RESTCONF writes (RFC 8040) for devices without NETCONF, with the conventions of `restconf`
//! (verified TLS plus an optional CA, basic auth, `application/yang-data+json`, percent-encoded keys,
//! bounded bodies, a timeout): GET the entry (snapshot) → PATCH (merge) → DELETE removed leaves →
//! GET and verify every intended value → on a mismatch DELETE what the change created and PATCH the
//! snapshot back → `cisco-ia:save-config` on IOS-XE.

use super::verify::verify;
use super::{ApplyError, ApplyReport, Outcome};
use crate::device::change::ValidChange;
use crate::device::diff::{diff, project, Diff};
use crate::device::inventory::{Device, Profile};
use crate::device::model::{InterfaceConfig, Protocol};
use crate::device::profile::{self, PathSeg, Snapshot};
use crate::device::restconf::{data_url, errors_message, MAX_BODY};
use crate::device::{DeviceError, DeviceSettings};
use crate::secret::Secret;
use reqwest::Method;
use serde_json::Value;
use std::time::Duration;

const MEDIA: &str = "application/yang-data+json";

#[derive(Debug, Clone)]
pub struct RestconfWriter {
    http: reqwest::Client,
    username: Option<String>,
    password: Option<Secret>,
    timeout: Duration,
}

/// An HTTP exchange that completed (any status).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn words(&self) -> String {
        errors_message(&self.body).unwrap_or_else(|| format!("HTTP {}", self.status))
    }
}

impl RestconfWriter {
    pub fn new(settings: &DeviceSettings, timeout: Duration) -> Result<Self, DeviceError> {
        let http = crate::device::restconf::https_client(settings, timeout)?;
        Ok(RestconfWriter {
            http,
            username: settings.username.clone(),
            password: settings.password.clone(),
            timeout,
        })
    }

    async fn send(
        &self,
        device: &Device,
        method: Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, DeviceError> {
        let dev = device.name.as_str();
        let mut req = self
            .http
            .request(method.clone(), url)
            .header(reqwest::header::ACCEPT, MEDIA);
        if let Some(user) = &self.username {
            req = req.basic_auth(user, self.password.as_ref().map(Secret::expose));
        }
        if let Some(b) = body {
            let bytes = serde_json::to_vec(b).map_err(|e| DeviceError::Other(e.to_string()))?;
            req = req.header(reqwest::header::CONTENT_TYPE, MEDIA).body(bytes);
        }
        tracing::debug!(device = dev, %method, url, "restconf write");
        let mut resp = req.send().await.map_err(|e| self.transport(device, e))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(device, e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(DeviceError::Protocol {
                    device: dev.to_string(),
                    protocol: Protocol::Restconf,
                    reason: format!("reply larger than {} MiB", MAX_BODY / (1024 * 1024)),
                });
            }
            body.extend_from_slice(&chunk);
        }
        tracing::debug!(device = dev, %method, status, bytes = body.len(), "restconf reply");
        if status == 401 || status == 403 {
            return Err(DeviceError::AuthFailed {
                device: dev.to_string(),
                protocol: Protocol::Restconf,
                reason: format!("the device answered HTTP {status}"),
            });
        }
        Ok(Answer { status, body })
    }

    fn transport(&self, device: &Device, e: reqwest::Error) -> DeviceError {
        let dev = device.name.clone();
        if e.is_timeout() {
            return DeviceError::Timeout {
                device: dev,
                protocol: Protocol::Restconf,
                seconds: self.timeout.as_secs().max(1),
            };
        }
        let connect = e.is_connect();
        let reason = e.without_url().to_string();
        if connect {
            DeviceError::Unreachable {
                device: dev,
                address: device.restconf_url.clone().unwrap_or_default(),
                reason,
            }
        } else {
            DeviceError::Protocol {
                device: dev,
                protocol: Protocol::Restconf,
                reason,
            }
        }
    }

    /// The entry's JSON, `None` when the device has no such entry.
    async fn get_json(&self, device: &Device, url: &str) -> Result<Option<Value>, DeviceError> {
        let a = self.send(device, Method::GET, url, None).await?;
        match a.status {
            200 if a.body.iter().all(u8::is_ascii_whitespace) => Ok(None),
            200 => serde_json::from_slice(&a.body)
                .map(Some)
                .map_err(|e| DeviceError::Protocol {
                    device: device.name.clone(),
                    protocol: Protocol::Restconf,
                    reason: format!("reply is not valid JSON ({e})"),
                }),
            204 | 404 => Ok(None),
            status => Err(DeviceError::Restconf {
                device: device.name.clone(),
                status,
                message: a.words(),
            }),
        }
    }

    /// IOS-XE unless the device has no native model (same probe as the reader).
    async fn profile(&self, device: &Device, base: &str) -> Result<Profile, DeviceError> {
        if let Some(p) = device.profile {
            return Ok(p);
        }
        let url = format!(
            "{}?depth=1",
            data_url(base, &[PathSeg::node("Cisco-IOS-XE-native:native")])
        );
        let a = self.send(device, Method::GET, &url, None).await?;
        Ok(if a.status == 404 {
            Profile::Ietf
        } else {
            Profile::Iosxe
        })
    }

    /// The RESTCONF apply procedure (see the module docs). Called by `apply::Applier` under the
    /// device lock.
    pub async fn apply(
        &self,
        device: &Device,
        change: &ValidChange,
    ) -> Result<ApplyReport, ApplyError> {
        let base = device
            .restconf_url
            .clone()
            .ok_or_else(|| DeviceError::Config(format!("{} has no restconf_url", device.name)))?;
        let profile = self.profile(device, &base).await?;
        let valid = change.for_profile(profile)?;
        let entry = profile::restconf_entry(profile, &valid.interface);
        let url = url_of(&base, &entry, &[]);
        let missing = || {
            ApplyError::Device(DeviceError::NoSuchInterface {
                device: device.name.clone(),
                interface: valid.interface.to_string(),
            })
        };
        let raw = self.get_json(device, &url).await?.ok_or_else(missing)?;
        let before =
            profile::parse_restconf(profile, &valid.interface, &raw).ok_or_else(missing)?;
        let attempted = diff(&before.config, &project(&before.config, &valid));
        let mut run = Run {
            w: self,
            device,
            base: &base,
            entry: &entry,
            url: &url,
            valid: &valid,
            before: &before,
            raw: &raw,
            attempted: &attempted,
            steps: vec!["GET interface".into()],
            warnings: Vec::new(),
        };
        let (outcome, after) = if attempted.is_empty() {
            run.steps
                .push("nothing to write: the interface already has these values".into());
            (
                Outcome::Applied {
                    diff: attempted.clone(),
                },
                Some(before.config.clone()),
            )
        } else {
            run.write().await
        };
        Ok(ApplyReport {
            device: device.name.clone(),
            interface: valid.interface.to_string(),
            protocol: Protocol::Restconf,
            profile,
            reason: valid.reason.clone(),
            before: before.config.clone(),
            after,
            outcome,
            warnings: run.warnings,
            steps: run.steps,
        })
    }
}

fn url_of(base: &str, entry: &[PathSeg], rel: &[PathSeg]) -> String {
    data_url(base, &[entry, rel].concat())
}

/// `{"module:list": {..}}` or `[{..}]` → the one-entry array form a PATCH body needs.
fn as_patch_body(raw: &Value) -> Value {
    match raw {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Array(_) => v.clone(),
                        other => Value::Array(vec![other.clone()]),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

type Step = (Outcome, Option<InterfaceConfig>);

struct Run<'a> {
    w: &'a RestconfWriter,
    device: &'a Device,
    base: &'a str,
    entry: &'a [PathSeg],
    url: &'a str,
    valid: &'a ValidChange,
    before: &'a Snapshot,
    raw: &'a Value,
    attempted: &'a Diff,
    steps: Vec<String>,
    warnings: Vec<String>,
}

impl Run<'_> {
    fn unknown(&self, detail: String) -> Step {
        (
            Outcome::OutcomeUnknown {
                detail,
                diff_attempted: self.attempted.clone(),
            },
            None,
        )
    }

    async fn read(&mut self) -> Result<Option<Snapshot>, DeviceError> {
        self.steps.push("GET interface".into());
        Ok(self
            .w
            .get_json(self.device, self.url)
            .await?
            .and_then(|v| profile::parse_restconf(self.valid.profile, &self.valid.interface, &v)))
    }

    async fn delete(&mut self, rel: &[PathSeg]) -> Result<Option<String>, DeviceError> {
        let url = url_of(self.base, self.entry, rel);
        self.steps.push(format!(
            "DELETE {}",
            rel.iter()
                .map(|s| match s {
                    PathSeg::Node(n) => n.clone(),
                    PathSeg::Entry(n, k) => format!("{n}={k}"),
                })
                .collect::<Vec<_>>()
                .join("/")
        ));
        let a = self.w.send(self.device, Method::DELETE, &url, None).await?;
        // Already absent is what we wanted.
        Ok((!a.ok() && a.status != 404).then(|| a.words()))
    }

    async fn write(&mut self) -> Step {
        let plan = profile::restconf_plan(self.valid, &self.before.config);
        if let Some(body) = &plan.patch {
            self.steps.push("PATCH interface".into());
            match self
                .w
                .send(self.device, Method::PATCH, self.url, Some(body))
                .await
            {
                Ok(a) if a.ok() => {}
                Ok(a) => {
                    let words = a.words();
                    // A refused PATCH changes nothing (RFC 8040 §4.6.1); confirm it anyway.
                    return match self.read().await {
                        Ok(Some(now)) if diff(&self.before.config, &now.config).is_empty() => (
                            Outcome::Rejected {
                                device_words: words,
                                diff_attempted: self.attempted.clone(),
                            },
                            Some(now.config),
                        ),
                        _ => {
                            self.restore(format!("the device refused the change: {words}"))
                                .await
                        }
                    };
                }
                Err(e) => {
                    return self.unknown(format!(
                        "PATCH got no answer ({e}); the change may or may not be in running-config"
                    ))
                }
            }
        }
        for rel in &plan.deletes {
            match self.delete(rel).await {
                Ok(None) => {}
                Ok(Some(words)) => {
                    return self
                        .restore(format!("the device refused a removal: {words}"))
                        .await
                }
                Err(e) => {
                    return self.unknown(format!(
                        "DELETE got no answer ({e}); the change may be partly in running-config"
                    ))
                }
            }
        }
        let after = match self.read().await {
            Ok(Some(s)) => s,
            Ok(None) => {
                return self
                    .restore("verification failed: the interface is missing".into())
                    .await
            }
            Err(e) => {
                return self.unknown(format!(
                    "the change was written but could not be read back ({e})"
                ))
            }
        };
        let mismatches = verify(self.valid, &after.config);
        if !mismatches.is_empty() {
            return self
                .restore(format!("verification failed: {}", mismatches.join("; ")))
                .await;
        }
        if self.valid.profile == Profile::Iosxe {
            self.save().await;
        }
        (
            Outcome::Applied {
                diff: diff(&self.before.config, &after.config),
            },
            Some(after.config),
        )
    }

    async fn save(&mut self) {
        self.steps.push("POST cisco-ia:save-config".into());
        let url = format!(
            "{}/operations/cisco-ia:save-config",
            self.base.trim_end_matches('/')
        );
        let problem = match self
            .w
            .send(
                self.device,
                Method::POST,
                &url,
                Some(&Value::Object(Default::default())),
            )
            .await
        {
            Ok(a) if a.ok() => None,
            Ok(a) => Some(a.words()),
            Err(e) => Some(e.to_string()),
        };
        if let Some(p) = problem {
            self.warnings.push(format!(
                "the change is in running-config but was not saved to startup-config: {p}"
            ));
        }
    }

    /// DELETE what the change created, PATCH the snapshot back, and check the result.
    async fn restore(&mut self, reason: String) -> Step {
        for rel in profile::restconf_undo(self.valid, &self.before.config) {
            match self.delete(&rel).await {
                Ok(None) => {}
                Ok(Some(words)) => {
                    return self.unknown(format!(
                        "{reason}; restoring failed: the device refused a removal ({words})"
                    ))
                }
                Err(e) => return self.unknown(format!("{reason}; restoring failed ({e})")),
            }
        }
        self.steps.push("PATCH snapshot".into());
        let body = as_patch_body(self.raw);
        match self
            .w
            .send(self.device, Method::PATCH, self.url, Some(&body))
            .await
        {
            Ok(a) if a.ok() => {}
            Ok(a) => {
                return self.unknown(format!(
                    "{reason}; restoring the snapshot was refused ({})",
                    a.words()
                ))
            }
            Err(e) => {
                return self.unknown(format!("{reason}; restoring the snapshot failed ({e})"))
            }
        }
        match self.read().await {
            Ok(Some(now)) if diff(&self.before.config, &now.config).is_empty() => (
                Outcome::RolledBack {
                    reason,
                    diff_attempted: self.attempted.clone(),
                },
                Some(now.config),
            ),
            Ok(Some(now)) => {
                let left: Vec<String> = diff(&self.before.config, &now.config)
                    .changes
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                (
                    Outcome::OutcomeUnknown {
                        detail: format!(
                            "{reason}; after restoring, the interface still differs from before ({})",
                            left.join("; ")
                        ),
                        diff_attempted: self.attempted.clone(),
                    },
                    Some(now.config),
                )
            }
            Ok(None) => self.unknown(format!(
                "{reason}; after restoring, the interface is missing"
            )),
            Err(e) => self.unknown(format!("{reason}; the restore could not be checked ({e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snapshots_become_patch_bodies_in_array_form() {
        assert_eq!(
            as_patch_body(&json!({"m:GigabitEthernet": {"name": "1/0/2"}})),
            json!({"m:GigabitEthernet": [{"name": "1/0/2"}]})
        );
        let arr = json!({"m:GigabitEthernet": [{"name": "1/0/2"}]});
        assert_eq!(as_patch_body(&arr), arr);
    }

    #[test]
    fn relative_paths_are_encoded_under_the_entry() {
        let entry = vec![
            PathSeg::node("ietf-interfaces:interfaces"),
            PathSeg::Entry("interface".into(), "Gi1/0/2".into()),
        ];
        assert_eq!(
            url_of(
                "http://h/restconf",
                &entry,
                &[
                    PathSeg::node("ietf-ip:ipv4"),
                    PathSeg::Entry("address".into(), "192.0.2.1".into())
                ]
            ),
            "http://h/restconf/data/ietf-interfaces:interfaces/interface=Gi1%2F0%2F2/ietf-ip:ipv4/address=192.0.2.1"
        );
    }
}
