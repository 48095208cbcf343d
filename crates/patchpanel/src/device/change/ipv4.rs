//! IPv4 interface addresses in a change: a mask in any of its spellings as a prefix length, and the
//! address checked for use on an interface.

use super::{Ipv4Change, Unacceptable};
use std::fmt;
use std::net::Ipv4Addr;

/// A checked IPv4 interface address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Net {
    pub address: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Net {
    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(prefix_mask(self.prefix))
    }
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

pub(super) fn prefix_mask(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p.min(32))),
    }
}

/// A mask as prefix length: dotted contiguous (`255.255.255.0`), `24` or `/24`.
pub fn mask_prefix(mask: &str) -> Result<u8, Unacceptable> {
    let m = mask.trim();
    let shown: String = m.chars().take(40).filter(|c| !c.is_control()).collect();
    if let Some(len) = m
        .strip_prefix('/')
        .or(Some(m))
        .filter(|s| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
    {
        return match len.parse::<u8>() {
            Ok(p) if p <= 32 => Ok(p),
            _ => Err(Unacceptable::PrefixLength { shown }),
        };
    }
    let dotted: Ipv4Addr = m.parse().map_err(|_| Unacceptable::NotNetmask { shown })?;
    let bits = u32::from(dotted);
    let ones = bits.leading_ones();
    if bits.checked_shl(ones).unwrap_or(0) != 0 {
        return Err(Unacceptable::MaskNotContiguous(dotted));
    }
    // leading_ones is at most 32.
    Ok(ones as u8)
}

pub(super) fn check_ipv4(a: &Ipv4Change) -> Result<Ipv4Net, Unacceptable> {
    let shown: String = a
        .address
        .trim()
        .chars()
        .take(40)
        .filter(|c| !c.is_control())
        .collect();
    let address: Ipv4Addr = a
        .address
        .trim()
        .parse()
        .map_err(|_| Unacceptable::NotIpv4Address { shown })?;
    let prefix = mask_prefix(&a.mask)?;
    if address.is_unspecified()
        || address.is_loopback()
        || address.is_multicast()
        || address.is_broadcast()
        || address.octets()[0] >= 240
    {
        return Err(Unacceptable::NotForInterfaces(address));
    }
    if prefix == 0 {
        return Err(Unacceptable::ZeroMask);
    }
    if prefix <= 30 {
        let mask = prefix_mask(prefix);
        let bits = u32::from(address);
        if bits & !mask == 0 {
            return Err(Unacceptable::NetworkAddress {
                address,
                network: Ipv4Addr::from(bits & mask),
                prefix,
            });
        }
        if bits & !mask == !mask {
            return Err(Unacceptable::BroadcastAddress {
                address,
                network: Ipv4Addr::from(bits & mask),
                prefix,
            });
        }
    }
    Ok(Ipv4Net { address, prefix })
}
