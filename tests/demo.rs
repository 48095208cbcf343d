//! `patchpanel demo` as a user runs it (docs/contracts.md): piped input, one message per line,
//! every reply printed, exit 0 once the last reply has settled. Covers chat, a NetBox edit carrying
//! a ticket (workflow W2 against the simulators) and `show iface` with NetBox's intent afterwards.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `patchpanel demo` with `input` piped in; answers what it printed, once it exited 0.
fn run_demo(input: &[u8]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchpanel"))
        .arg("demo")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    // The demo bounds each reply by 60 s; this only guards against a hang.
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(300), "demo hung");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

#[test]
fn the_demo_answers_piped_chat_and_pushes_a_netbox_edit() {
    let stdout = run_demo(
        b"vrf c9300\nshwo iface c9300 Gi1/0/2\n\
              /netbox Gi1/0/3 ticket=CHG-42 mtu=9000 description=Printer floor 3\n\
              show iface c9300 Gi1/0/3\n/netbox Gi1/0/4 ticket=CHG-43 mtu=100\n",
    );
    for want in [
        "BLUE",
        "did you mean",
        "(NetBox: c9300 GigabitEthernet1/0/3 saved)",
        "NetBox change received: **GigabitEthernet1/0/3** on **c9300** (ticket **CHG-42**)",
        "Device configured for ticket **CHG-42**",
        "| Description | Printer floor 3 \\#\\#ticket:CHG-42\\#\\# |",
        "| MTU | 9000 |",
        "**NetBox intent vs device** — in sync",
        "(ticket **CHG-43**) is not valid; nothing was sent to the device",
        "MTU 100 is out of range",
    ] {
        assert!(stdout.contains(want), "`{want}` missing in:\n{stdout}");
    }
    assert_eq!(stdout.matches("Device configured").count(), 1, "{stdout}");
}

#[test]
fn the_demo_shows_a_ticket_approved_in_webex() {
    let stdout = run_demo(
        b"/ticket Gi1/0/5 mtu=2000 vlan=access:100: description=Configured from the ticket system!\n\
              /as approver@example.com\n/press 1\n/tickets\nshow iface c9300 Gi1/0/5\n",
    );
    for want in [
        "(Zammad: ticket 15001 created)",
        "[1] Approve",
        "[2] Decline",
        "Your action ✅ Approve has been recorded",
        "applied and verified; the ticket is closed",
        "(ticket 15001: closed",
        "| MTU | 2000 |",
        "| Mode | access, VLAN 100 |",
        "**NetBox intent vs device** — in sync",
    ] {
        assert!(stdout.contains(want), "`{want}` missing in:\n{stdout}");
    }
}

#[test]
fn the_demo_reports_a_change_made_at_the_console() {
    let stdout = run_demo(b"/console Gi1/0/7 description=rogue\nchanges c9300\nchanges c9300 1\n");
    for want in [
        "(c9300 console: 1 change(s) configured)",
        "Unplanned configuration change",
        "by **admin** from 10.1.1.1 on vty0",
        "interface GigabitEthernet1/0/7: + description rogue",
        "Recent configuration changes",
        "**c9300** #1",
        "**Change 1 on c9300**",
        // The simulated NetBox has no description for it: drift from the source of truth.
        "GigabitEthernet1/0/7 description: NetBox —, device rogue",
    ] {
        assert!(stdout.contains(want), "`{want}` missing in:\n{stdout}");
    }
    // Reported once, as c9300 (its second name is not watched).
    assert_eq!(
        stdout.matches("Unplanned configuration change").count(),
        1,
        "{stdout}"
    );
}
