//! VLAN lists as IOS-XE writes them (`10,20,30-40`): parsed into ranges, checked against 1–4094, and
//! normalized (sorted, overlaps and neighbours merged) so a list read back from a device compares equal
//! to the one we sent whatever its spelling.

use super::Unacceptable;
use std::fmt;

pub const VLAN_MIN: u16 = 1;
pub const VLAN_MAX: u16 = 4094;
/// Longest list text accepted (a fully fragmented list of every other VLAN is ~10 KB; nobody types that).
pub const VLAN_MAX_TEXT: usize = 2048;

/// A VLAN list as received (`VlanList::new` never fails); `ranges`/`normalized` check it. Validation
/// (`change::validate`) stores the normalized form, so a list inside a `ValidChange` is always valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VlanList(String);

impl VlanList {
    pub fn new(text: impl Into<String>) -> Self {
        VlanList(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Inclusive ranges, sorted and merged. `all` means 1–4094. Errors are one sentence naming the
    /// offending item.
    pub fn ranges(&self) -> Result<Vec<(u16, u16)>, Unacceptable> {
        parse_ranges(&self.0)
    }

    /// The canonical spelling (`10,20,30-40`), or what is wrong with the list.
    pub fn normalized(&self) -> Result<VlanList, Unacceptable> {
        Ok(VlanList(render(&self.ranges()?)))
    }

    /// Same VLAN set, whatever the spelling (`10-11` equals `10,11`). Invalid lists never match.
    pub fn same_set(&self, other: &VlanList) -> bool {
        match (self.ranges(), other.ranges()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}

impl fmt::Display for VlanList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for VlanList {
    fn from(s: &str) -> Self {
        VlanList::new(s)
    }
}

/// Checks one VLAN id, naming its role in the message (`access VLAN 0 is out of range (1–4094)`).
pub fn check_vlan(role: &'static str, vlan: u16) -> Result<(), Unacceptable> {
    if (VLAN_MIN..=VLAN_MAX).contains(&vlan) {
        Ok(())
    } else {
        Err(Unacceptable::VlanOutOfRange { role, vlan })
    }
}

fn parse_ranges(text: &str) -> Result<Vec<(u16, u16)>, Unacceptable> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Unacceptable::VlanListEmpty);
    }
    if text.chars().count() > VLAN_MAX_TEXT {
        return Err(Unacceptable::VlanListTooLong);
    }
    if text.eq_ignore_ascii_case("all") {
        return Ok(vec![(VLAN_MIN, VLAN_MAX)]);
    }
    let mut ranges = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            return Err(Unacceptable::VlanListEmptyItem);
        }
        let (lo, hi) = match item.split_once('-') {
            Some((a, b)) => (number(a.trim(), item)?, number(b.trim(), item)?),
            None => {
                let v = number(item, item)?;
                (v, v)
            }
        };
        for v in [lo, hi] {
            if !(u32::from(VLAN_MIN)..=u32::from(VLAN_MAX)).contains(&v) {
                return Err(Unacceptable::VlanInListOutOfRange {
                    vlan: v,
                    item: shown(item),
                });
            }
        }
        if lo > hi {
            return Err(Unacceptable::VlanRangeReversed {
                item: shown(item),
                first: lo,
                last: hi,
            });
        }
        // Both ends are within 1..=4094 here, so they fit u16.
        ranges.push((lo as u16, hi as u16));
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
    for (lo, hi) in ranges {
        match merged.last_mut() {
            Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    Ok(merged)
}

fn number(s: &str, item: &str) -> Result<u32, Unacceptable> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Unacceptable::NotVlanOrRange { item: shown(item) });
    }
    s.parse::<u32>()
        .map_err(|_| Unacceptable::NotVlanNumber { item: shown(item) })
}

/// Item text for a message: bounded and free of control characters.
fn shown(item: &str) -> String {
    item.chars()
        .take(40)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn render(ranges: &[(u16, u16)]) -> String {
    ranges
        .iter()
        .map(|&(lo, hi)| {
            if lo == hi {
                lo.to_string()
            } else {
                format!("{lo}-{hi}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Result<String, String> {
        VlanList::new(s)
            .normalized()
            .map(|v| v.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn lists_are_sorted_merged_and_spaced_out() {
        assert_eq!(norm("10,20,30-40").unwrap(), "10,20,30-40");
        assert_eq!(norm(" 30-40 , 20,10 ").unwrap(), "10,20,30-40");
        assert_eq!(norm("10,11,12,20-25,24-30").unwrap(), "10-12,20-30");
        assert_eq!(norm("5,5,5").unwrap(), "5");
        assert_eq!(norm("1-4094").unwrap(), "1-4094");
        assert_eq!(norm("ALL").unwrap(), "1-4094");
        assert_eq!(norm("100-100").unwrap(), "100");
    }

    #[test]
    fn bad_lists_say_which_item() {
        assert_eq!(
            norm("10,0").unwrap_err(),
            "VLAN 0 in `0` is out of range (1–4094)"
        );
        assert_eq!(
            norm("10,4000-4095").unwrap_err(),
            "VLAN 4095 in `4000-4095` is out of range (1–4094)"
        );
        assert_eq!(
            norm("40-30").unwrap_err(),
            "the range `40-30` is reversed (write 30-40)"
        );
        assert_eq!(
            norm("10,,20").unwrap_err(),
            "the VLAN list has an empty item (two commas in a row?)"
        );
        assert_eq!(
            norm("10;20").unwrap_err(),
            "`10;20` is not a VLAN or a range such as 30-40"
        );
        assert_eq!(norm("").unwrap_err(), "the VLAN list is empty");
        assert!(norm("99999999999999999999").is_err());
        assert!(norm("1-2-3").is_err());
        assert!(norm("-5").is_err());
        assert!(norm("١٠").is_err());
        assert!(norm(&"1,".repeat(3000)).is_err());
    }

    #[test]
    fn same_set_ignores_spelling() {
        assert!(VlanList::new("10-11,20").same_set(&VlanList::new("20,11,10")));
        assert!(!VlanList::new("10").same_set(&VlanList::new("10,11")));
        assert!(!VlanList::new("x").same_set(&VlanList::new("x")));
    }

    #[test]
    fn single_vlans_are_checked_with_their_role() {
        assert!(check_vlan("access", 1).is_ok());
        assert!(check_vlan("access", 4094).is_ok());
        assert_eq!(
            check_vlan("native", 4095).unwrap_err().to_string(),
            "native VLAN 4095 is out of range (1–4094)"
        );
    }
}
