//! Answers reach the person even when Webex refuses them for a while: the bot (`app::run_with`, in
//! this process, with the production waits: Retry-After capped at 60 s, retried for 10 minutes)
//! against the Webex simulator (in this process too, over real HTTP and WebSocket), whose
//! `/_sim/fail` plays Webex's rate limiting. The clock is virtual (`start_paused`): the minutes of
//! waiting pass as soon as nothing else is left to do.
//!
//! "Exactly once" is counted once the bot's store says it is done with the event.

use patchpanel::app::{self, Delivery};
use patchpanel::config::Settings;
use patchpanel_sim::webex::{self, MessageDto, RunningWebexSim, SayRequest, WebexSimConfig};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

const WAIT: Duration = Duration::from_secs(30);
const ENGINEER: &str = "engineer@example.com";

struct World {
    sim: RunningWebexSim,
    dir: tempfile::TempDir,
    http: reqwest::Client,
    _stop: DropGuard,
}

impl World {
    async fn start() -> World {
        let stop = CancellationToken::new();
        let sim = webex::start(WebexSimConfig::default(), stop.clone())
            .await
            .unwrap();
        World {
            sim,
            dir: tempfile::tempdir().unwrap(),
            http: reqwest::Client::new(),
            _stop: stop.drop_guard(),
        }
    }

    fn settings(&self) -> Settings {
        let env: HashMap<&str, String> = HashMap::from([
            ("WEBEX_BOT_TOKEN", "delivery-test".to_owned()),
            ("WEBEX_API_URL", self.sim.api_url()),
            ("WEBEX_U2C_URL", self.sim.u2c_url()),
            ("PATCHPANEL_ALLOWED", "@example.com".to_owned()),
            (
                "PATCHPANEL_DB",
                self.dir.path().join("patchpanel.db").display().to_string(),
            ),
        ]);
        Settings::from_lookup(|k| env.get(k).cloned()).unwrap()
    }

    /// Starts the bot and waits until its socket is connected.
    async fn start_bot(&self, delivery: Delivery) -> RunningBot {
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(app::run_with(self.settings(), delivery, shutdown.clone()));
        let start = Instant::now();
        while self.state().await["sockets"].as_u64().unwrap_or(0) == 0 {
            assert!(start.elapsed() < WAIT, "the bot never connected");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        RunningBot { shutdown, task }
    }

    async fn state(&self) -> Value {
        self.http
            .get(format!("{}/_sim/state", self.sim.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `POST /_sim/fail`: the next requests matching `rule` fail.
    async fn fail(&self, rule: Value) {
        let resp = self
            .http
            .post(format!("{}/_sim/fail", self.sim.base_url))
            .json(&rule)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.status());
    }

    /// The failures not yet consumed.
    async fn failures_left(&self) -> u64 {
        self.state().await["failures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["times"].as_u64().unwrap())
            .sum()
    }

    fn say(&self, from: &str, text: &str) -> String {
        self.sim
            .say(SayRequest {
                from: from.to_owned(),
                text: text.to_owned(),
                room: "direct".to_owned(),
                mention: false,
                parent_id: None,
                as_bot: false,
            })
            .unwrap()
            .id
    }

    /// The bot's messages in the thread of `id`.
    fn replies_to(&self, id: &str) -> Vec<MessageDto> {
        let bot = self.sim.bot_person_id();
        self.sim
            .messages()
            .into_iter()
            .filter(|m| m.person_id == bot && m.parent_id.as_deref() == Some(id))
            .collect()
    }

    /// Waits for the first bot message in the thread of `id`.
    async fn first_reply(&self, id: &str) -> MessageDto {
        let start = Instant::now();
        loop {
            if let Some(m) = self.replies_to(id).into_iter().next() {
                return m;
            }
            assert!(
                start.elapsed() < WAIT,
                "no reply to {id}: {:#?}",
                self.sim.messages()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The one bot message in the thread of `id`, counted once the bot's store says it is done
    /// with the event (its answer, or the note for it, posted).
    async fn only_reply(&self, id: &str) -> MessageDto {
        self.first_reply(id).await;
        let event = patchpanel::webex::ids::decode(id)
            .expect("a message id")
            .uuid;
        let store = patchpanel::store::Store::open(&self.dir.path().join("patchpanel.db")).unwrap();
        let start = Instant::now();
        while store
            .event_outcome(app::SEEN_SOURCE, &event)
            .await
            .unwrap()
            .flatten()
            .is_none()
        {
            assert!(start.elapsed() < WAIT, "the bot never finished with {id}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut all = self.replies_to(id);
        assert_eq!(all.len(), 1, "exactly one message in the thread: {all:#?}");
        all.remove(0)
    }
}

struct RunningBot {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), app::AppError>>,
}

impl RunningBot {
    /// Orderly shutdown; a hang fails the test instead of blocking it.
    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the bot stops")
            .expect("the bot task did not panic")
            .expect("the bot stopped without an error");
    }
}

fn text(m: &MessageDto) -> String {
    m.markdown.clone().unwrap_or_else(|| m.text.clone())
}

#[tokio::test(start_paused = true)]
async fn ten_429s_in_a_row_still_post_the_reply_once() {
    let w = World::start().await;
    let bot = w.start_bot(Delivery::default()).await;
    // Every request under /v1/messages (the event's fetch and the reply) is refused ten times.
    w.fail(json!({"path": "/v1/messages", "status": 429, "times": 10}))
        .await;
    let asked = w.say(ENGINEER, "help");
    let reply = w.only_reply(&asked).await;
    assert!(text(&reply).contains("vrf"), "the answer itself: {reply:?}");
    assert_eq!(w.failures_left().await, 0, "all ten 429s were answered");
    bot.stop().await;
}

#[tokio::test(start_paused = true)]
async fn one_429_with_retry_after_100000_is_posted_after_the_cap() {
    let w = World::start().await;
    let bot = w.start_bot(Delivery::default()).await;
    w.fail(
        json!({"path": "/v1/messages", "method": "POST", "status": 429, "times": 1,
                  "retryAfter": 100_000}),
    )
    .await;
    let said = tokio::time::Instant::now();
    let asked = w.say(ENGINEER, "help");
    let reply = w.only_reply(&asked).await;
    assert!(
        said.elapsed() >= Duration::from_secs(60),
        "the capped Retry-After was waited"
    );
    assert!(text(&reply).contains("vrf"), "the answer itself: {reply:?}");
    assert_eq!(w.failures_left().await, 0);
    bot.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_reply_that_cannot_be_posted_within_the_deadline_gets_a_note_in_its_thread() {
    let w = World::start().await;
    // Each wait is at least the 60 s cap, so the reply gets at most eleven attempts in its 10
    // minutes; the twelve refusals outlast it, and the note is posted once Webex accepts posts
    // again.
    let bot = w.start_bot(Delivery::default()).await;
    w.fail(
        json!({"path": "/v1/messages", "method": "POST", "status": 429, "times": 12,
                  "retryAfter": 100_000}),
    )
    .await;
    let asked = w.say(ENGINEER, "help");
    let note = w.only_reply(&asked).await;
    let note = text(&note);
    assert!(note.contains("could not post my answer"), "{note}");
    assert!(note.contains("429 rate limit"), "{note}");
    assert!(note.contains("ask again"), "{note}");
    assert!(names_a_clock_time(&note), "{note}");
    assert!(
        !note.contains("vrf"),
        "the answer itself was never posted: {note}"
    );
    assert_eq!(w.failures_left().await, 0);
    bot.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_is_not_held_up_by_an_answer_waiting_out_a_rate_limit() {
    let w = World::start().await;
    let bot = w.start_bot(Delivery::default()).await;
    w.fail(
        json!({"path": "/v1/messages", "method": "POST", "status": 429, "times": 1000,
                  "retryAfter": 100_000}),
    )
    .await;
    w.say(ENGINEER, "help");
    let start = Instant::now();
    while w.failures_left().await == 1000 {
        assert!(start.elapsed() < WAIT, "the bot never tried to reply");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The answer is now waiting out the rate limit; the stop must not wait with it (the stop's
    // bound is 30 s of the same virtual clock, shorter than the 60 s wait).
    bot.stop().await;
}

/// True when the note says "your message of HH:MM UTC" (two digits, a colon, two digits).
fn names_a_clock_time(note: &str) -> bool {
    note.match_indices("your message of ").any(|(at, lead)| {
        let rest = &note.as_bytes()[at + lead.len()..];
        rest.len() >= 9
            && rest[..5].iter().enumerate().all(|(i, b)| {
                if i == 2 {
                    *b == b':'
                } else {
                    b.is_ascii_digit()
                }
            })
            && &rest[5..9] == b" UTC"
    })
}
