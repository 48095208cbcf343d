//! Writes to interfaces (docs/netbox.md §4): the PATCH body with VLAN ids resolved from VIDs,
//! `changelog_message` always set and `If-Match` when NetBox offered an ETag, and the guarded clear of
//! the ticket number. Every body is fitted to NetBox's field limits (`limits`) in `patch_interface_body`,
//! the one place an interface write leaves.

use reqwest::Method;
use serde_json::{Map, Value};

use super::client::{decode, to_json, ClearOutcome, Fetched, NetboxClient};
use super::error::NetboxError;
use super::limits::{bounded, CHANGELOG_MESSAGE_MAX, DESCRIPTION_MAX};
use super::update::{InterfaceUpdate, L2Update};
use super::wire::{Interface, InterfacePatchBody, TICKET_FIELD};

impl NetboxClient {
    /// Resolves VIDs to VLAN ids and builds the PATCH body.
    pub async fn patch_body(
        &self,
        device_id: u64,
        update: &InterfaceUpdate,
    ) -> Result<InterfacePatchBody, NetboxError> {
        let mut body = InterfacePatchBody {
            description: update.description.clone(),
            enabled: update.enabled,
            mtu: update.mtu,
            custom_fields: update.custom_fields.clone(),
            changelog_message: update.changelog_message().to_owned(),
            ..Default::default()
        };
        let id = |vid| self.vlan_for_device(device_id, vid);
        match &update.l2 {
            None => {}
            Some(L2Update::Clear) => {
                body.mode = Some(String::new());
                body.untagged_vlan = Some(None);
                body.tagged_vlans = Some(Vec::new());
            }
            Some(L2Update::Access { vlan }) => {
                body.mode = Some("access".into());
                body.untagged_vlan = Some(Some(id(*vlan).await?.id));
                body.tagged_vlans = Some(Vec::new());
            }
            Some(L2Update::Tagged { native, allowed }) => {
                body.mode = Some("tagged".into());
                body.untagged_vlan = Some(match native {
                    Some(v) => Some(id(*v).await?.id),
                    None => None,
                });
                let mut ids = Vec::with_capacity(allowed.len());
                for v in allowed {
                    ids.push(id(*v).await?.id);
                }
                body.tagged_vlans = Some(ids);
            }
            Some(L2Update::TaggedAll { native }) => {
                body.mode = Some("tagged-all".into());
                body.untagged_vlan = Some(match native {
                    Some(v) => Some(id(*v).await?.id),
                    None => None,
                });
                body.tagged_vlans = Some(Vec::new());
            }
        }
        Ok(body)
    }

    /// Changes an interface read with [`NetboxClient::interface`]: VLANs are looked up at its
    /// device, `changelog_message` is always sent, and `If-Match` is sent when the read carried
    /// an ETag (a concurrent change then fails with `PreconditionFailed`).
    pub async fn patch_interface(
        &self,
        current: &Fetched<Interface>,
        update: &InterfaceUpdate,
    ) -> Result<Fetched<Interface>, NetboxError> {
        let iface = &current.value;
        let device_id = match &iface.device {
            Some(d) => d.id,
            None if update.l2.is_some() => {
                return Err(NetboxError::InvalidResponse {
                    what: format!("interface id {}", iface.id),
                    detail: "it names no device, so its VLANs cannot be looked up".into(),
                })
            }
            None => 0,
        };
        let body = self.patch_body(device_id, update).await?;
        self.patch_interface_body(iface.id, &body, current.etag.as_deref())
            .await
    }

    /// PATCH with a ready body (ids, not VIDs). Its texts are fitted to NetBox's limits first.
    pub async fn patch_interface_body(
        &self,
        id: u64,
        body: &InterfacePatchBody,
        if_match: Option<&str>,
    ) -> Result<Fetched<Interface>, NetboxError> {
        let id_s = id.to_string();
        let what = format!("the change of interface id {id}");
        let url = self.url(&["dcim", "interfaces", &id_s], &[]);
        let raw = self
            .send(
                Method::PATCH,
                url,
                Some(to_json(&fitted(body))?),
                if_match,
                &what,
            )
            .await?;
        Ok(Fetched {
            value: decode(&raw, &what)?,
            etag: raw.etag,
        })
    }

    /// Clears the ticket custom field, guarded: only while the interface still carries `expected`
    /// and, when `last_updated` is given, is still the version that was handled (then also sent as
    /// `If-Match` when NetBox offered an ETag). Anything else is left for the person's newer edit.
    pub async fn clear_ticket_number(
        &self,
        interface_id: u64,
        expected: &str,
        last_updated: Option<&str>,
        changelog_message: &str,
    ) -> Result<ClearOutcome, NetboxError> {
        let current = match self.interface(interface_id).await {
            Ok(c) => c,
            Err(NetboxError::NotFound { .. }) => return Ok(ClearOutcome::Deleted),
            Err(e) => return Err(e),
        };
        let now = current.value.change_ticket_number();
        if now != Some(expected.trim()) {
            return Ok(ClearOutcome::TicketChanged {
                current: now.map(str::to_owned),
            });
        }
        if let Some(handled) = last_updated {
            if current.value.last_updated.as_deref().unwrap_or_default() != handled {
                return Ok(ClearOutcome::EditedSince);
            }
        }
        let mut custom_fields = Map::new();
        custom_fields.insert(TICKET_FIELD.to_owned(), Value::Null);
        let body = InterfacePatchBody {
            custom_fields,
            changelog_message: changelog_message.to_owned(),
            ..Default::default()
        };
        match self
            .patch_interface_body(interface_id, &body, current.etag.as_deref())
            .await
        {
            Ok(_) => Ok(ClearOutcome::Cleared),
            Err(NetboxError::PreconditionFailed { .. }) => Ok(ClearOutcome::EditedSince),
            Err(NetboxError::NotFound { .. }) => Ok(ClearOutcome::Deleted),
            Err(e) => Err(e),
        }
    }
}

/// `body` with every text NetBox limits made to fit (control characters out, cut to length).
fn fitted(body: &InterfacePatchBody) -> InterfacePatchBody {
    InterfacePatchBody {
        description: body
            .description
            .as_deref()
            .map(|d| bounded(d, DESCRIPTION_MAX)),
        changelog_message: bounded(&body.changelog_message, CHANGELOG_MESSAGE_MAX),
        ..body.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_body_is_fitted_to_netbox_limits() {
        let body = InterfacePatchBody {
            description: Some(format!("{}\n{}", "D".repeat(150), "E".repeat(150))),
            mtu: Some(Some(9000)),
            changelog_message: format!("patchpanel: ticket CHG-1\nX {}", "y".repeat(300)),
            ..Default::default()
        };
        let out = fitted(&body);
        let desc = out.description.as_deref().unwrap_or_default();
        assert_eq!(desc.chars().count(), DESCRIPTION_MAX);
        assert!(!desc.contains('\n'));
        assert_eq!(out.changelog_message.chars().count(), CHANGELOG_MESSAGE_MAX);
        assert!(out
            .changelog_message
            .starts_with("patchpanel: ticket CHG-1 X yyy"));
        assert_eq!(out.mtu, Some(Some(9000)), "other fields untouched");
        let none = fitted(&InterfacePatchBody::default());
        assert_eq!(none.description, None);
    }
}
