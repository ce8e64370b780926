//! The daemon's HTTP endpoints (axum): `/metrics` for Prometheus, `/healthz` (the process is up),
//! `/readyz` (every cluster had its first poll; JSON detail per cluster), `/api/v1/findings`
//! (the same JSON as `findings --format json`) and `/api/v1/reports/latest` (the HTML report).

use super::metrics::Metrics;
use super::status::Status;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub metrics: Arc<Metrics>,
    pub status: Arc<Status>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/api/v1/findings", get(findings))
        .route("/api/v1/reports/latest", get(report))
        .with_state(state)
}

async fn metrics(State(s): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], s.metrics.encode()).into_response()
}

/// Ready once every cluster had its first poll, whatever came of it: one failing cluster must not
/// take the others' metrics off the air. The detail says which are healthy.
async fn readyz(State(s): State<AppState>) -> Response {
    let clusters = s.status.snapshot();
    let ready = clusters.values().all(|c| c.attempted);
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(serde_json::json!({ "ready": ready, "database": "open", "clusters": clusters }))).into_response()
}

#[derive(Deserialize)]
struct ClusterQuery {
    cluster: Option<String>,
}

/// A `?cluster=` that names no configured cluster: 404 with the names there are, not an empty answer
/// that reads as "no findings".
fn unknown_cluster(
    clusters: &std::collections::BTreeMap<String, super::status::ClusterStatus>,
    q: &ClusterQuery,
) -> Option<Response> {
    let want = q.cluster.as_ref()?;
    if clusters.contains_key(want) {
        return None;
    }
    let known: Vec<&str> = clusters.keys().map(String::as_str).collect();
    let body = serde_json::json!({ "error": "no such cluster", "cluster": want, "known_clusters": known });
    Some((StatusCode::NOT_FOUND, axum::Json(body)).into_response())
}

async fn findings(State(s): State<AppState>, Query(q): Query<ClusterQuery>) -> Response {
    let clusters = s.status.snapshot();
    if let Some(response) = unknown_cluster(&clusters, &q) {
        return response;
    }
    let mut all: Vec<serde_json::Value> = Vec::new();
    for (name, c) in &clusters {
        if q.cluster.as_ref().is_some_and(|want| want != name) {
            continue;
        }
        if let Some(json) = &c.findings_json {
            all.extend(serde_json::from_str::<Vec<serde_json::Value>>(json).unwrap_or_default());
        }
    }
    axum::Json(all).into_response()
}

async fn report(State(s): State<AppState>, Query(q): Query<ClusterQuery>) -> Response {
    let clusters = s.status.snapshot();
    if let Some(response) = unknown_cluster(&clusters, &q) {
        return response;
    }
    let html = clusters
        .iter()
        .filter(|(name, _)| q.cluster.as_ref().is_none_or(|want| want == *name))
        .find_map(|(_, c)| c.report_html.clone());
    match html {
        Some(html) => Html(html).into_response(),
        None => (StatusCode::NOT_FOUND, "no report yet: the cluster has not been assessed\n").into_response(),
    }
}
