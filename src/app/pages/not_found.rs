use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    crate::app::status::set_status(404);
    view! {
        <Title text="Page not found" />
        <section class="panel empty-state">
            <p class="eyebrow">"404"</p>
            <h1>"We could not find that page"</h1>
            <p>"The link may be old, or the event may have been removed."</p>
            <p>
                <a class="button" href="/">
                    "Browse upcoming events"
                </a>
            </p>
        </section>
    }
}
