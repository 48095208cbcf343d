//! A real NETCONF server for integration tests: one private yuma123 `netconfd` behind a private OpenSSH
//! `sshd` on 127.0.0.1 per [`NetconfPeer`], started by `tests/netconf/peer.sh up` and torn down by `down`
//! when dropped. Every peer has its own port, temp dir and throwaway user, so tests and test binaries
//! may start peers concurrently. See `tests/netconf/README.md` for what runs and its quirks.
//!
//! Use from a test file with `mod netconf_peer;`. The peer needs the Debian packages and root (or
//! passwordless `sudo`); without them `start` fails, naming `scripts/test` — it never skips.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// What `peer.sh up` returns when the port (or its user name) is taken: pick another port.
const EXIT_PORT_TAKEN: i32 = 75;
/// What `peer.sh up` returns when netconfd died while starting. yuma123 occasionally crashes in its
/// start-up (seen once as a NULL pointer in `val.c`); a fresh instance starts, so this is retried
/// (and logged), the one place the suite retries a real server.
const EXIT_NETCONFD_DIED: i32 = 76;
const START_ATTEMPTS: usize = 5;
const NETCONFD: &str = "/usr/sbin/netconfd";

/// How the peer is started.
#[derive(Debug, Clone, Default)]
pub struct PeerOptions {
    /// Offer only `urn:ietf:params:netconf:base:1.0` (netconfd `--protocols=netconf1.0`), so sessions
    /// stay in end-of-message (`]]>]]>`) framing.
    pub base_1_0_only: bool,
    /// Start this program instead of `/usr/sbin/netconfd` (it must end up exec-ing netconfd); the
    /// rig's own test wraps it to die while starting.
    pub netconfd: Option<PathBuf>,
}

/// A running NETCONF server (candidate datastore, confirmed-commit 1.1, the mock IOS-XE modules from
/// `tests/netconf/yang/`, ietf-interfaces, ietf-ip, iana-if-type), reachable over SSH with the `netconf`
/// subsystem. Stopped, and its user removed, on drop.
pub struct NetconfPeer {
    /// Always `127.0.0.1`.
    pub host: String,
    pub port: u16,
    /// The throwaway login, `ncp<port>`; it may log in with `password` or with `client_key`.
    pub username: String,
    pub password: String,
    /// OpenSSH private key (ed25519, no passphrase) authorized for `username`.
    pub client_key: PathBuf,
    /// Its public half (`ssh2::Session::userauth_pubkey_file` wants it).
    pub client_public_key: PathBuf,
    /// One line, `[127.0.0.1]:<port> ssh-ed25519 …`: the only host key this peer serves.
    pub known_hosts: PathBuf,
    /// Wall time of `peer.sh up` for the attempt that succeeded.
    pub startup: Duration,
    /// Some options start a different server (base:1.0 only).
    pub options: PeerOptions,
    /// The exit code of every `peer.sh up` this start took, the successful one last (`Some(0)`).
    pub starts: Vec<Option<i32>>,
    dir: Option<tempfile::TempDir>,
    sudo: bool,
}

impl NetconfPeer {
    /// Starts a peer with the default options (base:1.0 and base:1.1 offered).
    pub fn start() -> Self {
        Self::start_with(PeerOptions::default())
    }

    /// Starts a peer offering only base:1.0.
    pub fn start_base_1_0_only() -> Self {
        Self::start_with(PeerOptions {
            base_1_0_only: true,
            ..PeerOptions::default()
        })
    }

    /// Starts a peer; panics with the reason (and `scripts/test` as the fix) when it cannot.
    pub fn start_with(options: PeerOptions) -> Self {
        let sudo = preflight();
        let mut last = String::new();
        let mut starts = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let dir = tempfile::Builder::new()
                .prefix("ncpeer")
                .tempdir()
                .expect("netconf peer: create a temp dir");
            let port = free_loopback_port();
            let username = format!("ncp{port}");
            let password = format!("pw-{:016x}", fastrand::u64(..));
            let began = Instant::now();
            let mut cmd = script(sudo, "up");
            cmd.env("PEER_DIR", dir.path())
                .env("PEER_PORT", port.to_string())
                .env("PEER_USER", &username)
                .env("PEER_PASSWORD", &password)
                .env("PEER_OWNER_PID", std::process::id().to_string())
                .env("PEER_PURGE", "1");
            if options.base_1_0_only {
                cmd.env("PEER_PROTOCOLS", "netconf1.0");
            }
            if let Some(netconfd) = &options.netconfd {
                cmd.env("PEER_NETCONFD", netconfd);
            }
            let out = run(cmd, "up");
            let startup = began.elapsed();
            starts.push(out.status.code());
            if out.status.success() {
                return NetconfPeer {
                    host: Ipv4Addr::LOCALHOST.to_string(),
                    port,
                    username,
                    password,
                    client_key: dir.path().join("client_key"),
                    client_public_key: dir.path().join("client_key.pub"),
                    known_hosts: dir.path().join("known_hosts"),
                    startup,
                    options,
                    starts,
                    dir: Some(dir),
                    sudo,
                };
            }
            last = describe(&out);
            match out.status.code() {
                Some(EXIT_PORT_TAKEN) => {}
                Some(EXIT_NETCONFD_DIED) => eprintln!(
                    "netconf peer: netconfd died while starting (attempt {attempt} of \
                     {START_ATTEMPTS}); starting a fresh instance. peer.sh said: {last}"
                ),
                _ => break,
            }
        }
        panic!("netconf peer: tests/netconf/peer.sh up failed: {last}");
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The instance's scratch folder (keys, configs, `netconfd.log`, `sshd.log`).
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map(|d| d.path()).unwrap_or(Path::new(""))
    }

    /// netconfd's and sshd's logs so far (netconfd's arrives in blocks: it is buffered).
    pub fn logs(&self) -> String {
        logs_in(self.dir())
    }
}

/// netconfd buffers its log until it exits, so this is complete only after `down`.
fn logs_in(dir: &Path) -> String {
    ["netconfd.log", "sshd.log"]
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            format!("--- {f}\n{text}")
        })
        .collect()
}

impl Drop for NetconfPeer {
    fn drop(&mut self) {
        let Some(dir) = self.dir.take() else { return };
        let keep = std::env::var_os("NETCONF_PEER_KEEP").is_some();
        // netconfd buffers its log until it exits: stop first, then show the logs of a failed test.
        let failed = std::thread::panicking();
        let purge = !keep && !failed;
        self.down(dir.path(), purge);
        if failed {
            let logs = logs_in(dir.path());
            eprintln!(
                "netconf peer on port {} (test failed); its logs:\n{logs}",
                self.port
            );
            if !keep {
                self.down(dir.path(), true);
            }
        }
        if keep {
            eprintln!("netconf peer: kept {}", dir.keep().display());
        }
    }
}

impl NetconfPeer {
    fn down(&self, dir: &Path, purge: bool) -> bool {
        let mut cmd = script(self.sudo, "down");
        cmd.env("PEER_DIR", dir)
            .env("PEER_PORT", self.port.to_string())
            .env("PEER_USER", &self.username);
        if purge {
            cmd.env("PEER_PURGE", "1");
        }
        let out = run(cmd, "down");
        if !out.status.success() {
            eprintln!("netconf peer: peer.sh down failed: {}", describe(&out));
        }
        out.status.success()
    }
}

/// Fails the test unless the server can run; returns whether `sudo -n` is needed.
fn preflight() -> bool {
    if !Path::new(NETCONFD).exists() {
        panic!(
            "netconf peer: {NETCONFD} is missing. Run scripts/test: it installs netconfd, \
             netconfd-module-ietf-interfaces, yangcli and openssh-server, then runs the tests."
        );
    }
    if is_root() {
        return false;
    }
    let sudo_ok = Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !sudo_ok {
        panic!(
            "netconf peer: needs root (useradd, chpasswd, sshd password authentication) or \
             passwordless sudo. Run scripts/test as root, or with sudo configured."
        );
    }
    true
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn script(sudo: bool, verb: &str) -> Command {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/netconf/peer.sh");
    if sudo {
        // `sudo` resets the environment; `--preserve-env` names what peer.sh reads.
        let mut c = Command::new("sudo");
        c.arg("-n")
            .arg(
                "--preserve-env=PEER_DIR,PEER_PORT,PEER_USER,PEER_PASSWORD,PEER_PROTOCOLS,\
                 PEER_NETCONFD,PEER_OWNER_PID,PEER_PURGE",
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

fn run(mut cmd: Command, verb: &str) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("netconf peer: cannot run peer.sh {verb}: {e}"))
}

fn describe(out: &Output) -> String {
    format!(
        "{}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A port the kernel just handed out; peer.sh reports a lost race (75) and we try another one.
fn free_loopback_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("netconf peer: bind 127.0.0.1:0");
    l.local_addr().expect("netconf peer: local_addr").port()
}
