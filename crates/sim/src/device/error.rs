//! One error as the real servers report it, shared by NETCONF and RESTCONF so both protocols refuse the
//! same edit the same way: error type and tag (RFC 6241 App. A), an optional app tag, the path of the
//! offending node, a message and error-info. Rendered as a NETCONF `<rpc-error>` (XPath with prefixes
//! declared on `<error-path>`, as IOS-XE's ConfD does) or an RFC 8040 §7.1 error object (JSON
//! instance-identifier) with its HTTP status.

use super::ns::{
    NS_BASE, NS_ETHERNET, NS_IANAIFT, NS_IF, NS_IP, NS_NATIVE, NS_NOTIFICATION, NS_SWITCH,
    NS_WITH_DEFAULTS, NS_YANG_LIBRARY,
};
use super::xmltree::Element;
use serde_json::{json, Map, Value};

/// (module name, namespace, XML prefix) of every module the simulator serves.
pub const MODULES: &[(&str, &str, &str)] = &[
    ("Cisco-IOS-XE-native", NS_NATIVE, "ios"),
    ("Cisco-IOS-XE-switch", NS_SWITCH, "ios-sw"),
    ("Cisco-IOS-XE-ethernet", NS_ETHERNET, "ios-eth"),
    ("ietf-interfaces", NS_IF, "if"),
    ("ietf-ip", NS_IP, "ip"),
    ("iana-if-type", NS_IANAIFT, "ianaift"),
    ("ietf-netconf-with-defaults", NS_WITH_DEFAULTS, "ncwd"),
    ("notifications", NS_NOTIFICATION, "ncEvent"),
    ("ietf-yang-library", NS_YANG_LIBRARY, "yanglib"),
];

pub fn module_of(ns: &str) -> Option<&'static str> {
    MODULES.iter().find(|m| m.1 == ns).map(|m| m.0)
}

pub fn ns_of_module(module: &str) -> Option<&'static str> {
    MODULES.iter().find(|m| m.0 == module).map(|m| m.1)
}

/// One step of an error path: a node, and for a list entry its key leaf and value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStep {
    pub ns: String,
    pub name: String,
    pub key: Option<(String, String)>,
}

impl PathStep {
    pub fn new(ns: &str, name: &str) -> Self {
        PathStep {
            ns: ns.to_owned(),
            name: name.to_owned(),
            key: None,
        }
    }

    pub fn entry(ns: &str, name: &str, key: &str, value: &str) -> Self {
        PathStep {
            ns: ns.to_owned(),
            name: name.to_owned(),
            key: Some((key.to_owned(), value.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YangError {
    /// `transport`, `rpc`, `protocol` or `application`.
    pub error_type: &'static str,
    pub tag: &'static str,
    pub app_tag: Option<&'static str>,
    /// Empty when the error concerns no data node.
    pub path: Vec<PathStep>,
    pub message: String,
    /// `error-info` children (`bad-element`, `session-id`, …) in the base namespace.
    pub info: Vec<(String, String)>,
}

impl YangError {
    pub fn new(error_type: &'static str, tag: &'static str, message: impl Into<String>) -> Self {
        YangError {
            error_type,
            tag,
            app_tag: None,
            path: Vec::new(),
            message: message.into(),
            info: Vec::new(),
        }
    }

    pub fn application(tag: &'static str, message: impl Into<String>) -> Self {
        Self::new("application", tag, message)
    }

    pub fn protocol(tag: &'static str, message: impl Into<String>) -> Self {
        Self::new("protocol", tag, message)
    }

    pub fn at(mut self, path: &[PathStep]) -> Self {
        self.path = path.to_vec();
        self
    }

    /// The path rooted in the request (`/nc:rpc/nc:edit-config/nc:config/…`), as RFC 6241 §4.3
    /// roots an error that a payload element of the request can be associated with; `request` are
    /// the steps from `rpc` down to the element that holds the data. A path-less error stays so.
    pub fn in_request(mut self, request: &[&str]) -> Self {
        if !self.path.is_empty() {
            let mut path: Vec<PathStep> =
                request.iter().map(|n| PathStep::new(NS_BASE, n)).collect();
            path.append(&mut self.path);
            self.path = path;
        }
        self
    }

    pub fn with_app_tag(mut self, app_tag: &'static str) -> Self {
        self.app_tag = Some(app_tag);
        self
    }

    pub fn with_info(mut self, name: &str, text: impl Into<String>) -> Self {
        self.info.push((name.to_owned(), text.into()));
        self
    }

    /// The value of one error-info item, e.g. `session-id`.
    pub fn info(&self, name: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path as an XPath with prefixes, and the `xmlns:prefix` declarations it needs.
    pub fn xpath(&self) -> Option<(String, Vec<(String, String)>)> {
        if self.path.is_empty() {
            return None;
        }
        let mut decls: Vec<(String, String)> = Vec::new();
        let mut out = String::new();
        for step in &self.path {
            let prefix = match MODULES.iter().find(|m| m.1 == step.ns) {
                Some(m) => m.2.to_owned(),
                None if step.ns == NS_BASE => "nc".to_owned(),
                None if step.ns.is_empty() => String::new(),
                None => match decls.iter().find(|(_, n)| *n == step.ns) {
                    Some((p, _)) => p.clone(),
                    None => format!("ns{}", decls.len()),
                },
            };
            if !prefix.is_empty() && !decls.iter().any(|(p, _)| *p == prefix) {
                decls.push((prefix.clone(), step.ns.clone()));
            }
            let q = |n: &str| {
                if prefix.is_empty() {
                    n.to_owned()
                } else {
                    format!("{prefix}:{n}")
                }
            };
            out.push('/');
            out.push_str(&q(&step.name));
            if let Some((k, v)) = &step.key {
                out.push_str(&format!("[{}={}]", q(k), quote(v)));
            }
        }
        let decls = decls
            .into_iter()
            .map(|(p, ns)| (format!("xmlns:{p}"), ns))
            .collect();
        Some((out, decls))
    }

    /// The path as an RFC 7951 §6.11 instance-identifier (module names where the namespace changes).
    pub fn json_path(&self) -> Option<String> {
        if self.path.is_empty() {
            return None;
        }
        let mut out = String::new();
        let mut current: Option<&str> = None;
        for step in &self.path {
            out.push('/');
            if current != Some(step.ns.as_str()) {
                let module = module_of(&step.ns).unwrap_or(step.ns.as_str());
                out.push_str(module);
                out.push(':');
                current = Some(step.ns.as_str());
            }
            out.push_str(&step.name);
            if let Some((k, v)) = &step.key {
                out.push_str(&format!("[{k}={}]", quote(v)));
            }
        }
        Some(out)
    }

    /// `<rpc-error>` in RFC 6241 child order.
    pub fn to_rpc_error(&self) -> Element {
        let leaf = |name: &str, text: &str| Element::leaf(NS_BASE, name, text);
        let mut e = Element::new(NS_BASE, "rpc-error")
            .with_child(leaf("error-type", self.error_type))
            .with_child(leaf("error-tag", self.tag))
            .with_child(leaf("error-severity", "error"));
        if let Some(app) = self.app_tag {
            e.push(leaf("error-app-tag", app));
        }
        if let Some((path, decls)) = self.xpath() {
            let mut p = leaf("error-path", &path);
            p.attrs = decls;
            e.push(p);
        }
        e.push(leaf("error-message", &self.message).with_attr("xml:lang", "en"));
        if !self.info.is_empty() {
            e.push(
                Element::new(NS_BASE, "error-info").with_children(
                    self.info
                        .iter()
                        .map(|(k, v)| Element::leaf(NS_BASE, k, v.clone()))
                        .collect(),
                ),
            );
        }
        e
    }

    /// One member of `ietf-restconf:errors/error`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("error-type".into(), json!(self.error_type));
        m.insert("error-tag".into(), json!(self.tag));
        if let Some(app) = self.app_tag {
            m.insert("error-app-tag".into(), json!(app));
        }
        if let Some(p) = self.json_path() {
            m.insert("error-path".into(), json!(p));
        }
        m.insert("error-message".into(), json!(self.message));
        if !self.info.is_empty() {
            let info: Map<String, Value> = self
                .info
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            m.insert("error-info".into(), Value::Object(info));
        }
        Value::Object(m)
    }

    /// The HTTP status RFC 8040 §7 gives this error tag.
    pub fn http_status(&self) -> u16 {
        match self.tag {
            "in-use" | "lock-denied" | "resource-denied" | "data-exists" | "data-missing" => 409,
            "access-denied" => 403,
            "too-big" => 413,
            "operation-not-supported" => 405,
            "operation-failed" => 412,
            "rollback-failed" | "partial-operation" => 500,
            _ => 400,
        }
    }
}

/// The errors of one request as an RFC 8040 body.
pub fn restconf_errors(errors: &[YangError]) -> Value {
    json!({ "ietf-restconf:errors": { "error": errors.iter().map(YangError::to_json).collect::<Vec<_>>() } })
}

/// An XPath string literal for `v` (no escapes exist in XPath 1.0, so pick the quote it lacks).
fn quote(v: &str) -> String {
    if v.contains('\'') {
        format!("\"{v}\"")
    } else {
        format!("'{v}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mtu_error() -> YangError {
        YangError::application("invalid-value", "\"100\" is out of range.")
            .at(&[
                PathStep::new(NS_NATIVE, "native"),
                PathStep::new(NS_NATIVE, "interface"),
                PathStep::entry(NS_NATIVE, "GigabitEthernet", "name", "1/0/2"),
                PathStep::new(NS_NATIVE, "mtu"),
            ])
            .with_info("bad-element", "mtu")
    }

    #[test]
    fn netconf_shape_declares_prefixes_on_error_path() {
        let xml = String::from_utf8(mtu_error().to_rpc_error().to_document()).unwrap();
        assert!(xml.contains("<rpc-error xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><error-type>application</error-type><error-tag>invalid-value</error-tag><error-severity>error</error-severity><error-path xmlns:ios=\"http://cisco.com/ns/yang/Cisco-IOS-XE-native\">/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu</error-path><error-message xml:lang=\"en\">\"100\" is out of range.</error-message><error-info><bad-element>mtu</bad-element></error-info></rpc-error>"), "{xml}");
    }

    /// An error about a payload element is rooted in the request, as netconfd roots it; one about no
    /// data node keeps no path.
    #[test]
    fn payload_errors_are_rooted_in_the_request() {
        let (xp, decls) = mtu_error()
            .in_request(&["rpc", "edit-config", "config"])
            .xpath()
            .unwrap();
        assert_eq!(
            xp,
            "/nc:rpc/nc:edit-config/nc:config/ios:native/ios:interface/ios:GigabitEthernet[ios:name='1/0/2']/ios:mtu"
        );
        assert_eq!(decls[0], ("xmlns:nc".to_owned(), NS_BASE.to_owned()));
        assert_eq!(
            YangError::protocol("in-use", "x")
                .in_request(&["rpc", "edit-config", "config"])
                .xpath(),
            None
        );
        // RESTCONF never sees the NETCONF request: its path is the data resource's.
        assert_eq!(
            mtu_error().json_path().unwrap(),
            "/Cisco-IOS-XE-native:native/interface/GigabitEthernet[name='1/0/2']/mtu"
        );
    }

    #[test]
    fn restconf_shape_and_status() {
        let e = mtu_error();
        assert_eq!(
            e.json_path().unwrap(),
            "/Cisco-IOS-XE-native:native/interface/GigabitEthernet[name='1/0/2']/mtu"
        );
        assert_eq!(e.http_status(), 400);
        let body = restconf_errors(&[e]);
        assert_eq!(
            body["ietf-restconf:errors"]["error"][0]["error-tag"],
            "invalid-value"
        );
        assert_eq!(
            body["ietf-restconf:errors"]["error"][0]["error-info"]["bad-element"],
            "mtu"
        );
        let sw = YangError::application("invalid-value", "x").at(&[
            PathStep::new(NS_NATIVE, "switchport"),
            PathStep::new(NS_SWITCH, "access"),
            PathStep::entry("urn:other", "x", "k", "it's"),
        ]);
        assert_eq!(
            sw.json_path().unwrap(),
            "/Cisco-IOS-XE-native:switchport/Cisco-IOS-XE-switch:access/urn:other:x[k=\"it's\"]"
        );
        let (xp, decls) = sw.xpath().unwrap();
        assert_eq!(xp, "/ios:switchport/ios-sw:access/ns2:x[ns2:k=\"it's\"]");
        assert_eq!(decls.len(), 3);
        assert_eq!(YangError::protocol("lock-denied", "x").http_status(), 409);
    }
}
