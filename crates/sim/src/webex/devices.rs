//! WDM device registrations as plain values: create (with the per-identity limit), refresh, delete,
//! expire, and each registration's buffer of frames the client has not acked yet (redelivered when the
//! same registration reconnects).

use std::collections::VecDeque;
use std::time::SystemTime;

use serde::Deserialize;

use super::activity::Envelope;

/// Unacked frames kept per registration; older ones are forgotten (Webex keeps ~15 minutes).
pub const MAX_UNACKED: usize = 1000;

/// The descriptive fields a client sends on POST/PUT; every one optional, unknown ones ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceBody {
    pub device_name: Option<String>,
    pub device_type: Option<String>,
    pub localized_model: Option<String>,
    pub model: Option<String>,
    pub name: Option<String>,
    pub system_name: Option<String>,
    pub system_version: Option<String>,
    pub ttl: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub uuid: String,
    /// The registration in `webSocketUrl`.
    pub reg_uuid: String,
    pub body: DeviceBody,
    pub created: SystemTime,
    pub modified: SystemTime,
    pub unacked: VecDeque<Envelope>,
}

impl Device {
    pub fn name(&self) -> &str {
        self.body
            .name
            .as_deref()
            .or(self.body.device_name.as_deref())
            .unwrap_or("device")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("User has excessive device registrations")]
    Excessive,
}

#[derive(Debug, Clone)]
pub struct Devices {
    devices: Vec<Device>,
    limit: usize,
}

impl Devices {
    pub fn new(limit: usize) -> Self {
        Devices {
            devices: Vec::new(),
            limit,
        }
    }

    pub fn list(&self) -> &[Device] {
        &self.devices
    }

    pub fn get(&self, uuid: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.uuid == uuid)
    }

    pub fn by_registration(&self, reg: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.reg_uuid == reg)
    }

    pub fn create(&mut self, body: DeviceBody, now: SystemTime) -> Result<&Device, DeviceError> {
        if self.devices.len() >= self.limit {
            return Err(DeviceError::Excessive);
        }
        self.devices.push(Device {
            uuid: uuid::Uuid::new_v4().to_string(),
            reg_uuid: uuid::Uuid::new_v4().to_string(),
            body,
            created: now,
            modified: now,
            unacked: VecDeque::new(),
        });
        self.devices.last().ok_or(DeviceError::Excessive)
    }

    /// PUT: keeps the registration, updates what the client sent; `None` when it is gone.
    pub fn refresh(&mut self, uuid: &str, body: DeviceBody, now: SystemTime) -> Option<&Device> {
        let d = self.devices.iter_mut().find(|d| d.uuid == uuid)?;
        let old = std::mem::take(&mut d.body);
        d.body = DeviceBody {
            device_name: body.device_name.or(old.device_name),
            device_type: body.device_type.or(old.device_type),
            localized_model: body.localized_model.or(old.localized_model),
            model: body.model.or(old.model),
            name: body.name.or(old.name),
            system_name: body.system_name.or(old.system_name),
            system_version: body.system_version.or(old.system_version),
            ttl: body.ttl.or(old.ttl),
        };
        d.modified = now;
        Some(d)
    }

    pub fn delete(&mut self, uuid: &str) -> bool {
        let before = self.devices.len();
        self.devices.retain(|d| d.uuid != uuid);
        before != self.devices.len()
    }

    /// DELETE of the collection, and `/_sim/expire-devices`: every registration is forgotten.
    pub fn clear(&mut self) {
        self.devices.clear();
    }

    /// Buffers a frame for every registration until it is acked.
    pub fn buffer(&mut self, env: &Envelope) {
        for d in &mut self.devices {
            if d.unacked.len() >= MAX_UNACKED {
                d.unacked.pop_front();
            }
            d.unacked.push_back(env.clone());
        }
    }

    /// An `ack` from the socket of `reg`; true when it cleared a frame.
    pub fn ack(&mut self, reg: &str, envelope_id: &str) -> bool {
        let Some(d) = self.devices.iter_mut().find(|d| d.reg_uuid == reg) else {
            return false;
        };
        let before = d.unacked.len();
        d.unacked.retain(|e| e.id != envelope_id);
        before != d.unacked.len()
    }

    pub fn unacked(&self, reg: &str) -> Vec<Envelope> {
        self.by_registration(reg)
            .map(|d| d.unacked.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(name: &str) -> DeviceBody {
        DeviceBody {
            name: Some(name.into()),
            ..DeviceBody::default()
        }
    }

    #[test]
    fn limit_refresh_delete() {
        let now = SystemTime::UNIX_EPOCH;
        let mut d = Devices::new(2);
        let a = d.create(body("a"), now).unwrap().uuid.clone();
        d.create(body("b"), now).unwrap();
        assert_eq!(
            d.create(body("c"), now).unwrap_err(),
            DeviceError::Excessive
        );
        let later = now + std::time::Duration::from_secs(5);
        let r = d.refresh(&a, DeviceBody::default(), later).unwrap();
        assert_eq!(r.name(), "a");
        assert_eq!(r.modified, later);
        assert!(d.delete(&a));
        assert!(!d.delete(&a));
        assert!(d.refresh(&a, body("x"), now).is_none());
        d.clear();
        assert!(d.list().is_empty());
    }

    #[test]
    fn frames_stay_buffered_until_acked() {
        let now = SystemTime::UNIX_EPOCH;
        let mut d = Devices::new(10);
        let reg = d.create(body("a"), now).unwrap().reg_uuid.clone();
        let e1 = Envelope::new(json!({"n": 1}), now, None);
        let e2 = Envelope::new(json!({"n": 2}), now, None);
        d.buffer(&e1);
        d.buffer(&e2);
        assert!(d.ack(&reg, &e1.id));
        assert!(!d.ack(&reg, &e1.id));
        assert!(!d.ack("other", &e2.id));
        let left: Vec<String> = d.unacked(&reg).into_iter().map(|e| e.id).collect();
        assert_eq!(left, vec![e2.id.clone()]);
        for _ in 0..MAX_UNACKED + 5 {
            d.buffer(&e1);
        }
        assert_eq!(d.unacked(&reg).len(), MAX_UNACKED);
    }
}
