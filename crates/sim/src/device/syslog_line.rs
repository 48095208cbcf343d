//! The syslog messages a Catalyst 9300 sends when its running configuration changes, pure. The wire
//! form is IOS's RFC 3164 variant: `<PRI>SEQ: TIMESTAMP: %FAC-SEV-MNEMONIC: text`, no hostname
//! (IOS adds it only with `logging origin-id`), PRI 189 = facility local7 (23) × 8 + notice (5).
//! The texts are what devices print (public device logs and parsers, e.g. `<189>38702: *Mar  9
//! 06:50:48.163: %DMI-5-CONFIG_I: R0/0: dmiauthd: Configured from NETCONF/RESTCONF by some-admin,
//! transaction-id 164615`; a stacked Catalyst names its member, `Switch 1 R0/0:`):
//! * the CLI: `%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)`;
//! * NETCONF or RESTCONF: `%SYS-5-CONFIG_P: Configured programmatically by process
//!   iosp_dmiauthd_conn_100001_vty_100001 from console as admin on vty63`, then
//!   `%DMI-5-CONFIG_I: Switch 1 R0/0: dmiauthd: Configured from NETCONF/RESTCONF by admin,
//!   transaction-id 2071`.
//!
//! TCP carries each message with RFC 6587 octet counting (`LEN SP MSG`).

use super::clock;

/// facility local7 (23) × 8 + severity notice (5).
pub const PRI_LOCAL7_NOTICE: u8 = 189;

/// Text that came from outside (a user name, a line) on one line: a syslog message has no line
/// breaks and a receiver reading by line would split it.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `%SYS-5-CONFIG_I: Configured from console by USER on LINE (FROM)`: someone left configuration
/// mode on a terminal line (`vty0` from `FROM`); on the serial `console` line there is no address.
pub fn console_config_i(user: &str, line: &str, from: Option<&str>) -> String {
    let mut text = format!(
        "%SYS-5-CONFIG_I: Configured from console by {} on {}",
        one_line(user),
        one_line(line)
    );
    if let Some(from) = from {
        text.push_str(&format!(" ({})", one_line(from)));
    }
    text
}

/// `%SYS-5-CONFIG_P: …`: IOSd's side of a programmatic change (dmiauthd's connection `conn`).
pub fn config_p(user: &str, conn: u64) -> String {
    format!(
        "%SYS-5-CONFIG_P: Configured programmatically by process iosp_dmiauthd_conn_{conn}_vty_100001 from console as {} on vty63",
        one_line(user)
    )
}

/// `%DMI-5-CONFIG_I: …`: the NETCONF/RESTCONF transaction `transaction` of `user` was applied.
pub fn dmi_config_i(user: &str, transaction: u64) -> String {
    format!(
        "%DMI-5-CONFIG_I: Switch 1 R0/0: dmiauthd: Configured from NETCONF/RESTCONF by {}, transaction-id {transaction}",
        one_line(user)
    )
}

/// The RFC 3164 datagram IOS sends: `<189>42: *Dec  4 08:21:07.123: TEXT`.
pub fn rfc3164(seq: u64, ms: i64, text: &str) -> String {
    format!(
        "<{PRI_LOCAL7_NOTICE}>{seq}: {}: {}",
        clock::ios(ms),
        one_line(text)
    )
}

/// RFC 6587 §3.4.1 octet counting: the message's length in bytes, a space, the message.
pub fn octet_counted(message: &[u8]) -> Vec<u8> {
    let mut framed = format!("{} ", message.len()).into_bytes();
    framed.extend_from_slice(message);
    framed
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_796_372_467_123;

    #[test]
    fn the_console_line_is_what_ios_xe_prints() {
        assert_eq!(
            rfc3164(42, T, &console_config_i("admin", "vty0", Some("10.1.1.1"))),
            "<189>42: *Dec  4 08:21:07.123: %SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.1.1.1)"
        );
        assert_eq!(
            console_config_i("admin", "console", None),
            "%SYS-5-CONFIG_I: Configured from console by admin on console"
        );
    }

    #[test]
    fn programmatic_changes_print_config_p_and_dmi() {
        assert_eq!(
            rfc3164(7, T, &dmi_config_i("netops", 2071)),
            "<189>7: *Dec  4 08:21:07.123: %DMI-5-CONFIG_I: Switch 1 R0/0: dmiauthd: Configured from NETCONF/RESTCONF by netops, transaction-id 2071"
        );
        assert_eq!(
            config_p("netops", 100_023),
            "%SYS-5-CONFIG_P: Configured programmatically by process iosp_dmiauthd_conn_100023_vty_100001 from console as netops on vty63"
        );
    }

    #[test]
    fn outside_text_stays_on_one_line() {
        let line = rfc3164(
            1,
            T,
            &console_config_i("eve\nforged", "vty0\r", Some("1.2.3.4")),
        );
        assert!(!line.contains(['\n', '\r']), "{line}");
        assert!(line.ends_with("by eve forged on vty0  (1.2.3.4)"), "{line}");
    }

    #[test]
    fn octet_counting_counts_bytes() {
        assert_eq!(octet_counted(b"<189>1: x"), b"9 <189>1: x".to_vec());
        assert_eq!(octet_counted("é".as_bytes()), "2 é".as_bytes().to_vec());
    }
}
