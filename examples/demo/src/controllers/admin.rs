//! `GET /admin/docs/iddocument/`: the list of documents with their protected links.

use axum::{
    extract::{Request, State},
    response::{IntoResponse, Response},
};
use loco_rs::{app::AppContext, controller::Routes, prelude::*};
use privates::{PrivateMedia, Privates};
use sea_orm::{EntityTrait, QueryOrder};

use super::html::{escape, page};
use crate::{auth, models::iddocuments};

async fn list(State(ctx): State<AppContext>, request: Request) -> Result<Response> {
    let (parts, _) = request.into_parts();
    let privates = Privates::from_ctx(&ctx)?;
    if let Some(refusal) = privates
        .require(&parts, &ctx, iddocuments::Model::PERMISSION)
        .await?
    {
        return Ok(refusal);
    }
    let Some(user) = auth::current_user(&parts, &ctx).await? else {
        return Ok(http::StatusCode::UNAUTHORIZED.into_response());
    };
    let docs = iddocuments::Entity::find()
        .order_by_asc(iddocuments::Column::Id)
        .all(&ctx.db)
        .await?;
    let link = |url: Option<String>, name: Option<&str>| match (url, name) {
        (Some(url), Some(name)) => {
            format!("<a href=\"{}\">{}</a>", escape(&url), escape(name))
        }
        _ => "-".to_string(),
    };
    let rows: String = docs
        .iter()
        .map(|doc| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                doc.id,
                escape(&doc.title),
                link(doc.pdf_url(), doc.pdf.as_deref()),
                link(doc.mugshot_url(), Some(&doc.mugshot)),
            )
        })
        .collect();
    Ok(page(
        "ID documents",
        &format!(
            "<h1>ID documents</h1><p>Logged in as {}.</p>\
             <form method=\"post\" action=\"/logout\"><button>Log out</button></form>\
             <table><thead><tr><th>id</th><th>title</th><th>pdf</th><th>mugshot</th></tr></thead>\
             <tbody>{rows}</tbody></table>",
            escape(&user.email)
        ),
    )
    .into_response())
}

/// The admin routes.
#[must_use]
pub fn routes() -> Routes {
    Routes::new().add("/admin/docs/iddocument/", get(list))
}
