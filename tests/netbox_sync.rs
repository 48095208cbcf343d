//! Workflow W2 through `NetboxSync::handle`, with in-process simulators: NetBox (the source of
//! truth a person edits), the Catalyst 9300 over NETCONF (reached through a devices file that
//! points NetBox's `c9300` at it) and Webex (where the messages go, PATCHPANEL_NOTIFY = an email).

mod device_sim_fixture;
mod netbox_sync_rig;

use netbox_sync_rig::{assert_messages, Rig, ENGINEER, READ_ONLY_TOKEN};
use patchpanel::netbox::{Candidate, CandidateSource, Handled};
use patchpanel::secret::Secret;
use patchpanel::store::JobState;
use patchpanel::webex::{WebexConfig, WebexRest};
use patchpanel::workflow::messages::escape;
use patchpanel::workflow::JOB_KIND;
use patchpanel_sim::webex::{self as wxsim, SayRequest};
use serde_json::{json, Value};

#[tokio::test]
async fn a_ticketed_edit_reaches_the_switch_and_the_ticket_is_cleared() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/2",
        json!({"description": "Floor 2 printer", "mtu": null, "enabled": true,
               "mode": "access", "untagged_vlan": 2, "tagged_vlans": [],
               "custom_fields": {"change_ticket_number": "1234"}}),
    );
    assert_eq!(rig.sync.handle(c.clone()).await, Handled::Done);

    let port = rig.port("1/0/2");
    assert_eq!(
        port.description.as_deref(),
        Some("Floor 2 printer ##ticket:1234##")
    );
    assert!(!port.shutdown);
    assert_eq!(port.mtu, None);
    assert_eq!(rig.ticket("GigabitEthernet1/0/2"), Value::Null);

    let msgs = rig.messages();
    assert_messages(
        &msgs,
        &[
            "📥 NetBox change received",
            "✅ Valid data received",
            "🟢 Device configured for ticket **1234**",
        ],
    );
    assert!(msgs[0].contains("edited by alice"), "{}", msgs[0]);
    assert!(msgs[1].contains("access port in VLAN 20"), "{}", msgs[1]);
    assert!(
        rig.webex
            .messages()
            .iter()
            .all(|m| m.person_email == wxsim::BOT_EMAIL && m.room_type == "direct"),
        "1:1 messages to PATCHPANEL_NOTIFY"
    );

    // The clear is the bot's own, recognizable write, and the job is recorded as done.
    let last = rig.netbox.object_changes().last().unwrap().clone();
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .starts_with("patchpanel: ticket 1234 applied"),
        "{last}"
    );
    assert_eq!(
        last["postchange_data"]["custom_fields"]["change_ticket_number"],
        Value::Null
    );
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Done);
    assert!(jobs[0].detail.contains("ticket cleared"), "{:?}", jobs[0]);

    // The same candidate again (a replayed change record, the sweep): handled once.
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.store.jobs(JOB_KIND, 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_edit_without_a_ticket_does_nothing() {
    let rig = Rig::start("").await;
    let before = rig.port("1/0/3");
    let c = rig.edit("GigabitEthernet1/0/3", json!({"description": "no ticket"}));
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.port("1/0/3"), before);
    assert!(rig.messages().is_empty());
    assert!(rig.store.jobs(JOB_KIND, 10).await.unwrap().is_empty());
}

/// An invalid edit: reported with its reasons, the switch untouched, the ticket cleared.
async fn refused(rig: &Rig, interface: &str, fields: Value, reason: &str) {
    let port = interface.trim_start_matches("GigabitEthernet").to_owned();
    let before = rig.device.sim.running_config();
    let c = rig.edit(interface, fields);
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(
        rig.device.sim.running_config(),
        before,
        "{port}: device unchanged"
    );
    let msgs = rig.messages();
    let ours = &msgs[msgs.len() - 2..];
    assert_messages(
        ours,
        &["📥 NetBox change received", "❌ The NetBox change of"],
    );
    // The reason as shown: markdown-escaped.
    assert!(ours[1].contains(&escape(reason)), "{}", ours[1]);
    assert!(ours[1].ends_with("Fix it in NetBox and set the ticket number again."));
    assert_eq!(rig.ticket(interface), Value::Null);
}

#[tokio::test]
async fn invalid_edits_are_refused_with_their_reasons() {
    let rig = Rig::start("c9300:Gi1/0/1").await;
    refused(
        &rig,
        "GigabitEthernet1/0/4",
        json!({"mtu": 100, "custom_fields": {"change_ticket_number": "2001"}}),
        "MTU 100 is out of range for IOS-XE devices (1500–9198)",
    )
    .await;
    refused(
        &rig,
        "GigabitEthernet1/0/5",
        json!({"mode": "access", "untagged_vlan": 7, "tagged_vlans": [],
               "custom_fields": {"change_ticket_number": "2002"}}),
        "VLAN 999 is not defined at site lab: add it to the site in NetBox or pick one of the site's VLANs",
    )
    .await;
    refused(
        &rig,
        "GigabitEthernet1/0/1",
        json!({"description": "uplink", "custom_fields": {"change_ticket_number": "2003"}}),
        "protected on c9300 by PATCHPANEL_PROTECTED",
    )
    .await;
    refused(
        &rig,
        "Vlan1",
        json!({"description": "mgmt", "custom_fields": {"change_ticket_number": "2004"}}),
        "Vlan1 is a management interface (mgmt_only in NetBox)",
    )
    .await;
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 4);
    assert!(jobs
        .iter()
        .all(|j| j.state == JobState::Done && j.outcome.starts_with("not valid")));
}

/// NetBox down is an outage, not this change's fault: `Unavailable` (the poller backs off and
/// spends no budget), and the change is handled once NetBox is back.
#[tokio::test]
async fn netbox_down_means_unavailable_and_nothing_is_lost() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/6",
        json!({"description": "cam", "custom_fields": {"change_ticket_number": "3001"}}),
    );
    let before = rig.port("1/0/6");
    rig.netbox.set_down(true);
    assert!(matches!(
        rig.sync.handle(c.clone()).await,
        Handled::Unavailable { .. }
    ));
    assert_eq!(rig.port("1/0/6"), before);
    assert!(rig.messages().is_empty());

    rig.netbox.set_down(false);
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/6").description.as_deref(),
        Some("cam ##ticket:3001##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/6"), Value::Null);
    assert_eq!(rig.messages().len(), 3);
}

/// A candidate offered again by the poller (parked after a failure).
fn retry(c: &Candidate, attempt: u32, last: bool) -> Candidate {
    Candidate {
        source: CandidateSource::Retry { attempt, last },
        ..c.clone()
    }
}

/// The clear fails for now (NetBox answers 500 for it, and only for it): `RetryLater`, so the
/// poller parks this change and the others go on; the next attempt only clears.
#[tokio::test]
async fn a_failed_clear_is_retried_alone() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/7",
        json!({"description": "ap", "custom_fields": {"change_ticket_number": "4001"}}),
    );
    rig.netbox.fail_clears(c.interface_id, 500);
    assert!(matches!(
        rig.sync.handle(c.clone()).await,
        Handled::RetryLater { .. }
    ));
    assert_eq!(
        rig.port("1/0/7").description.as_deref(),
        Some("ap ##ticket:4001##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/7"), json!("4001"));
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        JobState::Applied
    );

    // Offered again once NetBox accepts the clear: only the clear runs, no second round.
    rig.netbox.reject_clears(None);
    let changes = rig.netbox.object_changes().len();
    assert_eq!(rig.sync.handle(retry(&c, 2, false)).await, Handled::Done);
    assert_eq!(rig.ticket("GigabitEthernet1/0/7"), Value::Null);
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.netbox.object_changes().len(), changes + 1);
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        JobState::Done
    );
}

/// The clear keeps failing: on its last attempt the job ends `failed`, the person hears why and
/// what to do, and later offers (the sweep) leave it alone.
#[tokio::test]
async fn a_clear_that_keeps_failing_gives_up_on_its_last_attempt() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/9",
        json!({"description": "kiosk", "custom_fields": {"change_ticket_number": "4002"}}),
    );
    rig.netbox.fail_clears(c.interface_id, 500);
    assert!(matches!(
        rig.sync.handle(c.clone()).await,
        Handled::RetryLater { .. }
    ));
    assert_eq!(rig.sync.handle(retry(&c, 8, true)).await, Handled::Done);
    let msgs = rig.messages();
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    let last = &msgs[3];
    assert!(last.starts_with("🔴 Gave up on the NetBox change of **GigabitEthernet1/0/9** on **c9300** (ticket **4002**) after 8 attempts"), "{last}");
    assert!(last.contains("HTTP 500"), "{last}");
    assert!(
        last.contains("The change itself: applied"),
        "what was done is said: {last}"
    );
    assert!(last.contains("set the ticket number again"), "{last}");
    let job = &rig.store.jobs(JOB_KIND, 1).await.unwrap()[0];
    assert_eq!(job.state, JobState::Failed);
    assert!(job.detail.contains("gave up after 8 attempts"), "{job:?}");
    assert_eq!(rig.ticket("GigabitEthernet1/0/9"), json!("4002"));

    let sweep = Candidate {
        source: CandidateSource::Sweep,
        ..c.clone()
    };
    assert_eq!(rig.sync.handle(sweep).await, Handled::Done);
    assert_eq!(rig.messages().len(), 4, "left alone");
}

/// NetBox refuses the clear for a reason asking again will not fix (a read-only token): the job
/// ends `failed` at once, with a message naming what NetBox said and what to do.
#[tokio::test]
async fn a_forbidden_clear_ends_the_job_as_failed_and_says_so() {
    let rig = Rig::start("").await;
    rig.netbox.add_token(READ_ONLY_TOKEN, "bot", false);
    let read_only = rig.handler(READ_ONLY_TOKEN, "");
    let c = rig.edit(
        "GigabitEthernet1/0/10",
        json!({"description": "ap", "custom_fields": {"change_ticket_number": "4003"}}),
    );
    assert_eq!(read_only.handle(c.clone()).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/10").description.as_deref(),
        Some("ap ##ticket:4003##")
    );
    let msgs = rig.messages();
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    assert!(
        msgs[3].starts_with(
            "⚠️ NetBox refused to clear the ticket number of **GigabitEthernet1/0/10**"
        ),
        "{}",
        msgs[3]
    );
    assert!(msgs[3].contains("write permission"), "{}", msgs[3]);
    assert!(
        msgs[3].contains("The change itself: applied"),
        "{}",
        msgs[3]
    );
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        JobState::Failed
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/10"), json!("4003"));
    // Offered again, even with a token that may write: the job is over; a person takes over.
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.ticket("GigabitEthernet1/0/10"), json!("4003"));
    assert_eq!(rig.messages().len(), 4);
}

/// A NetBox that answers 400 to every clear (the ticket field made required): the job ends
/// `failed`, and the message names the field NetBox named.
#[tokio::test]
async fn a_refused_clear_names_the_field_netbox_named() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/11",
        json!({"description": "cam", "custom_fields": {"change_ticket_number": "4004"}}),
    );
    rig.netbox.set_ticket_required(true);
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    let msgs = rig.messages();
    assert_eq!(msgs.len(), 4, "{msgs:#?}");
    assert!(
        msgs[3].contains(&format!(
            "- the interface as a whole: {}",
            escape("Invalid value for custom field 'change_ticket_number': Required field cannot be empty.")
        )),
        "{}",
        msgs[3]
    );
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        JobState::Failed
    );
}

/// A newline in the ticket number is the ticket number's problem, not the description's: reported
/// as such, nothing pushed, and the ticket still cleared with a one-line change-log message.
#[tokio::test]
async fn a_newline_in_the_ticket_number_is_reported_as_the_ticket_number() {
    let rig = Rig::start("").await;
    let before = rig.device.sim.running_config();
    let c = rig.edit(
        "GigabitEthernet1/0/12",
        json!({"description": "printer", "custom_fields": {"change_ticket_number": "CHG-1\nX"}}),
    );
    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_eq!(rig.device.sim.running_config(), before);
    let msgs = rig.messages();
    assert_messages(
        &msgs,
        &["📥 NetBox change received", "❌ The NetBox change of"],
    );
    assert!(
        msgs[1].contains("- ticket number: the ticket number contains a line break at character 6"),
        "{}",
        msgs[1]
    );
    assert!(!msgs[1].contains("- description"), "{}", msgs[1]);
    assert_eq!(rig.ticket("GigabitEthernet1/0/12"), Value::Null);
    let clear = rig.netbox.object_changes().last().unwrap().clone();
    let message = clear["message"].as_str().unwrap();
    assert!(
        message.starts_with("patchpanel: ticket CHG-1 X not valid: reason:"),
        "{message}"
    );
    assert!(!message.contains('\n'));
    assert_eq!(
        rig.store.jobs(JOB_KIND, 1).await.unwrap()[0].state,
        JobState::Done
    );
}

/// The reproduction at the handler: a 40-character ticket with MTU 9999 and 200 × D is
/// reported (ticket number and MTU) and cleared, and the next edit goes through.
#[tokio::test]
async fn long_ticket_number_does_not_stall_the_queue() {
    let rig = Rig::start("").await;
    let long = "CHG-2026-0000000000000000000000000000000";
    let bad = rig.edit(
        "GigabitEthernet1/0/3",
        json!({"mtu": 9999, "description": "D".repeat(200),
               "custom_fields": {"change_ticket_number": long}}),
    );
    assert_eq!(rig.sync.handle(bad).await, Handled::Done);
    let msgs = rig.messages();
    assert_eq!(msgs.len(), 2, "{msgs:#?}");
    assert!(
        msgs[1].contains("- ticket number: the ticket number is 40 characters long"),
        "{}",
        msgs[1]
    );
    assert!(msgs[1].contains("- mtu: "), "{}", msgs[1]);
    assert_eq!(rig.ticket("GigabitEthernet1/0/3"), Value::Null);
    let clear = rig.netbox.object_changes().last().unwrap().clone();
    let message = clear["message"].as_str().unwrap();
    assert!(message.chars().count() <= 200, "{message}");
    assert!(
        message.starts_with(&format!("patchpanel: ticket {long} not valid")),
        "{message}"
    );

    let next = rig.edit(
        "GigabitEthernet1/0/4",
        json!({"description": "next", "custom_fields": {"change_ticket_number": "CHG-2"}}),
    );
    assert_eq!(rig.sync.handle(next).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/4").description.as_deref(),
        Some("next ##ticket:CHG-2##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/4"), Value::Null);
}

#[tokio::test]
async fn edits_are_pushed_as_they_are_when_handled() {
    let rig = Rig::start("").await;
    let first = rig.edit(
        "GigabitEthernet1/0/8",
        json!({"description": "one", "custom_fields": {"change_ticket_number": "5001"}}),
    );
    // Before the bot gets to it, the person edits again (the form keeps the ticket).
    let second = rig.edit("GigabitEthernet1/0/8", json!({"description": "two"}));
    assert_eq!(rig.sync.handle(first).await, Handled::Done);
    assert_eq!(rig.sync.handle(second).await, Handled::Done);
    // Both candidates re-read the live interface: one round, with the latest state.
    assert_eq!(
        rig.port("1/0/8").description.as_deref(),
        Some("two ##ticket:5001##")
    );
    assert_eq!(rig.messages().len(), 3);
    assert_eq!(rig.ticket("GigabitEthernet1/0/8"), Value::Null);

    // The clear fails (read-only token) and the person edits again, keeping the ticket: the new
    // state is a new round, pushed and then cleared; nothing is lost.
    rig.netbox.add_token(READ_ONLY_TOKEN, "bot", false);
    let read_only = rig.handler(READ_ONLY_TOKEN, "");
    let third = rig.edit(
        "GigabitEthernet1/0/8",
        json!({"description": "three", "custom_fields": {"change_ticket_number": "5002"}}),
    );
    // NetBox refuses the clear for good: that job ends `failed` (and says so)…
    assert_eq!(read_only.handle(third.clone()).await, Handled::Done);
    let fourth = rig.edit("GigabitEthernet1/0/8", json!({"description": "four"}));
    assert_eq!(rig.sync.handle(third).await, Handled::Done);
    assert_eq!(rig.sync.handle(fourth).await, Handled::Done);
    assert_eq!(
        rig.port("1/0/8").description.as_deref(),
        Some("four ##ticket:5002##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/8"), Value::Null);
    // …and the person's next edit, keeping the ticket, is a new job: three plus four plus three.
    assert_eq!(rig.messages().len(), 10);
    let jobs = rig.store.jobs(JOB_KIND, 10).await.unwrap();
    assert_eq!(jobs.len(), 3, "{jobs:#?}");
}

#[tokio::test]
async fn notify_posts_to_a_room_and_splits_long_text() {
    let rig = Rig::start("").await;
    let asked = rig
        .webex
        .say(SayRequest {
            from: ENGINEER.into(),
            text: "hello".into(),
            room: "netops-space".into(),
            mention: true,
            parent_id: None,
            as_bot: false,
        })
        .unwrap();
    let rest = WebexRest::new(&WebexConfig {
        api_url: rig.webex.api_url(),
        u2c_url: rig.webex.u2c_url(),
        token: Secret::new("bot-token"),
        device_name: "patchpanel-test".into(),
    })
    .unwrap();
    let long = (0..600)
        .map(|n| format!("- line {n} of a long report"))
        .collect::<Vec<_>>()
        .join("\n");
    let ids = rest.notify(&asked.room_id, &long).await.unwrap();
    assert!(ids.len() > 1, "{ids:?}");
    let posted: Vec<_> = rig
        .webex
        .messages()
        .into_iter()
        .filter(|m| ids.contains(&m.id))
        .collect();
    assert_eq!(posted.len(), ids.len());
    assert!(posted.iter().all(|m| m.room_id == asked.room_id));
    assert!(rest.notify("  ", "x").await.is_err());
}

/// The bot stopped in the middle of an apply (its job says `applying`, so "received" and
/// "configuring" were already sent): the next offer applies again (idempotent, and a lost
/// confirmed commit has rolled back by itself) and only reports the outcome.
#[tokio::test]
async fn a_job_interrupted_while_applying_resumes_without_repeating_its_messages() {
    let rig = Rig::start("").await;
    let c = rig.edit(
        "GigabitEthernet1/0/6",
        json!({"description": "resumed", "custom_fields": {"change_ticket_number": "CHG-77"}}),
    );
    let iface = rig
        .netbox
        .interface("c9300", "GigabitEthernet1/0/6")
        .unwrap();
    let key = patchpanel::workflow::netbox_sync::job_key(
        c.interface_id,
        "CHG-77",
        iface["last_updated"].as_str().unwrap(),
    );
    rig.store
        .put_job(&key, JOB_KIND, JobState::Applying, "", "")
        .await
        .unwrap();

    assert_eq!(rig.sync.handle(c).await, Handled::Done);
    assert_messages(
        &rig.messages(),
        &["🟢 Device configured for ticket **CHG-77**"],
    );
    assert_eq!(
        rig.port("1/0/6").description.as_deref(),
        Some("resumed ##ticket:CHG-77##")
    );
    assert_eq!(rig.ticket("GigabitEthernet1/0/6"), Value::Null);
    assert_eq!(
        rig.store.job(&key).await.unwrap().unwrap().state,
        JobState::Done
    );
}
