//! Contracts (UUID keys): `GET/POST /api/contracts`, `GET /api/contracts/{id}`, and
//! `POST /api/contracts/{id}/document` (multipart, the file in the part named `document`). Each needs
//! the model's permission, `legal.can_change_contract`.

use axum::extract::Request;
use http::StatusCode;
use loco_rs::prelude::*;
use privates::PrivateMedia;
use privates_admin::upload::{FieldUpload, FieldUploadError};
use privates_auth::StoreUser;
use sea_orm::QueryOrder;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::require;
use crate::models::contracts::{self, Model as Contract};

/// The body of `POST /api/contracts`.
#[derive(Debug, Deserialize)]
pub struct NewContract {
    /// What the contract is for.
    pub title: String,
}

/// A contract as the API shows it: its stored file's name and download URL.
fn view(contract: &Contract) -> Value {
    json!({
        "id": contract.id,
        "title": contract.title,
        "document": contract.document,
        "document_url": contract.document_url(),
    })
}

async fn list(State(ctx): State<AppContext>, user: StoreUser) -> Result<Response> {
    require(&user, Contract::PERMISSION)?;
    let rows = contracts::Entity::find()
        .order_by_asc(contracts::Column::Id)
        .all(&ctx.db)
        .await?;
    format::json(rows.iter().map(view).collect::<Vec<_>>())
}

async fn create(
    State(ctx): State<AppContext>,
    user: StoreUser,
    Json(new): Json<NewContract>,
) -> Result<Response> {
    require(&user, Contract::PERMISSION)?;
    let row = contracts::ActiveModel {
        id: Set(Uuid::new_v4()),
        title: Set(new.title),
        document: Set(None),
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
    require(&user, Contract::PERMISSION)?;
    // A malformed key names no row: 404, as the download route answers.
    let id: Uuid = id.parse().map_err(|_| Error::NotFound)?;
    let row = contracts::Entity::find_by_id(id)
        .one(&ctx.db)
        .await?
        .ok_or(Error::NotFound)?;
    format::json(view(&row))
}

fn document_upload() -> FieldUpload<Contract> {
    FieldUpload::new(Contract::DOCUMENT)
}

async fn upload_document(
    State(ctx): State<AppContext>,
    Path(id): Path<String>,
    request: Request,
) -> std::result::Result<Json<Value>, FieldUploadError> {
    let uploaded = document_upload().receive(&ctx, &id, request).await?;
    Ok(Json(json!({
        "contract": view(&uploaded.object),
        "size": uploaded.file.size,
        "type": uploaded.file.content_type,
    })))
}

/// The contract routes.
#[must_use]
pub fn routes() -> Routes {
    Routes::new()
        .prefix("/api/contracts")
        .add("/", get(list).post(create))
        .add("/{id}", get(show))
        // The field's own body limit on this route (loco's 2 MB stays on every other).
        .add(
            "/{id}/document",
            document_upload().route(post(upload_document)),
        )
}
