//! A file a message carries, for the widget and the console alike: an image as a
//! thumbnail (opening the full picture), anything else as a download link.

use leptos::prelude::*;
use natter_shared::files::Attachment;

/// `edge` is the origin that serves the file.
#[component]
pub fn AttachmentView(file: Attachment, edge: String) -> impl IntoView {
    let url = edge + &file.path();
    if file.is_image() {
        let src = url.clone();
        view! { <a class="file" href=url target="_blank" rel="noopener noreferrer"><img class="thumb" src=src alt=file.name/></a> }
            .into_any()
    } else {
        let size = format!("{} KB", file.size.div_ceil(1024));
        view! { <a class="file" href=url download=file.name.clone() title=size rel="noopener noreferrer">{file.name.clone()}</a> }
            .into_any()
    }
}
