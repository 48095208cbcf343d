//! The capabilities IOS-XE 17 advertises beyond the base ones, held to what netconfd does with them:
//! XPath filters, `<with-defaults>`, event subscriptions with interleaved rpcs, and the YANG library.
//! The simulator implements a subset of each (see `sim::device`); these bodies use what both
//! implement, and the simulator's own limits are tested in `tests/sim_device_capabilities.rs`.

use crate::checks::{baseline, commit, merge};
use crate::payload::{Set, NATIVE_NS};
use crate::raw::Raw;
use crate::target::Target;
use patchpanel::device::tree::from_xml;

const XPATH: &str = "urn:ietf:params:netconf:capability:xpath:1.0";
const NOTIFICATION: &str = "urn:ietf:params:netconf:capability:notification:1.0";
const INTERLEAVE: &str = "urn:ietf:params:netconf:capability:interleave:1.0";
const WITH_DEFAULTS: &str = "urn:ietf:params:netconf:capability:with-defaults:1.0";
const YANG_LIBRARY: &str = "urn:ietf:params:netconf:capability:yang-library:1.0";
const WD_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-netconf-with-defaults";
const NOTIF_NS: &str = "urn:ietf:params:xml:ns:netconf:notification:1.0";
const LIBRARY_NS: &str = "urn:ietf:params:xml:ns:yang:ietf-yang-library";

/// A capability's parameter, e.g. `basic-mode` of `…with-defaults:1.0?basic-mode=explicit&…`.
fn param<'a>(capability: &'a str, name: &str) -> Option<&'a str> {
    capability
        .split_once('?')?
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

pub fn ios_xe_17_capabilities_are_advertised(t: &Target) {
    let s = t.connect();
    let c = s.capabilities();
    for cap in [XPATH, NOTIFICATION, INTERLEAVE] {
        assert!(
            c.has(cap),
            "{}: {cap} missing from {:?}",
            t.facts.name,
            c.uris()
        );
    }
    assert!(c.xpath());
    let wd = c.get(WITH_DEFAULTS).expect("with-defaults");
    assert_eq!(param(wd, "basic-mode"), Some("explicit"), "{wd}");
    let lib = c.get(YANG_LIBRARY).expect("yang-library");
    assert_eq!(param(lib, "revision"), Some("2016-06-21"), "{lib}");
    assert!(
        param(lib, "module-set-id").is_some_and(|id| !id.is_empty()),
        "{lib}"
    );
    s.close();
}

/// The data of a reply as the device layer's tree (root `data`).
fn data(
    reply: &patchpanel::device::netconf::reply::ParsedReply,
    text: &str,
) -> patchpanel::device::tree::Node {
    assert!(reply.errors.is_empty(), "{text}");
    from_xml(reply.data.as_deref().unwrap_or(b"<data/>")).unwrap()
}

/// A keyed path selects the key and the leaf, as the equivalent subtree filter does; a union of two
/// paths selects both entries.
pub fn xpath_filter_selects_what_the_subtree_filter_does(t: &Target) {
    let mut s = t.connect();
    for (name, d) in [("1/0/7", "seven"), ("1/0/8", "eight")] {
        merge(
            &mut s,
            name,
            &Set {
                description: Some(d),
                mtu: Some("1600"),
                ..Set::default()
            },
        )
        .unwrap();
    }
    commit(&mut s);
    s.close();
    let mut r = Raw::connect(t);
    let get = |select: &str| {
        format!(
            "<get-config><source><running/></source><filter type=\"xpath\" xmlns:ios=\"{NATIVE_NS}\" select=\"{select}\"/></get-config>"
        )
    };
    let (reply, text) = r.rpc(&get(
        "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/8']/ios:description",
    ));
    let tree = data(&reply, &text);
    let gi = tree
        .path(&["native", "interface", "GigabitEthernet"])
        .expect(&text);
    let leaves: Vec<_> = gi.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(leaves, ["name", "description"], "{}: {text}", t.facts.name);
    assert_eq!(gi.text_at(&["description"]).as_deref(), Some("eight"));

    let (reply, text) = r.rpc(&get(
        "/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/7'] | /ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/8']/ios:mtu",
    ));
    let tree = data(&reply, &text);
    let list = tree.path(&["native", "interface"]).expect(&text);
    let entries: Vec<(Option<String>, Option<String>, Option<String>)> = list
        .children
        .iter()
        .map(|g| {
            (
                g.text_at(&["name"]),
                g.text_at(&["description"]),
                g.text_at(&["mtu"]),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                Some("1/0/7".into()),
                Some("seven".into()),
                Some("1600".into())
            ),
            (Some("1/0/8".into()), None, Some("1600".into())),
        ],
        "{}: {text}",
        t.facts.name
    );
    // A prefix without declaration is a bad attribute on both.
    let (reply, text) = r.rpc(
        "<get-config><source><running/></source><filter type=\"xpath\" select=\"/zz:native\"/></get-config>",
    );
    assert_eq!(reply.errors.len(), 1, "{text}");
    assert_eq!(reply.errors[0].error_tag, "bad-attribute", "{text}");
    assert_eq!(
        reply.errors[0]
            .bad_element()
            .map(|b| b.trim_start_matches("nc:")),
        Some("filter")
    );
    r.close();
}

/// `explicit` (the basic mode both advertise) is the default made explicit: the same data. A value
/// that is no mode at all is an invalid value named by its path.
pub fn with_defaults_explicit_and_a_bad_mode(t: &Target) {
    let mut s = t.connect();
    baseline(&mut s, "1/0/9", "defaults");
    s.close();
    let mut r = Raw::connect(t);
    let get = |wd: &str| {
        format!(
            "<get-config><source><running/></source>{wd}<filter type=\"subtree\"><native xmlns=\"{NATIVE_NS}\"><interface><GigabitEthernet><name>1/0/9</name></GigabitEthernet></interface></native></filter></get-config>"
        )
    };
    let (plain, text) = r.rpc(&get(""));
    let plain = data(&plain, &text);
    let (explicit, text) = r.rpc(&get(&format!(
        "<with-defaults xmlns=\"{WD_NS}\">explicit</with-defaults>"
    )));
    assert_eq!(data(&explicit, &text), plain, "{}", t.facts.name);
    let (bad, text) = r.rpc(&get(&format!(
        "<with-defaults xmlns=\"{WD_NS}\">bogus</with-defaults>"
    )));
    assert_eq!(bad.errors.len(), 1, "{text}");
    let e = &bad.errors[0];
    assert_eq!(
        (
            e.error_type.as_str(),
            e.error_tag.as_str(),
            e.error_app_tag.as_deref()
        ),
        ("protocol", "invalid-value", Some("not-in-value-set")),
        "{}: {text}",
        t.facts.name
    );
    assert_eq!(
        e.error_path.as_deref(),
        Some("/nc:rpc/nc:get-config/ncwd:with-defaults"),
        "{text}"
    );
    r.close();
}

/// A session subscribes to the NETCONF stream once (a second subscription is `in-use`), an unknown
/// stream is refused naming it, and the subscribed session keeps answering rpcs, edits included.
pub fn subscription_and_interleave(t: &Target) {
    let mut r = Raw::connect(t);
    let (unknown, text) = r.rpc(&format!(
        "<create-subscription xmlns=\"{NOTIF_NS}\"><stream>no-such-stream</stream></create-subscription>"
    ));
    assert_eq!(unknown.errors.len(), 1, "{text}");
    let e = &unknown.errors[0];
    assert_eq!(e.error_tag, "operation-failed", "{}: {text}", t.facts.name);
    assert_eq!(
        e.error_path.as_deref(),
        Some("/nc:rpc/ncEvent:create-subscription/ncEvent:stream"),
        "{text}"
    );
    let (first, text) = r.rpc(&format!("<create-subscription xmlns=\"{NOTIF_NS}\"/>"));
    assert!(
        first.ok && first.errors.is_empty(),
        "{}: {text}",
        t.facts.name
    );
    let (again, text) = r.rpc(&format!(
        "<create-subscription xmlns=\"{NOTIF_NS}\"><stream>NETCONF</stream></create-subscription>"
    ));
    assert_eq!(again.errors.len(), 1, "{text}");
    assert_eq!(
        again.errors[0].error_tag, "in-use",
        "{}: {text}",
        t.facts.name
    );
    // Interleave: the subscribed session edits and reads on.
    let (edit, text) = r.rpc(&format!(
        "<edit-config><target><candidate/></target><config><native xmlns=\"{NATIVE_NS}\"><interface><GigabitEthernet><name>1/0/10</name><description>while subscribed</description></GigabitEthernet></interface></native></config></edit-config>"
    ));
    assert!(edit.ok, "{text}");
    let (read, text) = r.rpc(&format!(
        "<get-config><source><candidate/></source><filter type=\"subtree\"><native xmlns=\"{NATIVE_NS}\"><interface><GigabitEthernet><name>1/0/10</name><description/></GigabitEthernet></interface></native></filter></get-config>"
    ));
    assert_eq!(
        data(&read, &text)
            .text_at(&["native", "interface", "GigabitEthernet", "description"])
            .as_deref(),
        Some("while subscribed")
    );
    let (discard, text) = r.rpc("<discard-changes/>");
    assert!(discard.ok, "{text}");
    r.close();
}

/// `/modules-state` (RFC 7895) lists the native module with the revision the hello names, under the
/// module-set-id the `:yang-library` capability carries.
pub fn yang_library_lists_the_modules(t: &Target) {
    let mut r = Raw::connect(t);
    let (reply, text) = r.rpc(&format!(
        "<get><filter type=\"subtree\"><modules-state xmlns=\"{LIBRARY_NS}\"><module-set-id/><module><name>Cisco-IOS-XE-native</name></module></modules-state></filter></get>"
    ));
    let tree = data(&reply, &text);
    let state = tree.path(&["modules-state"]).expect(&text);
    let native = state.path(&["module"]).expect(&text);
    assert_eq!(
        native.text_at(&["name"]).as_deref(),
        Some("Cisco-IOS-XE-native")
    );
    assert_eq!(
        native.text_at(&["revision"]).as_deref(),
        Some(t.facts.native_revision),
        "{text}"
    );
    assert_eq!(native.text_at(&["namespace"]).as_deref(), Some(NATIVE_NS));
    assert_eq!(
        native.text_at(&["conformance-type"]).as_deref(),
        Some("implement")
    );
    let id = state.text_at(&["module-set-id"]).expect(&text);
    let hello_id = r
        .hello
        .split("yang-library:1.0?")
        .nth(1)
        .and_then(|rest| rest.split("module-set-id=").nth(1))
        .and_then(|rest| rest.split(['<', '&']).next())
        .map(str::to_owned);
    assert_eq!(
        hello_id.as_deref(),
        Some(id.as_str()),
        "{}: {}",
        t.facts.name,
        r.hello
    );
    r.close();
}
