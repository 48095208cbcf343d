//! Decode speed of the NETCONF framing codec (harness = false; `cargo bench --bench netconf_framing`).
//! A 50 MB `<rpc-reply>` is framed as devices send it (chunked with 8 KiB and 64 KiB chunks, and
//! end-of-message) and fed to the decoder in 32 KiB reads, as libssh2 hands them out. Reports the
//! median MB/s over several runs; the target is at least 500 MB/s.

use std::hint::black_box;
use std::time::Instant;

use patchpanel::device::netconf::framing::{encode, encode_chunked, Decoder, Framing};

const SIZE: usize = 50 * 1000 * 1000;
const READ: usize = 32 * 1024;
const RUNS: usize = 7;

fn reply() -> Vec<u8> {
    let mut xml = br#"<?xml version="1.0" encoding="UTF-8"?><rpc-reply message-id="2" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><data><native xmlns="http://cisco.com/ns/yang/Cisco-IOS-XE-native"><interface>"#.to_vec();
    let mut i = 0u64;
    while xml.len() < SIZE - 200 {
        xml.extend_from_slice(
            format!(
                "<GigabitEthernet><name>1/0/{i}</name><description>port {i} ]] &gt; floor {}</description><mtu>9000</mtu><switchport-config><switchport><mode xmlns=\"http://cisco.com/ns/yang/Cisco-IOS-XE-switch\"><access/></mode></switchport></switchport-config></GigabitEthernet>",
                i % 7
            )
            .as_bytes(),
        );
        i += 1;
    }
    xml.extend_from_slice(b"</interface></native></data></rpc-reply>");
    xml
}

/// Decodes `wire` in `READ`-sized pushes; returns MB/s (10^6 bytes of message per second).
fn run(framing: Framing, wire: &[u8], expected: usize, decoder: &mut Decoder) -> f64 {
    decoder.set_framing(framing);
    let started = Instant::now();
    let mut got = 0;
    for piece in wire.chunks(READ) {
        decoder.push(piece);
        while let Ok(Some(m)) = decoder.next_message() {
            got += m.len();
            decoder.recycle(black_box(m));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(got, expected, "decoded size");
    expected as f64 / 1e6 / secs
}

fn main() {
    let msg = reply();
    println!(
        "netconf framing decode, {:.1} MB reply, {} KiB reads, median of {RUNS}:",
        msg.len() as f64 / 1e6,
        READ / 1024
    );
    let cases = [
        (
            "chunked 8 KiB",
            Framing::Chunked,
            encode_chunked(&msg, 8 * 1024),
        ),
        (
            "chunked 64 KiB",
            Framing::Chunked,
            encode_chunked(&msg, 64 * 1024),
        ),
        (
            "end-of-message",
            Framing::EndOfMessage,
            encode(Framing::EndOfMessage, &msg),
        ),
    ];
    for (name, framing, wire) in &cases {
        let mut decoder = Decoder::new(64 * 1024 * 1024);
        // Warm-up (also allocates the recycled buffer once).
        run(*framing, wire, msg.len(), &mut decoder);
        let mut speeds: Vec<f64> = (0..RUNS)
            .map(|_| run(*framing, wire, msg.len(), &mut decoder))
            .collect();
        speeds.sort_by(f64::total_cmp);
        println!(
            "  {name:<16} {:>8.0} MB/s (min {:.0}, max {:.0})",
            speeds[RUNS / 2],
            speeds[0],
            speeds[RUNS - 1]
        );
    }
}
