//! A real NetBox 4.7.3 for integration tests: gunicorn with its own PostgreSQL cluster and redis-server,
//! all on 127.0.0.1, started by `tests/netbox/rig.sh up` (seeded with the c9300 lab) and torn down by
//! `down`. See `tests/netbox/README.md` for what runs, the fixed credentials and the seeded data.
//!
//! Starting one takes ~30 s (restore the migrated schema, a no-op `migrate`, gunicorn), so a test
//! binary normally shares one: [`NetboxRig::shared`] starts it on first use (a `OnceLock`) and it is
//! never dropped — rig.sh's watchdog, which watches this process, runs `down` within a second of the
//! test binary exiting (normally or killed). Tests on a shared rig run in parallel against one
//! database: each must touch its own objects (its own interface, its own names) and filter what it reads
//! (e.g. the change log by `changed_object_id`). [`NetboxRig::start`] gives a private instance that is
//! torn down on drop, for a test that needs a database to itself.
//!
//! Use from a test file with `mod netbox_rig;`. Needs root (or passwordless `sudo`), PostgreSQL and
//! redis-server; without them `start` fails, naming `scripts/test` — it never skips.
#![allow(dead_code)]

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// What `rig.sh up` returns when a port is taken: pick others.
const EXIT_PORT_TAKEN: i32 = 75;
const START_ATTEMPTS: usize = 3;
const REDIS: &str = "/usr/bin/redis-server";
const PG_LIB: &str = "/usr/lib/postgresql";

/// A running, seeded NetBox 4.7.3. Requests need one of the two header values.
pub struct NetboxRig {
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub url: String,
    pub port: u16,
    /// The 40-character v1 token.
    pub token_v1: String,
    /// `Authorization` value for the v1 token: `Token <40 chars>`.
    pub auth_v1: String,
    /// `Authorization` value for the v2 token: `Bearer nbt_<key>.<secret>`.
    pub auth_v2: String,
    /// The superuser owning both tokens (`admin`, password `admin`).
    pub username: String,
    /// Wall time of `rig.sh up` for the attempt that succeeded.
    pub startup: Duration,
    dir: Option<tempfile::TempDir>,
    sudo: bool,
}

static SHARED: OnceLock<Result<NetboxRig, String>> = OnceLock::new();

impl NetboxRig {
    /// The rig of this test binary, started by the first caller (the others wait for it). Never torn
    /// down by Rust: the watchdog stops it once the process has exited.
    pub fn shared() -> &'static NetboxRig {
        match SHARED.get_or_init(Self::try_start) {
            Ok(rig) => rig,
            Err(e) => panic!("{e}"),
        }
    }

    /// A private rig, stopped and its folder removed on drop.
    pub fn start() -> NetboxRig {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start() -> Result<NetboxRig, String> {
        let sudo = preflight()?;
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("nbrig")
                .tempdir()
                .map_err(|e| format!("netbox rig: create a temp dir: {e}"))?;
            let [port, pg_port, redis_port] = free_loopback_ports()?;
            let began = Instant::now();
            let mut cmd = script(sudo, "up");
            cmd.env("RIG_DIR", dir.path())
                .env("RIG_PORT", port.to_string())
                .env("RIG_PG_PORT", pg_port.to_string())
                .env("RIG_REDIS_PORT", redis_port.to_string())
                .env("RIG_OWNER_PID", std::process::id().to_string())
                .env("PATCHPANEL_CACHE", cache_dir());
            let out = run(cmd, "up")?;
            let startup = began.elapsed();
            if out.status.success() {
                let vars = String::from_utf8_lossy(&out.stdout);
                let get = |k: &str| {
                    vars.lines()
                        .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                        .map(str::to_string)
                        .ok_or_else(|| format!("netbox rig: rig.sh up printed no {k}: {vars}"))
                };
                let token_v1 = get("NETBOX_TOKEN_V1")?;
                return Ok(NetboxRig {
                    url: get("NETBOX_URL")?,
                    port,
                    auth_v1: format!("Token {token_v1}"),
                    auth_v2: format!("Bearer {}", get("NETBOX_TOKEN_V2")?),
                    token_v1,
                    username: "admin".to_string(),
                    startup,
                    dir: Some(dir),
                    sudo,
                });
            }
            last = describe(&out);
            if out.status.code() != Some(EXIT_PORT_TAKEN) {
                break;
            }
        }
        Err(format!("netbox rig: tests/netbox/rig.sh up failed: {last}"))
    }

    /// `url` + `path`; `path` starts with `/api/` and ends with `/` (NetBox wants the slash).
    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The instance's scratch folder (`logs/`, `root/conf/configuration.py`, the cluster).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(Path::new(""))
    }

    /// The tail of every log under `logs/`.
    pub fn logs(&self) -> String {
        logs_in(self.dir())
    }
}

fn logs_in(dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir.join("logs")) else {
        return String::new();
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            format!("--- {}\n{tail}\n", f.display())
        })
        .collect()
}

impl Drop for NetboxRig {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        if std::thread::panicking() {
            eprintln!(
                "netbox rig on port {} (test failed); its logs:\n{}",
                self.port,
                logs_in(dir.path())
            );
        }
        let mut cmd = script(self.sudo, "down");
        cmd.env("RIG_DIR", dir.path());
        match run(cmd, "down") {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!("netbox rig: rig.sh down failed: {}", describe(&out)),
            Err(e) => eprintln!("{e}"),
        }
    }
}

/// Fails unless the rig can run; returns whether `sudo -n` is needed.
fn preflight() -> Result<bool, String> {
    let has_pg = std::fs::read_dir(PG_LIB)
        .map(|mut d| d.any(|e| e.is_ok_and(|e| e.path().join("bin/initdb").exists())))
        .unwrap_or(false);
    if !has_pg || !Path::new(REDIS).exists() {
        return Err(format!(
            "netbox rig: PostgreSQL ({PG_LIB}/*/bin/initdb) or {REDIS} is missing. Run scripts/test: \
             it installs postgresql, redis-server, libpq-dev and gcc and builds the NetBox venv."
        ));
    }
    if is_root() {
        return Ok(false);
    }
    let sudo_ok = Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !sudo_ok {
        return Err(
            "netbox rig: needs root (initdb and postgres run as the postgres user) or \
                    passwordless sudo. Run scripts/test as root, or with sudo configured."
                .to_string(),
        );
    }
    Ok(true)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The caller's cache, passed explicitly so that rig.sh under sudo finds the venv scripts/test built.
fn cache_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("PATCHPANEL_CACHE") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("patchpanel")
}

fn script(sudo: bool, verb: &str) -> Command {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netbox/rig.sh");
    if sudo {
        // `sudo` resets the environment; `--preserve-env` names what rig.sh reads.
        let mut c = Command::new("sudo");
        c.arg("-n")
            .arg(
                "--preserve-env=RIG_DIR,RIG_PORT,RIG_PG_PORT,RIG_REDIS_PORT,RIG_OWNER_PID,RIG_SEED,\
                 RIG_KEEP,PATCHPANEL_CACHE,PATCHPANEL_NETBOX_DUMP,NETBOX_VENV,NETBOX_PYTHON",
            )
            .arg(path)
            .arg(verb);
        c
    } else {
        let mut c = Command::new(path);
        c.arg(verb);
        c
    }
}

fn run(mut cmd: Command, verb: &str) -> Result<Output, String> {
    cmd.output()
        .map_err(|e| format!("netbox rig: cannot run rig.sh {verb}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Three distinct ports the kernel just handed out (held together so they differ); rig.sh reports a
/// lost race (75) and we try others.
fn free_loopback_ports() -> Result<[u16; 3], String> {
    let bind = || {
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| Ok((l.local_addr()?.port(), l)))
            .map_err(|e| format!("netbox rig: bind 127.0.0.1:0: {e}"))
    };
    let (a, _la) = bind()?;
    let (b, _lb) = bind()?;
    let (c, _lc) = bind()?;
    Ok([a, b, c])
}
