//! Invoices (integer keys): `GET/POST /api/invoices`, `GET /api/invoices/{id}`, and
//! `POST /api/invoices/{id}/scan` (multipart, the file in the part named `scan`). Each needs
//! the model's permission, `billing.can_change_invoices`.

use axum::extract::Request;
use http::StatusCode;
use loco_rs::prelude::*;
use privates::PrivateMedia;
use privates_admin::upload::{FieldUpload, FieldUploadError};
use privates_auth::StoreUser;
use sea_orm::QueryOrder;
use serde::Deserialize;
use serde_json::{Value, json};

use super::require;
use crate::models::invoices::{self, Model as Invoice};

/// The body of `POST /api/invoices`.
#[derive(Debug, Deserialize)]
pub struct NewInvoice {
    /// What the invoice is for.
    pub title: String,
}

/// An invoice as the API shows it: its stored file's name and download URL.
fn view(invoice: &Invoice) -> Value {
    json!({
        "id": invoice.id,
        "title": invoice.title,
        "scan": invoice.scan,
        "scan_url": invoice.scan_url(),
    })
}

async fn list(State(ctx): State<AppContext>, user: StoreUser) -> Result<Response> {
    require(&user, Invoice::PERMISSION)?;
    let rows = invoices::Entity::find()
        .order_by_asc(invoices::Column::Id)
        .all(&ctx.db)
        .await?;
    format::json(rows.iter().map(view).collect::<Vec<_>>())
}

async fn create(
    State(ctx): State<AppContext>,
    user: StoreUser,
    Json(new): Json<NewInvoice>,
) -> Result<Response> {
    require(&user, Invoice::PERMISSION)?;
    let row = invoices::ActiveModel {
        title: Set(new.title),
        ..Default::default()
    }
    .insert(&ctx.db)
    .await?;
    format::render()
        .status(StatusCode::CREATED)
        .json(view(&row))
}

async fn show(
    State(ctx): State<AppContext>,
    user: StoreUser,
    Path(id): Path<String>,
) -> Result<Response> {
    require(&user, Invoice::PERMISSION)?;
    // A malformed key names no row: 404, as the download route answers.
    let id: i32 = id.parse().map_err(|_| Error::NotFound)?;
    let row = invoices::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(Error::NotFound)?;
    format::json(view(&row))
}

fn scan_upload() -> FieldUpload<Invoice> {
    FieldUpload::new(Invoice::SCAN)
}

async fn upload_scan(
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    request: Request,
) -> std::result::Result<Json<Value>, FieldUploadError> {
    let uploaded = scan_upload().receive(&ctx, &id, request).await?;
    Ok(Json(json!({
        "invoice": view(&uploaded.object),
        "size": uploaded.file.size,
        "type": uploaded.file.content_type,
    })))
}

/// The invoice routes.
#[must_use]
pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/invoices")
        .add("/", get(list).post(create))
        .add("/{id}", get(show))
        // The field's own body limit on this route (loco's 2 MB stays on every other).
        .add("/{id}/scan", scan_upload().route(post(upload_scan)))
}
