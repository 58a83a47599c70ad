//! Who is asking, and may they? The one trait an application implements.
//!
//! loco has no permission system and privates never invents a user store: the app answers
//! these questions from its own tables (or any other source). Permission names are Django's
//! `app_label.codename` strings, e.g. `docs.can_change_iddocument`.

use std::any::Any;

use async_trait::async_trait;
use futures_util::future::BoxFuture;
use http::request::Parts;
use loco_rs::app::AppContext;

/// The object a download is about, for object-level checks.
#[derive(Clone, Copy)]
pub struct ObjectRef<'a> {
    /// App label of the model.
    pub app: &'static str,
    /// Model label.
    pub model: &'static str,
    /// The field being downloaded.
    pub field: &'static str,
    /// The object itself; downcast it to the model type
    /// (`object.object.downcast_ref::<iddocument::Model>()`).
    pub object: &'a (dyn Any + Send + Sync),
}

impl std::fmt::Debug for ObjectRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectRef")
            .field("app", &self.app)
            .field("model", &self.model)
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

/// Tells privates who the user of a request is and what they may do.
///
/// ```
/// use privates::permissions::Authorizer;
/// use loco_rs::app::AppContext;
/// use http::request::Parts;
///
/// /// Everyone with an `X-User` header is that user; `root` may do everything.
/// struct HeaderUsers;
///
/// #[async_trait::async_trait]
/// impl Authorizer for HeaderUsers {
///     type User = String;
///
///     async fn authenticate(&self, parts: &Parts, _ctx: &AppContext)
///         -> loco_rs::Result<Option<String>> {
///         Ok(parts.headers.get("x-user").and_then(|v| v.to_str().ok()).map(str::to_string))
///     }
///
///     async fn has_permission(&self, user: &String, _permission: &str, _ctx: &AppContext)
///         -> loco_rs::Result<bool> {
///         Ok(user == "root")
///     }
/// }
/// ```
#[async_trait]
pub trait Authorizer: Send + Sync + 'static {
    /// The app's user type.
    type User: Send + Sync + 'static;

    /// The user making the request, `None` for an anonymous request. An invalid or expired
    /// credential is anonymous, not an error.
    ///
    /// # Errors
    /// Only when the user store fails (answered with 500).
    async fn authenticate(
        &self,
        parts: &Parts,
        ctx: &AppContext,
    ) -> loco_rs::Result<Option<Self::User>>;

    /// Whether `user` holds `permission` (a superuser holds every permission).
    ///
    /// # Errors
    /// Only when the permission store fails (answered with 500).
    async fn has_permission(
        &self,
        user: &Self::User,
        permission: &str,
        ctx: &AppContext,
    ) -> loco_rs::Result<bool>;

    /// Whether `user` may reach this object with `permission`, after the model-level check
    /// passed. The default allows every object.
    ///
    /// # Errors
    /// Only when the permission store fails (answered with 500).
    async fn has_object_permission(
        &self,
        _user: &Self::User,
        _permission: &str,
        _object: ObjectRef<'_>,
        _ctx: &AppContext,
    ) -> loco_rs::Result<bool> {
        Ok(true)
    }

    /// The id the [audit](crate::audit) records for `user`; the default names none.
    fn user_id(&self, _user: &Self::User) -> Option<String> {
        None
    }
}

/// Nobody logs in: the authorizer of a handle built where no request is answered (a task).
pub(crate) struct NoUsers;

#[async_trait]
impl Authorizer for NoUsers {
    type User = ();

    async fn authenticate(&self, _: &Parts, _: &AppContext) -> loco_rs::Result<Option<()>> {
        Ok(None)
    }

    async fn has_permission(&self, _: &(), _: &str, _: &AppContext) -> loco_rs::Result<bool> {
        Ok(false)
    }
}

/// A user of whatever type the installed [`Authorizer`] has.
pub(crate) type AnyUser = Box<dyn Any + Send + Sync>;

/// [`Authorizer`] with its user type erased, so one handle serves every route.
pub(crate) trait DynAuthorizer: Send + Sync {
    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        ctx: &'a AppContext,
    ) -> BoxFuture<'a, loco_rs::Result<Option<AnyUser>>>;

    /// [`Authorizer::has_permission`] without `object`, else
    /// [`Authorizer::has_object_permission`].
    fn permits<'a>(
        &'a self,
        user: &'a AnyUser,
        permission: &'a str,
        object: Option<ObjectRef<'a>>,
        ctx: &'a AppContext,
    ) -> BoxFuture<'a, loco_rs::Result<bool>>;

    fn user_id(&self, user: &AnyUser) -> Option<String>;
}

impl<A: Authorizer> DynAuthorizer for A {
    fn authenticate<'a>(
        &'a self,
        parts: &'a Parts,
        ctx: &'a AppContext,
    ) -> BoxFuture<'a, loco_rs::Result<Option<AnyUser>>> {
        Box::pin(async move {
            let user = Authorizer::authenticate(self, parts, ctx).await?;
            Ok(user.map(|user| Box::new(user) as AnyUser))
        })
    }

    fn permits<'a>(
        &'a self,
        user: &'a AnyUser,
        permission: &'a str,
        object: Option<ObjectRef<'a>>,
        ctx: &'a AppContext,
    ) -> BoxFuture<'a, loco_rs::Result<bool>> {
        Box::pin(async move {
            // The user always comes from this authorizer's `authenticate`; a user of another
            // type would be a bug, and the safe answer to a bug is "no".
            let Some(user) = user.downcast_ref::<A::User>() else {
                return Ok(false);
            };
            match object {
                None => self.has_permission(user, permission, ctx).await,
                Some(object) => {
                    self.has_object_permission(user, permission, object, ctx)
                        .await
                }
            }
        })
    }

    fn user_id(&self, user: &AnyUser) -> Option<String> {
        Authorizer::user_id(self, user.downcast_ref::<A::User>()?)
    }
}
