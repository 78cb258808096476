//! Secrets: bearer tokens, their hashes, and password hashing with argon2id.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// `prefix` + 32 random bytes in base64url.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Tokens are stored as their SHA-256; a stolen table yields nothing usable.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A link token derived from a platform key and what it opens (`purpose`), so the
/// link can be shown again without storing it: only its [`token_hash`] is stored.
pub fn derived_token(key: &[u8], purpose: &str) -> AppResult<String> {
    use hmac::{Hmac, KeyInit, Mac};
    // HMAC takes keys of any length; the error branch cannot happen.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .map_err(|e| AppError::internal(e.to_string()))?;
    mac.update(purpose.as_bytes());
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// A fresh 32-byte platform key, hex encoded.
pub fn new_platform_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Hash of a generated temporary password. Those carry ≥ 120 bits of randomness, so
/// a fast hash protects them as well as a slow one (the same reasoning as for
/// tokens); the person's own password, chosen at first sign-in, gets argon2id.
pub fn temporary_password_hash(password: &str) -> String {
    format!("{TEMPORARY_PREFIX}{}", token_hash(password))
}

const TEMPORARY_PREFIX: &str = "sha256-temporary$";

/// A short strong ETag from an id and a version counter.
pub fn etag(id: &str, version: i64) -> String {
    hex::encode(&Sha256::digest(format!("{id}:{version}").as_bytes())[..10])
}

fn argon2() -> Argon2<'static> {
    // OWASP: argon2id, 19 MiB, 2 iterations, 1 lane.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes and verifies passwords off the async threads, at most `permits` at once,
/// so a burst of sign-ins cannot take all memory or all cores.
#[derive(Clone, Debug)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
}

impl PasswordHasherPool {
    pub fn new(permits: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal(e.to_string()))?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(|e| AppError::internal(e.to_string()))?
    }

    /// Verifies `password` against `hash`. With no hash (unknown user) it still does
    /// the work, so the answer takes as long either way.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> AppResult<bool> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal(e.to_string()))?;
        let password = password.to_owned();
        let hash = hash.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            if let Some(expected) = hash
                .as_deref()
                .and_then(|h| h.strip_prefix(TEMPORARY_PREFIX))
            {
                let matches = token_hash(&password) == expected;
                // The same work as a real verification, so the answer takes as long.
                let _ = PasswordHash::new(dummy_hash())
                    .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed));
                return matches;
            }
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .await
        .map_err(|e| AppError::internal(e.to_string()))
    }
}

pub fn hash_blocking(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal(e.to_string()))?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(e.to_string()))
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_blocking("partnerd dummy password for timing").unwrap_or_default())
}
