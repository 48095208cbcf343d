//! Which managed devices answer to which address: how a syslog datagram's sender becomes a device
//! name. Filled by the watcher from the directory (each managed device's management address, DNS
//! names resolved) and replaced whole on every refresh; read by the syslog receiver for every message.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::RwLock;

/// Address → the devices managed at that address (a lab can run several simulated switches behind
/// one address; the syslog message's hostname then picks one).
#[derive(Debug, Default)]
pub struct AddressBook {
    map: RwLock<HashMap<IpAddr, Vec<String>>>,
}

impl AddressBook {
    pub fn new() -> AddressBook {
        AddressBook::default()
    }

    /// Replaces the whole book.
    pub fn replace(&self, entries: impl IntoIterator<Item = (IpAddr, String)>) {
        let mut map: HashMap<IpAddr, Vec<String>> = HashMap::new();
        for (ip, name) in entries {
            let names = map.entry(canonical(ip)).or_default();
            if !names.contains(&name) {
                names.push(name);
            }
        }
        for names in map.values_mut() {
            names.sort();
        }
        match self.map.write() {
            Ok(mut g) => *g = map,
            Err(poisoned) => *poisoned.into_inner() = map,
        }
    }

    /// The devices a message from `sender` can be about. When several share the address, a
    /// `hostname` naming one of them (case-insensitively, the domain ignored) picks it; otherwise all.
    pub fn devices_at(&self, sender: IpAddr, hostname: Option<&str>) -> Vec<String> {
        let sender = canonical(sender);
        let names = match self.map.read() {
            Ok(g) => g.get(&sender).cloned(),
            Err(poisoned) => poisoned.into_inner().get(&sender).cloned(),
        };
        let names = names.unwrap_or_default();
        if names.len() > 1 {
            if let Some(host) = hostname {
                let short = host.split('.').next().unwrap_or(host);
                if let Some(one) = names.iter().find(|n| {
                    n.eq_ignore_ascii_case(host)
                        || n.split('.')
                            .next()
                            .is_some_and(|s| s.eq_ignore_ascii_case(short))
                }) {
                    return vec![one.clone()];
                }
            }
        }
        names
    }

    pub fn len(&self) -> usize {
        match self.map.read() {
            Ok(g) => g.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An IPv4 sender seen on a dual-stack socket arrives as `::ffff:a.b.c.d`.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    #[test]
    fn one_device_per_address() {
        let book = AddressBook::new();
        book.replace([(ip("10.0.0.1"), "c9300".to_string())]);
        assert_eq!(book.devices_at(ip("10.0.0.1"), None), ["c9300"]);
        assert_eq!(book.devices_at(ip("::ffff:10.0.0.1"), Some("x")), ["c9300"]);
        assert!(book.devices_at(ip("10.0.0.2"), Some("c9300")).is_empty());
    }

    #[test]
    fn a_shared_address_is_narrowed_by_hostname_only_among_its_devices() {
        let book = AddressBook::new();
        book.replace([
            (ip("127.0.0.1"), "sw2".to_string()),
            (ip("127.0.0.1"), "sw1".to_string()),
        ]);
        assert_eq!(
            book.devices_at(ip("127.0.0.1"), Some("SW1.lab.example")),
            ["sw1"]
        );
        assert_eq!(book.devices_at(ip("127.0.0.1"), None), ["sw1", "sw2"]);
        assert_eq!(
            book.devices_at(ip("127.0.0.1"), Some("other")),
            ["sw1", "sw2"]
        );
    }
}
