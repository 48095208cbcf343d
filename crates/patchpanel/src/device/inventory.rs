//! The devices file (`PATCHPANEL_INVENTORY`, docs/contracts.md): `[[device]]` tables with `name`,
//! `host`, optional `netconf_port`, `restconf_url`, `profile`. Errors name the key and the line.

use super::error::DeviceError;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// Which YANG model family a device speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Cisco-IOS-XE-native (+ Cisco-IOS-XE-switch).
    Iosxe,
    /// ietf-interfaces / ietf-ip only.
    Ietf,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub host: String,
    pub netconf_port: Option<u16>,
    /// Without a trailing `/`, e.g. `https://192.0.2.10/restconf`.
    pub restconf_url: Option<String>,
    pub profile: Option<Profile>,
}

impl Device {
    /// The NETCONF port used for this device (`default_netconf_port` 0 means 830).
    pub fn netconf_port_or(&self, default_netconf_port: u16) -> u16 {
        self.netconf_port.unwrap_or(match default_netconf_port {
            0 => 830,
            p => p,
        })
    }

    /// `(label, host, port)` of each endpoint the bot may use for this device (for reachability
    /// checks): RESTCONF when `restconf_url` is set, NETCONF when `netconf_port` is set or there
    /// is no RESTCONF URL.
    pub fn endpoints(&self, default_netconf_port: u16) -> Vec<(&'static str, String, u16)> {
        let mut out = Vec::new();
        if let Some(url) = self
            .restconf_url
            .as_deref()
            .and_then(|u| reqwest::Url::parse(u).ok())
        {
            if let (Some(h), Some(p)) = (url.host_str(), url.port_or_known_default()) {
                out.push((
                    "restconf",
                    h.trim_matches(|c| c == '[' || c == ']').to_string(),
                    p,
                ));
            }
        }
        if self.netconf_port.is_some() || self.restconf_url.is_none() {
            out.push((
                "netconf",
                self.host.clone(),
                self.netconf_port_or(default_netconf_port),
            ));
        }
        out
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    devices: Vec<Device>,
    /// Devices marked `watch = false`: the configuration-change notifier leaves them alone (a
    /// second name for the same switch, a lab box nobody wants reported).
    unwatched: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    device: Vec<Spanned<RawDevice>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    host: Spanned<String>,
    netconf_port: Option<Spanned<u16>>,
    restconf_url: Option<Spanned<String>>,
    profile: Option<Profile>,
    /// Whether the configuration-change notifier watches it [true].
    watch: Option<bool>,
}

fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()
        .iter()
        .take(offset.min(src.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn err(src: &str, span: std::ops::Range<usize>, message: impl Into<String>) -> DeviceError {
    DeviceError::Inventory {
        line: Some(line_of(src, span.start)),
        message: message.into(),
    }
}

impl Inventory {
    pub fn load(path: &Path) -> Result<Self, DeviceError> {
        let text = std::fs::read_to_string(path).map_err(|e| DeviceError::InventoryIo {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_toml_str(&text)
    }

    pub fn from_toml_str(s: &str) -> Result<Self, DeviceError> {
        let doc: FileDoc = toml::from_str(s).map_err(|e| DeviceError::Inventory {
            line: e.span().map(|sp| line_of(s, sp.start)),
            message: e
                .message()
                .trim()
                .replace("unknown field", "unknown key")
                .replace("missing field", "missing key"),
        })?;
        let mut devices: Vec<Device> = Vec::new();
        let mut unwatched = Vec::new();
        for entry in doc.device {
            let span = entry.span();
            let raw = entry.into_inner();
            let name = raw.name.get_ref().trim().to_string();
            if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(err(
                    s,
                    raw.name.span(),
                    "`name` must be a non-empty word without spaces",
                ));
            }
            if let Some(prev) = devices.iter().find(|d| d.name.eq_ignore_ascii_case(&name)) {
                return Err(err(
                    s,
                    raw.name.span(),
                    format!("duplicate device name `{name}` (already used by `{}`; names are case-insensitive)", prev.name),
                ));
            }
            let host = raw.host.get_ref().trim().to_string();
            if host.is_empty() {
                return Err(err(
                    s,
                    raw.host.span(),
                    format!("device `{name}`: `host` is empty"),
                ));
            }
            if host
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@')
            {
                return Err(err(
                    s,
                    raw.host.span(),
                    format!("device `{name}`: `host` must be an address or DNS name"),
                ));
            }
            if let Some(p) = &raw.netconf_port {
                if *p.get_ref() == 0 {
                    return Err(err(
                        s,
                        p.span(),
                        format!("device `{name}`: `netconf_port` must be 1-65535"),
                    ));
                }
            }
            let restconf_url = match raw.restconf_url {
                None => None,
                Some(u) => Some(validate_url(u.get_ref()).map_err(|why| {
                    err(
                        s,
                        u.span(),
                        format!("device `{name}`: `restconf_url` {why}"),
                    )
                })?),
            };
            let _ = span;
            if raw.watch == Some(false) {
                unwatched.push(name.clone());
            }
            devices.push(Device {
                name,
                host,
                netconf_port: raw.netconf_port.map(|p| p.into_inner()),
                restconf_url,
                profile: raw.profile,
            });
        }
        Ok(Inventory { devices, unwatched })
    }

    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// False for a device marked `watch = false` (the configuration-change notifier skips it).
    pub fn is_watched(&self, name: &str) -> bool {
        !self.unwatched.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Case-insensitive lookup; the error lists the known names and suggests a close one.
    pub fn get(&self, name: &str) -> Result<&Device, DeviceError> {
        let wanted = name.trim();
        if let Some(d) = self
            .devices
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(wanted))
        {
            return Ok(d);
        }
        let lower = wanted.to_lowercase();
        let suggestion = self
            .devices
            .iter()
            .map(|d| (distance(&lower, &d.name.to_lowercase()), &d.name))
            .filter(|(dist, n)| *dist <= 2.max(n.chars().count() / 3))
            .min_by_key(|(dist, _)| *dist)
            .map(|(_, n)| n.clone());
        Err(DeviceError::UnknownDevice {
            name: wanted.chars().take(64).collect(),
            known: self.devices.iter().map(|d| d.name.clone()).collect(),
            suggestion,
        })
    }
}

/// Why a `restconf_url` cannot be used (the message completes "restconf_url …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum BadRestconfUrl {
    #[error("is not a valid URL ({0})")]
    Parse(#[source] url::ParseError),
    #[error("must be http or https, not `{0}`")]
    Scheme(String),
    #[error("has no host")]
    NoHost,
    #[error("must not contain credentials (use DEVICE_USERNAME/DEVICE_PASSWORD)")]
    Credentials,
    #[error("must not have a query or fragment")]
    QueryOrFragment,
}

/// RESTCONF root must be an absolute http(s) URL without credentials, query or fragment.
fn validate_url(raw: &str) -> Result<String, BadRestconfUrl> {
    let url = reqwest::Url::parse(raw.trim()).map_err(BadRestconfUrl::Parse)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BadRestconfUrl::Scheme(url.scheme().to_owned()));
    }
    if url.host_str().is_none_or_empty() {
        return Err(BadRestconfUrl::NoHost);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(BadRestconfUrl::Credentials);
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(BadRestconfUrl::QueryOrFragment);
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

trait EmptyHost {
    fn is_none_or_empty(&self) -> bool;
}
impl EmptyHost for Option<&str> {
    fn is_none_or_empty(&self) -> bool {
        self.map(str::is_empty).unwrap_or(true)
    }
}

/// Levenshtein distance over chars (names are short).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().take(64).collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[device]]
name = "c9300"
host = "192.0.2.10"
netconf_port = 830
restconf_url = "https://192.0.2.10/restconf/"
profile = "iosxe"

[[device]]
name = "edge-1"
host = "edge-1.example.net"
profile = "ietf"
"#;

    #[test]
    fn parses_design_example_and_looks_up_case_insensitively() {
        let inv = Inventory::from_toml_str(GOOD).unwrap();
        assert_eq!(inv.devices().len(), 2);
        let d = inv.get("C9300").unwrap();
        assert_eq!(
            d.restconf_url.as_deref(),
            Some("https://192.0.2.10/restconf")
        );
        assert_eq!(d.netconf_port, Some(830));
        assert_eq!(d.profile, Some(Profile::Iosxe));
        assert_eq!(inv.get("EDGE-1").unwrap().profile, Some(Profile::Ietf));
        assert!(Inventory::from_toml_str("").unwrap().devices().is_empty());
        assert_eq!(
            d.endpoints(0),
            vec![
                ("restconf", "192.0.2.10".to_string(), 443),
                ("netconf", "192.0.2.10".to_string(), 830)
            ]
        );
        assert_eq!(
            inv.get("edge-1").unwrap().endpoints(2830),
            vec![("netconf", "edge-1.example.net".to_string(), 2830)]
        );
    }

    #[test]
    fn unknown_device_lists_names_and_suggests() {
        let inv = Inventory::from_toml_str(GOOD).unwrap();
        let e = inv.get("c930").unwrap_err().to_string();
        assert!(e.contains("unknown device `c930`"), "{e}");
        assert!(e.contains("Did you mean `c9300`?"), "{e}");
        assert!(e.contains("c9300, edge-1"), "{e}");
        let e = inv.get("zzzzzz").unwrap_err().to_string();
        assert!(!e.contains("Did you mean"), "{e}");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let src = "[[device]]\nname = \"a\"\nhost = \"h\"\nhots = \"x\"\n";
        let e = Inventory::from_toml_str(src).unwrap_err().to_string();
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("hots"), "{e}");
        let top = "[[devices]]\nname = \"a\"\n";
        let e = Inventory::from_toml_str(top).unwrap_err().to_string();
        assert!(e.contains("devices"), "{e}");
    }

    #[test]
    fn precise_errors() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "[[device]]\nname = \"a\"\nhost = \"h\"\n[[device]]\nname = \"A\"\nhost = \"h2\"\n",
                "line 5",
                "duplicate device name `A`",
            ),
            ("[[device]]\nname = \"a\"\nhost = \"  \"\n", "line 3", "`host` is empty"),
            (
                "[[device]]\nname = \"a\"\nhost = \"h\"\nrestconf_url = \"ftp://h/x\"\n",
                "line 4",
                "must be http or https",
            ),
            (
                "[[device]]\nname = \"a\"\nhost = \"h\"\nrestconf_url = \"not a url\"\n",
                "line 4",
                "not a valid URL",
            ),
            (
                "[[device]]\nname = \"a\"\nhost = \"h\"\nrestconf_url = \"https://u:hunter2@h/restconf\"\n",
                "line 4",
                "must not contain credentials",
            ),
            ("[[device]]\nname = \"a\"\n", "", "missing key `host`"),
            ("[[device]]\nname = \"a\"\nhost = \"h\"\nprofile = \"junos\"\n", "line 4", "junos"),
            ("[[device]]\nname = \"a\"\nhost = \"h\"\nnetconf_port = 70000\n", "line 4", ""),
        ];
        for (src, line, msg) in cases {
            let e = Inventory::from_toml_str(src).unwrap_err().to_string();
            assert!(e.contains(line), "{e}");
            assert!(e.contains(msg), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
    }

    #[test]
    fn load_reports_missing_file() {
        let e = Inventory::load(Path::new("/nonexistent/devices.toml")).unwrap_err();
        assert!(matches!(e, DeviceError::InventoryIo { .. }));
    }
}
