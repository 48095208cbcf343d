//! The one table of IOS-XE interface types, and names written by people made canonical: type
//! abbreviations and prefixes expanded, the number checked (`if-name` in `grammar/commands.ebnf`).
//! `gi 1/0/2` → `GigabitEthernet1/0/2`. Used by the chat grammar, the device layer and NetBox alike.

use std::ops::Range;

use nom::bytes::complete::{take_till, take_while};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::multi::separated_list1;
use nom::sequence::preceded;
use nom::IResult;

use crate::suggest;

/// What numbers a type takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Physical ports: 1–4 levels of `0`–`9999` separated by `/`, optional `.subif`.
    Slotted,
    /// One number in `min..=max`, and whether `.subif` is allowed.
    Single { min: u32, max: u32, subif: bool },
}

#[derive(Debug)]
pub struct IfType {
    pub name: &'static str,
    pub abbreviation: &'static str,
    /// Other full spellings accepted.
    pub spellings: &'static [&'static str],
    shape: Shape,
}

const MAX_LEVELS: usize = 4;
const MAX_LEVEL_VALUE: u32 = 9999;
const MAX_TYPE_CHARS: usize = 32;

const fn t(name: &'static str, abbreviation: &'static str, shape: Shape) -> IfType {
    IfType {
        name,
        abbreviation,
        spellings: &[],
        shape,
    }
}

/// The interface types, in the order candidates are listed. Abbreviations follow the issue (`Tw` is
/// TwentyFiveGigE; TwoGigabitEthernet is `Two`).
pub static TYPES: &[IfType] = &[
    t("GigabitEthernet", "Gi", Shape::Slotted),
    t("TenGigabitEthernet", "Te", Shape::Slotted),
    t("TwentyFiveGigE", "Tw", Shape::Slotted),
    t("TwoGigabitEthernet", "Two", Shape::Slotted),
    t("FortyGigabitEthernet", "Fo", Shape::Slotted),
    t("HundredGigE", "Hu", Shape::Slotted),
    t("FastEthernet", "Fa", Shape::Slotted),
    t("FiveGigabitEthernet", "Fi", Shape::Slotted),
    t("AppGigabitEthernet", "Ap", Shape::Slotted),
    t("Ethernet", "Eth", Shape::Slotted),
    IfType {
        name: "Port-channel",
        abbreviation: "Po",
        spellings: &["PortChannel"],
        shape: Shape::Single {
            min: 1,
            max: 4096,
            subif: true,
        },
    },
    t(
        "Vlan",
        "Vl",
        Shape::Single {
            min: 1,
            max: 4094,
            subif: false,
        },
    ),
    t(
        "Loopback",
        "Lo",
        Shape::Single {
            min: 0,
            max: 2_147_483_647,
            subif: false,
        },
    ),
    t(
        "Tunnel",
        "Tu",
        Shape::Single {
            min: 0,
            max: 2_147_483_647,
            subif: false,
        },
    ),
];

const FORMAT_HINT: &str =
    "Write a type and a number, like `Gi1/0/2`, `Te 1/1/1`, `Po10` or `Vlan100`.";

/// Why a name is not an interface name: a message for people (markdown) and the characters of the
/// input it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct NameError {
    pub message: String,
    pub span: Range<usize>,
}

fn fail<T>(message: String, span: Range<usize>) -> Result<T, NameError> {
    Err(NameError { message, span })
}

fn is_type_char(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '-'
}

fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Resolves a type word: abbreviation, then full name or spelling, then unique prefix.
pub fn resolve_type(word: &str) -> Result<&'static IfType, Vec<&'static str>> {
    if let Some(t) = TYPES
        .iter()
        .find(|t| t.abbreviation.eq_ignore_ascii_case(word))
    {
        return Ok(t);
    }
    let spelled = |t: &'static IfType| std::iter::once(t.name).chain(t.spellings.iter().copied());
    if let Some(t) = TYPES
        .iter()
        .find(|t| spelled(t).any(|s| s.eq_ignore_ascii_case(word)))
    {
        return Ok(t);
    }
    let matching: Vec<&'static IfType> = TYPES
        .iter()
        .filter(|t| spelled(t).any(|s| starts_with_ignore_case(s, word)))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        many => Err(many.iter().map(|t| t.name).collect()),
    }
}

/// Splits `type ws* number`: the type letters (and `-`), and where the number starts.
fn split(text: &str) -> IResult<&str, (&str, &str)> {
    let (rest, ty) = take_while(is_type_char)(text)?;
    let (rest, gap) = take_while(|c| c == ' ')(rest)?;
    Ok((rest, (ty, gap)))
}

/// The number's parts: `/`-separated levels, then an optional `.`-part. Parts are checked after,
/// so a bad one can be named.
fn number_parts(text: &str) -> IResult<&str, (Vec<&str>, Option<&str>)> {
    let (rest, levels) = separated_list1(char('/'), take_till(|c| c == '/' || c == '.'))(text)?;
    let (rest, sub) = opt(preceded(char('.'), take_till(|_| false)))(rest)?;
    Ok((rest, (levels, sub)))
}

fn offset(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

/// The interface written `text` (already trimmed of surrounding spaces): its type from the table
/// and its canonical number (`01/0/02` → `1/0/2`).
pub fn parse(text: &str) -> Result<(&'static str, String), NameError> {
    let whole = 0..text.len();
    let Ok((number, (ty, _))) = split(text) else {
        return fail(
            format!("`{text}` is not an interface name. {FORMAT_HINT}"),
            whole,
        );
    };
    if ty.is_empty() {
        let msg = if text.starts_with(|c: char| c.is_ascii_digit()) {
            format!("`{text}` has no interface type. {FORMAT_HINT}")
        } else {
            format!("`{text}` is not an interface name. {FORMAT_HINT}")
        };
        return fail(msg, whole);
    }
    let ty_span = 0..ty.len();
    let if_type = if ty.len() > MAX_TYPE_CHARS {
        return fail(
            format!("`{ty}` is not an interface type. {FORMAT_HINT}"),
            ty_span,
        );
    } else {
        match resolve_type(ty) {
            Ok(t) => t,
            Err(candidates) if candidates.is_empty() => {
                let words = TYPES
                    .iter()
                    .flat_map(|t| [(t.name, t.name), (t.abbreviation, t.name)]);
                // The suggestion is a question ("did you mean …?"), so no full stop after it.
                let dym = suggest::phrase(&suggest::did_you_mean(ty, words))
                    .map(|s| format!(" — {s}"))
                    .unwrap_or_else(|| ".".to_owned());
                return fail(
                    format!(
                        "`{ty}` is not an interface type{dym} Known types: {}.",
                        type_list()
                    ),
                    ty_span,
                );
            }
            Err(candidates) => {
                let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
                return fail(
                    format!(
                        "`{ty}` could be any of {}: type more letters, like `Gi` or `Te`.",
                        list.join(", ")
                    ),
                    ty_span,
                );
            }
        }
    };
    if number.is_empty() {
        return fail(
            format!(
                "`{ty}` needs a number: {} ports are written like `{}`.",
                if_type.name,
                example(if_type)
            ),
            text.len()..text.len(),
        );
    }
    let Ok((_, (levels, sub))) = number_parts(number) else {
        return fail(
            format!("`{number}` is not an interface number. {FORMAT_HINT}"),
            offset(text, number)..text.len(),
        );
    };
    let mut out = String::with_capacity(number.len());
    let name = if_type.name;
    match if_type.shape {
        Shape::Slotted if levels.len() > MAX_LEVELS => {
            let extra = levels[MAX_LEVELS];
            let at = offset(text, extra).saturating_sub(1);
            return fail(
                format!("`{number}` has too many `/` levels: {name} numbers have at most {MAX_LEVELS}, like `1/0/2`."),
                at..offset(text, number) + number.len(),
            );
        }
        Shape::Single { .. } if levels.len() > 1 => {
            let at = offset(text, levels[1]).saturating_sub(1);
            return fail(
                format!(
                    "{name} takes a single number, like `{}`: remove the part from `/`.",
                    example(if_type)
                ),
                at..text.len(),
            );
        }
        _ => {}
    }
    let (min, max) = match if_type.shape {
        Shape::Slotted => (0, MAX_LEVEL_VALUE),
        Shape::Single { min, max, .. } => (min, max),
    };
    for (i, level) in levels.iter().enumerate() {
        let value = number_value(text, level, min, max, name)?;
        if i > 0 {
            out.push('/');
        }
        out.push_str(&value.to_string());
    }
    if let Some(sub) = sub {
        let allowed = match if_type.shape {
            Shape::Slotted => true,
            Shape::Single { subif, .. } => subif,
        };
        if !allowed {
            let at = offset(text, sub).saturating_sub(1);
            return fail(
                format!("{name} has no sub-interfaces: remove `.{sub}`."),
                at..text.len(),
            );
        }
        let value = number_value(text, sub, 1, u32::MAX, "sub-interface")?;
        out.push('.');
        out.push_str(&value.to_string());
    }
    Ok((if_type.name, out))
}

/// One part of the number: digits, in range. Errors name the part.
fn number_value(text: &str, part: &str, min: u32, max: u32, what: &str) -> Result<u32, NameError> {
    let at = offset(text, part);
    if part.is_empty() {
        let span = at.saturating_sub(1)..(at + 1).min(text.len());
        return fail(format!("`{text}` has an empty part: interface numbers are digits separated by `/`, like `1/0/2`."), span);
    }
    if let Some((i, c)) = part.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        return fail(
            format!(
                "`{part}` in `{text}` is not a number (it has `{c}`): interface numbers are digits separated by `/`, \
                 like `Gi1/0/2` or `Gi1/0/2.100`."
            ),
            at + i..at + part.len(),
        );
    }
    match part.trim_start_matches('0').len() {
        n if n > 10 => None,
        _ => part.parse::<u64>().ok(),
    }
    .filter(|v| (u64::from(min)..=u64::from(max)).contains(v))
    .and_then(|v| u32::try_from(v).ok())
    .map_or_else(
        || {
            fail(
                format!("`{part}` is out of range: a {what} number is {min} to {max}."),
                at..at + part.len(),
            )
        },
        Ok,
    )
}

fn example(t: &IfType) -> String {
    match t.shape {
        Shape::Slotted => format!("{}1/0/2", t.abbreviation),
        Shape::Single { min, .. } => format!("{}{}", t.abbreviation, min.max(10)),
    }
}

fn type_list() -> String {
    let names: Vec<String> = TYPES
        .iter()
        .map(|t| format!("`{}` ({})", t.abbreviation, t.name))
        .collect();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        parse(s)
            .map(|(t, n)| format!("{t}{n}"))
            .unwrap_or_else(|e| panic!("{s}: {}", e.message))
    }

    fn err(s: &str) -> NameError {
        parse(s).expect_err(s)
    }

    #[test]
    fn every_abbreviation_and_name_expands() {
        for t in TYPES {
            let n = match t.shape {
                Shape::Slotted => "1/0/2",
                Shape::Single { .. } => "10",
            };
            let want = format!("{}{n}", t.name);
            assert_eq!(ok(&format!("{}{n}", t.abbreviation)), want);
            assert_eq!(ok(&format!("{}{n}", t.abbreviation.to_uppercase())), want);
            assert_eq!(ok(&format!("{} {n}", t.name.to_lowercase())), want);
            assert_eq!(ok(&format!("{}{n}", t.name)), want);
        }
    }

    #[test]
    fn longer_prefixes_and_spellings() {
        assert_eq!(ok("gig1/0/2"), "GigabitEthernet1/0/2");
        assert_eq!(ok("giga1/0/2"), "GigabitEthernet1/0/2");
        assert_eq!(ok("ten1/1/1"), "TenGigabitEthernet1/1/1");
        assert_eq!(ok("twe1/0/1"), "TwentyFiveGigE1/0/1");
        assert_eq!(ok("port-channel10"), "Port-channel10");
        assert_eq!(ok("portchannel 10"), "Port-channel10");
        assert_eq!(ok("vlan100"), "Vlan100");
        assert_eq!(ok("hundred1/0/49"), "HundredGigE1/0/49");
        assert_eq!(ok("e1/1"), "Ethernet1/1");
    }

    #[test]
    fn numbers_are_normalised() {
        assert_eq!(ok("Gi01/0/02"), "GigabitEthernet1/0/2");
        assert_eq!(ok("Gi1/0/2.100"), "GigabitEthernet1/0/2.100");
        assert_eq!(ok("Gi0"), "GigabitEthernet0");
        assert_eq!(ok("Po1.20"), "Port-channel1.20");
        assert_eq!(ok("Lo0"), "Loopback0");
        assert_eq!(ok("Gi1/0/0/1"), "GigabitEthernet1/0/0/1");
    }

    #[test]
    fn ambiguous_prefixes_list_candidates() {
        let e = err("t1/0/1");
        assert!(
            e.message.contains("`TenGigabitEthernet`") && e.message.contains("`Tunnel`"),
            "{}",
            e.message
        );
        assert_eq!(e.span, 0..1);
        let e = err("f1/0/1");
        assert!(
            e.message.contains("`FastEthernet`") && e.message.contains("`FortyGigabitEthernet`")
        );
    }

    #[test]
    fn bad_number_parts_are_named_and_located() {
        let e = err("Gi1/0/x");
        assert!(e.message.contains("`x`"), "{}", e.message);
        assert_eq!(e.span, 6..7);
        let e = err("Gi1//2");
        assert_eq!(e.span, 3..5);
        let e = err("Gi1/0/");
        assert!(e.message.contains("empty part"));
        let e = err("Gi1/0/2/3/4");
        assert!(e.message.contains("too many"), "{}", e.message);
        let e = err("Gi1/0/99999");
        assert!(
            e.message.contains("out of range") && e.message.contains("9999"),
            "{}",
            e.message
        );
        assert_eq!(e.span, 6..11);
        assert!(err("Vlan4095").message.contains("1 to 4094"));
        assert!(err("Vlan1/0").message.contains("single number"));
        assert!(err("Vlan10.5").message.contains("no sub-interfaces"));
        assert!(err("Gi1/0/2.0").message.contains("sub-interface"));
        assert!(err("Gi1/0/2.1.2").message.contains("`1.2`"));
        assert!(err("Lo99999999999999999999999")
            .message
            .contains("out of range"));
    }

    #[test]
    fn missing_or_unknown_types() {
        assert!(err("1/0/2").message.contains("no interface type"));
        let e = err("Gi");
        assert!(e.message.contains("needs a number"), "{}", e.message);
        assert_eq!(e.span, 2..2);
        let e = err("gigabitethrnet1/0/2");
        assert!(
            e.message.contains("did you mean `GigabitEthernet`?"),
            "{}",
            e.message
        );
        assert!(err("xyz1").message.contains("not an interface type"));
        assert!(err("😀").message.contains("not an interface name"));
        assert!(err(&"g".repeat(300))
            .message
            .contains("not an interface type"));
        let e = err("Gi😀1");
        assert!(e.message.contains("not a number"), "{}", e.message);
    }
}
