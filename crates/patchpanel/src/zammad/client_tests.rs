//! What the client builds and how it fails, without a stand-in for Zammad: URLs, the update body,
//! decoding, and a real refused connection. Its conversation with Zammad is tested against
//! `patchpanel sim zammad`.

use super::*;

const TOKEN: &str = "s3cr3t-zammad-token-0123456789";

fn client(url: &str) -> ZammadClient {
    ZammadClient::new(&ZammadConfig::new(url, Secret::new(TOKEN))).unwrap()
}

#[test]
fn base_url_tolerates_the_api_suffix_and_refuses_credentials() {
    for (raw, want) in [
        ("https://zammad.example/", "https://zammad.example/"),
        ("https://zammad.example/api/v1/", "https://zammad.example/"),
        (
            "https://h.example/helpdesk/api",
            "https://h.example/helpdesk",
        ),
    ] {
        assert_eq!(base_url(raw).unwrap().as_str(), want);
    }
    for bad in [
        "https://user:pw@z.example",
        "ftp://z.example",
        "nope",
        "https://z.example/?a=1",
    ] {
        let e = base_url(bad).unwrap_err();
        assert!(e.to_string().contains("ZAMMAD_URL"), "{e}");
    }
}

#[test]
fn urls_encode_segments_and_the_debug_form_hides_the_token() {
    let c = client("http://127.0.0.1:9/zammad");
    assert_eq!(
        c.url(&["tickets", "12"], &[("expand", "true")]).as_str(),
        "http://127.0.0.1:9/zammad/api/v1/tickets/12?expand=true"
    );
    assert_eq!(
        c.url(&["users", "../x y"], &[]).as_str(),
        "http://127.0.0.1:9/zammad/api/v1/users/..%2Fx%20y"
    );
    assert!(!format!("{c:?}").contains(TOKEN));
}

#[test]
fn an_update_is_the_state_by_name_and_an_internal_plain_note() {
    let body = update_body(&TicketUpdate {
        state: Some("pending approval".into()),
        note: Some("Validated.\r\nWaiting for approval\u{202E}.".into()),
    })
    .unwrap();
    assert_eq!(
        body,
        json!({
            "state": "pending approval",
            "article": {
                "subject": "patchpanel",
                "body": "Validated.\nWaiting for approval<U+202E>.",
                "type": "note",
                "internal": true,
                "content_type": "text/plain"
            }
        })
    );
    let state_only = update_body(&TicketUpdate {
        state: Some("closed".into()),
        note: None,
    })
    .unwrap();
    assert_eq!(state_only, json!({"state": "closed"}));
    let note_only = update_body(&TicketUpdate {
        state: None,
        note: Some("x".repeat(NOTE_BODY_MAX * 3)),
    })
    .unwrap();
    let written = note_only["article"]["body"].as_str().unwrap();
    assert_eq!(
        written.chars().count(),
        NOTE_BODY_MAX,
        "bounded on the write path"
    );
    for nothing in [
        TicketUpdate::default(),
        TicketUpdate {
            state: Some(" \n".into()),
            note: None,
        },
        TicketUpdate {
            state: None,
            note: Some("\u{0}\n ".into()),
        },
    ] {
        assert!(update_body(&nothing).is_err(), "{nothing:?}");
    }
}

fn raw(status: u16, body: &str) -> Raw {
    Raw {
        status,
        retry_after: None,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn an_answer_that_is_not_the_json_expected_is_named_with_an_excerpt() {
    let e = decode::<Vec<Ticket>>(
        &raw(200, "<!DOCTYPE html><title>Zammad</title>"),
        "the search",
    )
    .unwrap_err();
    assert!(matches!(e, ZammadError::InvalidResponse { .. }));
    assert!(
        e.to_string().contains("<!DOCTYPE html>") && e.to_string().contains("ZAMMAD_URL"),
        "{e}"
    );
    // Without `expand` the search answers an object: not what the client asked for.
    let e = decode::<Vec<Ticket>>(
        &raw(200, r#"{"tickets":[1],"tickets_count":1,"assets":{}}"#),
        "the search",
    )
    .unwrap_err();
    assert!(matches!(e, ZammadError::InvalidResponse { .. }), "{e:?}");
    let tickets: Vec<Ticket> = decode(&raw(200, r#"[{"id": 4, "number": "15004"}]"#), "x").unwrap();
    assert_eq!(tickets[0].number.as_deref(), Some("15004"));
    let e = decode::<User>(&raw(401, r#"{"error":"Can't find User for Token"}"#), "x").unwrap_err();
    assert!(matches!(e, ZammadError::Unauthorized { .. }));
}

#[test]
fn a_ticket_answer_must_be_the_ticket_asked_for() {
    let t = Ticket {
        id: Some(5),
        ..Ticket::default()
    };
    assert!(same_ticket(t.clone(), 5, "ticket id 5").is_ok());
    let e = same_ticket(t, 6, "ticket id 6").unwrap_err();
    assert!(e.to_string().contains("the answer is ticket id 5"), "{e}");
    assert!(same_ticket(Ticket::default(), 6, "x").is_err());
}

#[tokio::test]
async fn no_zammad_listening_is_an_outage_without_the_token() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"));
    let e = c.me().await.unwrap_err();
    assert!(e.is_transient() && e.is_outage(), "{e:?}");
    let e2 = c
        .update(
            4,
            &TicketUpdate {
                state: Some("closed".into()),
                note: None,
            },
        )
        .await
        .unwrap_err();
    for e in [e, e2] {
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains(TOKEN), "{shown}");
    }
    let q = CandidateQuery {
        field: "ticket_type",
        value: "network_change",
        state_ids: &[1, 2],
        updated_after: Some("not a time"),
    };
    let e = c.candidates(&q).await.unwrap_err();
    assert!(
        matches!(e, ZammadError::Config(_)),
        "checked before any request: {e:?}"
    );
}
