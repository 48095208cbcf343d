//! The `patchpanel` command line: `run`, `demo`, `sim webex|netbox|device|zammad`, `check`,
//! `audit verify|export`.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use patchpanel::config::Settings;
use patchpanel::secret::Secret;
use patchpanel_sim as sim;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "patchpanel",
    version,
    about = "Webex ChatOps bot for network engineers"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the bot, configured from the environment and `.env`.
    Run,
    /// Start every simulator on loopback, run the real bot against them, and chat in the terminal.
    Demo,
    /// Run one simulator as a process.
    Sim {
        #[command(subcommand)]
        system: SimCmd,
    },
    /// Validate the configuration and reach every configured system; prints a table.
    Check,
    /// The tamper-evident record in the store (`PATCHPANEL_DB`, or `--db`).
    Audit {
        #[command(subcommand)]
        action: AuditCmd,
        /// The store file [PATCHPANEL_DB, else ./patchpanel.db].
        #[arg(long, global = true)]
        db: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Check the hash chain; names the first broken entry (exit 1 then).
    Verify,
    /// Write every entry to stdout as JSON lines, oldest first.
    Export,
}

#[derive(Subcommand)]
enum SimCmd {
    /// Webex: REST, U2C, WDM, the Mercury WebSocket and the `/_sim` control API.
    Webex {
        #[arg(long, default_value = "127.0.0.1:8686")]
        listen: SocketAddr,
        /// Require this bearer token (401/4401 otherwise), as the real service does.
        #[arg(long)]
        token: Option<String>,
        /// The Webex cluster the simulated org is homed in, e.g. eu-central-1_k: its ids then read
        /// `ciscospark://urn:TEAM:eu-central-1_k/MESSAGE/…` (the default's read `ciscospark://us/…`).
        #[arg(long, default_value = sim::webex::DEFAULT_CLUSTER)]
        cluster: String,
    },
    /// NetBox 4.7: the REST API the bot uses (devices, interfaces, VLANs, IPs, change log) and `/_sim`.
    Netbox {
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: SocketAddr,
        /// Require this API token (403 otherwise), as NetBox does.
        #[arg(long)]
        token: Option<String>,
        /// Also accept this token, read-only (writes get 403).
        #[arg(long)]
        read_only_token: Option<String>,
    },
    /// Zammad: the ticket REST API the approval workflow uses, a trigger's webhook, and `/_sim`.
    Zammad {
        #[arg(long, default_value = "127.0.0.1:3000")]
        listen: SocketAddr,
        /// Accept only this API token (`Token token=T` or `Bearer T`); any non-empty one otherwise.
        #[arg(long)]
        token: Option<String>,
        /// Post the trigger's webhook here (http://) after every ticket change.
        #[arg(long)]
        webhook_url: Option<String>,
        /// Sign each delivery: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`.
        #[arg(long, requires = "webhook_url")]
        webhook_secret: Option<String>,
    },
    /// A Catalyst 9300: RESTCONF over HTTP on `--listen`, NETCONF over SSH on `--netconf-listen`.
    Device {
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// NETCONF over SSH; defaults to the RESTCONF port + 1.
        #[arg(long)]
        netconf_listen: Option<SocketAddr>,
        #[arg(long, default_value = "c9300")]
        hostname: String,
        /// Accept only this user (with --password); any credential is accepted otherwise.
        #[arg(long, requires = "password")]
        username: Option<String>,
        #[arg(
            long,
            env = "DEVICE_SIM_PASSWORD",
            requires = "username",
            hide_env_values = true
        )]
        password: Option<String>,
        /// SSH host key file; created when missing so restarts keep the same identity.
        #[arg(long)]
        host_key: Option<PathBuf>,
        /// Write a known_hosts line for the NETCONF endpoint to this file.
        #[arg(long)]
        known_hosts_out: Option<PathBuf>,
        /// Send syslog (IOS-XE's %SYS-5-CONFIG_I and %DMI-5-CONFIG_I on every configuration change)
        /// to HOST:PORT over UDP, or over TCP (octet counting) as tcp://HOST:PORT.
        #[arg(long, value_name = "HOST:PORT")]
        syslog: Option<String>,
    },
}

/// `HOST:PORT` (UDP), `udp://HOST:PORT` or `tcp://HOST:PORT`.
fn syslog_target(text: &str) -> Result<sim::device::SyslogTarget> {
    use std::net::ToSocketAddrs;
    let (transport, rest) = match text.split_once("://") {
        None => (sim::device::SyslogTransport::Udp, text),
        Some(("udp", rest)) => (sim::device::SyslogTransport::Udp, rest),
        Some(("tcp", rest)) => (sim::device::SyslogTransport::Tcp, rest),
        Some((other, _)) => bail!("--syslog {text}: transport {other:?} is neither udp nor tcp"),
    };
    let addr = rest
        .to_socket_addrs()
        .with_context(|| format!("--syslog {text}: not HOST:PORT"))?
        .next()
        .with_context(|| format!("--syslog {text}: resolves to no address"))?;
    Ok(sim::device::SyslogTarget { addr, transport })
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // A missing .env is normal; a malformed one is worth a word.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("warning: .env ignored: {e}");
        }
    }
    let default_level = match cli.command {
        Cmd::Demo => "warn",
        _ => "info",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(dispatch(cli.command))
}

/// `audit verify|export` against the store file.
async fn audit(action: AuditCmd, db: Option<PathBuf>) -> Result<()> {
    let path = db
        .or_else(|| std::env::var_os("PATCHPANEL_DB").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(patchpanel::config::DEFAULT_DB));
    if !path.exists() {
        bail!(
            "no store at {}: give --db or set PATCHPANEL_DB to the bot's store",
            path.display()
        );
    }
    let store = patchpanel::store::Store::open(&path)?;
    match action {
        AuditCmd::Verify => match store.audit_verify().await? {
            patchpanel::store::Verified::Intact { entries } => {
                println!("audit: {entries} entries, the chain is intact");
                Ok(())
            }
            patchpanel::store::Verified::Broken { seq, why } => {
                bail!("audit: the chain is broken at entry {seq}: {why}")
            }
        },
        AuditCmd::Export => {
            let mut out = std::io::stdout().lock();
            for entry in store.audit_entries().await? {
                let line = serde_json::to_string(&entry)?;
                // A reader that went away (`| head`) ends the export quietly.
                if writeln!(out, "{line}").is_err() {
                    break;
                }
            }
            Ok(())
        }
    }
}

async fn dispatch(command: Cmd) -> Result<()> {
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    match command {
        Cmd::Audit { action, db } => audit(action, db).await,
        Cmd::Run => {
            let settings = Settings::from_env()?;
            patchpanel::app::run(settings, shutdown).await?;
            Ok(())
        }
        Cmd::Demo => {
            let code = patchpanel_demo::run(shutdown).await?;
            std::process::exit(code);
        }
        Cmd::Check => {
            let ok = patchpanel::check::run().await;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Cmd::Sim {
            system:
                SimCmd::Webex {
                    listen,
                    token,
                    cluster,
                },
        } => {
            let running = sim::webex::start(
                sim::webex::WebexSimConfig {
                    token,
                    ..sim::webex::WebexSimConfig::new(listen).with_cluster(cluster)
                },
                shutdown.clone(),
            )
            .await?;
            announce(&[
                format!("webex simulator listening on {}", running.base_url),
                format!("WEBEX_API_URL={}", running.api_url()),
                format!("WEBEX_U2C_URL={}", running.u2c_url()),
            ]);
            shutdown.cancelled().await;
            Ok(())
        }
        Cmd::Sim {
            system:
                SimCmd::Netbox {
                    listen,
                    token,
                    read_only_token,
                },
        } => {
            let running = sim::netbox::start(
                sim::netbox::NetboxSimConfig { listen, token },
                shutdown.clone(),
            )
            .await?;
            if let Some(t) = read_only_token {
                running.add_token(&t, "reader", false);
            }
            announce(&[
                format!("netbox simulator listening on {}", running.base_url),
                format!("NETBOX_URL={}", running.base_url),
            ]);
            shutdown.cancelled().await;
            Ok(())
        }
        Cmd::Sim {
            system:
                SimCmd::Zammad {
                    listen,
                    token,
                    webhook_url,
                    webhook_secret,
                },
        } => {
            let webhook = match webhook_url {
                Some(url) => Some(
                    sim::zammad::WebhookTarget::new(&url, webhook_secret, None)
                        .map_err(anyhow::Error::msg)
                        .context("--webhook-url")?,
                ),
                None => None,
            };
            let running = sim::zammad::start(
                sim::zammad::ZammadSimConfig {
                    listen,
                    token,
                    webhook,
                    ..sim::zammad::ZammadSimConfig::default()
                },
                shutdown.clone(),
            )
            .await?;
            announce(&[
                format!("zammad simulator listening on {}", running.base_url),
                format!("ZAMMAD_URL={}", running.base_url),
            ]);
            shutdown.cancelled().await;
            Ok(())
        }
        Cmd::Sim {
            system:
                SimCmd::Device {
                    listen,
                    netconf_listen,
                    hostname,
                    username,
                    password,
                    host_key,
                    known_hosts_out,
                    syslog,
                },
        } => {
            let syslog = syslog.as_deref().map(syslog_target).transpose()?;
            let netconf_listen = match netconf_listen {
                Some(a) => a,
                None if listen.port() == 0 => SocketAddr::new(listen.ip(), 0),
                None => match listen.port().checked_add(1) {
                    Some(p) => SocketAddr::new(listen.ip(), p),
                    None => bail!(
                        "--listen port 65535 leaves no room for NETCONF: pass --netconf-listen"
                    ),
                },
            };
            let credentials = username.zip(password.map(Secret::new));
            let running = sim::device::start_with(
                sim::device::DeviceSimConfig {
                    restconf_listen: listen,
                    netconf_listen,
                    hostname,
                    credentials,
                    host_key_path: host_key,
                    base_1_1: true,
                },
                sim::device::DeviceSimOptions {
                    syslog,
                    ..Default::default()
                },
                shutdown.clone(),
            )
            .await?;
            let known_hosts_line =
                patchpanel_demo::known_hosts_line(running.netconf_addr, &running.host_key_openssh);
            if let Some(path) = known_hosts_out {
                std::fs::write(&path, format!("{known_hosts_line}\n"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            announce(&[
                format!("device simulator RESTCONF {}", running.restconf_url),
                format!("device simulator NETCONF {}", running.netconf_addr),
                format!("known_hosts {known_hosts_line}"),
            ]);
            shutdown.cancelled().await;
            Ok(())
        }
    }
}

/// Prints a simulator's endpoints. A reader that went away (closed pipe) must not take the simulator
/// down with it, so write errors are ignored rather than panicking as `println!` would.
fn announce(lines: &[String]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// Ctrl-C and SIGTERM both start an orderly shutdown.
fn spawn_signal_handler(shutdown: CancellationToken) {
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    shutdown.cancel();
                    return;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        shutdown.cancel();
    });
}
