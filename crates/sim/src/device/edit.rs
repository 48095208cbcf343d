//! RFC 6241 §7.2 edit semantics over generic element trees, sans schema: the per-node `nc:operation`
//! attribute (merge, replace, create, delete, remove) inherited down the tree, `default-operation`
//! (merge, replace, none), list entries matched on their keys, and YANG choices whose cases exclude
//! each other. The typed model (`native_edit`) validates what comes out.

use super::error::{PathStep, YangError};
use super::ns::NS_BASE;
use super::xmltree::Element;

/// The operation applied to one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Merge,
    Replace,
    Create,
    Delete,
    Remove,
    /// `default-operation none`: existing nodes are only walked, nothing is created.
    None,
}

impl Op {
    /// The `default-operation` values (RFC 6241 §7.2).
    pub fn parse_default(s: &str) -> Option<Op> {
        match s.trim() {
            "merge" => Some(Op::Merge),
            "replace" => Some(Op::Replace),
            "none" => Some(Op::None),
            _ => None,
        }
    }

    /// The `operation` attribute values.
    pub fn parse_attr(s: &str) -> Option<Op> {
        match s.trim() {
            "merge" => Some(Op::Merge),
            "replace" => Some(Op::Replace),
            "create" => Some(Op::Create),
            "delete" => Some(Op::Delete),
            "remove" => Some(Op::Remove),
            _ => None,
        }
    }
}

/// The namespace prefixes in scope at an element (declarations on it and its ancestors).
#[derive(Debug, Clone, Default)]
pub struct Scope(Vec<(String, String)>);

impl Scope {
    /// The scope inside `e`.
    pub fn enter(&self, e: &Element) -> Scope {
        let mut s = self.clone();
        for (k, v) in &e.attrs {
            if let Some(p) = k.strip_prefix("xmlns:") {
                s.0.push((p.to_owned(), v.clone()));
            }
        }
        s
    }

    pub fn resolve(&self, prefix: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(p, _)| p == prefix)
            .map(|(_, ns)| ns.as_str())
    }
}

/// The schema facts the generic edit needs.
#[derive(Clone, Copy)]
pub struct Schema {
    /// Key leaves of a list entry element (empty for anything else).
    pub keys: fn(&Element) -> &'static [&'static str],
    /// Siblings that a new child of `parent` displaces (the other cases of a YANG choice).
    pub exclusive: fn(parent: &Element, child: &Element) -> &'static [&'static str],
}

/// The explicit `nc:operation` of `e` (its scope already entered). An `operation` attribute outside the
/// base namespace is refused rather than silently treated as a merge.
pub fn operation_of(
    e: &Element,
    scope: &Scope,
    path: &[PathStep],
) -> Result<Option<Op>, YangError> {
    for (k, v) in &e.attrs {
        let is_op =
            match k.split_once(':') {
                Some((p, "operation")) if p != "xmlns" => scope.resolve(p) == Some(NS_BASE),
                None if k == "operation" => return Err(YangError::protocol(
                    "unknown-attribute",
                    "the operation attribute must be in the NETCONF base namespace (nc:operation)",
                )
                .at(path)
                .with_info("bad-attribute", "operation")
                .with_info("bad-element", &e.name)),
                _ => false,
            };
        if is_op {
            return Op::parse_attr(v).map(Some).ok_or_else(|| {
                YangError::protocol("bad-attribute", format!("invalid operation {:?}", v.trim()))
                    .at(path)
                    .with_info("bad-attribute", "operation")
                    .with_info("bad-element", &e.name)
            });
        }
    }
    Ok(None)
}

/// The path step for `e`, with its first key when it is a list entry.
pub fn step_of(e: &Element, schema: &Schema) -> PathStep {
    match (schema.keys)(e).first() {
        Some(k) => match e.child(&e.ns, k) {
            Some(kv) => PathStep::entry(&e.ns, &e.name, k, kv.text.trim()),
            None => PathStep::new(&e.ns, &e.name),
        },
        None => PathStep::new(&e.ns, &e.name),
    }
}

/// Apply the edit node `edit` (whose parent scope is `scope`) to `data` (the matching existing node, if
/// any) with the inherited operation. `Ok(None)` means the node is gone afterwards. `path` holds the
/// steps down to the parent.
pub fn edit_node(
    data: Option<&Element>,
    edit: &Element,
    inherited: Op,
    scope: &Scope,
    schema: &Schema,
    path: &mut Vec<PathStep>,
) -> Result<Option<Element>, YangError> {
    path.push(step_of(edit, schema));
    let result = edit_here(data, edit, inherited, &scope.enter(edit), schema, path);
    path.pop();
    result
}

fn edit_here(
    data: Option<&Element>,
    edit: &Element,
    inherited: Op,
    scope: &Scope,
    schema: &Schema,
    path: &mut Vec<PathStep>,
) -> Result<Option<Element>, YangError> {
    let op = operation_of(edit, scope, path)?.unwrap_or(inherited);
    match op {
        Op::Delete => match data {
            None => Err(YangError::application("data-missing", "data missing")
                .with_app_tag("data-incomplete")
                .at(path)),
            Some(_) => Ok(None),
        },
        Op::Remove => Ok(None),
        Op::Create if data.is_some() => {
            Err(YangError::application("data-exists", "data already exists").at(path))
        }
        Op::Create | Op::Replace => {
            let mut out = shell(edit);
            merge_children(&mut out, edit, Op::Merge, scope, schema, path)?;
            Ok(Some(out))
        }
        Op::Merge => {
            let mut out = data.cloned().unwrap_or_else(|| shell(edit));
            merge_children(&mut out, edit, Op::Merge, scope, schema, path)?;
            Ok(Some(out))
        }
        Op::None => match data {
            None => Err(YangError::application(
                "data-missing",
                "data missing (default-operation none creates nothing)",
            )
            .with_app_tag("data-incomplete")
            .at(path)),
            Some(d) => {
                let mut out = d.clone();
                merge_children(&mut out, edit, Op::None, scope, schema, path)?;
                Ok(Some(out))
            }
        },
    }
}

/// A new node shaped like `edit`: same name, its text, no attributes, no children yet.
fn shell(edit: &Element) -> Element {
    Element {
        ns: edit.ns.clone(),
        name: edit.name.clone(),
        attrs: Vec::new(),
        text: if edit.children.is_empty() {
            edit.text.clone()
        } else {
            String::new()
        },
        children: Vec::new(),
    }
}

fn merge_children(
    out: &mut Element,
    edit: &Element,
    op: Op,
    scope: &Scope,
    schema: &Schema,
    path: &mut Vec<PathStep>,
) -> Result<(), YangError> {
    if edit.children.is_empty() {
        // A leaf (or an empty leaf / presence container): its value is the edit's.
        if op != Op::None {
            out.text = edit.text.clone();
        }
        return Ok(());
    }
    let keys = (schema.keys)(edit);
    for c in &edit.children {
        if c.ns == edit.ns && keys.contains(&c.name.as_str()) {
            if out.child(&c.ns, &c.name).is_none() {
                out.children.insert(0, shell(c));
            }
            continue;
        }
        let child_keys = (schema.keys)(c);
        for k in child_keys {
            if c.child(&c.ns, k).is_none() {
                path.push(PathStep::new(&c.ns, &c.name));
                let err = YangError::protocol(
                    "missing-element",
                    format!("list entry {} has no key {k}", c.name),
                )
                .at(path)
                .with_info("bad-element", *k);
                path.pop();
                return Err(err);
            }
        }
        let idx = out.children.iter().position(|d| {
            d.ns == c.ns
                && d.name == c.name
                && child_keys.iter().all(|k| {
                    let want = c.child(&c.ns, k).map(|e| e.text.trim());
                    d.child(&d.ns, k).map(|e| e.text.trim()) == want
                })
        });
        let result = edit_node(
            idx.and_then(|i| out.children.get(i)),
            c,
            op,
            scope,
            schema,
            path,
        )?;
        match (idx, result) {
            (Some(i), Some(e)) => out.children[i] = e,
            (Some(i), None) => {
                out.children.remove(i);
            }
            (None, Some(e)) => {
                let displaced = (schema.exclusive)(out, &e);
                out.children
                    .retain(|d| !(d.ns == e.ns && displaced.contains(&d.name.as_str())));
                out.children.push(e);
            }
            (None, None) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = "urn:t";

    fn keys(e: &Element) -> &'static [&'static str] {
        if e.ns == NS && e.name == "entry" {
            &["name"]
        } else {
            &[]
        }
    }

    fn exclusive(parent: &Element, child: &Element) -> &'static [&'static str] {
        match (parent.name.as_str(), child.name.as_str()) {
            ("mode", "a") => &["b"],
            ("mode", "b") => &["a"],
            _ => &[],
        }
    }

    const SCHEMA: Schema = Schema { keys, exclusive };

    fn data() -> Element {
        Element::parse(br#"<top xmlns="urn:t"><entry><name>1</name><d>one</d><flag/></entry><entry><name>2</name><d>two</d></entry><mode><a/></mode></top>"#).unwrap()
    }

    fn run(edit: &str, op: Op) -> Result<Option<Element>, YangError> {
        let wrapped = format!(
            r#"<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0" xmlns:nc="urn:ietf:params:xml:ns:netconf:base:1.0">{edit}</config>"#
        );
        let cfg = Element::parse(wrapped.as_bytes()).unwrap();
        let scope = Scope::default().enter(&cfg);
        let d = data();
        edit_node(
            Some(&d),
            &cfg.children[0],
            op,
            &scope,
            &SCHEMA,
            &mut Vec::new(),
        )
    }

    fn text(e: &Element) -> String {
        String::from_utf8(e.to_document())
            .unwrap()
            .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
            .to_owned()
    }

    #[test]
    fn merge_changes_leaves_and_creates_entries() {
        let out = run(
            r#"<top xmlns="urn:t"><entry><name>1</name><d>uno</d></entry><entry><name>3</name><d>three</d></entry></top>"#,
            Op::Merge,
        )
        .unwrap()
        .unwrap();
        let t = text(&out);
        assert!(t.contains("<entry><name>1</name><d>uno</d><flag/></entry><entry><name>2</name><d>two</d></entry>"), "{t}");
        assert!(
            t.contains("<entry><name>3</name><d>three</d></entry>"),
            "{t}"
        );
    }

    #[test]
    fn remove_delete_create_replace() {
        let t = text(&run(r#"<top xmlns="urn:t"><entry><name>1</name><flag nc:operation="remove"/><zz nc:operation="remove"/></entry></top>"#, Op::Merge).unwrap().unwrap());
        assert!(t.contains("<entry><name>1</name><d>one</d></entry>"), "{t}");

        let e = run(r#"<top xmlns="urn:t"><entry><name>2</name><flag nc:operation="delete"/></entry></top>"#, Op::Merge).unwrap_err();
        assert_eq!(e.tag, "data-missing");
        assert_eq!(e.json_path().unwrap(), "/urn:t:top/entry[name='2']/flag");

        let e = run(
            r#"<top xmlns="urn:t"><entry nc:operation="create"><name>2</name></entry></top>"#,
            Op::Merge,
        )
        .unwrap_err();
        assert_eq!(e.tag, "data-exists");

        let t = text(&run(r#"<top xmlns="urn:t"><entry nc:operation="replace"><name>1</name><d>new</d></entry></top>"#, Op::Merge).unwrap().unwrap());
        assert!(t.contains("<entry><name>1</name><d>new</d></entry>"), "{t}");

        let t = text(
            &run(
                r#"<top xmlns="urn:t"><entry nc:operation="delete"><name>2</name></entry></top>"#,
                Op::Merge,
            )
            .unwrap()
            .unwrap(),
        );
        assert!(!t.contains("two"), "{t}");
    }

    #[test]
    fn default_none_creates_nothing() {
        let e = run(
            r#"<top xmlns="urn:t"><entry><name>9</name><d>x</d></entry></top>"#,
            Op::None,
        )
        .unwrap_err();
        assert_eq!(e.tag, "data-missing");
        let t = text(&run(r#"<top xmlns="urn:t"><entry><name>1</name><d>ignored</d><flag nc:operation="delete"/></entry></top>"#, Op::None).unwrap().unwrap());
        assert!(t.contains("<entry><name>1</name><d>one</d></entry>"), "{t}");
    }

    #[test]
    fn choice_cases_displace_each_other() {
        let t = text(
            &run(r#"<top xmlns="urn:t"><mode><b/></mode></top>"#, Op::Merge)
                .unwrap()
                .unwrap(),
        );
        assert!(t.contains("<mode><b/></mode>"), "{t}");
    }

    #[test]
    fn bad_operations_are_refused() {
        let e = run(
            r#"<top xmlns="urn:t"><d nc:operation="frob"/></top>"#,
            Op::Merge,
        )
        .unwrap_err();
        assert_eq!(e.tag, "bad-attribute");
        let e = run(
            r#"<top xmlns="urn:t"><d operation="delete"/></top>"#,
            Op::Merge,
        )
        .unwrap_err();
        assert_eq!(e.tag, "unknown-attribute");
        // An operation attribute in another namespace is just an attribute.
        let ok = run(
            r#"<top xmlns="urn:t" xmlns:x="urn:x"><d x:operation="delete">v</d></top>"#,
            Op::Merge,
        );
        assert!(ok.is_ok());
        let e = run(
            r#"<top xmlns="urn:t"><entry><d>x</d></entry></top>"#,
            Op::Merge,
        )
        .unwrap_err();
        assert_eq!(e.tag, "missing-element");
    }
}
