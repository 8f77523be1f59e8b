//! Issue 14, point 7: no token, password or email address in the log, at any level of
//! TickEx's own logging compiled into the binary (debug and up; trace is compiled out), the
//! request log included, through the real binary.
use crate::common::process::{free_port, http_client, Buyer, Server};
use crate::common::unique_email;
use leptos::server_fn::ServerFn;
use tickex::api::auth::{LogIn, RequestPasswordReset, VerifyEmail};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_and_addresses_stay_out_of_the_log() {
    let data_dir = tempfile::tempdir().unwrap();
    let log_path = data_dir.path().join("tickex.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server::start_with(
        data_dir.path(),
        free_port(),
        &[(
            "TICKEX_LOG",
            "debug,surrealdb=warn,surrealdb_core=warn,surrealkv=warn,hyper=warn,hyper_util=warn,h2=warn,reqwest=warn,rustls=warn",
        )],
        log,
    )
    .await;
    let email = unique_email("private");
    let token = "5ec7e7".repeat(10) + "abcd";
    let buyer = Buyer::register(&server.base, &email, false).await;
    let client = http_client();
    for path in [
        format!("/verify-email?token={token}"),
        format!("/reset-password?token={token}"),
        format!("/auth/google/callback?code=secret-code-{token}&state={token}"),
    ] {
        client
            .get(format!("{}{path}", server.base))
            .send()
            .await
            .unwrap();
    }
    buyer.call(VerifyEmail::PATH, &[("token", &token)]).await;
    buyer
        .call(RequestPasswordReset::PATH, &[("email", &email)])
        .await;
    let stranger = "nobody-at-all@example.com";
    buyer
        .call(RequestPasswordReset::PATH, &[("email", stranger)])
        .await;
    for _ in 0..7 {
        buyer
            .call(
                LogIn::PATH,
                &[("email", &email), ("password", "hunter2-wrong")],
            )
            .await;
    }
    server.stop();

    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("account registered"),
        "the log was written: {text}"
    );
    assert!(
        text.contains("/verify-email"),
        "requests are logged (by path)"
    );
    for secret in [
        email.as_str(),
        stranger,
        &token,
        "hunter2-wrong",
        "correct horse battery",
    ] {
        assert!(!text.contains(secret), "{secret:?} is in the log");
    }
    let cookie = buyer.cookie.split_once('=').unwrap().1;
    assert!(!text.contains(cookie), "the session token is in the log");
}
