//! Authorization policy: who may talk to the bot. Pure; every inbound event (text or card submit) goes
//! through [`AllowList::permits`] before anything else happens.

use std::fmt;

/// One entry of `PATCHPANEL_ALLOWED`: an exact email or a whole domain (`@example.com`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Email(String),
    Domain(String),
}

/// The set of people allowed to use the bot. Empty means nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Entry>,
}

/// Why an allow-list entry was rejected when the settings were read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{entry}` is not an email address or an @domain (example: `alice@example.com, @example.com`)"
)]
pub struct AllowListError {
    pub entry: String,
}

impl AllowList {
    /// Parses a comma-, semicolon- or whitespace-separated list of emails and `@domain`s.
    pub fn parse(spec: &str) -> Result<Self, AllowListError> {
        let mut entries = Vec::new();
        for raw in spec.split(|c: char| c == ',' || c == ';' || c.is_whitespace()) {
            let item = raw.trim().to_lowercase();
            if item.is_empty() {
                continue;
            }
            let entry = match item.split_once('@') {
                Some(("", domain)) if valid_domain(domain) => Entry::Domain(domain.to_owned()),
                Some((local, domain)) if !local.is_empty() && valid_domain(domain) => {
                    Entry::Email(item.clone())
                }
                _ => {
                    return Err(AllowListError {
                        entry: raw.trim().to_owned(),
                    })
                }
            };
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        Ok(AllowList { entries })
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `email` is listed, or its domain is listed exactly (a listed `@example.com` does not
    /// admit `@sub.example.com` or `@evilexample.com`).
    pub fn permits(&self, email: &str) -> bool {
        let email = email.trim().to_lowercase();
        let Some((local, domain)) = email.rsplit_once('@') else {
            return false;
        };
        if local.is_empty() || !valid_domain(domain) {
            return false;
        }
        self.entries.iter().any(|entry| match entry {
            Entry::Email(e) => *e == email,
            Entry::Domain(d) => d == domain,
        })
    }
}

impl AllowList {
    /// The exact emails listed (not the `@domain`s): the people a message can be sent to 1:1.
    pub fn emails(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Email(e) => Some(e.as_str()),
                Entry::Domain(_) => None,
            })
            .collect()
    }
}

impl fmt::Display for AllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .entries
            .iter()
            .map(|e| match e {
                Entry::Email(e) => e.clone(),
                Entry::Domain(d) => format!("@{d}"),
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

fn valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.len() <= 253
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_domains() {
        let list = AllowList::parse("Alice@Example.com, @corp.example; bob@lab.net").unwrap();
        assert!(list.permits("alice@example.com"));
        assert!(list.permits("ALICE@example.com"));
        assert!(list.permits("anyone@corp.example"));
        assert!(list.permits("bob@lab.net"));
        assert!(!list.permits("mallory@example.com"));
        assert!(!list.permits("anyone@sub.corp.example"));
        assert!(!list.permits("anyone@evilcorp.example"));
        assert!(!list.permits("corp.example"));
        assert!(!list.permits("@corp.example"));
        assert!(!list.permits(""));
    }

    #[test]
    fn empty_list_permits_nobody() {
        let list = AllowList::parse("  ").unwrap();
        assert!(list.is_empty());
        assert!(!list.permits("alice@example.com"));
    }

    #[test]
    fn rejects_malformed_entries_naming_them() {
        let err = AllowList::parse("alice@example.com, example.com").unwrap_err();
        assert_eq!(err.entry, "example.com");
        assert!(AllowList::parse("@").is_err());
        assert!(AllowList::parse("a@b..c").is_err());
    }

    #[test]
    fn displays_normalised() {
        let list = AllowList::parse("A@X.org @y.org a@x.org").unwrap();
        assert_eq!(list.to_string(), "a@x.org, @y.org");
    }
}
