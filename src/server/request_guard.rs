//! Decisions about a raw HTTP request made before any handler runs: whether a
//! state-changing request comes from another site (cross-site request forgery, login CSRF
//! included), who the client is behind a trusted proxy, and the bounded method label the
//! request metrics use.
use http::{HeaderMap, Method};
use std::net::IpAddr;

/// The client's address: the socket peer, unless the peer is a trusted proxy. Then the
/// `X-Forwarded-For` chain is read from the right (each proxy appends the address it saw),
/// skipping trusted proxies; the first other address is the client. Entries left of it are
/// the client's own claims and never believed.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(address) = hop.trim().parse::<IpAddr>() else {
            // A garbled entry: the last hop we could read is as far as the chain is known.
            return client;
        };
        client = address;
        if !trusted.contains(&address) {
            break;
        }
    }
    client
}

/// Why a request was refused as cross-site, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum CrossSite {
    /// `Sec-Fetch-Site: cross-site`, set by the browser itself.
    FetchMetadata,
    /// An `Origin` that is neither this site's public origin nor the requested host.
    Origin(String),
}

/// A state-changing request (anything but GET, HEAD, OPTIONS) is refused when the browser
/// says it comes from another site, or its `Origin` is another origin. Requests without
/// either header (curl, server-to-server, old browsers) pass: the `SameSite=Lax` session
/// cookie is not sent cross-site anyway. `exempt` paths (the signed Stripe webhook) pass.
pub fn cross_site(
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    public_origin: &str,
    exempt: &[&str],
) -> Result<(), CrossSite> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) || exempt.contains(&path) {
        return Ok(());
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site") == Some("cross-site") {
        return Err(CrossSite::FetchMetadata);
    }
    let Some(origin) = header("origin") else {
        return Ok(());
    };
    let same_host = header("host").is_some_and(|host| {
        origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
    });
    if origin.eq_ignore_ascii_case(public_origin) || same_host {
        Ok(())
    } else {
        Err(CrossSite::Origin(origin.chars().take(100).collect()))
    }
}

/// `scheme://host[:port]` of a base URL, as browsers write it in `Origin`.
pub fn origin_of(base_url: &str) -> &str {
    match base_url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest
                .find('/')
                .map_or(base_url.len(), |i| scheme.len() + 3 + i);
            &base_url[..end]
        }
        None => base_url,
    }
}

/// The request metrics' method label: a made-up method must not mint a new time series.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let trusted = [proxy, ip("10.0.0.3")];
        let chain = Some("6.6.6.6, 203.0.113.9, 10.0.0.3");
        // Not through a proxy: the header is the client's own claim.
        assert_eq!(
            client_ip(ip("198.51.100.7"), chain, &trusted),
            ip("198.51.100.7")
        );
        // Through two trusted proxies: the address the outer one saw.
        assert_eq!(client_ip(proxy, chain, &trusted), ip("203.0.113.9"));
        assert_eq!(client_ip(proxy, None, &trusted), proxy);
        assert_eq!(
            client_ip(proxy, Some("junk, 10.0.0.3"), &trusted),
            ip("10.0.0.3")
        );
        assert_eq!(client_ip(proxy, chain, &[]), proxy, "no proxies named");
    }

    proptest! {
        /// Whatever a client writes into the header, it cannot pick an address that neither
        /// it nor a trusted proxy appended.
        #[test]
        fn a_client_cannot_choose_its_address(claims in proptest::collection::vec(any::<[u8; 4]>(), 0..6), client in any::<[u8; 4]>()) {
            let proxy = ip("10.0.0.2");
            let client = IpAddr::from(client);
            prop_assume!(client != proxy);
            let mut chain: Vec<String> = claims.iter().map(|c| IpAddr::from(*c).to_string()).collect();
            chain.push(client.to_string());
            let header = chain.join(", ");
            prop_assert_eq!(client_ip(proxy, Some(&header), &[proxy]), client);
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    const SITE: &str = "https://tickets.example.org";

    fn check(method: Method, pairs: &[(&'static str, &'static str)]) -> Result<(), CrossSite> {
        cross_site(
            &method,
            "/api/log_in",
            &headers(pairs),
            SITE,
            &["/api/webhooks/stripe"],
        )
    }

    #[test]
    fn other_sites_may_not_change_state() {
        assert_eq!(
            check(Method::POST, &[("sec-fetch-site", "cross-site")]),
            Err(CrossSite::FetchMetadata)
        );
        assert!(check(Method::POST, &[("origin", "https://evil.example")]).is_err());
        assert!(check(Method::POST, &[("origin", "null")]).is_err());
        assert!(check(
            Method::POST,
            &[("origin", SITE), ("sec-fetch-site", "same-origin")]
        )
        .is_ok());
        assert!(check(
            Method::POST,
            &[
                ("origin", "http://127.0.0.1:3000"),
                ("host", "127.0.0.1:3000")
            ]
        )
        .is_ok());
        assert!(
            check(Method::POST, &[]).is_ok(),
            "no browser headers: not a browser"
        );
        assert!(check(Method::GET, &[("sec-fetch-site", "cross-site")]).is_ok());
        let webhook = cross_site(
            &Method::POST,
            "/api/webhooks/stripe",
            &headers(&[("origin", "https://stripe.com")]),
            SITE,
            &["/api/webhooks/stripe"],
        );
        assert!(webhook.is_ok(), "the signed webhook is exempt");
    }

    #[test]
    fn origins_and_labels() {
        assert_eq!(
            origin_of("https://tickets.example.org/base/"),
            "https://tickets.example.org"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
        assert_eq!(
            method_label(&Method::from_bytes(b"FOOBAR").unwrap()),
            "other"
        );
        assert_eq!(method_label(&Method::POST), "POST");
    }
}
