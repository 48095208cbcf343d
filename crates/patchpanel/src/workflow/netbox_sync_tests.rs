use super::*;

#[test]
fn the_changelog_message_fits_netbox_and_stays_the_bots() {
    let ticket = "CHG-2026-0000000000000000000000000000000\nrm -rf /".repeat(3);
    let outcome = format!("not valid: description: {}", "too long; ".repeat(40));
    let m = changelog_message(&ticket, &outcome);
    assert!(m.chars().count() <= CHANGELOG_MESSAGE_MAX, "{m}");
    assert!(m.starts_with("patchpanel: ticket CHG-2026-"), "{m}");
    assert!(
        m.contains("not valid: description"),
        "the outcome survives: {m}"
    );
    assert!(!m.contains('\n'), "{m}");
    assert_eq!(
        changelog_message("CHG-1", "applied (2 changes)"),
        "patchpanel: ticket CHG-1 applied (2 changes)"
    );
    assert_eq!(
        changelog_message("CHG-1", " \n"),
        "patchpanel: ticket CHG-1 handled"
    );
}

#[test]
fn netbox_failures_stop_the_handler_by_kind() {
    let outage = NetboxError::Unavailable {
        retry_after: None,
        status: None,
        detail: "cannot connect".into(),
    };
    let item = NetboxError::Unavailable {
        retry_after: None,
        status: Some(500),
        detail: "HTTP 500".into(),
    };
    let refused = NetboxError::Invalid {
        what: "x".into(),
        field_errors: vec![],
    };
    assert!(matches!(stop_for("x", &outage), Some(Stop::Outage(_))));
    assert!(matches!(stop_for("x", &item), Some(Stop::Item(_))));
    assert!(stop_for("x", &refused).is_none());
    assert!(matches!(
        Stop::from(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(5),
            Some("database is locked".into())
        ))),
        Stop::Outage(_)
    ));
}
