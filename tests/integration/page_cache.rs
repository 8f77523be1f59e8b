//! Issue 20: the event page for anonymous visitors comes from a cache of the rendered page.
//! Its CSP allows the page's inline scripts by hash (a shared body cannot carry a
//! per-response nonce); a signed-in visitor and a page with a query string are rendered
//! for them, with their own nonce.
use crate::common::{event_with, query, register, spawn_app, unique_email};

fn policy(response: &reqwest::Response) -> String {
    response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_event_pages_are_cached_with_hashed_scripts_and_nobody_elses_are() {
    let app = spawn_app().await;
    let (event, _) = event_with(&app, &[("Standard", "25", "5")]).await;
    let slugs: Vec<String> = query(
        &app,
        "SELECT VALUE slug FROM type::record('event', $id)",
        &[("id", &event)],
    )
    .await;
    let page = format!("/events/{}", slugs[0]);

    let first = app.get(&page).await;
    let first_policy = policy(&first);
    let first_body = first.text().await.unwrap();
    let second = app.get(&page).await;
    assert_eq!(policy(&second), first_policy);
    assert_eq!(second.text().await.unwrap(), first_body, "one shared body");
    assert!(
        first_policy.contains("script-src 'self' 'sha256-"),
        "{first_policy}"
    );
    assert!(!first_policy.contains("nonce-") && !first_policy.contains("unsafe-inline"));
    // Every inline script of the body is allowed by its hash, and only those.
    let inline = first_body.matches("<script").count() - first_body.matches("<script src=").count();
    assert_eq!(first_policy.matches("'sha256-").count(), inline);

    // A signed-in visitor gets the page rendered for them, with a fresh nonce each time.
    let visitor = register(&app, &unique_email("reader"), false).await;
    let mine = policy(&visitor.get(&page).await);
    assert!(
        mine.contains("'nonce-") && !mine.contains("sha256-"),
        "{mine}"
    );
    assert_ne!(policy(&visitor.get(&page).await), mine);
    // So does a link with a code.
    let coded = policy(&app.get(&format!("{page}?code=SPRING")).await);
    assert!(coded.contains("'nonce-"), "{coded}");
    app.stop().await;
}
