//! Who is at the other end of a request: the address (the proxy's `X-Real-IP` when our nginx
//! forwarded it, as its secret header proves), the user agent, and whether the person came over
//! HTTPS.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;

use crate::auth::secret::constant_time_eq;
use crate::error::ApiError;
use crate::state::Shared;

#[derive(Debug, Clone)]
pub struct Client {
    pub address: String,
    pub user_agent: String,
    pub https: bool,
}

impl FromRequestParts<Shared> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &Shared) -> Result<Self, ApiError> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        // Only our own nginx, which sends the secret it was configured with, is believed about
        // the address behind it: any other local program could claim any address.
        let proxied = header("x-oott-proxy").is_some_and(|s| {
            !st.proxy_secret.is_empty()
                && constant_time_eq(s.as_bytes(), st.proxy_secret.as_bytes())
        });
        let address = match (proxied, header("x-real-ip")) {
            (true, Some(real)) => real.to_owned(),
            _ => peer.map(|ip| ip.to_string()).unwrap_or_default(),
        };
        let user_agent = header(header::USER_AGENT.as_str())
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        let https = proxied && header("x-forwarded-proto") == Some("https");
        Ok(Client {
            address,
            user_agent,
            https,
        })
    }
}
