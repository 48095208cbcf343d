//! The demo's plumbing: the simulators' control API, pressing a card's button as a person, and
//! waiting for the bot (connected, watching the switch, done replying).

use super::*;

/// Points the simulated switch's syslog at the bot's receiver once it listens (the bot records the
/// port it bound in its store), then waits for the bot's first snapshot of c9300, so a change made
/// at the console from the first prompt on is one the bot sees as a change.
pub(crate) async fn send_syslog_to_bot(
    db: &std::path::Path,
    device: &sim::device::RunningDeviceSim,
    bot: &tokio::task::JoinHandle<Result<(), app::AppError>>,
) -> Result<(), DemoError> {
    const LIMIT: Duration = Duration::from_secs(30);
    let start = tokio::time::Instant::now();
    let mut wired = false;
    while start.elapsed() < LIMIT {
        if bot.is_finished() {
            return Err(DemoError::Bot("the bot stopped while starting".to_owned()));
        }
        if let Some(store) = db
            .exists()
            .then(|| patchpanel::store::Store::open(db).ok())
            .flatten()
        {
            if !wired {
                if let Ok(Some(port)) = store.cursor(patchpanel::watch::SYSLOG_PORT).await {
                    let port = u16::try_from(port)
                        .map_err(|_| DemoError::Bot(format!("bad syslog port {port}")))?;
                    device.set_syslog(Some(sim::device::SyslogTarget {
                        addr: ([127, 0, 0, 1], port).into(),
                        transport: sim::device::SyslogTransport::Udp,
                    }));
                    wired = true;
                }
            }
            if wired && matches!(store.config_snapshot("c9300").await, Ok(Some(_))) {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(DemoError::Bot(
        "the bot did not start watching c9300 within 30 s".to_owned(),
    ))
}

pub(crate) struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    pub(crate) fn new(base: &str) -> Self {
        Control {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> Result<Value, DemoError> {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| DemoError::Control(e.to_string()))?;
        let status = resp.status();
        let value: Value = resp.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(DemoError::Control(format!("{path}: {status} {value}")));
        }
        Ok(value)
    }

    async fn get(&self, path: &str) -> Result<Value, DemoError> {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| DemoError::Control(e.to_string()))?
            .json()
            .await
            .map_err(|e| DemoError::Control(e.to_string()))
    }

    async fn messages(&self) -> Result<Vec<Value>, DemoError> {
        let v = self.get("/_sim/messages").await?;
        Ok(match v {
            Value::Array(items) => items,
            Value::Object(mut o) => match o.remove("items") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        })
    }

    async fn connected(&self) -> Result<bool, DemoError> {
        let state = self.get("/_sim/state").await?;
        Ok(count_connected(&state) > 0)
    }
}

/// Open Mercury sockets, from the simulator's `/_sim/state`.
pub(crate) fn count_connected(state: &Value) -> u64 {
    state.get("sockets").and_then(Value::as_u64).unwrap_or(0)
}

pub(crate) async fn wait_connected(
    control: &Control,
    bot: &tokio::task::JoinHandle<Result<(), app::AppError>>,
) -> Result<(), DemoError> {
    const LIMIT: Duration = Duration::from_secs(30);
    let start = tokio::time::Instant::now();
    while start.elapsed() < LIMIT {
        if bot.is_finished() {
            return Err(DemoError::Bot(
                "the bot exited during start-up; run with RUST_LOG=info to see why".into(),
            ));
        }
        if control.connected().await? {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
    Err(DemoError::NotConnected(LIMIT.as_secs()))
}

/// Prints every message the bot posts (pushed by the in-process simulator, so nothing is polled)
/// until its replies settle. Returns false when nothing arrived before the deadline.
pub(crate) async fn await_replies(
    posted: &mut broadcast::Receiver<MessageDto>,
    settle: Duration,
) -> Result<bool, DemoError> {
    let deadline = tokio::time::Instant::now() + REPLY_DEADLINE;
    let mut replied = false;
    loop {
        let wait = if replied {
            settle
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        match tokio::time::timeout(wait, posted.recv()).await {
            Err(_) => return Ok(replied),
            Ok(Ok(m)) if m.person_email == BOT_EMAIL => {
                let value = serde_json::to_value(&m).unwrap_or(Value::Null);
                emit!("{}", render_message(&value));
                replied = true;
            }
            Ok(Ok(_)) => {}
            Ok(Err(broadcast::error::RecvError::Lagged(n))) => emit!("({n} messages not shown)"),
            Ok(Err(broadcast::error::RecvError::Closed)) => {
                return Err(DemoError::Bot("the Webex simulator stopped".into()))
            }
        }
    }
}

/// Presses button `n` (1-based) of the newest card the bot posted.
pub(crate) async fn press(
    control: &Control,
    sender: &str,
    n: &str,
) -> Result<Option<String>, DemoError> {
    let Ok(index) = n.parse::<usize>() else {
        return Ok(None);
    };
    let messages = control.messages().await?;
    let Some(card_message) = messages.iter().rev().find(|m| !cards(m).is_empty()) else {
        return Ok(None);
    };
    let Some(card) = cards(card_message).first().copied() else {
        return Ok(None);
    };
    let actions = submit_actions(card);
    let Some(action) = index.checked_sub(1).and_then(|i| actions.get(i)) else {
        return Ok(None);
    };
    let message_id = card_message.get("id").cloned().unwrap_or(Value::Null);
    let inputs = action.get("data").cloned().unwrap_or_else(|| json!({}));
    let answer = control
        .post(
            "/_sim/press",
            json!({"from": sender, "messageId": message_id, "inputs": inputs}),
        )
        .await?;
    Ok(answer
        .get("actionId")
        .and_then(Value::as_str)
        .map(str::to_owned))
}
