//! Typed settings read from the environment (and `.env`, loaded by `main`). Pure: reads through a lookup
//! function so tests need no process environment. Secrets are [`Secret`]s and never print.

use crate::device::DeviceSettings;
use crate::netbox::NetboxConfig;
use crate::policy::{AllowList, AllowListError};
use crate::secret::Secret;
use crate::webex::WebexConfig;
use crate::zammad::ZammadConfig;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const DEFAULT_WEBEX_API_URL: &str = "https://webexapis.com/v1";
pub const DEFAULT_WEBEX_U2C_URL: &str = "https://u2c.wbx2.com/u2c/api/v1";
pub const DEFAULT_DB: &str = "./patchpanel.db";
pub const DEFAULT_NETCONF_PORT: u16 = 830;
/// WDM device name; the bot reuses its registration across restarts by this name.
pub const DEVICE_NAME: &str = "patchpanel-bot";

/// Every setting `patchpanel run` uses. `Debug` is safe to log: secrets are redacted.
#[derive(Debug, Clone)]
pub struct Settings {
    pub webex: WebexConfig,
    pub allowed: AllowList,
    pub notify: Option<String>,
    pub db_path: PathBuf,
    pub inventory: Option<PathBuf>,
    pub devices: DeviceSettings,
    /// NetBox, when `NETBOX_URL` and `NETBOX_TOKEN` are both set.
    pub netbox: Option<NetboxConfig>,
    /// How the NetBox workflow (W2) polls, listens and what it must never touch.
    pub netbox_sync: NetboxSyncSettings,
    /// Zammad, when `ZAMMAD_URL` and `ZAMMAD_TOKEN` are both set; nothing of it runs otherwise.
    pub zammad: Option<ZammadSettings>,
    /// Who approves ticket-driven changes (W3), where their cards go and for how long they wait.
    pub approvals: ApprovalSettings,
    /// Where configuration changes seen on devices are reported, and how often every device is
    /// checked anyway.
    pub watch: WatchSettings,
}

/// PATCHPANEL_CONFIG_POLL_SECONDS's default: every device's configuration checked every 15 minutes.
pub const DEFAULT_CONFIG_POLL_SECONDS: u64 = 900;

/// Settings of the configuration-change notifier.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSettings {
    /// PATCHPANEL_CHANGES_ROOM: where changes are reported (a room id or an email); unset: the
    /// PATCHPANEL_NOTIFY target.
    pub room: Option<String>,
    /// PATCHPANEL_CONFIG_POLL_SECONDS [900]: the safety net, a check of every managed device that
    /// catches a change whose signal was lost.
    pub poll_interval: Duration,
    /// PATCHPANEL_SYSLOG_LISTEN: where syslog is received, UDP and TCP on the same port (off when
    /// unset; port 0 takes a free one, recorded in the store).
    pub syslog_listen: Option<SocketAddr>,
}

impl Default for WatchSettings {
    fn default() -> Self {
        WatchSettings {
            room: None,
            poll_interval: Duration::from_secs(DEFAULT_CONFIG_POLL_SECONDS),
            syslog_listen: None,
        }
    }
}

/// PATCHPANEL_APPROVAL_TTL's default: a day.
pub const DEFAULT_APPROVAL_TTL: Duration = Duration::from_secs(24 * 3600);

/// Settings of the approval step of workflow W3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalSettings {
    /// PATCHPANEL_APPROVERS: who may approve or decline (emails or `@domain`s). Empty: nobody, so
    /// every change waits until it expires.
    pub approvers: AllowList,
    /// PATCHPANEL_APPROVALS_ROOM: a space (room id) the cards go to; unset: each approver listed by
    /// email gets the card 1:1.
    pub room: Option<String>,
    /// PATCHPANEL_APPROVAL_TTL [24h]: how long a change waits for a decision.
    pub ttl: Duration,
    /// PATCHPANEL_ALLOW_SELF_APPROVAL [false]: whether the person who asked may approve.
    pub allow_self_approval: bool,
}

impl Default for ApprovalSettings {
    fn default() -> Self {
        ApprovalSettings {
            approvers: AllowList::default(),
            room: None,
            ttl: DEFAULT_APPROVAL_TTL,
            allow_self_approval: false,
        }
    }
}

/// A duration as people write it: `90s`, `30m`, `24h`, `2d`, or a number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&text[..i], text[i..].trim()),
        None => (text, "s"),
    };
    let n: u64 = number.parse().ok()?;
    let scale = match unit {
        "s" | "sec" | "secs" | "seconds" => 1,
        "m" | "min" | "mins" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => return None,
    };
    n.checked_mul(scale).map(Duration::from_secs)
}

pub const DEFAULT_ZAMMAD_POLL_SECONDS: u64 = 5;
pub const DEFAULT_ZAMMAD_CHANGE_FIELD: &str = "ticket_type";
pub const DEFAULT_ZAMMAD_CHANGE_VALUE: &str = "network_change";

/// How to reach Zammad and which of its tickets are network changes (docs/zammad.md).
#[derive(Debug, Clone)]
pub struct ZammadSettings {
    /// ZAMMAD_URL and ZAMMAD_TOKEN (TLS verified against the system's roots, like NetBox).
    pub client: ZammadConfig,
    /// ZAMMAD_POLL_SECONDS [5]: how often the condition search runs.
    pub poll_interval: Duration,
    /// ZAMMAD_CHANGE_FIELD [ticket_type]: the ticket attribute that marks a network change.
    pub change_field: String,
    /// ZAMMAD_CHANGE_VALUE [network_change]: the value it holds then.
    pub change_value: String,
    /// ZAMMAD_WEBHOOK_LISTEN: the optional webhook receiver's address (off when unset).
    pub webhook_listen: Option<SocketAddr>,
    /// ZAMMAD_WEBHOOK_SECRET: the webhook's HMAC-SHA1 signature token; required with the receiver.
    pub webhook_secret: Option<Secret>,
}

pub const DEFAULT_NETBOX_POLL_SECONDS: u64 = 5;
pub const DEFAULT_NETBOX_SWEEP_SECONDS: u64 = 300;
pub const DEFAULT_PROTECTED_TAG: &str = "patchpanel-protected";

/// Settings of workflow W2 (NetBox edits → switch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetboxSyncSettings {
    /// NETBOX_POLL_SECONDS [5]: how often the change log is read.
    pub poll_interval: Duration,
    /// NETBOX_SWEEP_SECONDS [300]: how often every interface still carrying a ticket number is listed.
    pub sweep_interval: Duration,
    /// NETBOX_WEBHOOK_LISTEN: the optional webhook receiver's address (off when unset).
    pub webhook_listen: Option<SocketAddr>,
    /// NETBOX_WEBHOOK_SECRET: the webhook's shared secret; required when the receiver is on.
    pub webhook_secret: Option<Secret>,
    /// PATCHPANEL_PROTECTED: interfaces the bot never changes.
    pub protected: ProtectedInterfaces,
    /// NETBOX_PROTECTED_TAG [patchpanel-protected]: a NetBox interface tag (slug) that protects it too.
    pub protected_tag: String,
}

impl Default for NetboxSyncSettings {
    fn default() -> Self {
        NetboxSyncSettings {
            poll_interval: Duration::from_secs(DEFAULT_NETBOX_POLL_SECONDS),
            sweep_interval: Duration::from_secs(DEFAULT_NETBOX_SWEEP_SECONDS),
            webhook_listen: None,
            webhook_secret: None,
            protected: ProtectedInterfaces::default(),
            protected_tag: DEFAULT_PROTECTED_TAG.to_owned(),
        }
    }
}

/// `PATCHPANEL_PROTECTED`: `DEVICE:INTERFACE` entries separated by commas; `*` as the device means
/// every device (e.g. `c9300:GigabitEthernet1/0/1, *:GigabitEthernet0/0`). Interface names are
/// compared in any spelling by the change validation (`Gi1/0/1` = `GigabitEthernet1/0/1`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtectedInterfaces(Vec<(String, String)>);

/// An entry of `PATCHPANEL_PROTECTED` that is not `DEVICE:INTERFACE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{entry}` is not DEVICE:INTERFACE (example: `c9300:GigabitEthernet1/0/1, *:GigabitEthernet0/0`)")]
pub struct NotDeviceInterface {
    pub entry: String,
}

impl ProtectedInterfaces {
    pub fn parse(spec: &str) -> Result<Self, NotDeviceInterface> {
        let mut entries = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.split_once(':') {
                Some((device, iface)) if !device.trim().is_empty() && !iface.trim().is_empty() => {
                    entries.push((device.trim().to_owned(), iface.trim().to_owned()))
                }
                _ => {
                    return Err(NotDeviceInterface {
                        entry: entry.to_owned(),
                    })
                }
            }
        }
        Ok(ProtectedInterfaces(entries))
    }

    /// The protected interfaces of `device` (entries for it and for `*`).
    pub fn for_device(&self, device: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(d, _)| d == "*" || d.eq_ignore_ascii_case(device))
            .map(|(_, i)| i.clone())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{var} is not set: {hint}")]
    Missing {
        var: &'static str,
        hint: &'static str,
    },
    #[error("{var} is invalid: {reason}")]
    Invalid { var: &'static str, reason: String },
}

impl Settings {
    /// Reads the settings through `lookup` (normally `std::env::var`). Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |var: &str| {
            lookup(var)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let token = get("WEBEX_BOT_TOKEN").ok_or(ConfigError::Missing {
            var: "WEBEX_BOT_TOKEN",
            hint: "create a bot at developer.webex.com/my-apps and put its access token in .env",
        })?;
        let token = token
            .strip_prefix("Bearer ")
            .unwrap_or(&token)
            .trim()
            .to_owned();
        let api_url = url_setting(get("WEBEX_API_URL"), "WEBEX_API_URL", DEFAULT_WEBEX_API_URL)?;
        let u2c_url = url_setting(get("WEBEX_U2C_URL"), "WEBEX_U2C_URL", DEFAULT_WEBEX_U2C_URL)?;

        let allowed_spec = get("PATCHPANEL_ALLOWED").ok_or(ConfigError::Missing {
            var: "PATCHPANEL_ALLOWED",
            hint: "list who may use the bot, e.g. `alice@example.com, @example.com`",
        })?;
        let allowed = AllowList::parse(&allowed_spec).map_err(|AllowListError { entry }| ConfigError::Invalid {
            var: "PATCHPANEL_ALLOWED",
            reason: format!("`{entry}` is not an email address or an @domain (example: `alice@example.com, @example.com`)"),
        })?;

        let default_netconf_port = match get("DEVICE_NETCONF_PORT") {
            None => DEFAULT_NETCONF_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or(ConfigError::Invalid {
                    var: "DEVICE_NETCONF_PORT",
                    reason: format!("`{p}` is not a TCP port (1–65535)"),
                })?,
        };

        let netbox = match (get("NETBOX_URL"), get("NETBOX_TOKEN")) {
            (None, None) => None,
            (Some(url), Some(token)) => {
                let url = url_setting(Some(url), "NETBOX_URL", "")?;
                Some(NetboxConfig::new(url, Secret::new(token)))
            }
            (Some(_), None) => {
                return Err(ConfigError::Missing {
                    var: "NETBOX_TOKEN",
                    hint: "NETBOX_URL is set: give the API token too (the token alone, or `Bearer nbt_…`)",
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError::Missing {
                    var: "NETBOX_URL",
                    hint: "NETBOX_TOKEN is set: give NetBox's address too, e.g. https://netbox.example.com",
                })
            }
        };

        let seconds = |var: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match get(var) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s >= 0.05 && *s <= 86_400.0)
                    .map(Duration::from_secs_f64)
                    .ok_or(ConfigError::Invalid {
                        var,
                        reason: format!("`{v}` is not a number of seconds between 0.05 and 86400"),
                    }),
            }
        };
        let webhook_listen = match get("NETBOX_WEBHOOK_LISTEN") {
            None => None,
            Some(v) => Some(v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                var: "NETBOX_WEBHOOK_LISTEN",
                reason: format!("`{v}` is not ADDRESS:PORT (example: `10.0.0.5:9009`)"),
            })?),
        };
        let webhook_secret = get("NETBOX_WEBHOOK_SECRET").map(Secret::new);
        if webhook_listen.is_some() && webhook_secret.is_none() {
            return Err(ConfigError::Missing {
                var: "NETBOX_WEBHOOK_SECRET",
                hint: "NETBOX_WEBHOOK_LISTEN is set: give the webhook's secret too (the same as in NetBox's webhook), so unsigned requests are refused",
            });
        }
        let protected = match get("PATCHPANEL_PROTECTED") {
            None => ProtectedInterfaces::default(),
            Some(spec) => ProtectedInterfaces::parse(&spec).map_err(|e| ConfigError::Invalid {
                var: "PATCHPANEL_PROTECTED",
                reason: e.to_string(),
            })?,
        };
        let netbox_sync = NetboxSyncSettings {
            poll_interval: seconds("NETBOX_POLL_SECONDS", DEFAULT_NETBOX_POLL_SECONDS)?,
            sweep_interval: seconds("NETBOX_SWEEP_SECONDS", DEFAULT_NETBOX_SWEEP_SECONDS)?,
            webhook_listen,
            webhook_secret,
            protected,
            protected_tag: get("NETBOX_PROTECTED_TAG")
                .unwrap_or_else(|| DEFAULT_PROTECTED_TAG.to_owned()),
        };

        let zammad = zammad_settings(&get, &seconds)?;
        let approvers = match get("PATCHPANEL_APPROVERS") {
            None => AllowList::default(),
            Some(spec) => AllowList::parse(&spec).map_err(|AllowListError { entry }| {
                ConfigError::Invalid {
                    var: "PATCHPANEL_APPROVERS",
                    reason: format!("`{entry}` is not an email address or an @domain (example: `alice@example.com, bob@example.com`)"),
                }
            })?,
        };
        let ttl = match get("PATCHPANEL_APPROVAL_TTL") {
            None => DEFAULT_APPROVAL_TTL,
            Some(v) => parse_duration(&v)
                .filter(|d| *d >= Duration::from_secs(1) && *d <= Duration::from_secs(90 * 86_400))
                .ok_or(ConfigError::Invalid {
                    var: "PATCHPANEL_APPROVAL_TTL",
                    reason: format!("`{v}` is not a duration between 1 second and 90 days (examples: `24h`, `90m`, `2d`)"),
                })?,
        };
        let approvals = ApprovalSettings {
            approvers,
            room: get("PATCHPANEL_APPROVALS_ROOM"),
            ttl,
            allow_self_approval: flag(
                get("PATCHPANEL_ALLOW_SELF_APPROVAL"),
                "PATCHPANEL_ALLOW_SELF_APPROVAL",
            )?,
        };

        let syslog_listen = match get("PATCHPANEL_SYSLOG_LISTEN") {
            None => None,
            Some(v) => Some(v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
                var: "PATCHPANEL_SYSLOG_LISTEN",
                reason: format!(
                    "`{v}` is not ADDRESS:PORT, UDP and TCP alike (example: `0.0.0.0:5514`)"
                ),
            })?),
        };
        let watch = WatchSettings {
            room: get("PATCHPANEL_CHANGES_ROOM").or_else(|| get("PATCHPANEL_NOTIFY")),
            poll_interval: seconds(
                "PATCHPANEL_CONFIG_POLL_SECONDS",
                DEFAULT_CONFIG_POLL_SECONDS,
            )?,
            syslog_listen,
        };

        Ok(Settings {
            netbox,
            netbox_sync,
            zammad,
            approvals,
            watch,
            webex: WebexConfig {
                api_url,
                u2c_url,
                token: Secret::new(token),
                device_name: DEVICE_NAME.to_owned(),
            },
            allowed,
            notify: get("PATCHPANEL_NOTIFY"),
            db_path: get("PATCHPANEL_DB")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
            inventory: get("PATCHPANEL_INVENTORY").map(PathBuf::from),
            devices: DeviceSettings {
                username: get("DEVICE_USERNAME"),
                password: get("DEVICE_PASSWORD").map(Secret::new),
                ssh_key: get("DEVICE_SSH_KEY").map(PathBuf::from),
                known_hosts: get("DEVICE_KNOWN_HOSTS").map(PathBuf::from),
                default_netconf_port,
                ca_file: get("DEVICE_CA_FILE").map(PathBuf::from),
                accept_new_host_keys: flag(
                    get("DEVICE_ACCEPT_NEW_HOST_KEYS"),
                    "DEVICE_ACCEPT_NEW_HOST_KEYS",
                )?,
            },
        })
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|var| std::env::var(var).ok())
    }
}

/// The ZAMMAD_* settings: `None` without ZAMMAD_URL and ZAMMAD_TOKEN.
fn zammad_settings(
    get: &impl Fn(&str) -> Option<String>,
    seconds: &impl Fn(&'static str, u64) -> Result<Duration, ConfigError>,
) -> Result<Option<ZammadSettings>, ConfigError> {
    let listen = get("ZAMMAD_WEBHOOK_LISTEN");
    let secret = get("ZAMMAD_WEBHOOK_SECRET");
    let (url, token) = match (get("ZAMMAD_URL"), get("ZAMMAD_TOKEN")) {
        (None, None) if listen.is_none() && secret.is_none() => return Ok(None),
        (None, None) => {
            return Err(ZammadMissing("ZAMMAD_URL", "ZAMMAD_WEBHOOK_LISTEN/ZAMMAD_WEBHOOK_SECRET are set, but the webhook only wakes the Zammad poller: give Zammad's address and token too, or unset them").into())
        }
        (Some(url), Some(token)) => (url, token),
        (Some(_), None) => {
            return Err(ZammadMissing("ZAMMAD_TOKEN", "ZAMMAD_URL is set: give the bot user's access token too (Zammad: Profile > Token Access)").into())
        }
        (None, Some(_)) => {
            return Err(ZammadMissing("ZAMMAD_URL", "ZAMMAD_TOKEN is set: give Zammad's address too, e.g. https://zammad.example.com").into())
        }
    };
    let url = url_setting(Some(url), "ZAMMAD_URL", "")?;
    let change_field =
        get("ZAMMAD_CHANGE_FIELD").unwrap_or_else(|| DEFAULT_ZAMMAD_CHANGE_FIELD.to_owned());
    crate::zammad::search::check_field(&change_field).map_err(|reason| ConfigError::Invalid {
        var: "ZAMMAD_CHANGE_FIELD",
        reason,
    })?;
    let change_value =
        get("ZAMMAD_CHANGE_VALUE").unwrap_or_else(|| DEFAULT_ZAMMAD_CHANGE_VALUE.to_owned());
    if change_value.chars().count() > 200 || change_value.chars().any(char::is_control) {
        return Err(ConfigError::Invalid {
            var: "ZAMMAD_CHANGE_VALUE",
            reason: "use the attribute's value as Zammad stores it (one line, at most 200 characters), e.g. `network_change`".into(),
        });
    }
    let webhook_listen = match listen {
        None => None,
        Some(v) => Some(v.parse::<SocketAddr>().map_err(|_| ConfigError::Invalid {
            var: "ZAMMAD_WEBHOOK_LISTEN",
            reason: format!("`{v}` is not ADDRESS:PORT (example: `10.0.0.5:9010`)"),
        })?),
    };
    let webhook_secret = secret.map(Secret::new);
    if webhook_listen.is_some() && webhook_secret.is_none() {
        return Err(ZammadMissing("ZAMMAD_WEBHOOK_SECRET", "ZAMMAD_WEBHOOK_LISTEN is set: give the webhook's HMAC-SHA1 signature token too (the same as in Zammad's webhook), so unsigned requests are refused").into());
    }
    Ok(Some(ZammadSettings {
        client: ZammadConfig::new(url, Secret::new(token)),
        poll_interval: seconds("ZAMMAD_POLL_SECONDS", DEFAULT_ZAMMAD_POLL_SECONDS)?,
        change_field,
        change_value,
        webhook_listen,
        webhook_secret,
    }))
}

/// A missing ZAMMAD_* variable and what to do.
struct ZammadMissing(&'static str, &'static str);

impl From<ZammadMissing> for ConfigError {
    fn from(ZammadMissing(var, hint): ZammadMissing) -> Self {
        ConfigError::Missing { var, hint }
    }
}

/// A yes/no setting: unset is no.
fn flag(value: Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => Err(ConfigError::Invalid {
            var,
            reason: format!("`{other}` is not yes/no (use `yes` or `no`)"),
        }),
    }
}

fn url_setting(
    value: Option<String>,
    var: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let url = value.unwrap_or_else(|| default.to_owned());
    let parsed = reqwest::Url::parse(&url).map_err(|e| ConfigError::Invalid {
        var,
        reason: format!("`{url}` is not a URL ({e})"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(ConfigError::Invalid {
            var,
            reason: format!("`{url}` must start with https:// (or http:// for a local simulator)"),
        });
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
