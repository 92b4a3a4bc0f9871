//! Which relying party a ceremony uses: the client's own, or the service's.

use serde::{Deserialize, Serialize};

use crate::domain::client::ClientRecord;

/// The relying party of one ceremony.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rp {
    pub id: String,
    pub name: String,
    pub origins: Vec<String>,
}

impl Rp {
    /// A client's own `rpId` (with its `allowedOrigins`, or `https://<rpId>`)
    /// when it set one; otherwise the service's RP.
    pub fn for_client(client: &ClientRecord, service: &Rp) -> Rp {
        match &client.rp_id {
            Some(id) => Rp {
                id: id.clone(),
                name: client
                    .rp_name
                    .clone()
                    .unwrap_or_else(|| client.name.clone()),
                origins: if client.allowed_origins.is_empty() {
                    vec![format!("https://{id}")]
                } else {
                    client.allowed_origins.clone()
                },
            },
            None => service.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::fido::test_support::rp;

    #[test]
    fn client_rp_overrides_the_service_rp_only_when_set() {
        let mut client: ClientRecord =
            serde_json::from_value(json!({"id":"mid_client_a","name":"Shop","webhookUrl":null,
                "allowedOrigins":[],"rpId":null,"rpName":null,"plan":"free","status":"active",
                "createdAt":0,"webhookSecretSealed":"","keyHashes":{"live":"","test":""}}))
            .unwrap();
        assert_eq!(Rp::for_client(&client, &rp()), rp());
        client.rp_id = Some("shop.example".into());
        let own = Rp::for_client(&client, &rp());
        assert_eq!(own.id, "shop.example");
        assert_eq!(own.name, "Shop");
        assert_eq!(own.origins, ["https://shop.example"]);
        client.allowed_origins = vec!["https://login.shop.example".into()];
        client.rp_name = Some("Shop Login".into());
        let own = Rp::for_client(&client, &rp());
        assert_eq!(own.origins, ["https://login.shop.example"]);
        assert_eq!(own.name, "Shop Login");
    }
}
