//! Parse speed of chat commands (harness = false; `cargo bench --bench parse`). Reports the median
//! and mean nanoseconds per parse over many samples; the target is a typical command under 2 µs.

use std::hint::black_box;
use std::time::Instant;

use patchpanel::command::parse;

const SAMPLES: usize = 51;
const ITERATIONS: u32 = 20_000;

fn measure(input: &str) -> (f64, f64) {
    for _ in 0..ITERATIONS {
        let _ = black_box(parse(black_box(input)));
    }
    let mut per_parse: Vec<f64> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            for _ in 0..ITERATIONS {
                let _ = black_box(parse(black_box(input)));
            }
            started.elapsed().as_nanos() as f64 / f64::from(ITERATIONS)
        })
        .collect();
    per_parse.sort_by(f64::total_cmp);
    let median = per_parse[SAMPLES / 2];
    let mean = per_parse.iter().sum::<f64>() / SAMPLES as f64;
    (median, mean)
}

fn main() {
    let cases = [
        ("show iface", "show iface c9300 gi1/0/2"),
        (
            "show, full name",
            "show interface c9300 GigabitEthernet1/0/2",
        ),
        ("vrf", "vrf c9300"),
        ("help", "help"),
        ("decline + reason", "decline 42 wrong VLAN on the uplink"),
        (
            "unicode spaces+quotes",
            "\u{A0}vrf\u{A0}\u{201C}c9300\u{201D}",
        ),
        ("error: did you mean", "shwo iface c9300 Gi1/0/2"),
        ("error: bad iface", "show iface c9300 Gi1/0/x"),
        ("error: 10 KB input", &"x".repeat(10_240)),
    ];
    println!("{:<24} {:>12} {:>12}", "case", "median ns", "mean ns");
    for (name, input) in cases {
        let (median, mean) = measure(input);
        println!("{name:<24} {median:>12.0} {mean:>12.0}");
    }
}
