//! Turning a group message into command text: remove the bot's `<spark-mention>`, strip HTML tags,
//! unescape entities (docs/webex.md §4).
//!
//! A single forward scan over the input (no regex, no backtracking): hostile HTML costs linear time.

use super::ids;

/// The command text of a message's `html` with the bot's mention removed. Mentions of other people
/// keep their visible text. `bot_person_id` (hydra) and `bot_uuid` are both accepted as the bot.
pub fn strip_mention_html(html: &str, bot_person_id: &str, bot_uuid: &str) -> String {
    let is_bot = |id: &str| id == bot_person_id || id == bot_uuid || ids::to_uuid(id) == bot_uuid;
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len());
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = find_byte(bytes, i, b'<') else {
            text.push_str(&html[i..]);
            break;
        };
        text.push_str(&html[i..lt]);
        let Some(tag) = scan_tag(html, lt) else {
            // No closing '>' anywhere after this point: the rest is text, and scanning stops so
            // that a run of '<' cannot make this quadratic.
            text.push_str(&html[lt..]);
            break;
        };
        i = tag.end;
        if tag.closing || !tag.name.eq_ignore_ascii_case("spark-mention") {
            if is_block(tag.name) {
                text.push(' ');
            }
            continue;
        }
        if tag.object_id.is_some_and(is_bot) {
            // Skip the mention's visible name up to its closing tag.
            i = match find_ci(html, i, "</spark-mention") {
                Some(close) => match find_byte(bytes, close, b'>') {
                    Some(gt) => gt + 1,
                    None => bytes.len(),
                },
                None => bytes.len(),
            };
        }
    }
    normalize(&unescape(&text))
}

/// Fallback when there is no `html`: drop a leading bot name (full display name, or its first word,
/// which Webex lets users shorten a mention to) from `text`.
pub fn strip_leading_name(text: &str, display_name: &str) -> String {
    let trimmed = text.trim_start();
    let first_word = display_name.split_whitespace().next().unwrap_or("");
    for name in [display_name.trim(), first_word] {
        if name.is_empty() {
            continue;
        }
        if let Some(head) = trimmed.get(..name.len()) {
            let rest = &trimmed[name.len()..];
            let boundary = rest
                .chars()
                .next()
                .map_or(true, |c| c.is_whitespace() || matches!(c, ',' | ':' | ';'));
            if head.eq_ignore_ascii_case(name) && boundary {
                return normalize(rest.trim_start_matches([',', ':', ';']));
            }
        }
    }
    normalize(trimmed)
}

struct Tag<'a> {
    name: &'a str,
    closing: bool,
    object_id: Option<&'a str>,
    /// Index just past the closing '>'.
    end: usize,
}

/// Scans the tag starting at `start` ('<'), honouring quoted attribute values.
fn scan_tag(html: &str, start: usize) -> Option<Tag<'_>> {
    let b = html.as_bytes();
    let mut i = start + 1;
    let closing = b.get(i) == Some(&b'/');
    if closing {
        i += 1;
    }
    let name_start = i;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-' || b[i] == b':') {
        i += 1;
    }
    let name = &html[name_start..i];
    let mut object_id = None;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        match b.get(i) {
            None => return None,
            Some(b'>') => {
                return Some(Tag {
                    name,
                    closing,
                    object_id,
                    end: i + 1,
                })
            }
            Some(_) => {}
        }
        let attr_start = i;
        while i < b.len() && !matches!(b[i], b'=' | b'>' | b'/') && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let attr = &html[attr_start..i];
        if attr.is_empty() {
            // A stray byte such as '"': step over it so the loop always advances.
            i += 1;
            continue;
        }
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value = match b.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                let v_start = i + 1;
                let v_end = find_byte(b, v_start, q)?;
                i = v_end + 1;
                &html[v_start..v_end]
            }
            _ => {
                let v_start = i;
                while i < b.len() && b[i] != b'>' && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                &html[v_start..i]
            }
        };
        if attr.eq_ignore_ascii_case("data-object-id") {
            object_id = Some(value);
        }
    }
}

fn is_block(name: &str) -> bool {
    ["p", "br", "div", "li", "ul", "ol", "pre", "blockquote"]
        .iter()
        .any(|b| name.eq_ignore_ascii_case(b))
}

fn find_byte(b: &[u8], from: usize, needle: u8) -> Option<usize> {
    b.get(from..)?
        .iter()
        .position(|&c| c == needle)
        .map(|p| p + from)
}

/// ASCII case-insensitive search; `needle` is ASCII so every match starts on a char boundary.
fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes().get(from..)?;
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    // Linear in practice: the first byte filters almost every position.
    (0..=h.len() - n.len())
        .find(|&k| h[k..k + n.len()].eq_ignore_ascii_case(n))
        .map(|k| k + from)
}

/// Decodes the entities Webex emits (named basics and numeric); unknown ones stay as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(k, _)| k);
        let decoded = end.and_then(|k| decode_entity(&rest[1..k]).map(|c| (c, k)));
        match decoded {
            Some((c, k)) => {
                out.push(c);
                rest = &rest[k + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse::<u32>().ok()?,
            };
            char::from_u32(code).unwrap_or('\u{fffd}')
        }
    })
}

/// Trims and collapses whitespace runs: command text is a line of words.
fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webex::ids::{encode, HydraKind};
    use std::time::Instant;

    const UUID: &str = "5c3a1d5e-1111-2222-3333-444455556666";

    fn bot_id() -> String {
        encode("us", HydraKind::People, UUID)
    }

    #[test]
    fn removes_the_bot_mention_by_hydra_or_uuid() {
        let id = bot_id();
        for obj in [id.as_str(), UUID] {
            let html = format!(
                r#"<p><spark-mention data-object-type="person" data-object-id="{obj}">Patch Panel</spark-mention> vrf c9300</p>"#
            );
            assert_eq!(strip_mention_html(&html, &id, UUID), "vrf c9300");
        }
    }

    #[test]
    fn keeps_other_mentions_text_and_unescapes() {
        let id = bot_id();
        let html = format!(
            "<spark-mention data-object-id='{UUID}'>Bot</spark-mention> show iface \
             <spark-mention data-object-id=\"other\">Alice</spark-mention> a&amp;b &lt;x&gt; &#233;&#x41;&bogus; &"
        );
        assert_eq!(
            strip_mention_html(&html, &id, UUID),
            "show iface Alice a&b <x> éA&bogus; &"
        );
    }

    #[test]
    fn group_mentions_and_block_tags() {
        let html = r#"<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention><p>help</p><br/>now"#;
        assert_eq!(strip_mention_html(html, "x", "y"), "All help now");
    }

    #[test]
    fn hostile_html_does_not_panic_and_is_linear() {
        let id = bot_id();
        let cases = [
            "<",
            "<<<<",
            "<spark-mention",
            "<spark-mention data-object-id=\"",
            &format!("<spark-mention data-object-id={UUID}>never closed"),
            "<a b='>'>x</a>",
            "<a \"\"\"=>y",
            "&#99999999999;&#xZZ;&#;&;",
            "<é>ü</é>",
            "\u{0}<\u{1}>",
        ];
        for c in cases {
            let _ = strip_mention_html(c, &id, UUID);
        }
        assert_eq!(strip_mention_html("<a b='>'>x</a>", &id, UUID), "x");
        let start = Instant::now();
        let big = "<".repeat(200_000) + &"<a x=\"".repeat(50_000) + &"&".repeat(100_000);
        let _ = strip_mention_html(&big, &id, UUID);
        let many = format!("<spark-mention data-object-id={UUID}>").repeat(20_000);
        let _ = strip_mention_html(&many, &id, UUID);
        // Generous bound: quadratic behaviour on these inputs would take minutes.
        assert!(start.elapsed().as_secs() < 20);
    }

    #[test]
    fn leading_name_fallback() {
        assert_eq!(
            strip_leading_name("Patch Panel vrf x", "Patch Panel"),
            "vrf x"
        );
        assert_eq!(strip_leading_name("patch: help", "Patch Panel"), "help");
        assert_eq!(strip_leading_name("Patchy help", "Patch"), "Patchy help");
        assert_eq!(strip_leading_name("  help  me ", "Bot"), "help me");
        assert_eq!(strip_leading_name("é", "ab"), "é");
        assert_eq!(strip_leading_name("x", ""), "x");
    }
}
