//! Every card the bot can send (`cards::examples()`), plus a hostile and a 200-row card, rendered by
//! the official Adaptive Cards JavaScript SDK (npm `adaptivecards`, pinned in
//! `tests/cards/package.json`) in headless Chromium, as Adaptive Cards 1.3 with a Webex-like host
//! config: any parse error or warning of the SDK (its `SerializationContext` events), any
//! validation finding, any `console.error`, and any markdown element the escaped text produced
//! fails the test (a deliberately broken "canary" card proves each check can fail). A PNG of each example is written to a scratch directory, or to
//! `$PATCHPANEL_CARD_PNG_DIR` (`scripts/card-images` points it at `docs/img/` for the README).
//!
//! Needs Debian's `chromium` and `npm ci --prefix tests/cards` (both installed by `scripts/test`);
//! no network: the page loads the SDK from `tests/cards/node_modules` over `file://`.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use patchpanel::cards::{self, ApprovalCard, Card, FieldRow};
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
/// The card column is this wide in the page (about a Webex desktop card).
const CARD_WIDTH: u32 = 480;

fn rig() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cards")
}

fn need(path: &Path, how: &str) {
    assert!(
        path.exists(),
        "{} is missing: {how} (scripts/test does this)",
        path.display()
    );
}

/// Chromium as the machine notes require it: as root without its sandbox, and without any
/// background network traffic (the machine's network is closed), each run with a fresh profile.
fn chromium(profile: &Path) -> Command {
    let mut c = Command::new(CHROMIUM);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--allow-file-access-from-files",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The page: the pinned bundles, the cards and host config as a script, then `render.js`.
fn write_page(dir: &Path, cards: &[(String, Value)]) -> PathBuf {
    let rig = rig();
    let modules = rig.join("node_modules");
    let entries: Vec<Value> = cards
        .iter()
        .map(|(name, card)| json!({"name": name, "card": card}))
        .collect();
    let host: Value =
        serde_json::from_str(&std::fs::read_to_string(rig.join("webex-hostconfig.json")).unwrap())
            .unwrap();
    // JSON is a JavaScript expression: the values arrive as data, never as code.
    let data = format!(
        "window.CARDS = {};\nwindow.HOST_CONFIG = {};\n",
        Value::Array(entries),
        host
    );
    std::fs::write(dir.join("cards.js"), data).unwrap();
    let url = |p: PathBuf| format!("file://{}", p.display());
    let page = format!(
        r#"<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{css}">
<style>
  body {{ margin: 0; background: #ffffff; font-family: "DejaVu Sans", sans-serif; }}
  .card {{ width: {CARD_WIDTH}px; margin: 8px; border: 1px solid #dedede; border-radius: 8px; overflow: hidden; }}
  #result {{ white-space: pre-wrap; word-break: break-all; }}
</style></head>
<body><div id="cards"></div><pre id="result"></pre>
<script src="{md}"></script>
<script src="{ac}"></script>
<script src="cards.js"></script>
<script src="{render}"></script>
</body></html>
"#,
        css = url(modules.join("adaptivecards/dist/adaptivecards.css")),
        md = url(modules.join("markdown-it/dist/markdown-it.min.js")),
        ac = url(modules.join("adaptivecards/dist/adaptivecards.min.js")),
        render = url(rig.join("render.js")),
    );
    let path = dir.join("page.html");
    std::fs::write(&path, page).unwrap();
    path
}

/// `chromium --dump-dom`, and the base64 JSON `render.js` left in `#result`.
fn run_page(dir: &Path, page: &Path) -> Value {
    let out = chromium(&dir.join("profile-dump"))
        .arg("--virtual-time-budget=5000")
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    let marker = "<pre id=\"result\">";
    let start = dom.find(marker).map(|i| i + marker.len());
    let b64 = start
        .and_then(|s| dom[s..].find('<').map(|e| dom[s..s + e].trim()))
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "the page wrote no result (status {:?}); stderr:\n{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let json = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

fn screenshot(dir: &Path, page: &Path, name: &str, height: u64, png: &Path) {
    let out = chromium(&dir.join(format!("profile-{name}")))
        .arg(format!("--window-size={},{}", CARD_WIDTH + 18, height + 18))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}?card={name}", page.display()))
        .output()
        .unwrap();
    assert!(
        png.exists(),
        "no screenshot of {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name} is a PNG");
}

/// Text that tries to be markdown, a link, JSON and a binding, with a bidi override.
fn hostile() -> Value {
    let evil = "**APPROVED** _now_ [click](http://evil.example) `code` <b>x</b> ${submit.nonce} \"}] \u{202E}gnp.exe\n- item\n1. first";
    let Some(Card::Approval(mut a)) = cards::examples().into_iter().next().map(|e| e.card) else {
        panic!("the first example is the approval card")
    };
    a.ticket_title = evil.into();
    a.requester = evil.into();
    a.rows.push(FieldRow {
        field: evil.into(),
        before: Some(evil.into()),
        after: Some("# heading".into()),
    });
    a.render().unwrap()
}

/// 200 rows of 10 KB values: the cut card still parses and renders.
fn stress() -> Value {
    let Some(Card::Approval(a)) = cards::examples().into_iter().next().map(|e| e.card) else {
        panic!("the first example is the approval card")
    };
    let big = "value *with* [markdown] ".repeat(430);
    ApprovalCard {
        rows: (0..200)
            .map(|i| FieldRow {
                field: format!("field {i}"),
                before: Some(big.clone()),
                after: Some(big.clone()),
            })
            .collect(),
        ..a
    }
    .render()
    .unwrap()
}

#[test]
fn every_card_renders_in_the_official_sdk_without_errors_or_warnings() {
    need(Path::new(CHROMIUM), "apt-get install chromium");
    need(
        &rig().join("node_modules/adaptivecards/dist/adaptivecards.min.js"),
        "npm ci --prefix tests/cards",
    );
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let examples = cards::examples();
    let mut all: Vec<(String, Value)> = examples
        .iter()
        .map(|e| (e.name.to_owned(), e.card.render().unwrap()))
        .collect();
    all.push(("hostile".into(), hostile()));
    all.push(("stress-200-rows".into(), stress()));
    // Proof that the checks can fail: a card with a 1.5 property, a 1.4 action and markdown.
    all.push((
        "canary".into(),
        json!({"type": "AdaptiveCard", "version": "1.3", "body": [
            {"type": "TextBlock", "text": "**bold** [link](http://example.com)", "style": "heading"},
            {"type": "Rating"}
        ], "actions": [{"type": "Action.Execute", "title": "Run"}]}),
    ));
    let page = write_page(dir, &all);
    let result = run_page(dir, &page);

    assert_eq!(result["consoleErrors"], json!([]), "{result:#}");
    let rendered = result["cards"].as_array().unwrap();
    assert_eq!(rendered.len(), all.len(), "{result:#}");
    let (canary, rendered): (Vec<&Value>, Vec<&Value>) =
        rendered.iter().partition(|r| r["name"] == "canary");
    let caught = canary[0]["errors"].to_string();
    for want in [
        "UnsupportedProperty",
        "UnknownElementType",
        "UnknownActionType",
        "<strong>",
        "<a>",
    ] {
        assert!(
            caught.contains(want),
            "the canary's {want} went unnoticed: {caught}"
        );
    }
    for r in &rendered {
        let name = r["name"].as_str().unwrap();
        assert_eq!(r["errors"], json!([]), "{name}: {r:#}");
        assert_eq!(r["warnings"], json!([]), "{name}: {r:#}");
        assert!(r["height"].as_u64().unwrap() > 50, "{name}: {r:#}");
        let buttons = if name.starts_with("outcome") {
            json!([])
        } else {
            json!(["Approve", "Decline"])
        };
        assert_eq!(r["buttons"], buttons, "{name}");
    }
    // The hostile text shows as the text it is: the override visible, the markup literal.
    let hostile = rendered.iter().find(|r| r["name"] == "hostile").unwrap();
    let text = hostile["text"].as_str().unwrap();
    assert!(
        text.contains("**APPROVED** _now_ [click](http://evil.example)"),
        "{text}"
    );
    assert!(
        text.contains("<U+202E>gnp.exe") && !text.contains('\u{202E}'),
        "{text}"
    );
    assert!(text.contains("# heading"), "{text}");

    let png_dir = std::env::var_os("PATCHPANEL_CARD_PNG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.join("png"));
    std::fs::create_dir_all(&png_dir).unwrap();
    for e in &examples {
        let r = rendered.iter().find(|r| r["name"] == e.name).unwrap();
        let png = png_dir.join(format!("card-{}.png", e.name));
        screenshot(dir, &page, e.name, r["height"].as_u64().unwrap(), &png);
    }
}
