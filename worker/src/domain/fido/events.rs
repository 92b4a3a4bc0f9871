//! The `data` of the device webhook events.

use serde::Serialize;
use serde_json::Value;

use super::credential::Credential;
use crate::domain::consent::{DeviceRef, UserRef};

/// `data` of `device.registered` / `device.deregistered`; member order is the contract's.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct DeviceEventData<'a> {
    device_id: &'a str,
    client_id: &'a str,
    status: &'a str,
    user: &'a UserRef,
    device: &'a DeviceRef,
}

pub fn device_event_data(credential: &Credential, status: &str, user: &UserRef) -> Value {
    let device = credential.device_ref();
    serde_json::to_value(DeviceEventData {
        device_id: &credential.device_id,
        client_id: &credential.client_id,
        status,
        user,
        device: &device,
    })
    .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fido::test_support::{ceremony, credential};
    use crate::domain::fido::CeremonyKind;

    #[test]
    fn device_event_data_has_the_contract_order() {
        let c = ceremony(CeremonyKind::Registration);
        let data = device_event_data(&credential(), "registered", c.user.as_ref().unwrap());
        assert_eq!(
            data.to_string(),
            r#"{"deviceId":"device_1","clientId":"mid_client_a","status":"registered","user":{"id":"user_0123456789abcdef","mobile":"+2348031234567","verified":true},"device":{"id":"device_1","model":"Passkey"}}"#
        );
    }
}
