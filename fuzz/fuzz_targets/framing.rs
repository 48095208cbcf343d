//! Fuzzes the NETCONF framing decoder (`cargo +nightly fuzz run framing` from the repo root): arbitrary
//! bytes, cut at arbitrary points, in both framings. The decoder must never panic, never return a
//! message over its limit, keep its memory bounded, and decode the same messages however the input
//! is split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use patchpanel::device::netconf::framing::{Decoder, Framing, FramingError};

const LIMIT: usize = 4096;

/// All messages (or the error) from `input` pushed in the piece sizes `cuts` repeats (in one push
/// when `cuts` is empty).
fn decode(framing: Framing, input: &[u8], cuts: &[u8]) -> (Vec<Vec<u8>>, Option<FramingError>) {
    let mut d = Decoder::new(LIMIT);
    d.set_framing(framing);
    let mut out = Vec::new();
    let mut rest = input;
    let mut cuts = cuts.iter().cycle();
    while !rest.is_empty() {
        let n = match cuts.next() {
            Some(&c) => usize::from(c).max(1).min(rest.len()),
            None => rest.len(),
        };
        d.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match d.next_message() {
                Ok(Some(m)) => {
                    assert!(m.len() <= LIMIT, "message over the limit");
                    out.push(m);
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
        assert!(
            d.allocated() <= 2 * LIMIT + 128 * 1024 + input.len(),
            "decoder memory unbounded"
        );
    }
    (out, None)
}

fuzz_target!(|data: &[u8]| {
    // First byte: framing; next up to 16 bytes: piece sizes; the rest: the stream.
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let framing = if mode & 1 == 0 {
        Framing::Chunked
    } else {
        Framing::EndOfMessage
    };
    let (cuts, input) = rest.split_at(rest.len().min(16).min(usize::from(mode >> 4)));
    let cuts = if cuts.is_empty() { &[1u8][..] } else { cuts };
    let split = decode(framing, input, cuts);
    let whole = decode(framing, input, &[]);
    // Splitting never changes the messages that come out before any error.
    let n = split.0.len().min(whole.0.len());
    assert_eq!(split.0[..n], whole.0[..n]);
    if split.1.is_none() && whole.1.is_none() {
        assert_eq!(split.0, whole.0);
    }
});
