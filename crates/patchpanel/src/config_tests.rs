//! The settings read from a lookup: defaults, every mistake named, secrets never printed.
use super::*;
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn minimal_settings_take_the_defaults() {
    let s = settings(&[
        ("WEBEX_BOT_TOKEN", "abc"),
        ("PATCHPANEL_ALLOWED", "@example.com"),
    ])
    .unwrap();
    assert_eq!(s.webex.api_url, DEFAULT_WEBEX_API_URL);
    assert_eq!(s.webex.u2c_url, DEFAULT_WEBEX_U2C_URL);
    assert_eq!(s.devices.default_netconf_port, 830);
    assert_eq!(s.db_path, PathBuf::from(DEFAULT_DB));
    assert!(s.allowed.permits("x@example.com"));
}

#[test]
fn netbox_sync_settings_parse_and_explain_mistakes() {
    let base = [
        ("WEBEX_BOT_TOKEN", "abc"),
        ("PATCHPANEL_ALLOWED", "@example.com"),
    ];
    let s = settings(&base).unwrap();
    assert_eq!(s.netbox_sync, NetboxSyncSettings::default());

    let mut with = base.to_vec();
    with.extend([
        ("NETBOX_POLL_SECONDS", "0.5"),
        (
            "PATCHPANEL_PROTECTED",
            "c9300:Gi1/0/1, *:GigabitEthernet0/0",
        ),
        ("NETBOX_WEBHOOK_LISTEN", "127.0.0.1:9009"),
        ("NETBOX_WEBHOOK_SECRET", "s3cret"),
    ]);
    let s = settings(&with).unwrap();
    assert_eq!(s.netbox_sync.poll_interval, Duration::from_millis(500));
    assert_eq!(
        s.netbox_sync.protected.for_device("C9300"),
        vec!["Gi1/0/1".to_owned(), "GigabitEthernet0/0".to_owned()]
    );
    assert_eq!(
        s.netbox_sync.protected.for_device("other"),
        vec!["GigabitEthernet0/0".to_owned()]
    );
    assert!(!format!("{s:?}").contains("s3cret"));

    let mut bad = base.to_vec();
    bad.push(("NETBOX_WEBHOOK_LISTEN", "127.0.0.1:9009"));
    assert!(matches!(
        settings(&bad).unwrap_err(),
        ConfigError::Missing {
            var: "NETBOX_WEBHOOK_SECRET",
            ..
        }
    ));
    let mut bad = base.to_vec();
    bad.push(("PATCHPANEL_PROTECTED", "Gi1/0/1"));
    assert!(settings(&bad)
        .unwrap_err()
        .to_string()
        .contains("DEVICE:INTERFACE"));
    let mut bad = base.to_vec();
    bad.push(("NETBOX_POLL_SECONDS", "soon"));
    assert!(settings(&bad)
        .unwrap_err()
        .to_string()
        .contains("NETBOX_POLL_SECONDS"));
}

#[test]
fn zammad_is_optional_and_its_settings_explain_mistakes() {
    let base = [
        ("WEBEX_BOT_TOKEN", "abc"),
        ("PATCHPANEL_ALLOWED", "@example.com"),
    ];
    assert!(settings(&base).unwrap().zammad.is_none());
    let mut with = base.to_vec();
    with.extend([
        ("ZAMMAD_URL", "https://zammad.example.com/"),
        ("ZAMMAD_TOKEN", "zammad-s3cret-token"),
    ]);
    let z = settings(&with).unwrap().zammad.unwrap();
    assert_eq!(z.client.url, "https://zammad.example.com");
    assert_eq!(z.client.token.expose(), "zammad-s3cret-token");
    assert_eq!(z.poll_interval, Duration::from_secs(5));
    assert_eq!(z.change_field, "ticket_type");
    assert_eq!(z.change_value, "network_change");
    assert_eq!(z.webhook_listen, None);
    assert!(!format!("{z:?}").contains("s3cret"));

    let mut full = with.clone();
    full.extend([
        ("ZAMMAD_POLL_SECONDS", "30"),
        ("ZAMMAD_CHANGE_FIELD", "type"),
        ("ZAMMAD_CHANGE_VALUE", "network change"),
        ("ZAMMAD_WEBHOOK_LISTEN", "127.0.0.1:9010"),
        ("ZAMMAD_WEBHOOK_SECRET", "hmac-s3cret"),
    ]);
    let z = settings(&full).unwrap().zammad.unwrap();
    assert_eq!(z.poll_interval, Duration::from_secs(30));
    assert_eq!(
        (z.change_field.as_str(), z.change_value.as_str()),
        ("type", "network change")
    );
    assert_eq!(z.webhook_listen, Some("127.0.0.1:9010".parse().unwrap()));
    assert!(!format!("{z:?}").contains("hmac-s3cret"));

    let fails = |extra: &[(&'static str, &'static str)], var: &str| {
        let mut p = base.to_vec();
        p.extend_from_slice(extra);
        let e = settings(&p).unwrap_err();
        assert!(e.to_string().starts_with(var), "{var}: {e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
    };
    fails(&[("ZAMMAD_URL", "https://z.example")], "ZAMMAD_TOKEN");
    fails(&[("ZAMMAD_TOKEN", "zammad-s3cret-token")], "ZAMMAD_URL");
    fails(&[("ZAMMAD_WEBHOOK_LISTEN", "127.0.0.1:9010")], "ZAMMAD_URL");
    let z = &with[2..];
    fails(&[z[0], z[1], ("ZAMMAD_URL", "ftp://z")], "ZAMMAD_URL");
    fails(
        &[z[0], z[1], ("ZAMMAD_CHANGE_FIELD", "ticket.type")],
        "ZAMMAD_CHANGE_FIELD",
    );
    fails(
        &[z[0], z[1], ("ZAMMAD_CHANGE_VALUE", "a\u{7}b")],
        "ZAMMAD_CHANGE_VALUE",
    );
    fails(
        &[z[0], z[1], ("ZAMMAD_POLL_SECONDS", "0")],
        "ZAMMAD_POLL_SECONDS",
    );
    fails(
        &[z[0], z[1], ("ZAMMAD_WEBHOOK_LISTEN", "9010")],
        "ZAMMAD_WEBHOOK_LISTEN",
    );
    fails(
        &[z[0], z[1], ("ZAMMAD_WEBHOOK_LISTEN", "127.0.0.1:9010")],
        "ZAMMAD_WEBHOOK_SECRET",
    );
}

#[test]
fn approval_settings_parse_and_explain_mistakes() {
    let base = [
        ("WEBEX_BOT_TOKEN", "abc"),
        ("PATCHPANEL_ALLOWED", "@example.com"),
    ];
    let s = settings(&base).unwrap();
    assert_eq!(s.approvals, ApprovalSettings::default());
    assert_eq!(s.approvals.ttl, Duration::from_secs(86_400));
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        settings(&pairs)
    };
    let s = with(&[
        (
            "PATCHPANEL_APPROVERS",
            "Approver@example.com, @ops.example.com",
        ),
        ("PATCHPANEL_APPROVAL_TTL", "90m"),
        (
            "PATCHPANEL_APPROVALS_ROOM",
            "Y2lzY29zcGFyazovL3VzL1JPT00vYWJj",
        ),
        ("PATCHPANEL_ALLOW_SELF_APPROVAL", "yes"),
    ])
    .unwrap();
    assert!(s.approvals.approvers.permits("approver@example.com"));
    assert!(s.approvals.approvers.permits("x@ops.example.com"));
    assert_eq!(s.approvals.approvers.emails(), vec!["approver@example.com"]);
    assert_eq!(s.approvals.ttl, Duration::from_secs(5400));
    assert!(s.approvals.room.is_some());
    assert!(s.approvals.allow_self_approval);
    for (var, value, says) in [
        (
            "PATCHPANEL_APPROVAL_TTL",
            "soon",
            "`soon` is not a duration",
        ),
        (
            "PATCHPANEL_APPROVAL_TTL",
            "0s",
            "between 1 second and 90 days",
        ),
        (
            "PATCHPANEL_APPROVAL_TTL",
            "99999999999999999d",
            "is not a duration",
        ),
        (
            "PATCHPANEL_APPROVERS",
            "approver",
            "`approver` is not an email",
        ),
        (
            "PATCHPANEL_ALLOW_SELF_APPROVAL",
            "maybe",
            "`maybe` is not yes/no",
        ),
    ] {
        let err = with(&[(var, value)]).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{var} is invalid")), "{err}");
        assert!(err.contains(says), "{err}");
    }
}

#[test]
fn durations_as_people_write_them() {
    assert_eq!(parse_duration("24h"), Some(Duration::from_secs(86_400)));
    assert_eq!(parse_duration(" 2 d"), Some(Duration::from_secs(172_800)));
    assert_eq!(parse_duration("300"), Some(Duration::from_secs(300)));
    assert_eq!(parse_duration("5min"), Some(Duration::from_secs(300)));
    assert_eq!(parse_duration("h"), None);
    assert_eq!(parse_duration("-1h"), None);
    assert_eq!(parse_duration("1.5h"), None);
    assert_eq!(parse_duration(""), None);
}

#[test]
fn missing_token_says_how_to_get_one() {
    let err = settings(&[("PATCHPANEL_ALLOWED", "@example.com")]).unwrap_err();
    assert!(matches!(
        err,
        ConfigError::Missing {
            var: "WEBEX_BOT_TOKEN",
            ..
        }
    ));
    assert!(err.to_string().contains("developer.webex.com"));
}

#[test]
fn a_bearer_prefix_is_accepted_and_never_printed() {
    let s = settings(&[
        ("WEBEX_BOT_TOKEN", "Bearer sekrit-token"),
        ("PATCHPANEL_ALLOWED", "a@b.c"),
    ])
    .unwrap();
    assert_eq!(s.webex.token.expose(), "sekrit-token");
    assert!(!format!("{s:?}").contains("sekrit"));
    let s = settings(&[
        ("WEBEX_BOT_TOKEN", "t"),
        ("PATCHPANEL_ALLOWED", "a@b.c"),
        ("DEVICE_PASSWORD", "pa55word"),
    ])
    .unwrap();
    assert!(!format!("{s:?}").contains("pa55word"));
}

#[test]
fn invalid_values_are_named() {
    let base = [("WEBEX_BOT_TOKEN", "t"), ("PATCHPANEL_ALLOWED", "a@b.c")];
    let with = |k, v| {
        let mut p = base.to_vec();
        p.push((k, v));
        settings(&p).unwrap_err()
    };
    assert!(matches!(
        with("DEVICE_NETCONF_PORT", "99999"),
        ConfigError::Invalid {
            var: "DEVICE_NETCONF_PORT",
            ..
        }
    ));
    assert!(matches!(
        with("WEBEX_API_URL", "ftp://x"),
        ConfigError::Invalid {
            var: "WEBEX_API_URL",
            ..
        }
    ));
    assert!(matches!(
        with("PATCHPANEL_ALLOWED", "nodomain"),
        ConfigError::Invalid {
            var: "PATCHPANEL_ALLOWED",
            ..
        }
    ));
}

#[test]
fn trailing_slashes_are_trimmed() {
    let s = settings(&[
        ("WEBEX_BOT_TOKEN", "t"),
        ("PATCHPANEL_ALLOWED", "a@b.c"),
        ("WEBEX_API_URL", "http://127.0.0.1:9/v1/"),
    ])
    .unwrap();
    assert_eq!(s.webex.api_url, "http://127.0.0.1:9/v1");
}

#[test]
fn syslog_listen_is_optional_and_a_bad_value_is_named() {
    let base = [
        ("WEBEX_BOT_TOKEN", "abc"),
        ("PATCHPANEL_ALLOWED", "@example.com"),
    ];
    assert_eq!(settings(&base).unwrap().watch.syslog_listen, None);
    let mut with = base.to_vec();
    with.push(("PATCHPANEL_SYSLOG_LISTEN", "0.0.0.0:5514"));
    assert_eq!(
        settings(&with).unwrap().watch.syslog_listen,
        Some("0.0.0.0:5514".parse().unwrap())
    );
    let mut v6 = base.to_vec();
    v6.push(("PATCHPANEL_SYSLOG_LISTEN", "[::]:514"));
    assert_eq!(
        settings(&v6).unwrap().watch.syslog_listen,
        Some("[::]:514".parse().unwrap())
    );
    for bad in ["5514", "syslog.example.com:514", "0.0.0.0:99999"] {
        let mut p = base.to_vec();
        p.push(("PATCHPANEL_SYSLOG_LISTEN", bad));
        let e = settings(&p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("PATCHPANEL_SYSLOG_LISTEN is invalid"),
            "{e}"
        );
        assert!(e.to_string().contains(bad), "{e}");
    }
}
