//! NETCONF conformance (issue 3): the same test bodies, with the project's client, against a real
//! server — yuma123 netconfd with the mock IOS-XE YANG (`tests/netconf/`) — and against the device
//! simulator, so the simulator is held to what a real server answers. Covered: hello and capabilities,
//! subtree filters, candidate edit / commit / read-back (markup, `]]>]]>` and unicode), `remove`,
//! rpc-errors, locks, validate, discard-changes, confirmed commits (persist, timeout, cancel),
//! save-config, close- and kill-session, both framings, the first-rpc stall fix, the apply
//! procedure end to end, and the capabilities IOS-XE 17 advertises (xpath, with-defaults,
//! notification, interleave, yang-library; requests the client has no operation for go through
//! `raw.rs`). Each test starts its own server. Differences between the two servers are in `Facts`
//! (target.rs) and commented where asserted.

mod netconf_peer;

#[path = "netconf_conformance/apply.rs"]
mod apply;
#[path = "netconf_conformance/capabilities.rs"]
mod capabilities;
#[path = "netconf_conformance/checks.rs"]
mod checks;
#[path = "netconf_conformance/limits.rs"]
mod limits;
#[path = "netconf_conformance/nudge.rs"]
mod nudge;
#[path = "netconf_conformance/payload.rs"]
mod payload;
#[path = "netconf_conformance/raw.rs"]
mod raw;
#[path = "netconf_conformance/target.rs"]
mod target;

use target::Target;

/// `mod $check { netconfd, sim }`: one shared body, both servers (base:1.1 offered).
macro_rules! both {
    ($module:ident :: $check:ident) => {
        mod $check {
            #[test]
            fn netconfd() {
                super::$module::$check(&super::Target::netconfd(true));
            }
            #[test]
            fn sim() {
                super::$module::$check(&super::Target::sim(true));
            }
        }
    };
}

both!(checks::hello_and_capabilities);
both!(capabilities::ios_xe_17_capabilities_are_advertised);
both!(capabilities::xpath_filter_selects_what_the_subtree_filter_does);
both!(capabilities::with_defaults_explicit_and_a_bad_mode);
both!(capabilities::subscription_and_interleave);
both!(capabilities::yang_library_lists_the_modules);
both!(checks::get_config_with_subtree_filter);
both!(checks::edit_commit_and_read_back);
both!(checks::remove_operation);
both!(limits::out_of_range_mtu_is_an_rpc_error);
both!(limits::mtu_the_switch_refuses_fails_the_commit);
both!(checks::lock_and_lock_denied);
both!(checks::lock_on_a_modified_candidate);
both!(checks::validate_and_discard_changes);
both!(checks::confirmed_commit_with_persist);
both!(checks::confirmed_commit_times_out);
both!(checks::cancel_commit);
both!(checks::save_config);
both!(checks::close_and_kill_session);
both!(nudge::first_rpc_coalesced_with_the_hello);
both!(apply::ticket_change_is_applied);
both!(apply::device_only_refusal);
both!(apply::model_limits_are_the_bots);
both!(apply::locked_elsewhere_is_busy);

/// End-of-message framing: netconfd `--protocols=netconf1.0`, the simulator `base_1_1: false`.
mod base_1_0 {
    use super::{apply, checks, nudge, Target};

    fn each(check: fn(&Target)) {
        check(&Target::netconfd(false));
        check(&Target::sim(false));
    }

    #[test]
    fn hello_and_capabilities() {
        each(checks::hello_and_capabilities);
    }

    /// `]]>]]>` inside a description must not end an EOM-framed message on either side.
    #[test]
    fn edit_commit_and_read_back() {
        each(checks::edit_commit_and_read_back);
    }

    #[test]
    fn remove_operation() {
        each(checks::remove_operation);
    }

    #[test]
    fn first_rpc_coalesced_with_the_hello() {
        each(nudge::first_rpc_coalesced_with_the_hello);
    }

    /// Without base:1.1 the procedure removes leaves with `delete` and commits without persist.
    #[test]
    fn ticket_change_is_applied() {
        each(apply::ticket_change_is_applied);
    }
}
