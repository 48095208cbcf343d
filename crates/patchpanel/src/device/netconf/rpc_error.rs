//! `RpcError`: one `<rpc-error>` with every RFC 6241 §4.3 field, and its rendering as a sentence a
//! network engineer can act on ("mtu 100 is not in range (invalid-value at /native/…/mtu)").

use std::fmt;

/// One `<rpc-error>` as the device reported it (RFC 6241 §4.3). Strings are the wire values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpcError {
    /// `transport`, `rpc`, `protocol` or `application`.
    pub error_type: String,
    /// `invalid-value`, `lock-denied`, `data-missing`, … (RFC 6241 Appendix A).
    pub error_tag: String,
    /// `error` or `warning` (`error` when the device left it out).
    pub error_severity: String,
    pub error_app_tag: Option<String>,
    /// XPath of the offending node, with the device's prefixes.
    pub error_path: Option<String>,
    pub error_message: Option<String>,
    /// The `xml:lang` of `error-message`.
    pub error_message_lang: Option<String>,
    /// `error-info` children as (local name, text), e.g. `("session-id", "1")`, `("bad-element", "mtu")`.
    pub error_info: Vec<(String, String)>,
}

impl RpcError {
    pub fn is_warning(&self) -> bool {
        self.error_severity == "warning"
    }

    /// The first `error-info` entry with this local name.
    pub fn info(&self, name: &str) -> Option<&str> {
        self.error_info
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `error-info/session-id`: the lock holder for `lock-denied` (0: not a NETCONF session).
    pub fn session_id(&self) -> Option<u32> {
        self.info("session-id").and_then(|s| s.trim().parse().ok())
    }

    pub fn bad_element(&self) -> Option<&str> {
        self.info("bad-element")
    }

    /// `error-path` without namespace prefixes and without the `/rpc/<operation>/config` preamble
    /// some servers put in front, e.g. `/native/interface/GigabitEthernet[name='1/0/2']/mtu`.
    pub fn readable_path(&self) -> Option<String> {
        self.error_path.as_deref().map(readable_path)
    }
}

/// "mtu 100 is not in range (invalid-value at /native/…/mtu)": what happened, then the tag and where.
impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = self
            .error_message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        match message {
            Some(m) => f.write_str(m)?,
            None => f.write_str(&describe_tag(&self.error_tag, self.bad_element()))?,
        }
        let tag = if self.error_tag.is_empty() {
            "error"
        } else {
            &self.error_tag
        };
        write!(f, " ({tag}")?;
        if let Some(p) = self.readable_path().filter(|p| !p.is_empty()) {
            write!(f, " at {p}")?;
        }
        if let Some(b) = self.bad_element().filter(|_| message.is_some()) {
            write!(f, ", element <{b}>")?;
        }
        if let Some(a) = &self.error_app_tag {
            write!(f, ", {a}")?;
        }
        f.write_str(")")
    }
}

/// A sentence for an error that came without `error-message`.
fn describe_tag(tag: &str, bad_element: Option<&str>) -> String {
    let el = bad_element.map(|b| format!(" <{b}>")).unwrap_or_default();
    match tag {
        "in-use" => "the resource is in use by another session".into(),
        "invalid-value" => format!("a value is not acceptable{el}"),
        "too-big" => "the request or reply is too large for the device".into(),
        "missing-attribute" => format!("a required attribute is missing{el}"),
        "bad-attribute" => format!("an attribute value is not acceptable{el}"),
        "unknown-attribute" => format!("an attribute is not known{el}"),
        "missing-element" => format!("a required element is missing{el}"),
        "bad-element" => format!("an element value is not acceptable{el}"),
        "unknown-element" => format!("the device does not know the element{el}"),
        "unknown-namespace" => format!("the device does not know the namespace{el}"),
        "access-denied" => "access denied: the account lacks the privilege".into(),
        "lock-denied" => "the datastore is locked by another session".into(),
        "resource-denied" => "the device is out of resources".into(),
        "rollback-failed" => "the device could not roll the change back".into(),
        "data-exists" => "the data already exists".into(),
        "data-missing" => "the data does not exist".into(),
        "operation-not-supported" => format!("the device does not support the operation{el}"),
        "operation-failed" => "the operation failed".into(),
        "partial-operation" => "the operation was applied only partly".into(),
        "malformed-message" => "the device could not parse the request".into(),
        "" => "the device reported an error".into(),
        other => format!("the device reported {other}"),
    }
}

/// Strips `prefix:` from each step and predicate name (quoted values are kept as they are), then a
/// leading `/rpc/<operation>/config` or `/rpc/<operation>`.
pub fn readable_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut quote: Option<char> = None;
    let mut name_start = 0usize; // in `out`: where the current name began
    for c in path.trim().chars() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                out.push(c);
            }
            ':' => out.truncate(name_start),
            '/' | '[' | ']' | '=' | ' ' | '(' | ')' | ',' | '@' => {
                out.push(c);
                name_start = out.len();
            }
            _ => out.push(c),
        }
    }
    for preamble in ["/rpc/edit-config/config", "/rpc/copy-config/config"] {
        if let Some(rest) = out.strip_prefix(preamble) {
            return rest.to_string();
        }
    }
    if let Some(rest) = out.strip_prefix("/rpc/") {
        return match rest.find('/') {
            Some(i) => rest[i..].to_string(),
            None => format!("/{rest}"),
        };
    }
    out
}
