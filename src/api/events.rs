use crate::domain::{EventAction, EventDetail, EventEditorData, EventListPage, StatusChange};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{MultipartData, MultipartFormData};

#[server]
pub async fn list_upcoming_events(search: String, page: u32) -> Result<EventListPage, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::services::catalog;
        if search.chars().count() > 100 {
            return Err(AppError::Validation(
                "Search for at most 100 characters.".into(),
            ));
        }
        catalog::upcoming_events(&state.db, chrono::Utc::now(), &search, page).await
    })
    .await
}

#[server]
pub async fn get_event(slug: String) -> Result<EventDetail, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::{auth::guard, services::catalog};
        let slug = slug.trim().to_ascii_lowercase();
        if slug.is_empty() || slug.len() > 100 {
            return Err(AppError::NotFound("event".into()));
        }
        let viewer = guard::current_user(&state).await?;
        catalog::event_detail(&state, &slug, viewer.as_ref(), chrono::Utc::now()).await
    })
    .await
}

/// The IANA time zones the editor offers.
#[server]
pub async fn list_time_zones() -> Result<Vec<String>, AppError> {
    crate::api::serve(|_| async move {
        Ok(chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name().to_owned())
            .collect())
    })
    .await
}

/// Creates an event from the wizard's one multipart form (fields and image together).
/// Returns the event's path; a browser without JavaScript is redirected there.
#[server(input = MultipartFormData)]
pub async fn create_event(data: MultipartData) -> Result<String, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::{auth::guard, services::events};
        // Read the whole upload before answering, even to refuse it: a client still
        // sending its body would see a reset connection instead of our message.
        let submitted = upload::read(data).await?;
        let user = guard::require_organizer(&state).await?;
        let publish = submitted.intent == "publish";
        let slug =
            events::create_event(&state, &user, submitted.upload, publish, chrono::Utc::now())
                .await?;
        let path = format!("/events/{slug}");
        leptos_axum::redirect(&path);
        Ok(path)
    })
    .await
}

/// Saves the editor's form for an existing event (a new image is optional).
#[server(input = MultipartFormData)]
pub async fn update_event(data: MultipartData) -> Result<String, AppError> {
    crate::api::serve(|state| async move {
        use crate::server::{auth::guard, services::events};
        // Read the whole upload before answering, even to refuse it: a client still
        // sending its body would see a reset connection instead of our message.
        let submitted = upload::read(data).await?;
        let user = guard::require_organizer(&state).await?;
        let slug = events::update_event(
            &state,
            &user,
            &submitted.event_id,
            submitted.upload,
            chrono::Utc::now(),
        )
        .await?;
        let path = format!("/events/{slug}");
        leptos_axum::redirect(&path);
        Ok(path)
    })
    .await
}

#[server]
pub async fn get_event_for_edit(id: String) -> Result<EventEditorData, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::events;
        events::editor_data(&state, &user, &id).await
    })
    .await
}

#[server]
pub async fn change_event_status(
    id: String,
    action: EventAction,
) -> Result<StatusChange, AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::events;
        events::change_status(&state, &user, &id, action).await
    })
    .await
}

#[server]
pub async fn delete_event(id: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::events;
        events::delete_draft(&state, &user, &id).await?;
        leptos_axum::redirect("/dashboard");
        Ok(())
    })
    .await
}

/// Reading the event form from a multipart stream, with every part bounded in size.
#[cfg(feature = "ssr")]
mod upload {
    use crate::domain::event_form::EventFormBuilder;
    use crate::error::AppError;
    use crate::server::services::events::{EventUpload, ImageUpload};
    use crate::server::storage::image::MAX_BYTES;
    use leptos::server_fn::codec::MultipartData;

    const MAX_TEXT_BYTES: usize = 64 * 1024;

    pub struct Submitted {
        pub event_id: String,
        pub intent: String,
        pub upload: EventUpload,
    }

    fn interrupted() -> AppError {
        AppError::Validation("The upload was interrupted. Please try again.".into())
    }

    pub async fn read(data: MultipartData) -> Result<Submitted, AppError> {
        let mut multipart = data.into_inner().ok_or_else(interrupted)?;
        let mut builder = EventFormBuilder::default();
        let mut image = ImageUpload::None;
        let mut event_id = String::new();
        let mut intent = String::new();
        while let Some(mut field) = multipart.next_field().await.map_err(|_| interrupted())? {
            let name = field.name().unwrap_or_default().to_owned();
            let is_file = name == "image";
            let limit = if is_file { MAX_BYTES } else { MAX_TEXT_BYTES };
            let mut bytes = Vec::new();
            let mut too_large = false;
            // Keep reading past the limit (the body limit bounds it) so the client gets
            // our answer instead of a reset connection.
            while let Some(chunk) = field.chunk().await.map_err(|_| interrupted())? {
                if bytes.len() + chunk.len() > limit {
                    too_large = true;
                    bytes = Vec::new();
                }
                if !too_large {
                    bytes.extend_from_slice(&chunk);
                }
            }
            if is_file {
                image = match (too_large, bytes.is_empty()) {
                    (true, _) => ImageUpload::TooLarge,
                    (false, true) => ImageUpload::None,
                    (false, false) => ImageUpload::Bytes(bytes),
                };
                continue;
            }
            if too_large {
                return Err(AppError::field(&name, "This text is too long."));
            }
            let value = String::from_utf8(bytes).map_err(|_| interrupted())?;
            match name.as_str() {
                "event_id" => event_id = value,
                "intent" => intent = value,
                _ => {
                    builder.push(&name, value);
                }
            }
        }
        Ok(Submitted {
            event_id,
            intent,
            upload: EventUpload {
                form: builder.finish(),
                image,
            },
        })
    }
}

/// The organizer allows (`allowed` = "yes") or forbids ticket transfers for the event.
#[server]
pub async fn set_ticket_transfers(event_id: String, allowed: String) -> Result<(), AppError> {
    crate::api::serve_as(crate::api::Caller::Organizer, |state, user| async move {
        use crate::server::services::events;
        events::set_transfers_allowed(&state, &user, &event_id, allowed == "yes").await
    })
    .await
}
