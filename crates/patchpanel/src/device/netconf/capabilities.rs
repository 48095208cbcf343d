//! The server's capabilities from its `<hello>` (RFC 6241 §8): protocol capabilities by URI, and the
//! YANG modules it advertises as `namespace?module=NAME&revision=DATE&features=…&deviations=…`.

pub const BASE_1_0: &str = "urn:ietf:params:netconf:base:1.0";
pub const BASE_1_1: &str = "urn:ietf:params:netconf:base:1.1";
pub const CANDIDATE: &str = "urn:ietf:params:netconf:capability:candidate:1.0";
pub const CONFIRMED_COMMIT_1_0: &str = "urn:ietf:params:netconf:capability:confirmed-commit:1.0";
pub const CONFIRMED_COMMIT_1_1: &str = "urn:ietf:params:netconf:capability:confirmed-commit:1.1";
pub const VALIDATE_1_0: &str = "urn:ietf:params:netconf:capability:validate:1.0";
pub const VALIDATE_1_1: &str = "urn:ietf:params:netconf:capability:validate:1.1";
pub const ROLLBACK_ON_ERROR: &str = "urn:ietf:params:netconf:capability:rollback-on-error:1.0";
pub const WRITABLE_RUNNING: &str = "urn:ietf:params:netconf:capability:writable-running:1.0";
pub const STARTUP: &str = "urn:ietf:params:netconf:capability:startup:1.0";
pub const XPATH: &str = "urn:ietf:params:netconf:capability:xpath:1.0";
/// RFC 5277: `<create-subscription>` and `<notification>` messages.
pub const NOTIFICATION: &str = "urn:ietf:params:netconf:capability:notification:1.0";
/// RFC 5277 §6: a subscribed session still accepts rpcs (notifications arrive between replies).
pub const INTERLEAVE: &str = "urn:ietf:params:netconf:capability:interleave:1.0";
/// Cisco-IA, which carries IOS-XE's `<save-config>` RPC.
pub const CISCO_IA_NS: &str = "http://cisco.com/yang/cisco-ia";

/// One advertised YANG module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub namespace: String,
    pub name: String,
    pub revision: Option<String>,
    pub features: Vec<String>,
    pub deviations: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    uris: Vec<String>,
}

impl Capabilities {
    /// From the `<capability>` texts; surrounding whitespace is ignored, empty entries dropped.
    pub fn new<I, S>(uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Capabilities {
            uris: uris
                .into_iter()
                .map(|u| u.as_ref().trim().to_string())
                .filter(|u| !u.is_empty())
                .collect(),
        }
    }

    /// Every capability as advertised.
    pub fn uris(&self) -> &[String] {
        &self.uris
    }

    /// Whether `uri` is advertised; parameters after `?` are ignored on both sides.
    pub fn has(&self, uri: &str) -> bool {
        let want = strip_query(uri);
        self.uris.iter().any(|u| strip_query(u) == want)
    }

    /// The advertised capability starting with `uri` (with its parameters), e.g. `…:url:1.0?scheme=file`.
    pub fn get(&self, uri: &str) -> Option<&str> {
        let want = strip_query(uri);
        self.uris
            .iter()
            .find(|u| strip_query(u) == want)
            .map(String::as_str)
    }

    pub fn base_1_0(&self) -> bool {
        self.has(BASE_1_0)
    }
    pub fn base_1_1(&self) -> bool {
        self.has(BASE_1_1)
    }
    pub fn candidate(&self) -> bool {
        self.has(CANDIDATE)
    }
    /// `:confirmed-commit` in either version (1.0 has no persist / cancel-commit).
    pub fn confirmed_commit(&self) -> bool {
        self.has(CONFIRMED_COMMIT_1_0) || self.has(CONFIRMED_COMMIT_1_1)
    }
    pub fn confirmed_commit_1_1(&self) -> bool {
        self.has(CONFIRMED_COMMIT_1_1)
    }
    /// `:validate` in either version.
    pub fn validate(&self) -> bool {
        self.has(VALIDATE_1_0) || self.has(VALIDATE_1_1)
    }
    /// `:validate:1.1`, which adds `test-only`.
    pub fn validate_1_1(&self) -> bool {
        self.has(VALIDATE_1_1)
    }
    pub fn rollback_on_error(&self) -> bool {
        self.has(ROLLBACK_ON_ERROR)
    }
    pub fn writable_running(&self) -> bool {
        self.has(WRITABLE_RUNNING)
    }
    pub fn startup(&self) -> bool {
        self.has(STARTUP)
    }
    pub fn xpath(&self) -> bool {
        self.has(XPATH)
    }
    pub fn notification(&self) -> bool {
        self.has(NOTIFICATION)
    }
    pub fn interleave(&self) -> bool {
        self.has(INTERLEAVE)
    }

    /// The YANG modules (capabilities carrying `module=`).
    pub fn modules(&self) -> Vec<Module> {
        self.uris.iter().filter_map(|u| parse_module(u)).collect()
    }

    pub fn module(&self, name: &str) -> Option<Module> {
        self.uris
            .iter()
            .filter_map(|u| parse_module(u))
            .find(|m| m.name == name)
    }

    /// Whether a module with this XML namespace is advertised.
    pub fn has_namespace(&self, namespace: &str) -> bool {
        self.uris.iter().any(|u| strip_query(u) == namespace)
    }
}

fn strip_query(uri: &str) -> &str {
    uri.split_once('?').map_or(uri, |(base, _)| base)
}

fn parse_module(uri: &str) -> Option<Module> {
    let (namespace, query) = uri.split_once('?')?;
    let mut m = Module {
        namespace: namespace.to_string(),
        name: String::new(),
        revision: None,
        features: Vec::new(),
        deviations: Vec::new(),
    };
    // Some servers escape the separator once more (`&amp;` inside the decoded text).
    for pair in query
        .split('&')
        .map(|p| p.strip_prefix("amp;").unwrap_or(p))
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let list = || {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        match k {
            "module" => m.name = v.to_string(),
            "revision" if !v.is_empty() => m.revision = Some(v.to_string()),
            "features" => m.features = list(),
            "deviations" => m.deviations = list(),
            _ => {}
        }
    }
    (!m.name.is_empty()).then_some(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yuma() -> Capabilities {
        Capabilities::new([
            " urn:ietf:params:netconf:base:1.0 ",
            "urn:ietf:params:netconf:base:1.1",
            "urn:ietf:params:netconf:capability:candidate:1.0",
            "urn:ietf:params:netconf:capability:confirmed-commit:1.1",
            "urn:ietf:params:netconf:capability:rollback-on-error:1.0",
            "urn:ietf:params:netconf:capability:validate:1.1",
            "urn:ietf:params:netconf:capability:url:1.0?scheme=file",
            "urn:ietf:params:xml:ns:yang:ietf-interfaces?module=ietf-interfaces&revision=2014-05-08&features=arbitrary-names,pre-provisioning,if-mib",
            "http://cisco.com/ns/yang/Cisco-IOS-XE-native?module=Cisco-IOS-XE-native&revision=2000-01-01&deviations=x-dev",
            "http://cisco.com/yang/cisco-ia?module=cisco-ia&amp;revision=2000-01-01",
            "",
        ])
    }

    #[test]
    fn protocol_capabilities() {
        let c = yuma();
        assert_eq!(c.uris().len(), 10);
        assert!(c.base_1_0() && c.base_1_1() && c.candidate());
        assert!(c.confirmed_commit() && c.confirmed_commit_1_1());
        assert!(c.validate() && c.validate_1_1() && c.rollback_on_error());
        assert!(!c.writable_running() && !c.startup() && !c.xpath());
        assert!(c.has("urn:ietf:params:netconf:capability:url:1.0"));
        assert_eq!(
            c.get("urn:ietf:params:netconf:capability:url:1.0"),
            Some("urn:ietf:params:netconf:capability:url:1.0?scheme=file")
        );
        let old = Capabilities::new([BASE_1_0, CONFIRMED_COMMIT_1_0, VALIDATE_1_0]);
        assert!(old.confirmed_commit() && !old.confirmed_commit_1_1());
        assert!(old.validate() && !old.validate_1_1() && !old.base_1_1());
    }

    #[test]
    fn modules_with_features_and_deviations() {
        let c = yuma();
        let names: Vec<String> = c.modules().into_iter().map(|m| m.name).collect();
        assert_eq!(
            names,
            ["ietf-interfaces", "Cisco-IOS-XE-native", "cisco-ia"]
        );
        let ifs = c.module("ietf-interfaces").unwrap();
        assert_eq!(ifs.namespace, "urn:ietf:params:xml:ns:yang:ietf-interfaces");
        assert_eq!(ifs.revision.as_deref(), Some("2014-05-08"));
        assert_eq!(
            ifs.features,
            ["arbitrary-names", "pre-provisioning", "if-mib"]
        );
        assert_eq!(
            c.module("Cisco-IOS-XE-native").unwrap().deviations,
            ["x-dev"]
        );
        assert_eq!(
            c.module("cisco-ia").unwrap().revision.as_deref(),
            Some("2000-01-01")
        );
        assert!(c.has_namespace(CISCO_IA_NS));
        assert!(!c.has_namespace("http://cisco.com/yang"));
        assert!(c.module("nope").is_none());
    }
}
