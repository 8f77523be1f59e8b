use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn load(toml: &str, pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Leptos.toml");
    std::fs::write(&path, toml).unwrap();
    Settings::from_sources(&path, &env(pairs))
}

#[test]
fn defaults_without_file_or_env() {
    let s = Settings::from_sources(Path::new("/nonexistent/Leptos.toml"), &[]).unwrap();
    assert_eq!(s.listen_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(s.database_url, "surrealkv://data/tickex.db");
    assert_eq!(s.public_base_url, "http://127.0.0.1:3000");
    assert!(!s.demo, "production is the default; demo mode is asked for");
    assert!(s.db_credentials.is_none());
}

#[test]
fn environment_overrides_file() {
    let s = load(
        "[tickex]\nlisten_addr = \"0.0.0.0:8080\"\ndemo = true\n",
        &[("TICKEX_DEMO", "false"), ("TICKEX_DATA_DIR", "/srv/tickex")],
    )
    .unwrap();
    assert_eq!(s.listen_addr.port(), 8080);
    assert!(!s.demo);
    assert_eq!(s.database_url, "surrealkv:///srv/tickex/tickex.db");
}

#[test]
fn bad_values_name_the_setting() {
    let err = load("", &[("TICKEX_LISTEN_ADDR", "localhost")]).unwrap_err();
    assert!(err.to_string().starts_with("TICKEX_LISTEN_ADDR:"), "{err}");
    let err = load("", &[("TICKEX_DATABASE_URL", "postgres://x")]).unwrap_err();
    assert!(err.to_string().starts_with("TICKEX_DATABASE_URL:"), "{err}");
    let err = load("", &[("TICKEX_DEMO", "maybe")]).unwrap_err();
    assert!(err.to_string().starts_with("TICKEX_DEMO:"), "{err}");
    let err = load("[tickex]\nlisten_adr = \"x\"\n", &[]).unwrap_err();
    assert!(err.to_string().contains("listen_adr"), "{err}");
}

#[test]
fn credentials_come_in_pairs_and_are_never_printed() {
    let err = load("", &[("TICKEX_DB_USER", "root")]).unwrap_err();
    assert!(err.to_string().starts_with("TICKEX_DB_PASSWORD"));
    let s = load(
        "",
        &[
            ("TICKEX_DB_USER", "root"),
            ("TICKEX_DB_PASSWORD", "hunter2"),
        ],
    )
    .unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}

#[test]
fn cloudinary_url_is_parsed_and_its_secret_hidden() {
    let s = load(
        "",
        &[(
            "TICKEX_CLOUDINARY_URL",
            "cloudinary://123:s3cr3t@demo-cloud",
        )],
    )
    .unwrap();
    let c = s.cloudinary.as_ref().unwrap();
    assert_eq!(
        (c.api_key.as_str(), c.cloud_name.as_str()),
        ("123", "demo-cloud")
    );
    assert_eq!(c.api_base, "https://api.cloudinary.com");
    assert!(!format!("{s:?}").contains("s3cr3t"));
    let err = load("", &[("TICKEX_CLOUDINARY_URL", "https://x")]).unwrap_err();
    assert!(
        err.to_string().starts_with("TICKEX_CLOUDINARY_URL:"),
        "{err}"
    );
}

#[test]
fn the_shipped_settings_file_starts_in_production_mode() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("Leptos.toml");
    let s = Settings::from_sources(&shipped, &[]).unwrap();
    assert!(!s.demo);
    let asked = Settings::from_sources(&shipped, &[("TICKEX_DEMO".into(), "true".into())]);
    assert!(asked.unwrap().demo);
}
