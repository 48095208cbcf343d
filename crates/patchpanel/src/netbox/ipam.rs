//! IP addresses on interfaces (docs/netbox.md §6): lookup by interface or address, create,
//! re-assign.

use reqwest::Method;

use super::client::{decode, to_json, NetboxClient};
use super::error::NetboxError;
use super::limits::{bounded, CHANGELOG_MESSAGE_MAX};
use super::wire::{IpAddress, IpAssignBody};

impl NetboxClient {
    pub async fn ip_addresses_on_interface(
        &self,
        interface_id: u64,
    ) -> Result<Vec<IpAddress>, NetboxError> {
        let id = interface_id.to_string();
        let url = self.url(
            &["ipam", "ip-addresses"],
            &[("interface_id", &id), ("limit", "200")],
        );
        self.list_all(
            url,
            &format!("IP addresses of interface id {interface_id}"),
            2_000,
        )
        .await
    }

    /// Addresses matching `address`: with a mask exactly, without one any mask
    /// (docs/netbox.md §6).
    pub async fn ip_addresses_by_address(
        &self,
        address: &str,
    ) -> Result<Vec<IpAddress>, NetboxError> {
        let url = self.url(
            &["ipam", "ip-addresses"],
            &[("address", address), ("limit", "200")],
        );
        self.list_all(url, &format!("IP address {address:?}"), 2_000)
            .await
    }

    /// Creates `address` (with mask) on an interface.
    pub async fn create_ip_address(
        &self,
        address: &str,
        interface_id: u64,
        changelog_message: &str,
    ) -> Result<IpAddress, NetboxError> {
        let changelog_message = &bounded(changelog_message, CHANGELOG_MESSAGE_MAX);
        let body = IpAssignBody {
            address: Some(address),
            status: Some("active"),
            assigned_object_type: "dcim.interface",
            assigned_object_id: interface_id,
            changelog_message,
        };
        let what = format!("creating IP address {address:?}");
        let url = self.url(&["ipam", "ip-addresses"], &[]);
        let raw = self
            .send(Method::POST, url, Some(to_json(&body)?), None, &what)
            .await?;
        decode(&raw, &what)
    }

    /// Moves an existing IP address to an interface.
    pub async fn assign_ip_address(
        &self,
        ip_id: u64,
        interface_id: u64,
        changelog_message: &str,
    ) -> Result<IpAddress, NetboxError> {
        let changelog_message = &bounded(changelog_message, CHANGELOG_MESSAGE_MAX);
        let body = IpAssignBody {
            address: None,
            status: None,
            assigned_object_type: "dcim.interface",
            assigned_object_id: interface_id,
            changelog_message,
        };
        let id = ip_id.to_string();
        let what = format!("assigning IP address id {ip_id}");
        let url = self.url(&["ipam", "ip-addresses", &id], &[]);
        let raw = self
            .send(Method::PATCH, url, Some(to_json(&body)?), None, &what)
            .await?;
        decode(&raw, &what)
    }
}
