//! The NETCONF operations (RFC 6241 §7–8 and Cisco-IA `save-config`) over the shared device: parameters
//! read from the `<rpc>` element, the state transition run, `<ok/>` / `<data>` or `<rpc-error>`s
//! returned. No IO besides the in-memory store.

pub use super::ns::NS_CISCO_IA;

use super::edit::{Op, Scope};
use super::error::{PathStep, YangError};
use super::filter;
use super::library;
use super::native_edit::{self, ErrorOption};
use super::ns::NS_BASE;
use super::ns::{NS_NOTIFICATION, NS_WITH_DEFAULTS};
use super::render_xml;
use super::signals::Origin;
use super::state::{CommitRequest, Target, TestOption, Who};
use super::store::Datastore;
use super::xmltree::Element;
use super::xpath;

/// What one rpc did, for the session and the SSH edge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Done {
    pub body: Vec<Element>,
    /// `close-session`: end this session after the reply.
    pub close: bool,
    /// Running was changed by this rpc (commit, or edit-config on running).
    pub applied_to_running: bool,
    /// `kill-session` ended this other session; its channel must be closed.
    pub killed: Option<u32>,
}

fn ok() -> Vec<Element> {
    vec![Element::new(NS_BASE, "ok")]
}

fn done(body: Vec<Element>) -> Done {
    Done {
        body,
        ..Done::default()
    }
}

/// Run the operation inside `rpc` for `session`.
pub fn dispatch(rpc: &Element, session: u32, store: &Datastore) -> Result<Done, Vec<YangError>> {
    let op = rpc.children.first().ok_or_else(|| {
        vec![
            YangError::protocol("missing-element", "<rpc> names no operation")
                .with_info("bad-element", "rpc"),
        ]
    })?;
    if op.is(NS_NOTIFICATION, "create-subscription") {
        return create_subscription(op, session, store).map(|()| done(ok()));
    }
    if op.is(NS_CISCO_IA, "save-config") {
        store.update_by(Origin::Netconf { session }, |s| {
            s.save_config();
            ((), Vec::new())
        });
        return Ok(done(ok()));
    }
    if op.ns != NS_BASE {
        return Err(vec![not_supported(op)]);
    }
    let one = |e: YangError| vec![e];
    match op.name.as_str() {
        "get-config" => {
            let source = datastore_param(op, "source").map_err(one)?;
            let trees = store
                .inspect(|s| s.get(source).map(render_xml::config_trees))
                .map_err(one)?;
            Ok(done(vec![data(rpc, op, trees).map_err(one)?]))
        }
        "get" => {
            let mut trees = store.inspect(|s| render_xml::all_trees(&s.running));
            trees.push(library::modules_state());
            Ok(done(vec![data(rpc, op, trees).map_err(one)?]))
        }
        "edit-config" => edit_config(rpc, op, session, store),
        "lock" | "unlock" => {
            let target = datastore_param(op, "target").map_err(one)?;
            store
                .update_by(Origin::Netconf { session }, |s| {
                    let r = if op.name == "lock" {
                        s.lock(session, target)
                    } else {
                        s.unlock(session, target)
                    };
                    (r, Vec::new())
                })
                .map_err(one)?;
            Ok(done(ok()))
        }
        "validate" => validate(rpc, op, store).map(|_| done(ok())),
        "commit" => {
            let req = commit_request(op).map_err(one)?;
            store
                .update_by(Origin::Netconf { session }, |s| {
                    match s.commit(session, &req) {
                        Ok(fx) => (Ok(()), fx),
                        Err(e) => (Err(e), Vec::new()),
                    }
                })
                .map_err(one)?;
            Ok(Done {
                body: ok(),
                applied_to_running: true,
                ..Done::default()
            })
        }
        "cancel-commit" => {
            let persist_id = text_param(op, "persist-id");
            store
                .update_by(Origin::Netconf { session }, |s| {
                    match s.cancel_commit(session, persist_id.as_deref()) {
                        Ok(fx) => (Ok(()), fx),
                        Err(e) => (Err(e), Vec::new()),
                    }
                })
                .map_err(one)?;
            Ok(done(ok()))
        }
        "discard-changes" => {
            store
                .update_by(Origin::Netconf { session }, |s| {
                    (s.discard_changes(Who::Session(session)), Vec::new())
                })
                .map_err(one)?;
            Ok(done(ok()))
        }
        "close-session" => Ok(Done {
            body: ok(),
            close: true,
            ..Done::default()
        }),
        "kill-session" => kill_session(op, session, store),
        _ => Err(vec![not_supported(op)]),
    }
}

pub fn not_supported(op: &Element) -> YangError {
    YangError::protocol(
        "operation-not-supported",
        format!("operation {} is not supported", op.name),
    )
    .with_info("bad-element", &op.name)
}

fn missing(name: &str, parent: &str) -> YangError {
    YangError::protocol("missing-element", format!("<{parent}> needs a <{name}>"))
        .with_info("bad-element", name)
}

/// `<source>` / `<target>` naming one datastore.
fn datastore_param(op: &Element, param: &str) -> Result<Target, YangError> {
    let p = op
        .child(NS_BASE, param)
        .ok_or_else(|| missing(param, &op.name))?;
    let ds = p
        .children
        .first()
        .ok_or_else(|| missing("datastore", param))?;
    match Target::parse(&ds.name).filter(|_| ds.ns == NS_BASE) {
        Some(t) => Ok(t),
        None if ds.name == "url" || ds.name == "config" => Err(YangError::protocol(
            "operation-not-supported",
            format!("<{}> as {param} is not supported", ds.name),
        )
        .with_info("bad-element", &ds.name)),
        None => Err(
            YangError::protocol("invalid-value", format!("unknown datastore {}", ds.name))
                .with_info("bad-element", &ds.name),
        ),
    }
}

fn text_param(op: &Element, name: &str) -> Option<String> {
    op.child(NS_BASE, name).map(|e| e.text.trim().to_owned())
}

fn bad_value(name: &str, value: &str) -> YangError {
    YangError::protocol("invalid-value", format!("invalid {name} {value:?}"))
        .with_info("bad-element", name)
}

fn edit_config(
    rpc: &Element,
    op: &Element,
    session: u32,
    store: &Datastore,
) -> Result<Done, Vec<YangError>> {
    let one = |e: YangError| vec![e];
    let target = datastore_param(op, "target").map_err(one)?;
    let default_op = match text_param(op, "default-operation") {
        None => Op::Merge,
        Some(v) => Op::parse_default(&v).ok_or_else(|| one(bad_value("default-operation", &v)))?,
    };
    let test_option = match text_param(op, "test-option") {
        None => TestOption::default(),
        Some(v) => TestOption::parse(&v).ok_or_else(|| one(bad_value("test-option", &v)))?,
    };
    let error_option = match text_param(op, "error-option") {
        None => ErrorOption::StopOnError,
        Some(v) => ErrorOption::parse(&v).ok_or_else(|| one(bad_value("error-option", &v)))?,
    };
    let config = match op.child(NS_BASE, "config") {
        Some(c) => c,
        None if op.child(NS_BASE, "url").is_some() => {
            return Err(one(YangError::protocol(
                "operation-not-supported",
                "<url> needs the :url capability, which this device lacks",
            )
            .with_info("bad-element", "url")))
        }
        None => return Err(one(missing("config", "edit-config"))),
    };
    let scope = Scope::default().enter(rpc).enter(op).enter(config);
    store
        .update_by(Origin::Netconf { session }, |s| {
            let r = s.edit(
                Who::Session(session),
                target,
                config,
                &scope,
                default_op,
                test_option,
                error_option,
            );
            (r, Vec::new())
        })
        .map_err(|errors| in_request(errors, &["rpc", "edit-config", "config"]))?;
    Ok(Done {
        body: ok(),
        applied_to_running: target == Target::Running && test_option != TestOption::TestOnly,
        ..Done::default()
    })
}

fn validate(rpc: &Element, op: &Element, store: &Datastore) -> Result<(), Vec<YangError>> {
    let source = op
        .child(NS_BASE, "source")
        .ok_or_else(|| vec![missing("source", "validate")])?;
    if let Some(config) = source.child(NS_BASE, "config") {
        let scope = Scope::default()
            .enter(rpc)
            .enter(op)
            .enter(source)
            .enter(config);
        let errors = store.inspect(|s| {
            native_edit::apply(
                &s.running,
                config,
                &scope,
                Op::Merge,
                ErrorOption::ContinueOnError,
                &s.quirks,
            )
            .errors
        });
        return if errors.is_empty() {
            Ok(())
        } else {
            Err(in_request(errors, &["rpc", "validate", "source", "config"]))
        };
    }
    let target = datastore_param(op, "source").map_err(|e| vec![e])?;
    store.inspect(|s| s.validate(target)).map_err(|e| vec![e])
}

/// Errors about payload elements of the request, their paths rooted in it (as netconfd roots
/// them); an error found in a datastore (a commit) keeps its data path.
fn in_request(errors: Vec<YangError>, request: &[&str]) -> Vec<YangError> {
    errors.into_iter().map(|e| e.in_request(request)).collect()
}

fn commit_request(op: &Element) -> Result<CommitRequest, YangError> {
    let confirm_timeout = match text_param(op, "confirm-timeout") {
        None => None,
        Some(v) => Some(
            v.parse::<u32>()
                .ok()
                .filter(|t| *t > 0)
                .ok_or_else(|| bad_value("confirm-timeout", &v))?,
        ),
    };
    let nonempty = |name: &str| -> Result<Option<String>, YangError> {
        match text_param(op, name) {
            Some(v) if v.is_empty() => Err(bad_value(name, &v)),
            other => Ok(other),
        }
    };
    Ok(CommitRequest {
        confirmed: op.child(NS_BASE, "confirmed").is_some(),
        confirm_timeout,
        persist: nonempty("persist")?,
        persist_id: nonempty("persist-id")?,
    })
}

fn kill_session(op: &Element, session: u32, store: &Datastore) -> Result<Done, Vec<YangError>> {
    let raw =
        text_param(op, "session-id").ok_or_else(|| vec![missing("session-id", "kill-session")])?;
    let target = raw
        .parse::<u32>()
        .map_err(|_| vec![bad_value("session-id", &raw)])?;
    if target == session {
        return Err(vec![YangError::protocol(
            "invalid-value",
            "a session cannot kill itself; use close-session",
        )
        .with_info("bad-element", "session-id")]);
    }
    if !store.is_active(target) {
        return Err(vec![YangError::protocol(
            "invalid-value",
            format!("no session {target}"),
        )
        .with_info("bad-element", "session-id")]);
    }
    store.session_ended(target);
    Ok(Done {
        body: ok(),
        killed: Some(target),
        ..Done::default()
    })
}

/// `<data>` with the trees, filtered when the operation carries a `<filter>` (subtree, or the XPath
/// subset of `xpath`).
fn data(rpc: &Element, op: &Element, trees: Vec<Element>) -> Result<Element, YangError> {
    with_defaults(op)?;
    let selected = match op.child(NS_BASE, "filter") {
        None => trees,
        Some(f) => {
            let kind = f
                .attrs
                .iter()
                .find(|(k, _)| k == "type" || k.ends_with(":type"))
                .map(|(_, v)| v.as_str())
                .unwrap_or("subtree");
            match kind {
                "subtree" => filter::apply(&trees, f, render_xml::list_keys),
                "xpath" => {
                    let select = f.attr("select").ok_or_else(|| {
                        YangError::protocol(
                            "missing-attribute",
                            "an xpath filter needs its select attribute",
                        )
                        .with_info("bad-attribute", "select")
                        .with_info("bad-element", "filter")
                    })?;
                    let scope = Scope::default().enter(rpc).enter(op).enter(f);
                    let subtree =
                        xpath::to_subtree(select, &scope).map_err(|e| e.to_yang(select))?;
                    filter::apply(&trees, &subtree, render_xml::list_keys)
                }
                _ => {
                    return Err(
                        YangError::protocol("bad-attribute", "filter type must be subtree")
                            .with_info("bad-attribute", "type")
                            .with_info("bad-element", "filter"),
                    )
                }
            }
        }
    };
    Ok(Element::new(NS_BASE, "data").with_children(selected))
}

/// `<with-defaults>` (RFC 6243) of get / get-config. The basic mode is `explicit` (what the
/// configuration holds, set by the seed or a client; no schema default is ever added) and no other
/// mode is supported, so only `explicit` is accepted. Errors name the parameter as netconfd does.
fn with_defaults(op: &Element) -> Result<(), YangError> {
    let Some(w) = op.child(NS_WITH_DEFAULTS, "with-defaults") else {
        return Ok(());
    };
    let path = [
        PathStep::new(NS_BASE, "rpc"),
        PathStep::new(NS_BASE, &op.name),
        PathStep::new(NS_WITH_DEFAULTS, "with-defaults"),
    ];
    match w.text.trim() {
        "explicit" => Ok(()),
        mode @ ("report-all" | "report-all-tagged" | "trim") => Err(YangError::protocol(
            "invalid-value",
            format!(
                "with-defaults mode {mode} is not supported: this device reports explicit only"
            ),
        )
        .at(&path)
        .with_info("bad-element", "with-defaults")),
        other => Err(YangError::protocol(
            "invalid-value",
            format!("{other:?} is not a with-defaults mode"),
        )
        .with_app_tag("not-in-value-set")
        .at(&path)
        .with_info("bad-element", "with-defaults")),
    }
}

/// RFC 5277 `<create-subscription>` on the `NETCONF` stream, the only one. The simulator generates
/// no events, so a subscription stays silent; it keeps no event log (no `:replay`), so a start or
/// stop time is refused. The session goes on answering rpcs (`:interleave`). A session subscribes
/// once.
fn create_subscription(
    op: &Element,
    session: u32,
    store: &Datastore,
) -> Result<(), Vec<YangError>> {
    let param = |name: &str| op.child(NS_NOTIFICATION, name);
    let at = |name: &str| {
        [
            PathStep::new(NS_BASE, "rpc"),
            PathStep::new(NS_NOTIFICATION, "create-subscription"),
            PathStep::new(NS_NOTIFICATION, name),
        ]
    };
    if let Some(stream) = param("stream").map(|s| s.text.trim()) {
        if stream != "NETCONF" {
            return Err(vec![YangError::protocol(
                "operation-failed",
                format!("no event stream {stream:?}: this device has the NETCONF stream only"),
            )
            .at(&at("stream"))
            .with_info("bad-element", "stream")]);
        }
    }
    for replay in ["startTime", "stopTime"] {
        if param(replay).is_some() {
            return Err(vec![YangError::protocol(
                "operation-failed",
                format!(
                    "{replay}: this device keeps no event log (no :replay); subscribe without it"
                ),
            )
            .at(&at(replay))
            .with_info("bad-element", replay)]);
        }
    }
    if let Some(f) = param("filter") {
        if let Some(select) = f.attr("select") {
            let scope = Scope::default().enter(op).enter(f);
            xpath::to_subtree(select, &scope).map_err(|e| vec![e.to_yang(select)])?;
        }
    }
    store
        .update_by(Origin::Netconf { session }, |s| {
            (s.subscribe(session), Vec::new())
        })
        .map_err(|e| vec![e])
}

#[cfg(test)]
#[path = "rpc_tests.rs"]
mod tests;
