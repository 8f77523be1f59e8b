//! Issue 9, the quick version of `make load ARGS=crash`: the real binary on surrealkv is
//! killed with SIGKILL during purchases; nothing a buyer saw paid is lost.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_during_purchases_loses_no_paid_order() {
    let data = tempfile::tempdir().expect("tempdir");
    let outcome = crate::common::process::crash_run(data.path(), 24).await;
    assert!(
        outcome.paid_before >= 8,
        "the kill came after a third had paid"
    );
    assert_eq!(outcome.lost, Vec::<String>::new());
    assert!(outcome.check_passed, "{}", outcome.check_report);
}
