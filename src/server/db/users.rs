use super::{Db, DbError};
use crate::server::auth::password::PasswordHash;
use crate::vars;
use chrono::{DateTime, Utc};
use surrealdb::types::SurrealValue;

pub struct NewUser {
    pub name: String,
    pub email: String,
    pub password_hash: Option<PasswordHash>,
    pub role: &'static str,
    /// Set for accounts whose address someone already vouched for (Google, the operator).
    pub email_verified: bool,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct UserRecord {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

pub struct UserRepo<'a>(pub &'a Db);

impl UserRepo<'_> {
    /// Creates the user; an email already registered is `DbError::Duplicate`.
    pub async fn create(&self, user: NewUser) -> Result<String, DbError> {
        let id = super::new_id();
        self.0
            .execute(
                "CREATE type::record('user', $id) SET name = $name, email = $email,
                    password_hash = $password_hash, role = $role,
                    email_verified_at = IF $verified { time::now() } ELSE { NONE },
                    created_at = time::now(), updated_at = time::now()",
                vars![
                    ("id", id.clone()),
                    ("name", user.name),
                    ("email", user.email),
                    (
                        "password_hash",
                        user.password_hash.map(|h| h.as_phc().to_owned())
                    ),
                    ("role", user.role.to_owned()),
                    ("verified", user.email_verified),
                ],
            )
            .await?;
        Ok(id)
    }

    pub async fn find_by_email(&self, email: &str) -> Result<Option<UserRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT record::id(id) AS id, name, email, role,
                    email_verified_at != NONE AS email_verified, created_at
                 FROM user WHERE email = $email LIMIT 1",
                vars![("email", email.to_owned())],
            )
            .await?;
        let mut rows: Vec<UserRecord> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(rows.pop())
    }
}

impl UserRepo<'_> {
    /// The id and stored password hash for an email.
    pub async fn find_credentials(
        &self,
        email: &str,
    ) -> Result<Option<(String, Option<String>)>, DbError> {
        #[derive(SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct Credentials {
            id: String,
            password_hash: Option<String>,
        }
        let mut response = self
            .0
            .execute(
                "SELECT record::id(id) AS id, password_hash FROM user WHERE email = $email LIMIT 1",
                vars![("email", email.to_owned())],
            )
            .await?;
        let mut rows: Vec<Credentials> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(rows.pop().map(|c| (c.id, c.password_hash)))
    }

    pub async fn set_password(&self, user_id: &str, hash: &PasswordHash) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('user', $id) SET password_hash = $hash, updated_at = time::now()",
                vars![("id", user_id.to_owned()), ("hash", hash.as_phc().to_owned())],
            )
            .await?;
        Ok(())
    }

    pub async fn set_role(&self, user_id: &str, role: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "UPDATE type::record('user', $id) SET role = $role, updated_at = time::now()",
                vars![("id", user_id.to_owned()), ("role", role.to_owned())],
            )
            .await?;
        Ok(())
    }
}

impl UserRepo<'_> {
    pub async fn search(&self, query: &str, limit: i64) -> Result<Vec<UserRecord>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT record::id(id) AS id, name, email, role,
                    email_verified_at != NONE AS email_verified, created_at FROM user
                 WHERE $q = '' OR string::contains(email, $q)
                    OR string::contains(string::lowercase(name), $q)
                 ORDER BY created_at DESC LIMIT $limit",
                vars![("q", query.to_owned()), ("limit", limit)],
            )
            .await?;
        response.take(0).map_err(DbError::from_surreal)
    }
}

impl UserRepo<'_> {
    pub async fn find_by_google_sub(&self, subject: &str) -> Result<Option<String>, DbError> {
        let mut response = self
            .0
            .execute(
                "SELECT VALUE record::id(id) FROM user WHERE google_sub = $sub LIMIT 1",
                vars![("sub", subject.to_owned())],
            )
            .await?;
        let mut ids: Vec<String> = response.take(0).map_err(DbError::from_surreal)?;
        Ok(ids.pop())
    }

    /// Links a Google account to a user whose email is verified.
    pub async fn link_google(&self, user_id: &str, subject: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $user = type::record('user', $id);
                 UPDATE $user SET google_sub = $sub, updated_at = time::now();
                 CREATE account_log SET user = $user, action = 'google_linked', at = time::now();
                 COMMIT TRANSACTION;",
                vars![("id", user_id.to_owned()), ("sub", subject.to_owned())],
            )
            .await?;
        Ok(())
    }

    /// The owner of the address, proven by Google, takes an account nobody verified: whoever
    /// registered it loses the password, every session and every pending link.
    pub async fn take_over_with_google(&self, user_id: &str, subject: &str) -> Result<(), DbError> {
        self.0
            .execute(
                "BEGIN TRANSACTION;
                 LET $user = type::record('user', $id);
                 UPDATE $user SET google_sub = $sub, password_hash = NONE,
                    email_verified_at = time::now(), updated_at = time::now();
                 DELETE session WHERE user = $user;
                 DELETE password_reset WHERE user = $user;
                 DELETE email_verification WHERE user = $user;
                 CREATE account_log SET user = $user, action = 'google_took_over', at = time::now();
                 COMMIT TRANSACTION;",
                vars![("id", user_id.to_owned()), ("sub", subject.to_owned())],
            )
            .await?;
        Ok(())
    }
}
