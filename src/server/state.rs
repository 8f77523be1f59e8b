use crate::error::AppError;
use crate::server::config::Settings;
use crate::server::db::Db;
use crate::server::email::Mailer;
use crate::server::event_cache::EventCache;
use crate::server::hold_queue::HoldQueue;
use crate::server::metrics::Metrics;
use crate::server::payments::PaymentGateway;
use crate::server::storage::ImageStore;
use crate::server::throttle::Throttles;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler and server function needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub images: Arc<dyn ImageStore>,
    pub payments: Arc<dyn PaymentGateway>,
    pub mailer: Arc<dyn Mailer>,
    pub holds: Arc<HoldQueue>,
    pub metrics: Arc<Metrics>,
    pub throttles: Arc<Throttles>,
    pub event_cache: Arc<EventCache>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// The dev mailbox exists only in demo mode, and only while no provider sends mail.
    pub fn dev_mailbox_open(&self) -> bool {
        self.settings.demo && !self.mailer.delivers()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state inside a server function or a server render.
pub fn use_app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("AppState missing from the Leptos context"))
}
