//! The configuration-change notifier's pure core on a realistic configuration (harness = false;
//! `cargo bench --bench config_diff`): a stack of nine 48-port Catalyst 9300s (432 access ports
//! with description, MTU, switchport mode and VLAN, portfast, load interval, one uplink trunk),
//! 1,630 VLANs and 150 VRFs, about 5,000 lines, read from NETCONF XML. A few leaves change (three
//! descriptions, a port shut, an MTU removed, a VLAN added). Reports the median and mean of each
//! step: flattening the tree into a snapshot, the diff of the two snapshots, rendering and the
//! summary, and the stored text form.

use std::hint::black_box;
use std::time::Instant;

use patchpanel::device::tree::{self, Node};
use patchpanel::watch::diff::ConfigDiff;
use patchpanel::watch::snapshot::Snapshot;

const SAMPLES: usize = 31;
const MEMBERS: u32 = 9;
const VLANS: u32 = 1_630;
const VRFS: u32 = 150;

fn config_xml(changed: bool) -> String {
    let mut x = String::from(
        r#"<rpc-reply xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" message-id="1"><data>
<native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><hostname>stack-a</hostname><vlan>"#,
    );
    let vlans = if changed { VLANS + 1 } else { VLANS };
    for id in 2..2 + vlans {
        x.push_str(&format!(
            r#"<vlan-list xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-vlan"><id>{id}</id><name>VLAN-{id}</name></vlan-list>"#
        ));
    }
    x.push_str("</vlan><vrf>");
    for v in 1..=VRFS {
        x.push_str(&format!(
            "<definition><name>VRF-{v}</name><description>tenant {v}</description><rd>65000:{v}</rd>\
             <address-family><ipv4><route-target><export-route-target><without-stitching><asn-ip>65000:{v}</asn-ip>\
             </without-stitching></export-route-target><import-route-target><without-stitching><asn-ip>65000:{v}</asn-ip>\
             </without-stitching></import-route-target></route-target></ipv4><ipv6/></address-family></definition>"
        ));
    }
    x.push_str("</vrf><interface>");
    for m in 1..=MEMBERS {
        for p in 1..=48 {
            let n = (m - 1) * 48 + p;
            let description = match (changed, n) {
                (true, 7 | 100 | 301) => format!("desk {n} moved"),
                _ => format!("desk {n}"),
            };
            let mtu = if changed && n == 42 {
                String::new()
            } else {
                "<mtu>9000</mtu>".into()
            };
            let shut = if changed && n == 55 {
                "<shutdown/>"
            } else {
                ""
            };
            let vlan = 2 + n % VLANS;
            x.push_str(&format!(
                r#"<GigabitEthernet><name>{m}/0/{p}</name><description>{description}</description>{mtu}{shut}
<switchport-config xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><switchport><mode><access/></mode>
<access><vlan><vlan>{vlan}</vlan></vlan></access></switchport></switchport-config>
<spanning-tree xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-spanning-tree"><portfast/></spanning-tree>
<load-interval>30</load-interval></GigabitEthernet>"#
            ));
        }
        let last = VLANS + 1;
        x.push_str(&format!(
            r#"<TenGigabitEthernet><name>{m}/1/1</name><description>uplink {m}</description>
<switchport-config xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-switch"><switchport><mode><trunk/></mode>
<trunk><allowed><vlan><vlans>2-{last}</vlans></vlan></allowed></trunk></switchport></switchport-config></TenGigabitEthernet>"#
        ));
    }
    x.push_str("</interface></native></data></rpc-reply>");
    x
}

/// Median and mean microseconds of `f` over the samples (after one warm-up run).
fn measure<T>(mut f: impl FnMut() -> T) -> (f64, f64) {
    black_box(f());
    let mut us: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            black_box(f());
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    us.sort_by(f64::total_cmp);
    (us[SAMPLES / 2], us.iter().sum::<f64>() / SAMPLES as f64)
}

fn parse(xml: &str) -> Node {
    match tree::from_xml(xml.as_bytes()) {
        Ok(t) => t,
        Err(e) => panic!("the bench's XML is malformed: {e}"),
    }
}

fn flatten(t: &Node) -> Snapshot {
    match Snapshot::from_tree(t) {
        Ok(s) => s,
        Err(e) => panic!("the bench's configuration is refused: {e}"),
    }
}

/// A snapshot of `MAX_LINES` lines, 20 leaves in each of 10,000 sections.
fn largest(value: &str) -> Snapshot {
    let mut text = format!("{}\n", patchpanel::watch::snapshot::TEXT_HEADER);
    for i in 0..patchpanel::watch::snapshot::MAX_LINES {
        text.push_str(&format!(
            "native\tinterface Loopback{:05}\tleaf{:02}\t={value}\n",
            i / 20,
            i % 20
        ));
    }
    match Snapshot::from_text(&text) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    }
}

fn main() {
    let (old_xml, new_xml) = (config_xml(false), config_xml(true));
    let (old_tree, new_tree) = (parse(&old_xml), parse(&new_xml));
    let (old, new) = (flatten(&old_tree), flatten(&new_tree));
    let diff = ConfigDiff::between(&old, &new);
    let text = new.to_text();
    // Every line different (another model root's name): the diff's worst case at this size.
    let other = match Snapshot::from_text(&text.replace("\nnative\t", "\nnative2\t")) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    println!(
        "configuration: {} lines ({} KiB of XML, {} KiB stored); diff: {} sections, summary: {}",
        old.len(),
        old_xml.len() / 1024,
        text.len() / 1024,
        diff.sections().len(),
        diff.summary()
    );
    let rows: Vec<(&str, (f64, f64))> = vec![
        ("XML → tree (for scale)", measure(|| parse(&new_xml))),
        ("tree → snapshot", measure(|| flatten(&new_tree))),
        (
            "ConfigDiff::between",
            measure(|| ConfigDiff::between(&old, &new)),
        ),
        (
            "between, no change",
            measure(|| ConfigDiff::between(&old, &old)),
        ),
        (
            "between, all lines differ",
            measure(|| ConfigDiff::between(&old, &other)),
        ),
        (
            "render(50) + summary",
            measure(|| (diff.render(50), diff.summary())),
        ),
        ("to_text", measure(|| new.to_text())),
        ("from_text", measure(|| Snapshot::from_text(&text))),
        ("digest", measure(|| new.digest())),
    ];
    // The largest snapshot the store accepts, against one with every line different: once, since
    // it is bounded by the diff's time guard rather than by the lines.
    let (big_old, big_new) = (largest("a"), largest("b"));
    let started = Instant::now();
    let big = ConfigDiff::between(&big_old, &big_new);
    println!(
        "200,000 vs 200,000 lines, all different: {:.2} s once ({} sections)",
        started.elapsed().as_secs_f64(),
        big.sections().len()
    );
    println!("{:<26} {:>12} {:>12}", "step", "median µs", "mean µs");
    for (name, (median, mean)) in rows {
        println!("{name:<26} {median:>12.1} {mean:>12.1}");
    }
}
