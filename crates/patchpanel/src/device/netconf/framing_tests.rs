//! Unit tests of the framing codec: every split point, adversarial and hostile input, bounds, reuse.

use super::*;

fn drain(d: &mut Decoder) -> Result<Vec<Vec<u8>>, FramingError> {
    let mut out = vec![];
    while let Some(m) = d.next_message()? {
        out.push(m);
    }
    Ok(out)
}

fn decoder(framing: Framing, max: usize) -> Decoder {
    let mut d = Decoder::new(max);
    d.set_framing(framing);
    d
}

/// Feeds `input` in pieces of `step` bytes and collects all messages.
fn feed(
    framing: Framing,
    input: &[u8],
    step: usize,
    max: usize,
) -> Result<Vec<Vec<u8>>, FramingError> {
    let mut d = decoder(framing, max);
    let mut out = vec![];
    for piece in input.chunks(step.max(1)) {
        d.push(piece);
        out.extend(drain(&mut d)?);
    }
    Ok(out)
}

/// Feeds `input` cut at the given points.
fn feed_cuts(
    framing: Framing,
    input: &[u8],
    cuts: &[usize],
    max: usize,
) -> Result<Vec<Vec<u8>>, FramingError> {
    let mut d = decoder(framing, max);
    let mut out = vec![];
    let mut prev = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        d.push(&input[prev..c]);
        out.extend(drain(&mut d)?);
        prev = c;
    }
    Ok(out)
}

fn messages() -> Vec<Vec<u8>> {
    vec![
        b"<hello/>".to_vec(),
        "<rpc>é ]] ]]> ]]>]] </rpc>".as_bytes().to_vec(),
        b"x".to_vec(),
        "<a>\n#3\n##\n😀</a>".as_bytes().to_vec(),
    ]
}

#[test]
fn eom_every_split_point_and_every_pair_of_split_points() {
    let msgs = messages();
    let wire: Vec<u8> = msgs
        .iter()
        .filter(|m| find_eom(m).is_none())
        .flat_map(|m| encode(Framing::EndOfMessage, m))
        .collect();
    let expected: Vec<Vec<u8>> = msgs.into_iter().filter(|m| find_eom(m).is_none()).collect();
    for i in 0..=wire.len() {
        assert_eq!(
            feed_cuts(Framing::EndOfMessage, &wire, &[i], 1024).unwrap(),
            expected,
            "cut {i}"
        );
        for j in i..=wire.len() {
            assert_eq!(
                feed_cuts(Framing::EndOfMessage, &wire, &[i, j], 1024).unwrap(),
                expected,
                "cuts {i},{j}"
            );
        }
    }
    for step in 1..wire.len() {
        assert_eq!(
            feed(Framing::EndOfMessage, &wire, step, 1024).unwrap(),
            expected
        );
    }
}

#[test]
fn chunked_every_split_point_and_every_pair_of_split_points() {
    let msgs = messages();
    let mut wire = vec![];
    for (i, m) in msgs.iter().enumerate() {
        wire.extend(encode_chunked(m, i + 1));
    }
    for i in 0..=wire.len() {
        for j in i..=wire.len() {
            assert_eq!(
                feed_cuts(Framing::Chunked, &wire, &[i, j], 1024).unwrap(),
                msgs,
                "cuts {i},{j}"
            );
        }
    }
}

#[test]
fn chunked_message_split_inside_tags_and_utf8() {
    // "<rpc-reply/>" as three chunks, one ending inside a tag and one inside a UTF-8 char.
    let wire = b"\n#4\n<rpc\n#5\n-rep\xc3\n#5\n\xa9ly/>\n##\n\n#2\nok\n##\n".to_vec();
    for step in 1..wire.len() {
        let msgs = feed(Framing::Chunked, &wire, step, 1024).unwrap();
        assert_eq!(
            msgs,
            vec![b"<rpc-rep\xc3\xa9ly/>".to_vec(), b"ok".to_vec()],
            "step {step}"
        );
    }
}

#[test]
fn encoders_produce_rfc_6242_bytes() {
    assert_eq!(encode(Framing::Chunked, b"<rpc/>"), b"\n#6\n<rpc/>\n##\n");
    assert_eq!(encode(Framing::EndOfMessage, b"<rpc/>"), b"<rpc/>]]>]]>");
    assert_eq!(
        encode_chunked(b"abcdefghij", 4),
        b"\n#4\nabcd\n#4\nefgh\n#2\nij\n##\n"
    );
    let big = vec![b'q'; 1_234_567];
    let wire = encode(Framing::Chunked, &big);
    assert!(wire.starts_with(b"\n#1234567\n"));
    assert_eq!(
        feed(Framing::Chunked, &wire, 100_000, 2 << 20).unwrap(),
        vec![big]
    );
}

#[test]
fn hello_then_switch_keeps_following_bytes() {
    let mut d = Decoder::new(1024);
    d.push(b"<hello/>]]>]]>\n#2\nhi\n##\n");
    assert_eq!(d.next_message().unwrap(), Some(b"<hello/>".to_vec()));
    d.set_framing(Framing::Chunked);
    assert_eq!(d.next_message().unwrap(), Some(b"hi".to_vec()));
    assert_eq!(d.next_message().unwrap(), None);
    assert_eq!(d.buffered(), 0);
}

#[test]
fn extra_lf_before_header_is_tolerated() {
    for step in 1..6 {
        let msgs = feed(
            Framing::Chunked,
            b"\n\n\n#2\nhi\n##\n\n\n#1\nx\n##\n",
            step,
            64,
        )
        .unwrap();
        assert_eq!(msgs, vec![b"hi".to_vec(), b"x".to_vec()]);
    }
}

#[test]
fn adversarial_chunked_input_fails_cleanly() {
    let cases: &[&[u8]] = &[
        b"x#2\nhi\n##\n",
        b"\n#0\n\n##\n",
        b"\n#02\nhi\n##\n",
        b"\n#99999999999\n",
        b"\n#4294967296\n",
        b"\n#2x\nhi",
        b"\n#-1\n",
        b"\n##\n",
        b"\n#2\nhi\n#",
        b"\n#2\nhi\n##x",
        b"\n#2\nhiX#2\nhi",
        b"\n# 2\nhi\n##\n",
        b"\n#+2\nhi\n##\n",
        b"\n#2\r\nhi\n##\n",
        b"#2\nhi\n##\n",
        b"\n#\n",
    ];
    for case in cases {
        for step in [1, 2, 3, case.len()] {
            // Either an error, or (for truncated input) no message — never a panic or a bogus message.
            if let Ok(m) = feed(Framing::Chunked, case, step, 1 << 20) {
                assert!(
                    m.is_empty(),
                    "{:?} gave {:?}",
                    String::from_utf8_lossy(case),
                    m
                );
            }
        }
    }
    for bad in [
        &b"\n#0\n"[..],
        b"\n##\n",
        b"\n#4294967296\n",
        b"\n#12345678901",
    ] {
        assert!(
            matches!(
                feed(Framing::Chunked, bad, bad.len(), 64),
                Err(FramingError::BadChunk(_)) | Err(FramingError::TooLarge { .. })
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn size_limits_hold_without_buffering_the_whole_claim() {
    // A 4 GB chunk claim is refused at the header, before any data arrives.
    assert_eq!(
        feed(Framing::Chunked, b"\n#4000000000\n", 64, 1024),
        Err(FramingError::TooLarge { limit: 1024 })
    );
    // Many small chunks adding up past the limit.
    let mut wire = vec![];
    for _ in 0..20 {
        wire.extend_from_slice(b"\n#100\n");
        wire.extend_from_slice(&[b'a'; 100]);
    }
    assert!(matches!(
        feed(Framing::Chunked, &wire, 50, 1024),
        Err(FramingError::TooLarge { .. })
    ));
    // EOM without a marker.
    assert!(matches!(
        feed(Framing::EndOfMessage, &[b'a'; 5000], 100, 1024),
        Err(FramingError::TooLarge { .. })
    ));
    // A message exactly at the limit passes, one byte more does not.
    let exact = vec![b'z'; 1024];
    assert_eq!(
        feed(
            Framing::EndOfMessage,
            &encode(Framing::EndOfMessage, &exact),
            7,
            1024
        )
        .unwrap(),
        vec![exact.clone()]
    );
    assert_eq!(
        feed(Framing::Chunked, &encode_chunked(&exact, 100), 7, 1024).unwrap(),
        vec![exact]
    );
    let over = vec![b'z'; 1025];
    assert!(feed(
        Framing::EndOfMessage,
        &encode(Framing::EndOfMessage, &over),
        7,
        1024
    )
    .is_err());
    assert!(feed(Framing::Chunked, &encode_chunked(&over, 100), 7, 1024).is_err());
}

#[test]
fn errors_are_sticky_and_free_the_buffers() {
    let mut d = decoder(Framing::Chunked, 8);
    d.push(b"garbage");
    assert!(d.next_message().is_err());
    d.push(b"\n#2\nhi\n##\n");
    assert!(d.next_message().is_err());
    assert_eq!(d.allocated(), 0);
}

/// A hostile 100 MB reply against a 1 MiB limit: the decoder fails once the limit is passed and never
/// holds more than about the limit, however the stream is cut.
#[test]
fn hostile_100_mb_reply_is_refused_within_the_bound() {
    const LIMIT: usize = 1 << 20;
    let chunk: Vec<u8> = {
        let mut c = b"\n#8192\n".to_vec();
        c.extend(vec![b'<'; 8192]);
        c
    };
    for framing in [Framing::Chunked, Framing::EndOfMessage] {
        let mut d = decoder(framing, LIMIT);
        let mut fed = 0usize;
        let mut peak = 0usize;
        let result = loop {
            let piece: &[u8] = match framing {
                Framing::Chunked => &chunk,
                Framing::EndOfMessage => &chunk[7..],
            };
            d.push(piece);
            fed += piece.len();
            peak = peak.max(d.allocated());
            match d.next_message() {
                Ok(None) if fed < 100_000_000 => continue,
                other => break other,
            }
        };
        assert_eq!(
            result,
            Err(FramingError::TooLarge { limit: LIMIT }),
            "{framing:?}"
        );
        assert!(
            fed < LIMIT + 2 * chunk.len(),
            "{framing:?}: read {fed} bytes"
        );
        assert!(peak <= LIMIT + 128 * 1024, "{framing:?}: peak {peak}");
    }
}

#[test]
fn recycled_buffers_are_reused() {
    let body = vec![b'm'; 100_000];
    let wire = encode_chunked(&body, 8192);
    let mut d = decoder(Framing::Chunked, 1 << 20);
    d.push(&wire);
    let first = d.next_message().unwrap().unwrap();
    let ptr = first.as_ptr();
    d.recycle(first);
    d.push(&wire);
    let second = d.next_message().unwrap().unwrap();
    assert_eq!(second, body);
    assert_eq!(
        second.as_ptr(),
        ptr,
        "the recycled allocation was not reused"
    );
}

#[test]
fn pseudo_random_splits_match_whole_decode() {
    let msgs: Vec<Vec<u8>> = (0..30)
        .map(|i| format!("<m{i}>{}</m{i}>", "x".repeat(i * 7)).into_bytes())
        .collect();
    let mut wire = vec![];
    for (i, m) in msgs.iter().enumerate() {
        wire.extend(encode_chunked(m, i % 17 + 1));
    }
    let mut rng = fastrand::Rng::with_seed(7);
    for _ in 0..20 {
        let mut d = decoder(Framing::Chunked, 1 << 16);
        let mut out = vec![];
        let mut i = 0;
        while i < wire.len() {
            let n = rng.usize(1..40).min(wire.len() - i);
            d.push(&wire[i..i + n]);
            i += n;
            out.extend(drain(&mut d).unwrap());
        }
        assert_eq!(out, msgs);
        assert_eq!(d.buffered(), 0);
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = fastrand::Rng::with_seed(99);
    let alphabet = b"\n#0123456789]>x";
    for _ in 0..3000 {
        let len = rng.usize(0..64);
        let input: Vec<u8> = (0..len)
            .map(|_| alphabet[rng.usize(0..alphabet.len())])
            .collect();
        for framing in [Framing::Chunked, Framing::EndOfMessage] {
            let mut d = decoder(framing, 32);
            let mut i = 0;
            while i < input.len() {
                let n = rng.usize(1..8).min(input.len() - i);
                d.push(&input[i..i + n]);
                i += n;
                while let Ok(Some(m)) = d.next_message() {
                    assert!(m.len() <= 32);
                }
            }
        }
    }
}

#[test]
fn word_scan_matches_naive_search() {
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..2000 {
        let len = rng.usize(0..80);
        let hay: Vec<u8> = (0..len).map(|_| b"]>a"[rng.usize(0..3)]).collect();
        let naive = hay.windows(EOM.len()).position(|w| w == EOM);
        assert_eq!(find_eom(&hay), naive, "{:?}", String::from_utf8_lossy(&hay));
        for needle in [b']', b'>', b'a', 0, 0x80, 0xff] {
            assert_eq!(memchr(needle, &hay), hay.iter().position(|&b| b == needle));
        }
    }
    let mut high = vec![0x80u8; 40];
    high[33] = 0xff;
    assert_eq!(memchr(0xff, &high), Some(33));
    assert_eq!(memchr(0x7f, &high), None);
}

/// The fuzz target's invariant on random near-valid input: however the stream is cut, the messages
/// that come out (before any error) are the same as from one push, and so is the verdict.
#[test]
fn splitting_never_changes_the_result() {
    fn decode(framing: Framing, input: &[u8], step: Option<usize>) -> (Vec<Vec<u8>>, bool) {
        let mut d = decoder(framing, 64);
        let mut out = vec![];
        for piece in input.chunks(step.unwrap_or(input.len()).max(1)) {
            d.push(piece);
            loop {
                match d.next_message() {
                    Ok(Some(m)) => out.push(m),
                    Ok(None) => break,
                    Err(_) => return (out, true),
                }
            }
        }
        (out, false)
    }
    let mut rng = fastrand::Rng::with_seed(11);
    let pieces: [&[u8]; 8] = [
        b"\n#3\nabc",
        b"\n##\n",
        b"\n#1\nx",
        b"]]>]]>",
        b"]]>",
        b"<a/>",
        b"\n",
        b"\n#70\n",
    ];
    for _ in 0..5000 {
        let input: Vec<u8> = (0..rng.usize(0..12))
            .flat_map(|_| pieces[rng.usize(0..pieces.len())].iter().copied())
            .collect();
        for framing in [Framing::Chunked, Framing::EndOfMessage] {
            let whole = decode(framing, &input, None);
            for step in 1..8 {
                assert_eq!(
                    decode(framing, &input, Some(step)),
                    whole,
                    "{framing:?} step {step}: {:?}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }
}
